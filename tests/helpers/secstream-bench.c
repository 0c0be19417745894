/* secstream-bench FILE: encrypts FILE with a random key as an offsite object
 * would be (secstream, 64 KiB chunks), discarding the output, and prints the
 * CPU seconds the encryption alone took and its rate.  For
 * tests/bench/offsite.sh; reads the file first so the disk is not counted. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "secstream.h"

int main(int argc, char **argv)
{
	static uint8_t in[SECSTREAM_CHUNK], out[SECSTREAM_CHUNK + SECSTREAM_ABYTES];
	struct offsite_key k = { 0 };
	struct secstream_enc e;
	struct timespec a, b;
	double cpu = 0;
	uint64_t total = 0;
	ssize_t n;
	int fd;

	if (argc != 2 || (fd = open(argv[1], O_RDONLY)) < 0) {
		fprintf(stderr, "usage: secstream-bench FILE\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	randombytes_buf(k.key, sizeof(k.key));
	secstream_enc_init(&e, &k);
	for (;;) {
		size_t got = 0;

		while (got < sizeof(in) && (n = read(fd, in + got, sizeof(in) - got)) > 0)
			got += (size_t)n;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		secstream_enc_chunk(&e, in, got, got < sizeof(in), out);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		cpu += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		total += got;
		if (got < sizeof(in))
			break;
	}
	printf("%.3f %.0f\n", cpu, cpu > 0 ? (double)total / cpu / 1e6 : 0);
	return 0;
}
