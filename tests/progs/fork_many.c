/* SPDX-License-Identifier: MIT */
/*
 * fork_many: a parent with most of its memory evicted forks many children,
 * each of which must see the parent's memory as it was at its own fork.
 *
 *   fork_many [--size MIB] [--forks N] [--live L] [--full-every K]
 *             [--sample S] [--cow-every C]
 *
 * The parent writes a pattern over a region (default 32 MiB; under a small
 * budget most of it is in swap by the time it forks), then forks N times
 * (default 500), with up to L children (default 4) alive at once.  Before
 * fork f it rewrites 8 pages chosen by a generator seeded with f, giving them
 * version f + 1, so every child has a different view and the parent keeps
 * writing while older children still read theirs.  Child f:
 *   - computes the version of every page at its fork by replaying the
 *     schedule (not from memory it inherited, which is what is under test);
 *   - checks every page when f % K == 0 (default K = 50) or f is the last,
 *     otherwise the 8 pages rewritten just before its fork (likely still
 *     resident in the parent) and S more at random (default 64; likely in
 *     swap);
 *   - when f % C == C / 2 (default C = 10), writes its own pattern over 64
 *     pages and reads it back: copy on write, the parent must not see it;
 *   - exits 0 when everything matched, 1 at the first mismatch (printed on
 *     stderr), 2 if a call failed.
 * The parent checks every child's exit status, re-reads the pages a writing
 * child wrote once it has been reaped (they must hold the parent's own
 * versions), verifies the whole region at the end and prints a summary that
 * is a function of the options only.  Exits 0 when every child exited 0 and
 * every page verified, 1 otherwise, 2 on bad usage or a failed call.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pattern.h"

#define PROG "fork_many"
#define MODS_PER_FORK 8u   /* pages the parent rewrites before each fork */
#define COW_PAGES 64u      /* pages a writing child overwrites */
#define MAX_FORKS 65000u   /* versions are 16-bit */
#define MAX_LIVE 64u

struct opts {
	unsigned long mib, forks, live, full_every, sample, cow_every;
};

static char *region;
static size_t nr_pages;

static void die_errno(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", PROG, what, strerror(errno));
	exit(2);
}

/* The k-th page rewritten before fork f. */
static size_t mod_page(unsigned long f, unsigned k)
{
	return (size_t)(pat_mix((uint64_t)f * MODS_PER_FORK + k + 1) % nr_pages);
}

/* The k-th page of child f's random sample, or of its copy-on-write writes. */
static size_t rand_page(unsigned long f, uint64_t salt, unsigned long k)
{
	return (size_t)(pat_mix(((uint64_t)f << 32 | k) ^ salt) % nr_pages);
}

static char *page_at(size_t i)
{
	return region + i * PAT_PAGE_BYTES;
}

/* Checks page i against version ver of the parent's pattern; reports and returns 1 if it differs. */
static int check_page(const char *what, size_t i, uint16_t ver)
{
	uint64_t seed = pat_seed(i, ver, 0), got;
	long bad = pat_check(page_at(i), seed, &got);

	if (bad < 0)
		return 0;
	pat_report(PROG, what, i, page_at(i), bad, pat_expected_word(seed, bad), got);
	return 1;
}

static int is_cow_writer(const struct opts *o, unsigned long f)
{
	return o->cow_every && f % o->cow_every == o->cow_every / 2;
}

static int is_full_check(const struct opts *o, unsigned long f)
{
	return (o->full_every && f % o->full_every == 0) || f + 1 == o->forks;
}

/* Child f: never returns. */
static void child(const struct opts *o, unsigned long f)
{
	char what[64];
	/* Fresh memory: the versions are recomputed, not inherited. */
	uint16_t *ver = calloc(nr_pages, sizeof(*ver));

	if (!ver)
		_exit(2);
	for (unsigned long g = 0; g <= f; g++)
		for (unsigned k = 0; k < MODS_PER_FORK; k++)
			ver[mod_page(g, k)] = (uint16_t)(g + 1);

	snprintf(what, sizeof(what), "child %lu's view", f);
	if (is_full_check(o, f)) {
		for (size_t i = 0; i < nr_pages; i++)
			if (check_page(what, i, ver[i]))
				_exit(1);
	} else {
		for (unsigned k = 0; k < MODS_PER_FORK; k++)
			if (check_page(what, mod_page(f, k), ver[mod_page(f, k)]))
				_exit(1);
		for (unsigned long k = 0; k < o->sample; k++) {
			size_t i = rand_page(f, 0x5A3D1E, k);

			if (check_page(what, i, ver[i]))
				_exit(1);
		}
	}
	if (is_cow_writer(o, f)) {
		snprintf(what, sizeof(what), "child %lu's own writes", f);
		for (unsigned k = 0; k < COW_PAGES; k++) {
			size_t i = rand_page(f, 0xC0C0, k);

			pat_fill(page_at(i), pat_seed(i, f, 1));
		}
		for (unsigned k = 0; k < COW_PAGES; k++) {
			size_t i = rand_page(f, 0xC0C0, k);
			uint64_t got;
			long bad = pat_check(page_at(i), pat_seed(i, f, 1), &got);

			if (bad >= 0) {
				pat_report(PROG, what, i, page_at(i), bad,
					   pat_expected_word(pat_seed(i, f, 1), bad), got);
				_exit(1);
			}
		}
	}
	_exit(0);
}

