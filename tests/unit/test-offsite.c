/* Unit tests of lib/offsite part 1: [offsite:NAME] sections, the
 * credentials file, the key file and the encrypted stream (round trips at
 * every size class, fed in every piece size; a wrong key, a truncated
 * stream, a flipped byte, a reordered, dropped or repeated chunk and
 * appended bytes each fail with an error naming the object). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "credentials.h"
#include "offsite_config.h"
#include "offsite_key.h"
#include "secstream.h"
#include "testutil.h"

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* ---- config ---- */

static void test_config_offsite(void **state)
{
	char path[512];
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	const struct offsite *o;

	snprintf(path, sizeof(path), "%s/l.ini", (char *)*state);
	write_file(path,
		   "[files:site]\nschedule = @daily\npath = /var/www\n"
		   "[files:web]\nschedule = @daily\npath = /var/www2\n"
		   "[offsite:s3]\nurl = s3://my-bucket/pre/fix/\nendpoint = https://s3.example.com\n"
		   "credentials_file = /etc/c\nkey_file = /etc/k\njobs = web\nupload_limit = 10M\n"
		   "object_lock_days = 30\nkeep_daily = 30\nkeep_monthly = 24\n"
		   "[offsite:b2]\nurl = s3://other\nendpoint = http://127.0.0.1:9000\n"
		   "credentials_file = /etc/c\nkey_file = /etc/k\n", 0600);
	assert_int_equal(config_load(path, &cfg, &errs), 0);
	assert_int_equal(cfg->noffsites, 2);
	o = config_offsite(cfg, "s3");
	assert_non_null(o);
	assert_string_equal(o->bucket, "my-bucket");
	assert_string_equal(o->prefix, "pre/fix");
	assert_string_equal(o->region, "us-east-1");
	assert_string_equal(o->profile, "default");
	assert_int_equal(o->upload_limit, 10 * 1024 * 1024);
	assert_int_equal(o->single_put_max, 1024 * 1024 * 1024);
	assert_int_equal(o->object_lock_days, 30);
	assert_true(o->own_keep);
	assert_int_equal(o->keep.keep_daily, 30);
	assert_int_equal(o->keep.keep_monthly, 24);
	assert_int_equal(o->keep.keep_last, 0);
	assert_true(offsite_has_job(o, "web"));
	assert_false(offsite_has_job(o, "site"));
	o = config_offsite(cfg, "b2");
	assert_string_equal(o->prefix, "");
	assert_false(o->own_keep);
	assert_true(offsite_has_job(o, "site"));
	/* without its own keep_*, a job's retention applies */
	assert_ptr_equal(offsite_keep(o, config_job(cfg, "site")), &config_job(cfg, "site")->keep);
	config_free(cfg);
	config_errors_free(&errs);
}

static void test_config_offsite_errors(void **state)
{
	static const struct {
		const char *section;	/* keys after the header */
		const char *expect;	/* a substring of one error */
	} cases[] = {
		{ "url = s3://B\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\n", ":5: [offsite:x] url: expected s3://BUCKET" },
		{ "url = s3://bucket/a/../b\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\n", "url: the prefix may not" },
		{ "url = s3://bucket/a//b\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\n", "url: the prefix may not" },
		{ "url = http://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\n", "url: expected" },
		{ "url = s3://bucket\nendpoint = ftp://h\ncredentials_file = /c\nkey_file = /k\n", ":6: [offsite:x] endpoint: expected http://" },
		{ "url = s3://bucket\nendpoint = http://h\nkey_file = /k\n", ":4: [offsite:x] credentials_file: missing" },
		{ "url = s3://bucket\nendpoint = http://h\ncredentials_file = /c\n", "key_file: missing" },
		{ "url = s3://bucket\nendpoint = http://h\ncredentials_file = c\nkey_file = /k\n", "credentials_file:" },
		{ "url = s3://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\njobs = nope\n", "jobs: no job named 'nope'" },
		{ "url = s3://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\nkeep_daily = 0\n", "keeps no copy" },
		{ "url = s3://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\nschedule = @daily\n", "schedule: unknown key" },
		{ "url = s3://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\nobject_lock_days = -1\n", "object_lock_days" },
		{ "url = s3://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\nsingle_put_max = 6G\n", ":9: [offsite:x] single_put_max: at most 5000M" },
	};
	char path[512], text[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config_errors errs = { 0 };
		struct config *cfg = NULL;
		bool found = false;

		snprintf(path, sizeof(path), "%s/l.ini", (char *)*state);
		snprintf(text, sizeof(text), "[files:site]\nschedule = @daily\npath = /var/www\n[offsite:x]\n%s",
			 cases[i].section);
		write_file(path, text, 0600);
		assert_int_equal(config_load(path, &cfg, &errs), -EINVAL);
		for (size_t j = 0; j < errs.lines.n; j++)
			if (strstr(errs.lines.v[j], cases[i].expect))
				found = true;
		if (!found) {
			for (size_t j = 0; j < errs.lines.n; j++)
				print_message("case %zu: got %s\n", i, errs.lines.v[j]);
			fail_msg("case %zu: no error containing '%s'", i, cases[i].expect);
		}
		config_errors_free(&errs);
	}
}

