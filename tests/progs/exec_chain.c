/* SPDX-License-Identifier: MIT */
/*
 * exec_chain: a program that execs itself several times, with memory in use.
 *
 *   exec_chain [--size MIB] LEVELS
 *
 * At each level the program maps a region (default 32 MiB), writes and
 * verifies it, prints one line, starts a thread that keeps writing a second
 * region, and execs itself (/proc/self/exe) with LEVELS - 1 while that thread
 * is still running; level 0 exits.  Every image after an execve must be paged
 * from scratch (the old address space, its registrations and its swap are
 * gone; the loader of the new image runs before any preload shim does), and
 * the exec must not wait for, or break on, the thread that the kernel kills.
 * The output is deterministic; exits 1 at the first mismatch, 2 if a call fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pattern.h"

#define PROG "exec_chain"

static void die_errno(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", PROG, what, strerror(errno));
	exit(2);
}

static char *map_region(size_t nr_pages)
{
	char *p = mmap(NULL, nr_pages * PAT_PAGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die_errno("mmap");
	return p;
}

struct busy {
	char *base;
	size_t nr_pages;
};

/* Rewrites its region until execve ends the process. */
static void *busy_writer(void *arg)
{
	struct busy *b = arg;

	for (uint64_t pass = 0;; pass++)
		for (size_t i = 0; i < b->nr_pages; i++)
			pat_fill(b->base + i * PAT_PAGE_BYTES, pat_seed(i, pass, 1));
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long size_mib = 32, levels;
	int argi = 1;

	if (argc >= 3 && strcmp(argv[1], "--size") == 0) {
		size_mib = strtoul(argv[2], NULL, 10);
		argi = 3;
	}
	if (argc != argi + 1 || size_mib < 1 || size_mib > 65536) {
		fputs("usage: exec_chain [--size MIB] LEVELS\n", stderr);
		return 2;
	}
	levels = strtoul(argv[argi], NULL, 10);
	if (levels > 100) {
		fputs("exec_chain: LEVELS is 0 to 100\n", stderr);
		return 2;
	}

	size_t nr = size_mib * 256;
	char *a = map_region(nr);

	if (pat_write_verify(PROG, "this level's region", a, nr, 0, levels))
		return 1;
	printf("exec_chain: level %lu: %luMiB verified, checksum=%016" PRIx64 "\n", levels,
	       size_mib, pat_checksum(0xCBF29CE484222325ull, a, nr));
	if (levels == 0)
		return 0;

	static struct busy b;
	pthread_t tid;

	b.nr_pages = nr / 4;
	b.base = map_region(b.nr_pages);
	errno = pthread_create(&tid, NULL, busy_writer, &b);
	if (errno)
		die_errno("pthread_create");
	usleep(20 * 1000);  /* let it fault and write for a while */

	char next[32], size_arg[32];

	snprintf(next, sizeof(next), "%lu", levels - 1);
	snprintf(size_arg, sizeof(size_arg), "%lu", size_mib);
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "--size", size_arg, next, (char *)NULL);
	die_errno("execl /proc/self/exe");
}
