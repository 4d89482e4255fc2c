/* SPDX-License-Identifier: MIT */
/*
 * live_fork: the cost of fork() in a process with a large heap, for
 * bench/live_fork.sh (natively and under vmsandbox --frames 25600: 100 MB
 * resident, the other 400 MB in swap).  An ordinary program: no vmsandbox
 * headers.
 *
 *   live_fork [--mib N] [--forks K]
 *
 * Maps N MiB (default 500) and writes every page whole, with content that is
 * different on every page, never same-filled, and compresses like heap
 * pages (about 3:1 with lz4: 64-byte records of a pointer-like word, small
 * integers, zeros and one pseudo-random word), so that a pager's swap store
 * holds real data.  Then K times (default 5): fork(); the child _exits(0)
 * at once; the parent times the fork() call (until it returns in the
 * parent) and fork + waitpid.  Finally it reads one word in every 64th page
 * and checks it (the parent's memory after the forks).
 *
 * Output (stdout):
 *   live_fork: mib=500 pages=128000 write_s=0.412345
 *   fork=1 fork_us=1234.5 fork_wait_us=1456.7
 *   ...
 *   fork_us_median=1234.5 fork_wait_us_median=1456.7 check=ok
 * Exit status: 0; 1 if a word read back was wrong; 2 on bad usage or a
 * failed call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mix64.h"

#define PAGE_BYTES 4096u
#define WORDS_PER_PAGE (PAGE_BYTES / sizeof(uint64_t))
#define MAX_FORKS 1000

/* Word i of page vpn: per 8-word record a pointer-like word, two small
 * numbers, a pseudo-random word, a tag and three zeros (as live_thrash). */
static uint64_t page_word(uint64_t vpn, unsigned i)
{
	unsigned rec = i / 8;

	switch (i % 8) {
	case 0: return 0x00007f3a00000000ULL + (vpn << 12) + rec * 64u;
	case 1: return (uint64_t)rec * 3u + 1;
	case 2: return vpn + 1;
	case 3: return mix64(vpn << 32 ^ rec);
	case 4: return 0x10000u + (vpn & 0xff);
	default: return 0;
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static unsigned long arg_ul(const char *name, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 || v > max) {
		fprintf(stderr, "live_fork: %s needs a number from 1 to %lu, not '%s'\n", name, max, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long mib = 500, forks = 5;

	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc) {
			fputs("usage: live_fork [--mib N] [--forks K]\n", stderr);
			return 2;
		}
		if (strcmp(argv[i], "--mib") == 0)
			mib = arg_ul("--mib", argv[i + 1], 1 << 20);
		else if (strcmp(argv[i], "--forks") == 0)
			forks = arg_ul("--forks", argv[i + 1], MAX_FORKS);
		else {
			fputs("usage: live_fork [--mib N] [--forks K]\n", stderr);
			return 2;
		}
	}

	uint64_t nr_pages = (uint64_t)mib * (1 << 20) / PAGE_BYTES;
	uint64_t *mem = mmap(NULL, nr_pages * PAGE_BYTES, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED) {
		fprintf(stderr, "live_fork: mmap: %s\n", strerror(errno));
		return 2;
	}
	/* 4 KiB pages, as the pager has them, not transparent huge pages. */
	madvise(mem, nr_pages * PAGE_BYTES, MADV_NOHUGEPAGE);
	double t0 = now_us();

	for (uint64_t p = 0; p < nr_pages; p++)
		for (unsigned i = 0; i < WORDS_PER_PAGE; i++)
			mem[p * WORDS_PER_PAGE + i] = page_word(p, i);
	printf("live_fork: mib=%lu pages=%llu write_s=%.6f\n", mib, (unsigned long long)nr_pages,
	       (now_us() - t0) / 1e6);
	fflush(stdout);

	static double fork_us[MAX_FORKS], wait_us[MAX_FORKS];

	for (unsigned long k = 0; k < forks; k++) {
		double a = now_us();
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		double b = now_us();

		if (pid < 0) {
			fprintf(stderr, "live_fork: fork: %s\n", strerror(errno));
			return 2;
		}
		int status;

		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "live_fork: the child of fork %lu did not exit 0\n", k + 1);
			return 2;
		}
		double c = now_us();

		fork_us[k] = b - a;
		wait_us[k] = c - a;
		printf("fork=%lu fork_us=%.1f fork_wait_us=%.1f\n", k + 1, fork_us[k], wait_us[k]);
	}

	unsigned long bad = 0;

	for (uint64_t p = 0; p < nr_pages; p += 64)
		for (unsigned i = 0; i < 8; i++)
			bad += mem[p * WORDS_PER_PAGE + i] != page_word(p, i);
	printf("fork_us_median=%.1f fork_wait_us_median=%.1f check=%s\n", median(fork_us, (int)forks),
	       median(wait_us, (int)forks), bad ? "MISMATCH" : "ok");
	return bad ? 1 : 0;
}
