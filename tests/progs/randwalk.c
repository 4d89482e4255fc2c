/* SPDX-License-Identifier: MIT */
/*
 * randwalk: a pseudo-random walk over pages, with locality, from a fixed seed.
 *
 *   randwalk [--pages P] [--steps S] [--seed N] [--jump-every J]
 *
 * One private anonymous mapping of P pages (default 2,048: 8 MiB).  The walk
 * starts at page 0; each of S steps (default 200,000) draws a number from a
 * xorshift64* generator seeded with N (default 1) and moves to a page
 * chosen uniformly at random with probability 1/J (default J = 16),
 * otherwise to a neighbour within 4 pages (wrapping around the region).  It
 * then reads one word of that page into the checksum, or (one step in
 * four) adds the step's number to that word.  So the walk has both
 * locality (runs of nearby pages) and a working set that drifts with every
 * jump, and pages are read and written.
 *
 * At the end every page is checked against a replay of the writes (a
 * linear signature per page, recomputed from the generator: a page lost,
 * stale or zeroed does not match), and one line with the checksum of the
 * reads and of the final content is printed; exit 1 at the first mismatch (stderr says
 * where), 2 on bad usage or a failed mmap.  Single-threaded, no clock: the
 * same reference string on every run with the same arguments.
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

#define PROG "randwalk"
#define PAGE_WORDS 512u

static void usage(FILE *f)
{
	fprintf(f, "usage: %s [--pages P] [--steps S] [--seed N] [--jump-every J]\n"
		"  --pages P       pages of the region (default 2048)\n"
		"  --steps S       steps of the walk (default 200000)\n"
		"  --seed N        seed of the generator (default 1, not 0)\n"
		"  --jump-every J  one step in J (on average) jumps anywhere (default 16)\n", PROG);
}

static unsigned long parse_num(const char *s, const char *what, unsigned long min, unsigned long max)
{
	return prog_parse_num(PROG, usage, s, what, min, max);
}

struct walk {
	uint64_t rng, pages, jump_every, cur;
};

static uint64_t rng_next(struct walk *w)
{
	uint64_t x = w->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* The coefficient of word k in a page's signature: odd, distinct for every k. */
static uint64_t coef(uint64_t k)
{
	return (2 * k + 1) * 0x9E3779B97F4A7C15ull;
}

/* One step: moves w->cur; *word is the word touched, *value the step's number. */
static int step(struct walk *w, uint64_t *word, uint64_t *value)
{
	uint64_t r = rng_next(w);

	if ((r >> 40) % w->jump_every == 0)
		w->cur = (r >> 8) % w->pages;
	else
		w->cur = (w->cur + w->pages + (r >> 8) % 9 - 4) % w->pages;
	*word = (r >> 16) % PAGE_WORDS;
	*value = r;
	return (r >> 60) % 4 == 0;        /* a write */
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'p' },
		{ "steps", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "jump-every", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t pages = 2048, steps = 200000, seed = 1, jump_every = 16;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pages = parse_num(optarg, "--pages", 1, 1ul << 24); break;
		case 's': steps = parse_num(optarg, "--steps", 0, 1ul << 34); break;
		case 'S': seed = parse_num(optarg, "--seed", 1, ~0ul); break;
		case 'j': jump_every = parse_num(optarg, "--jump-every", 1, 1ul << 20); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	volatile uint64_t *region = mmap(NULL, pages * PAGE_WORDS * 8, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		fprintf(stderr, "%s: mmap of %" PRIu64 " pages: %s\n", PROG, pages, strerror(errno));
		return 2;
	}

	struct walk w = { .rng = seed, .pages = pages, .jump_every = jump_every, .cur = 0 };
	uint64_t sum = 0x84222325cbf29ce4ull, nr_writes = 0;
	for (uint64_t s = 0; s < steps; s++) {
		uint64_t word, value;
		volatile uint64_t *p;

		if (step(&w, &word, &value)) {
			p = region + w.cur * PAGE_WORDS + word;
			*p = *p + value;
			nr_writes++;
		} else {
			sum = (sum ^ region[w.cur * PAGE_WORDS + word]) * 0x100000001B3ull;
			sum ^= sum >> 29;
		}
	}

	/*
	 * The check.  Every page's content is zero plus the values added to
	 * its words, so a linear signature of the page, L = sum of c(k) *
	 * word[k] (mod 2^64, c(k) odd and distinct), must equal the sum of
	 * c(word) * value over the writes to that page.  The ledger of
	 * expected signatures (8 bytes a page) is made only now, by replaying
	 * the generator, so that the walk above references nothing but the
	 * region; then each page is read once, in order.
	 */
	uint64_t *ledger = calloc(pages, sizeof(*ledger));
	if (!ledger) {
		fprintf(stderr, "%s: out of memory for the ledger\n", PROG);
		return 2;
	}
	w = (struct walk){ .rng = seed, .pages = pages, .jump_every = jump_every, .cur = 0 };
	for (uint64_t s = 0; s < steps; s++) {
		uint64_t word, value;

		if (step(&w, &word, &value))
			ledger[w.cur] += coef(word) * value;
	}
	for (uint64_t pg = 0; pg < pages; pg++) {
		uint64_t sig = 0;

		for (uint64_t k = 0; k < PAGE_WORDS; k++) {
			uint64_t got = region[pg * PAGE_WORDS + k];

			sig += coef(k) * got;
			sum = (sum ^ got) * 0x100000001B3ull;
		}
		if (sig != ledger[pg]) {
			fprintf(stderr, "%s: MISMATCH page %" PRIu64 " at %p: signature 0x%016" PRIx64
				", expected 0x%016" PRIx64 " (a lost or stale page)\n", PROG, pg,
				(void *)(region + pg * PAGE_WORDS), sig, ledger[pg]);
			return 1;
		}
	}
	free(ledger);
	printf("randwalk: pages %" PRIu64 " steps %" PRIu64 " seed %" PRIu64 " jump-every %" PRIu64
	       " writes %" PRIu64 " checksum %016" PRIx64 "\n",
	       pages, steps, seed, jump_every, nr_writes, sum);
	return 0;
}