static unsigned long parse_ul(const char *name, const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
		fprintf(stderr, "%s: --%s needs a number from %lu to %lu, not '%s'\n", PROG, name,
			min, max, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "forks", required_argument, NULL, 'n' },
		{ "live", required_argument, NULL, 'l' },
		{ "full-every", required_argument, NULL, 'k' },
		{ "sample", required_argument, NULL, 'S' },
		{ "cow-every", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .mib = 32, .forks = 500, .live = 4, .full_every = 50, .sample = 64,
			  .cow_every = 10 };
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.mib = parse_ul("size", optarg, 1, 4096); break;
		case 'n': o.forks = parse_ul("forks", optarg, 1, MAX_FORKS); break;
		case 'l': o.live = parse_ul("live", optarg, 1, MAX_LIVE); break;
		case 'k': o.full_every = parse_ul("full-every", optarg, 0, MAX_FORKS); break;
		case 'S': o.sample = parse_ul("sample", optarg, 0, 1000000); break;
		case 'c': o.cow_every = parse_ul("cow-every", optarg, 0, MAX_FORKS); break;
		default:
			fputs("usage: fork_many [--size MIB] [--forks N] [--live L] [--full-every K]\n"
			      "                 [--sample S] [--cow-every C]\n", stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", PROG, argv[optind]);
		return 2;
	}

	nr_pages = o.mib * 256;
	region = mmap(NULL, nr_pages * PAT_PAGE_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		die_errno("mmap");
	uint16_t *ver = calloc(nr_pages, sizeof(*ver));

	if (!ver)
		die_errno("calloc");
	for (size_t i = 0; i < nr_pages; i++)
		pat_fill(page_at(i), pat_seed(i, 0, 0));

	pid_t pids[MAX_LIVE];
	unsigned long forks_of[MAX_LIVE];
	unsigned long nr_live = 0, full = 0, writers = 0, failed = 0;
	int parent_bad = 0;

	for (unsigned long f = 0; f <= o.forks; f++) {
		/* Reap down to L - 1 live children (all of them after the last fork). */
		while (nr_live > 0 && (nr_live >= o.live || f == o.forks)) {
			int status;
			pid_t pid = wait(&status);

			if (pid < 0)
				die_errno("wait");
			unsigned long slot = 0;

			while (slot < nr_live && pids[slot] != pid)
				slot++;
			if (slot == nr_live) {
				fprintf(stderr, "%s: wait returned pid %d, not one of our children\n",
					PROG, (int)pid);
				return 2;
			}
			unsigned long g = forks_of[slot];

			pids[slot] = pids[nr_live - 1];
			forks_of[slot] = forks_of[nr_live - 1];
			nr_live--;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				/* Copy on write: what the child wrote is not the parent's. */
				for (unsigned k = 0; is_cow_writer(&o, g) && k < COW_PAGES; k++) {
					size_t i = rand_page(g, 0xC0C0, k);

					parent_bad |= check_page("parent after a writing child", i, ver[i]);
				}
				continue;
			}
			failed++;
			if (WIFEXITED(status))
				fprintf(stderr, "%s: child of fork %lu (pid %d) exited with status %d\n",
					PROG, g, (int)pid, WEXITSTATUS(status));
			else
				fprintf(stderr, "%s: child of fork %lu (pid %d) was killed by signal %d\n",
					PROG, g, (int)pid, WIFSIGNALED(status) ? WTERMSIG(status) : -1);
		}
		if (f == o.forks)
			break;

		for (unsigned k = 0; k < MODS_PER_FORK; k++) {
			size_t i = mod_page(f, k);

			ver[i] = (uint16_t)(f + 1);
			pat_fill(page_at(i), pat_seed(i, ver[i], 0));
		}
		full += (unsigned long)is_full_check(&o, f);
		writers += (unsigned long)is_cow_writer(&o, f);
		pid_t pid = fork();

		if (pid < 0)
			die_errno("fork");
		if (pid == 0)
			child(&o, f);
		pids[nr_live] = pid;
		forks_of[nr_live] = f;
		nr_live++;
	}

	for (size_t i = 0; i < nr_pages; i++)
		parent_bad |= check_page("parent at the end", i, ver[i]);
	printf("%s: %lu MiB, %lu forks (up to %lu alive), %lu full checks, %lu writing children: "
	       "%lu failed\n", PROG, o.mib, o.forks, o.live, full, writers, failed);
	printf("%s: parent %s, checksum=%016" PRIx64 "\n", PROG,
	       parent_bad ? "MISMATCH" : "verified every page",
	       pat_checksum(0xCBF29CE484222325ull, region, nr_pages));
	return failed || parent_bad ? 1 : 0;
}
