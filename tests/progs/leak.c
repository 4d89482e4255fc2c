/* SPDX-License-Identifier: MIT */
/*
 * leak: a program that leaks memory until something stops it.
 *
 *   leak [--chunk-kib N] [--max-mib N [--hold]]
 *
 * Allocates blocks of N KiB (default 1024) with malloc in leak_block(),
 * fills each with bytes that do not compress (an xorshift stream) and never
 * frees them, printing "leaked K KiB" on stdout (flushed) after each block.
 * With --max-mib M it stops after M MiB, frees nothing, prints "done" and
 * exits 0 (with --hold it waits for a signal instead); otherwise it runs
 * until it is killed.  If malloc returns NULL it
 * prints "malloc returned NULL after K KiB" and exits 3: under vmsandbox's
 * OOM kill it never gets that far, under --overcommit never it does.
 *
 * leak_block is not inlined, so that an allocation-site report can name it
 * and the line of its malloc (LEAK_MALLOC_LINE, which the tests read).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progargs.h"

#define PROG "leak"

static void usage(FILE *f)
{
	fputs("usage: " PROG " [--chunk-kib N] [--max-mib N [--hold]]\n", f);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static __attribute__((noinline)) char *leak_block(size_t bytes)
{
	uint64_t *p = malloc(bytes); /* LEAK_MALLOC_LINE */

	if (!p)
		return NULL;
	for (size_t i = 0; i < bytes / sizeof(*p); i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p[i] = rng;
	}
	return (char *)p;
}

int main(int argc, char **argv)
{
	unsigned long chunk_kib = 1024, max_mib = 0, total_kib = 0;
	int hold = 0;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--chunk-kib") == 0)
			chunk_kib = prog_parse_num(PROG, usage, argv[++i], "--chunk-kib", 4, 1 << 20);
		else if (i + 1 < argc && strcmp(argv[i], "--max-mib") == 0)
			max_mib = prog_parse_num(PROG, usage, argv[++i], "--max-mib", 1, 1 << 20);
		else if (strcmp(argv[i], "--hold") == 0)
			hold = 1;
		else {
			usage(stderr);
			return 2;
		}
	}
	for (;;) {
		if (max_mib && total_kib >= max_mib * 1024) {
			puts("done");
			fflush(stdout);
			while (hold)
				pause();
			return 0;
		}
		if (!leak_block(chunk_kib * 1024)) {
			printf("malloc returned NULL after %lu KiB\n", total_kib);
			return 3;
		}
		total_kib += chunk_kib;
		printf("leaked %lu KiB\n", total_kib);
		fflush(stdout);
	}
}