static void test_config_offsite_duplicate(void **state)
{
	char path[512];
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;

	snprintf(path, sizeof(path), "%s/l.ini", (char *)*state);
	write_file(path,
		   "[offsite:a]\nurl = s3://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\n"
		   "[offsite:a]\nurl = s3://bucket\nendpoint = http://h\ncredentials_file = /c\nkey_file = /k\n"
		   "[offsite:Bad!]\n", 0600);
	assert_int_equal(config_load(path, &cfg, &errs), -EINVAL);
	assert_int_equal(errs.lines.n, 2);
	assert_non_null(strstr(errs.lines.v[0], ":6: [offsite:a]: duplicate offsite name 'a' (first on line 1)"));
	assert_non_null(strstr(errs.lines.v[1], ":11: [offsite:Bad!]: offsite name 'Bad!' is not valid"));
	config_errors_free(&errs);
}

/* ---- credentials ---- */

static void test_credentials(void **state)
{
	char path[512], err[512];
	struct credentials c;

	snprintf(path, sizeof(path), "%s/cred", (char *)*state);
	write_file(path,
		   "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secretdefault\n"
		   "[backup]\naws_access_key_id=AKIDBACKUP\naws_secret_access_key=secret/backup+x\n"
		   "aws_session_token = tok\nregion = eu-central-1\n"
		   "[profile other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = s3\n", 0600);
	assert_int_equal(credentials_load(path, "default", &c, err, sizeof(err)), 0);
	assert_string_equal(c.access_key, "AKIDDEFAULT");
	assert_string_equal(c.secret_key, "secretdefault");
	assert_string_equal(c.session_token, "");
	assert_int_equal(credentials_load(path, "backup", &c, err, sizeof(err)), 0);
	assert_string_equal(c.access_key, "AKIDBACKUP");
	assert_string_equal(c.secret_key, "secret/backup+x");
	assert_string_equal(c.session_token, "tok");
	assert_int_equal(credentials_load(path, "other", &c, err, sizeof(err)), 0);
	assert_string_equal(c.access_key, "AKIDOTHER");
	assert_int_equal(credentials_load(path, "nope", &c, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no [nope] profile"));
	assert_non_null(strstr(err, path));
	credentials_clear(&c);
	assert_string_equal(c.secret_key, "");

	/* readable by the group: refused, and the secret is not read */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(credentials_load(path, "default", &c, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "mode 0640"));
	assert_string_equal(c.secret_key, "");

	write_file(path, "[default]\naws_access_key_id = AKID\n", 0600);
	assert_int_equal(credentials_load(path, "default", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "aws_secret_access_key: missing"));
	write_file(path, "[default]\naws_access_key_id = AK ID\naws_secret_access_key = x\n", 0600);
	assert_int_equal(credentials_load(path, "default", &c, err, sizeof(err)), -EINVAL);
	write_file(path, "garbage without section\n[[[\n", 0600);
	assert_int_equal(credentials_load(path, "default", &c, err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/missing", (char *)*state);
	assert_int_equal(credentials_load(path, "default", &c, err, sizeof(err)), -ENOENT);
}

/* ---- key file ---- */

static void test_key_file(void **state)
{
	char path[512], err[512], line[128], line2[128];
	struct offsite_key a, b;
	struct stat st;

	snprintf(path, sizeof(path), "%s/offsite.key", (char *)*state);
	assert_int_equal(offsite_key_create(path, &a, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(offsite_key_load(path, &b, err, sizeof(err)), 0);
	assert_memory_equal(a.key, b.key, OFFSITE_KEY_BYTES);
	assert_memory_equal(a.id, b.id, OFFSITE_KEY_ID_BYTES);
	offsite_key_line(&a, line, sizeof(line));
	assert_int_equal(strlen(line), strlen(OFFSITE_KEY_TAG) + 1 + 64);
	/* never over an existing file */
	assert_int_equal(offsite_key_create(path, &b, err, sizeof(err)), -EEXIST);
	assert_int_equal(offsite_key_load(path, &b, err, sizeof(err)), 0);
	offsite_key_line(&b, line2, sizeof(line2));
	assert_string_equal(line, line2);
	/* mode */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(offsite_key_load(path, &b, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "readable by others"));
	/* hostile contents */
	write_file(path, "lifeboat-offsite-key-1 abcd\n", 0600);
	assert_int_equal(offsite_key_load(path, &b, err, sizeof(err)), -EINVAL);
	write_file(path, "lifeboat-offsite-key-1 0000000000000000000000000000000000000000000000000000000000000000zz\n", 0600);
	assert_int_equal(offsite_key_load(path, &b, err, sizeof(err)), -EINVAL);
	write_file(path, "", 0600);
	assert_int_equal(offsite_key_load(path, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));
}

/* ---- the stream ---- */

struct sinkbuf {
	uint8_t *p;
	size_t n, cap;
};

static int sink(void *arg, const uint8_t *p, size_t n)
{
	struct sinkbuf *s = arg;

	if (s->n + n > s->cap) {
		s->cap = (s->n + n) * 2;
		s->p = realloc(s->p, s->cap);
		assert_non_null(s->p);
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
	return 0;
}

/* PLAIN encrypted whole; *OUTLEN bytes, malloc'd. */
static uint8_t *encrypt_all(const struct offsite_key *k, const uint8_t *plain, size_t len, size_t *outlen)
{
	struct secstream_enc e;
	uint8_t *out = malloc(secstream_size(len));
	size_t o = 0, i = 0;

	assert_non_null(out);
	assert_int_equal(secstream_enc_init(&e, k), 0);
	memcpy(out, e.header, SECSTREAM_HEADER_BYTES);
	o = SECSTREAM_HEADER_BYTES;
	for (;;) {
		size_t n = len - i < SECSTREAM_CHUNK ? len - i : SECSTREAM_CHUNK;
		bool final = n < SECSTREAM_CHUNK;

		assert_int_equal(secstream_enc_chunk(&e, plain + i, n, final, out + o), 0);
		o += n + SECSTREAM_ABYTES;
		i += n;
		if (final)
			break;
	}
	secstream_enc_clear(&e);
	assert_int_equal(o, secstream_size(len));
	*outlen = o;
	return out;
}

/* Decrypts ENC fed in pieces of STEP; returns the result code, and the
 * error in ERR. */
static int decrypt_all(const struct offsite_key *k, const uint8_t *enc, size_t len, size_t step,
		       struct sinkbuf *out, char *err, size_t errlen)
{
	struct secstream_dec d;
	int r = 0;

	assert_int_equal(secstream_dec_init(&d, k, "s3://bucket/site/2026/11/backup-25-01.tar.zst"), 0);
	for (size_t i = 0; i < len && r == 0; i += step)
		r = secstream_dec_feed(&d, enc + i, len - i < step ? len - i : step, sink, out);
	if (r == 0)
		r = secstream_dec_finish(&d, sink, out);
	snprintf(err, errlen, "%s", d.err);
	secstream_dec_clear(&d);
	return r;
}

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + i / 251);
	return p;
}

static void test_stream_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 100, SECSTREAM_CHUNK - 1, SECSTREAM_CHUNK, SECSTREAM_CHUNK + 1,
					3 * SECSTREAM_CHUNK, 3 * SECSTREAM_CHUNK + 12345 };
	static const size_t steps[] = { 1, 7, 4096, SECSTREAM_CHUNK + SECSTREAM_ABYTES, 1 << 20 };
	struct offsite_key k;
	char err[1024];

	(void)state;
	randombytes_buf(k.key, sizeof(k.key));
	memset(k.id, 0x11, sizeof(k.id));
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t elen;
		uint8_t *plain = pattern(sizes[s]);
		uint8_t *enc = encrypt_all(&k, plain, sizes[s], &elen);

		for (size_t t = 0; t < sizeof(steps) / sizeof(steps[0]); t++) {
			struct sinkbuf out = { 0 };

			if (steps[t] == 1 && sizes[s] > 2 * SECSTREAM_CHUNK)
				continue;	/* slow, and covered by the smaller sizes */
			assert_int_equal(decrypt_all(&k, enc, elen, steps[t], &out, err, sizeof(err)), 0);
			assert_int_equal(out.n, sizes[s]);
			if (sizes[s])
				assert_memory_equal(out.p, plain, sizes[s]);
			free(out.p);
		}
		/* the plaintext is nowhere in the ciphertext */
		if (sizes[s] >= 64)
			assert_null(memmem(enc, elen, plain + 16, 32));
		free(enc);
		free(plain);
	}
}

/* Each kind of damage fails, with an error that names the object. */
static void test_stream_damage(void **state)
{
	const size_t len = 3 * SECSTREAM_CHUNK + 500;
	const size_t clen = SECSTREAM_CHUNK + SECSTREAM_ABYTES;
	struct offsite_key k, other;
	struct sinkbuf out = { 0 };
	char err[1024];
	uint8_t *plain = pattern(len), *enc, *bad;
	size_t elen;

	(void)state;
	randombytes_buf(k.key, sizeof(k.key));
	memset(k.id, 0x11, sizeof(k.id));
	enc = encrypt_all(&k, plain, len, &elen);
	bad = malloc(elen + clen);

	/* wrong key (its id differs): said so */
	randombytes_buf(other.key, sizeof(other.key));
	memset(other.id, 0x22, sizeof(other.id));
	assert_int_equal(decrypt_all(&other, enc, elen, 4096, &out, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "s3://bucket/site/2026/11/backup-25-01.tar.zst: encrypted with another key"));
	assert_int_equal(out.n, 0);
	/* wrong key with a forged id: the first chunk does not decrypt */
	memcpy(other.id, k.id, sizeof(k.id));
	assert_int_equal(decrypt_all(&other, enc, elen, 4096, &out, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "chunk 1 (at byte 44) does not decrypt"));
	assert_int_equal(out.n, 0);

	/* truncated at every kind of place */
	{
		const size_t cuts[] = { 0, 10, SECSTREAM_HEADER_BYTES, SECSTREAM_HEADER_BYTES + 100,
					SECSTREAM_HEADER_BYTES + clen, SECSTREAM_HEADER_BYTES + 3 * clen, elen - 1 };

		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			out.n = 0;
			assert_int_not_equal(decrypt_all(&k, enc, cuts[i], 4096, &out, err, sizeof(err)), 0);
			assert_non_null(strstr(err, "s3://bucket/site/2026/11/backup-25-01.tar.zst: "));
			if (cuts[i] == SECSTREAM_HEADER_BYTES + 3 * clen)
				assert_non_null(strstr(err, "truncated: it ends after 3 chunks"));
		}
	}

	/* a flipped bit anywhere: header, first chunk, last byte */
	{
		const size_t at[] = { 3, 9, 13, 30, SECSTREAM_HEADER_BYTES, SECSTREAM_HEADER_BYTES + clen + 5, elen - 1 };

		for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			memcpy(bad, enc, elen);
			bad[at[i]] ^= 0x01;
			out.n = 0;
			assert_int_not_equal(decrypt_all(&k, bad, elen, 4096, &out, err, sizeof(err)), 0);
			assert_non_null(strstr(err, "backup-25-01.tar.zst: "));
		}
	}

	/* chunks 1 and 2 swapped */
	memcpy(bad, enc, elen);
	memcpy(bad + SECSTREAM_HEADER_BYTES, enc + SECSTREAM_HEADER_BYTES + clen, clen);
	memcpy(bad + SECSTREAM_HEADER_BYTES + clen, enc + SECSTREAM_HEADER_BYTES, clen);
	out.n = 0;
	assert_int_equal(decrypt_all(&k, bad, elen, 4096, &out, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "chunk 1 (at byte 44) does not decrypt: the object was altered, reordered or damaged"));
	assert_int_equal(out.n, 0);

	/* chunk 2 dropped */
	memcpy(bad, enc, SECSTREAM_HEADER_BYTES + clen);
	memcpy(bad + SECSTREAM_HEADER_BYTES + clen, enc + SECSTREAM_HEADER_BYTES + 2 * clen,
	       elen - SECSTREAM_HEADER_BYTES - 2 * clen);
	out.n = 0;
	assert_int_equal(decrypt_all(&k, bad, elen - clen, 4096, &out, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "chunk 2 "));

	/* chunk 1 repeated */
	memcpy(bad, enc, SECSTREAM_HEADER_BYTES + clen);
	memcpy(bad + SECSTREAM_HEADER_BYTES + clen, enc + SECSTREAM_HEADER_BYTES, elen - SECSTREAM_HEADER_BYTES);
	out.n = 0;
	assert_int_equal(decrypt_all(&k, bad, elen + clen, 4096, &out, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "chunk 2 "));

	/* bytes after the final chunk */
	memcpy(bad, enc, elen);
	memcpy(bad + elen, "junk", 4);
	out.n = 0;
	assert_int_equal(decrypt_all(&k, bad, elen + 4, 4096, &out, err, sizeof(err)), -EBADMSG);
	/* a plain (unencrypted) file */
	out.n = 0;
	assert_int_equal(decrypt_all(&k, plain, len, 4096, &out, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not an encrypted Lifeboat object"));

	free(out.p);
	free(bad);
	free(enc);
	free(plain);
}

/* A resumed encryptor continues the very same bytes. */
static void test_stream_resume(void **state)
{
	struct offsite_key k;
	struct secstream_enc a, b;
	uint8_t *plain = pattern(2 * SECSTREAM_CHUNK);
	uint8_t oa[SECSTREAM_CHUNK + SECSTREAM_ABYTES], ob[SECSTREAM_CHUNK + SECSTREAM_ABYTES];
	uint8_t hdr[SECSTREAM_HEADER_BYTES];

	(void)state;
	randombytes_buf(k.key, sizeof(k.key));
	memset(k.id, 0x11, sizeof(k.id));
	assert_int_equal(secstream_enc_init(&a, &k), 0);
	assert_int_equal(secstream_enc_resume(&b, &k, a.header), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(secstream_enc_chunk(&a, plain + i * SECSTREAM_CHUNK, SECSTREAM_CHUNK, false, oa), 0);
		assert_int_equal(secstream_enc_chunk(&b, plain + i * SECSTREAM_CHUNK, SECSTREAM_CHUNK, false, ob), 0);
		assert_memory_equal(oa, ob, sizeof(oa));
	}
	assert_int_equal(secstream_enc_chunk(&a, plain, 10, true, oa), 0);
	assert_int_equal(secstream_enc_chunk(&b, plain, 10, true, ob), 0);
	assert_memory_equal(oa, ob, 10 + SECSTREAM_ABYTES);
	/* after the final chunk, nothing more */
	assert_int_equal(secstream_enc_chunk(&a, plain, 10, true, oa), -EINVAL);
	/* a header of another key cannot be resumed */
	memcpy(hdr, a.header, sizeof(hdr));
	hdr[12] ^= 1;
	assert_int_equal(secstream_enc_resume(&b, &k, hdr), -EINVAL);
	free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_offsite, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_config_offsite_errors, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_config_offsite_duplicate, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_credentials, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test_setup_teardown(test_key_file, test_tmpdir_setup, test_tmpdir_teardown),
		cmocka_unit_test(test_stream_round_trip),
		cmocka_unit_test(test_stream_damage),
		cmocka_unit_test(test_stream_resume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
