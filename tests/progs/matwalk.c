/* SPDX-License-Identifier: MIT */
/*
 * matwalk: naive transposes of a square matrix, a strided walk over memory.
 *
 *   matwalk [--n N] [--passes P]
 *
 * Two N x N matrices of 64-bit words, A and B (default N = 256: rows of
 * 2 KiB, 128 pages per matrix), each in its own private anonymous mapping.
 * A is filled row by row; then each pass does
 *     B[j][i] = A[i][j] * 3 + 1    for i, for j    (A read along rows, B written down columns)
 *     A[i][j] = B[j][i] ^ (i + j)  for i, for j    (B read down columns, A written along rows)
 * so every pass walks one matrix with a stride of a row (8 N bytes) per
 * access: N >= 512 is a new page on every access, N = 256 one every two.
 * A TLB smaller than a matrix's pages misses on nearly every strided
 * access, and a frame budget below the column walk's pages thrashes LRU.
 *
 * At the end both matrices are checked, each along its rows, against the
 * same arithmetic done element by element (no second copy of the data),
 * and one line with the checksum of both is printed; exit 1 at the first mismatch (stderr says
 * where), 2 on bad usage or a failed mmap.  Single-threaded, no clock, no
 * randomness: the same reference string on every run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "progargs.h"

#define PROG "matwalk"

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--n N] [--passes P]\n"
		"  --n N       matrix order: two N x N matrices of 64-bit words (default 256)\n"
		"  --passes P  transposes there and back (default 2)\n", PROG);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long min, unsigned long max)
{
	return prog_parse_num(PROG, usage, s, what, min, max);
}

static uint64_t *map_matrix(uint64_t n, const char *what)
{
	void *p = mmap(NULL, n * n * sizeof(uint64_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap of matrix %s (%" PRIu64 " x %" PRIu64 "): %s\n", PROG, what,
			n, n, strerror(errno));
		exit(2);
	}
	return p;
}

static uint64_t initial(uint64_t i, uint64_t j)
{
	uint64_t x = (i << 32 | j) * 0x9E3779B97F4A7C15ull;

	return x ^ (x >> 31);
}

/* A[i][j] and B[j][i] after `passes` passes. */
static uint64_t final_a(uint64_t i, uint64_t j, uint64_t passes)
{
	uint64_t x = initial(i, j);

	for (uint64_t p = 0; p < passes; p++)
		x = (x * 3 + 1) ^ (i + j);
	return x;
}

static uint64_t final_b(uint64_t i, uint64_t j, uint64_t passes)
{
	return final_a(i, j, passes - 1) * 3 + 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "n", required_argument, NULL, 'n' },
		{ "passes", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n = 256, passes = 2;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = parse_num(optarg, "--n", 1, 16384); break;
		case 'p': passes = parse_num(optarg, "--passes", 1, 1000); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	uint64_t *a = map_matrix(n, "A"), *b = map_matrix(n, "B");
	volatile uint64_t *va = a, *vb = b;

	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = 0; j < n; j++)
			va[i * n + j] = initial(i, j);
	for (uint64_t p = 0; p < passes; p++) {
		for (uint64_t i = 0; i < n; i++)
			for (uint64_t j = 0; j < n; j++)
				vb[j * n + i] = va[i * n + j] * 3 + 1;
		for (uint64_t i = 0; i < n; i++)
			for (uint64_t j = 0; j < n; j++)
				va[i * n + j] = vb[j * n + i] ^ (i + j);
	}

	/*
	 * Check: recompute element (i, j) through every pass, both matrices
	 * along their rows (sequential, so that the check adds no strided walk).
	 */
	uint64_t sum = 0xcbf29ce484222325ull;
	for (uint64_t i = 0; i < n; i++) {
		for (uint64_t j = 0; j < n; j++) {
			uint64_t x = final_a(i, j, passes), got = va[i * n + j];

			if (got != x) {
				fprintf(stderr, "%s: MISMATCH A[%" PRIu64 "][%" PRIu64 "] is 0x%016" PRIx64
					", expected 0x%016" PRIx64 "\n", PROG, i, j, got, x);
				return 1;
			}
			sum = (sum ^ got) * 0x100000001B3ull;
		}
	}
	for (uint64_t j = 0; j < n; j++) {
		for (uint64_t i = 0; i < n; i++) {
			uint64_t y = final_b(i, j, passes), got = vb[j * n + i];

			if (got != y) {
				fprintf(stderr, "%s: MISMATCH B[%" PRIu64 "][%" PRIu64 "] is 0x%016" PRIx64
					", expected 0x%016" PRIx64 "\n", PROG, j, i, got, y);
				return 1;
			}
			sum = (sum ^ got) * 0x100000001B3ull;
		}
	}
	printf("matwalk: n %" PRIu64 " passes %" PRIu64 " (%" PRIu64 " pages per matrix) checksum %016" PRIx64 "\n",
	       n, passes, (n * n * 8 + 4095) / 4096, sum);
	return 0;
}
