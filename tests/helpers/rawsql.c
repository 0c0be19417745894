/*
 * rawsql — a test helper that sends SQL to the server exactly as given, the
 * way PHP's mysqli does (mysql_real_query), with no client-side lexing: the
 * mariadb client would act on "\!" or cut at ";" in text that the server
 * reads differently, which is what the hostile-dump tests need to store.
 *
 *   rawsql SOCKET USER [DATABASE] < STATEMENTS
 *
 * STATEMENTS are separated by NUL bytes; each is one mysql_real_query, so
 * "SET sql_mode = ..." in one applies to the next ones.  No password (the
 * test server's root logs in over the socket).  Exits 1 naming the
 * statement that failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

int main(int argc, char **argv)
{
	MYSQL *my;
	char *buf = NULL;
	size_t len = 0, cap = 0, n, at = 0;
	int no = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: rawsql SOCKET USER [DATABASE] < NUL-separated statements\n");
		return 2;
	}
	for (;;) {
		if (len + 65536 > cap) {
			cap = (cap + 65536) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				return 2;
		}
		n = fread(buf + len, 1, cap - len - 1, stdin);
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	my = mysql_init(NULL);
	if (!my || !mysql_real_connect(my, NULL, argv[2], NULL, argc == 4 ? argv[3] : NULL, 0, argv[1], 0)) {
		fprintf(stderr, "rawsql: connect: %s\n", my ? mysql_error(my) : "out of memory");
		return 1;
	}
	while (at < len) {
		size_t sl = strnlen(buf + at, len - at);

		no++;
		if (sl && mysql_real_query(my, buf + at, sl) != 0) {
			fprintf(stderr, "rawsql: statement %d failed: %s (it begins: %.60s)\n", no,
				mysql_error(my), buf + at);
			return 1;
		}
		mysql_free_result(mysql_store_result(my));
		at += sl + 1;
	}
	mysql_close(my);
	free(buf);
	return 0;
}
