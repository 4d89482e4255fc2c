/* SPDX-License-Identifier: MIT */
/*
 * fdclose: a program that closes every file descriptor above stderr, the way
 * daemons and shells do, while it has memory in use.
 *
 *   fdclose [--size MIB]
 *
 * A pager that lives on a file descriptor in the program (a userfaultfd, a
 * socket to the supervisor) loses it here unless it keeps it out of reach:
 * evicted pages would then come back as zeros (ARCHITECTURE.md trap 3).  So
 * the program writes its memory first (under a small budget most of it is
 * evicted by then), closes the descriptors, and verifies every page after
 * each way of closing:
 *   1. close_range(3, ~0U, 0);
 *   2. a loop of close(fd) for fd from 3 to RLIMIT_NOFILE (the portable
 *      closefrom of older code);
 *   3. glibc's closefrom(3).
 * After the last one it maps a fresh region, which must be paged as well.
 * Prints one deterministic line and exits 0 when every page verified; prints
 * the first mismatch and exits 1 otherwise; exits 2 if a call fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pattern.h"

#define PROG "fdclose"

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

/* The closefrom() loop of code that predates close_range: every possible fd. */
static void close_loop(void)
{
	struct rlimit rl;
	unsigned long max_fd = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max_fd = rl.rlim_cur;
	if (max_fd > (1ul << 20))
		max_fd = 1ul << 20;
	for (unsigned long fd = 3; fd < max_fd; fd++)
		close((int)fd);  /* EBADF for most: that is the point of the loop */
}

int main(int argc, char **argv)
{
	unsigned long size_mib = 64;

	if (argc == 3 && strcmp(argv[1], "--size") == 0) {
		size_mib = strtoul(argv[2], NULL, 10);
	} else if (argc != 1) {
		fputs("usage: fdclose [--size MIB]\n", stderr);
		return 2;
	}
	if (size_mib < 1 || size_mib > 65536) {
		fputs("fdclose: --size is 1 to 65536 MiB\n", stderr);
		return 2;
	}
	size_t nr = size_mib * 256;
	char *a = map_region(nr);
	uint64_t sum = 0xCBF29CE484222325ull;

	if (pat_write_verify(PROG, "before closing", a, nr, 0, 1))
		return 1;

	/* Not the libc wrapper: glibc 2.34+ has one, the raw call works everywhere. */
	if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
		die_errno("close_range(3, ~0U, 0)");
	if (pat_verify(PROG, "after close_range", a, nr, 0, 1) ||
	    pat_write_verify(PROG, "written after close_range", a, nr, 0, 2))
		return 1;

	close_loop();
	if (pat_verify(PROG, "after the close loop", a, nr, 0, 2) ||
	    pat_write_verify(PROG, "written after the close loop", a, nr, 0, 3))
		return 1;

	closefrom(3);
	if (pat_verify(PROG, "after closefrom", a, nr, 0, 3))
		return 1;

	/* Memory mapped after the descriptors are gone. */
	char *b = map_region(nr);

	if (pat_write_verify(PROG, "new region", b, nr, nr, 4) ||
	    pat_verify(PROG, "old region at the end", a, nr, 0, 3))
		return 1;

	sum = pat_checksum(sum, a, nr);
	sum = pat_checksum(sum, b, nr);
	printf("fdclose: size=%luMiB close_range, close loop, closefrom: all pages verified; "
	       "checksum=%016" PRIx64 "\n", size_mib, sum);
	return 0;
}
