/* SPDX-License-Identifier: MIT */
/*
 * hotcold: a hot set touched all the time while a cold region streams past.
 *
 *   hotcold [--hot N] [--cold N] [--per-cold K] [--order perm|seq]
 *           [--write-every N] [--verify-cold]
 *
 * Two separate private anonymous mappings: the hot set (default 1,000
 * pages) and the cold region (default 100,000 pages).  First every hot page
 * is written in full with its pattern (pattern.h, pass 0).  Then the cold
 * region is streamed once, in address order: one word of each cold page is
 * written, and after each cold page K hot pages are touched (default 4).
 * Touch number t (0, 1, 2, ... over the whole stream) goes to hot page
 * order(t mod N): with --order perm (the default) order(i) = i * S mod N for
 * a fixed S coprime to N near 0.618 N, so consecutive touches land far
 * apart in the hot set and every hot page is touched once per N touches;
 * with --order seq, order(i) = i.  A touch reads one word of the page (word
 * t * 61 mod 512) into the checksum; with --write-every W > 0, touches whose
 * number is a multiple of W also add 1 to word 0 of the page.
 *
 * So every cold page is referenced exactly once (a pager's swap-ins after
 * the first touches are all hot pages coming back), and every hot page is
 * referenced once per cycle of N touches, i.e. every N / K cold pages.
 *
 * At the end every hot page is checked word by word against its pattern
 * (word 0 plus the number of writes it received), and with --verify-cold the
 * word written in every cold page is read back (a second pass over the cold
 * region).  Prints one deterministic line with the parameters, the number of
 * hot touches and the checksum, and exits 0; at the first mismatch prints
 * where on stderr and exits 1; exits 2 on bad usage or a failed mmap.
 * Single-threaded, no clock, no randomness: the same reference string on
 * every run.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pattern.h"
#include "progargs.h"

#define PROG "hotcold"

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--hot N] [--cold N] [--per-cold K] [--order perm|seq]\n"
		"               [--write-every N] [--verify-cold]\n"
		"  --hot N          pages of the hot set (default 1000)\n"
		"  --cold N         pages of the cold region, each touched once (default 100000)\n"
		"  --per-cold K     hot pages touched after each cold page (default 4)\n"
		"  --order O        perm (i * S mod N, the default) or seq: the cycle over the hot set\n"
		"  --write-every N  every Nth hot touch also writes (default 0: touches only read)\n"
		"  --verify-cold    read back every cold page's word at the end\n", PROG);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long min, unsigned long max)
{
	return prog_parse_num(PROG, usage, s, what, min, max);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static void *map_pages(size_t n, const char *what)
{
	void *p = mmap(NULL, n * PAT_PAGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap of %zu pages (%s): %s\n", PROG, n, what, strerror(errno));
		exit(2);
	}
	return p;
}

/* The word written into cold page i (never 0, never the same for two pages). */
static uint64_t cold_word(uint64_t i)
{
	return pat_mix(i + 0x1234) | 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "hot", required_argument, NULL, 'H' },
		{ "cold", required_argument, NULL, 'C' },
		{ "per-cold", required_argument, NULL, 'k' },
		{ "order", required_argument, NULL, 'o' },
		{ "write-every", required_argument, NULL, 'w' },
		{ "verify-cold", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t nr_hot = 1000, nr_cold = 100000, per_cold = 4, write_every = 0;
	bool perm = true, verify_cold = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': nr_hot = parse_num(optarg, "--hot", 1, 1ul << 24); break;
		case 'C': nr_cold = parse_num(optarg, "--cold", 1, 1ul << 26); break;
		case 'k': per_cold = parse_num(optarg, "--per-cold", 0, 1024); break;
		case 'w': write_every = parse_num(optarg, "--write-every", 0, 1ul << 30); break;
		case 'v': verify_cold = true; break;
		case 'o':
			if (strcmp(optarg, "seq") == 0) {
				perm = false;
			} else if (strcmp(optarg, "perm") != 0) {
				fprintf(stderr, "%s: --order is perm or seq, not '%s'\n", PROG, optarg);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	/* The stride of the permutation: the largest S <= 0.618 N coprime to N. */
	uint64_t stride = 1;
	if (perm && nr_hot > 2) {
		stride = nr_hot * 618 / 1000;
		while (stride > 1 && gcd(stride, nr_hot) != 1)
			stride--;
	}

	char *hot = map_pages(nr_hot, "hot set");
	char *cold = map_pages(nr_cold, "cold region");

	for (uint64_t h = 0; h < nr_hot; h++)
		pat_fill(hot + h * PAT_PAGE_BYTES, pat_seed(h, 0, 0));

	/* The stream: one cold page, then per_cold hot touches. */
	uint64_t sum = 0x51ed27011ull, t = 0, pos = 0, writes = 0;
	for (uint64_t i = 0; i < nr_cold; i++) {
		((volatile uint64_t *)(cold + i * PAT_PAGE_BYTES))[(i * 7) % PAT_PAGE_WORDS] = cold_word(i);
		for (uint64_t k = 0; k < per_cold; k++, t++) {
			volatile uint64_t *w = (volatile uint64_t *)(hot + pos * PAT_PAGE_BYTES);

			sum = (sum ^ w[(t * 61) % PAT_PAGE_WORDS]) * 0x100000001B3ull;
			sum ^= sum >> 29;
			if (write_every && t % write_every == 0) {
				w[0] = w[0] + 1;
				writes++;
			}
			pos += stride;
			if (pos >= nr_hot)
				pos -= nr_hot;
		}
	}

	/*
	 * How many writes each hot page received: replay the order (touches
	 * only, no memory but this array, made now so that it is not part of
	 * the stream above).
	 */
	uint32_t *nr_writes = NULL;
	if (write_every) {
		nr_writes = calloc(nr_hot, sizeof(*nr_writes));
		if (!nr_writes) {
			fprintf(stderr, "%s: out of memory\n", PROG);
			return 2;
		}
		pos = 0;
		for (uint64_t u = 0; u < t; u++) {
			if (u % write_every == 0)
				nr_writes[pos]++;
			pos += stride;
			if (pos >= nr_hot)
				pos -= nr_hot;
		}
	}

	int bad = 0;
	for (uint64_t h = 0; h < nr_hot && !bad; h++) {
		const char *page = hot + h * PAT_PAGE_BYTES;
		uint64_t seed = pat_seed(h, 0, 0), got;
		uint64_t want0 = pat_expected_word(seed, 0) + (nr_writes ? nr_writes[h] : 0);

		got = *(const volatile uint64_t *)page;
		if (got != want0) {
			pat_report(PROG, "hot page word 0 (pattern + writes)", h, page, 0, want0, got);
			bad = 1;
			break;
		}
		for (size_t k = 1; k < PAT_PAGE_WORDS; k++) {
			got = ((const volatile uint64_t *)page)[k];
			if (got != pat_expected_word(seed, (long)k)) {
				pat_report(PROG, "hot page", h, page, (long)k, pat_expected_word(seed, (long)k), got);
				bad = 1;
				break;
			}
		}
	}
	if (verify_cold) {
		for (uint64_t i = 0; i < nr_cold && !bad; i++) {
			const char *page = cold + i * PAT_PAGE_BYTES;
			size_t k = (i * 7) % PAT_PAGE_WORDS;
			uint64_t got = ((const volatile uint64_t *)page)[k];

			if (got != cold_word(i)) {
				pat_report(PROG, "cold page", i, page, (long)k, cold_word(i), got);
				bad = 1;
			}
		}
	}
	if (bad)
		return 1;
	sum = pat_checksum(sum, hot, nr_hot);
	printf("hotcold: hot %" PRIu64 " cold %" PRIu64 " per-cold %" PRIu64 " order %s (stride %" PRIu64
	       ") hot touches %" PRIu64 " writes %" PRIu64 "%s checksum %016" PRIx64 "\n",
	       nr_hot, nr_cold, per_cold, perm ? "perm" : "seq", stride, t, writes,
	       verify_cold ? " cold verified" : "", sum);
	free(nr_writes);
	return 0;
}
