/*
 * mkbackup — a test helper that writes one backup through the real store
 * code, so end-to-end tests of the CLI have committed backups (and crashed
 * ones) to look at before any job kind exists.  The artifact is a valid zstd
 * frame of a short text, so `zstd -t` accepts it.
 *
 *   mkbackup STORE JOB KIND [--time EPOCH] [--result ok|partial]
 *            [--crash-mid-artifact | --crash-before-record]
 *
 * Prints the new id on stdout.  The crash modes _exit(3) at that point,
 * leaving exactly what a killed job would leave.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zstd.h>

#include "store.h"
#include "timefmt.h"

static const char *ext_of(const char *kind)
{
	return strcmp(kind, "db") == 0 ? "sql.zst" : "tar.zst";
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "time", required_argument, NULL, 't' },
		{ "result", required_argument, NULL, 'r' },
		{ "crash-mid-artifact", no_argument, NULL, 'm' },
		{ "crash-before-record", no_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	static const char text[] = "-- lifeboat test artifact\nSELECT 1;\n";
	char compressed[256], started[TIMEFMT_RFC3339_LEN];
	const char *result = "ok";
	struct store_artifact *a;
	struct store_txn *txn;
	struct store *st;
	int crash = 0, c, r;
	time_t now = time(NULL);
	size_t clen;
	json_t *rec;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't': now = (time_t)strtoll(optarg, NULL, 10); break;
		case 'r': result = optarg; break;
		case 'm': crash = 'm'; break;
		case 'b': crash = 'b'; break;
		default: return 2;
		}
	}
	if (argc - optind != 3) {
		fprintf(stderr, "usage: mkbackup STORE JOB KIND [--time EPOCH] [--result R] [--crash-...]\n");
		return 2;
	}
	clen = ZSTD_compress(compressed, sizeof(compressed), text, sizeof(text) - 1, 3);
	if (ZSTD_isError(clen))
		return 1;
	if (store_open(argv[optind], &st) < 0)
		return 1;
	if (store_begin(st, argv[optind + 1], argv[optind + 2], now, &txn) < 0)
		return 1;
	if (store_artifact_open(txn, ext_of(argv[optind + 2]), &a) < 0)
		return 1;
	if (crash == 'm') {
		store_artifact_write(a, compressed, clen / 2);
		_exit(3);
	}
	if (store_artifact_write(a, compressed, clen) < 0 || store_artifact_finish(a) < 0)
		return 1;
	if (crash == 'b')
		_exit(3);
	timefmt_rfc3339(now, started);
	rec = json_pack("{s:s, s:s, s:s, s:I}", "started", started, "finished", started,
			"result", result, "size_raw", (json_int_t)(sizeof(text) - 1));
	printf("%s\n", store_txn_id(txn));
	r = store_commit(txn, rec);
	json_decref(rec);
	store_close(st);
	return r < 0 ? 1 : 0;
}
