/* SPDX-License-Identifier: MIT */
/*
 * Page patterns shared by the test programs in tests/progs/.
 *
 * A page's content is a function of a 64-bit seed (itself a function of the
 * page index, the pass and the writer), so a lost write, a stale page from
 * swap, a page that came back zero, or a page that landed at the wrong address
 * is found by comparing every word with what the function says.  Word k of a
 * page is seed ^ (k * golden): all 512 words differ, and pages of different
 * seeds differ in every word.
 */
#ifndef VMS_TEST_PATTERN_H
#define VMS_TEST_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PAT_PAGE_BYTES 4096u
#define PAT_PAGE_WORDS (PAT_PAGE_BYTES / sizeof(uint64_t))
#define PAT_GOLDEN     0x9E3779B97F4A7C15ull

/* splitmix64's finalizer: a bijection that mixes every input bit into every output bit. */
static inline uint64_t pat_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xBF58476D1CE4E5B9ull;
	x ^= x >> 27;
	x *= 0x94D049BB133111EBull;
	x ^= x >> 31;
	return x;
}

/* The seed of page `page` as written in pass `pass` by writer `writer`. */
static inline uint64_t pat_seed(uint64_t page, uint64_t pass, uint64_t writer)
{
	return pat_mix(page * PAT_GOLDEN ^ pat_mix((pass << 8 | (writer & 0xff)) + 1));
}

static inline void pat_fill(void *page, uint64_t seed)
{
	uint64_t *w = page;

	for (size_t k = 0; k < PAT_PAGE_WORDS; k++)
		w[k] = seed ^ (k * PAT_GOLDEN);
}

/*
 * The index of the first word that differs from the pattern of `seed`, or -1;
 * the word read there goes to *ret_got.  Each word is read once (volatile), so
 * the value reported is the value that failed.
 */
static inline long pat_check(const void *page, uint64_t seed, uint64_t *ret_got)
{
	const volatile uint64_t *w = page;

	for (size_t k = 0; k < PAT_PAGE_WORDS; k++) {
		uint64_t got = w[k];

		if (got != (seed ^ (k * PAT_GOLDEN))) {
			*ret_got = got;
			return (long)k;
		}
	}
	return -1;
}

/* The index of the first nonzero word, or -1; the word read goes to *ret_got. */
static inline long pat_check_zero(const void *page, uint64_t *ret_got)
{
	const volatile uint64_t *w = page;

	for (size_t k = 0; k < PAT_PAGE_WORDS; k++) {
		uint64_t got = w[k];

		if (got != 0) {
			*ret_got = got;
			return (long)k;
		}
	}
	return -1;
}

static inline uint64_t pat_expected_word(uint64_t seed, long word)
{
	return seed ^ ((uint64_t)word * PAT_GOLDEN);
}

/* Folds a page's content into a running checksum (multiply and shift over words). */
static inline uint64_t pat_fold(uint64_t h, const void *page)
{
	const uint64_t *w = page;

	for (size_t k = 0; k < PAT_PAGE_WORDS; k++) {
		h = (h ^ w[k]) * 0x100000001B3ull;
		h ^= h >> 29;
	}
	return h;
}

/*
 * Prints the first mismatch of a page in the shape every program uses:
 * which program, where, what was expected and what was read.
 */
static inline void pat_report(const char *prog, const char *what, size_t page_index,
			      const void *page, long word, uint64_t expected, uint64_t got)
{
	const uint64_t *w = page;

	fprintf(stderr, "%s: MISMATCH %s: page %zu at %p word %ld (address %p): "
		"expected 0x%016llx got 0x%016llx\n", prog, what, page_index, page, word,
		(const void *)(w + word), (unsigned long long)expected,
		(unsigned long long)got);
}

/* Verifies pattern `pass` (as pat_write_verify wrote it) without writing. */
static inline int pat_verify(const char *prog, const char *what, const char *base,
			     size_t nr_pages, size_t first_index, uint64_t pass)
{
	for (size_t i = 0; i < nr_pages; i++) {
		uint64_t seed = pat_seed(first_index + i, pass, 0);
		uint64_t got;
		long bad = pat_check(base + i * PAT_PAGE_BYTES, seed, &got);

		if (bad >= 0) {
			pat_report(prog, what, first_index + i, base + i * PAT_PAGE_BYTES, bad,
				   pat_expected_word(seed, bad), got);
			return 1;
		}
	}
	return 0;
}

/*
 * Writes pattern `pass` over nr_pages pages at base, then verifies them;
 * returns 0 or 1 after reporting the first mismatch.  The seed of a page is
 * pat_seed(first_index + i, pass, 0).
 */
static inline int pat_write_verify(const char *prog, const char *what, char *base,
				   size_t nr_pages, size_t first_index, uint64_t pass)
{
	for (size_t i = 0; i < nr_pages; i++)
		pat_fill(base + i * PAT_PAGE_BYTES, pat_seed(first_index + i, pass, 0));
	return pat_verify(prog, what, base, nr_pages, first_index, pass);
}

static inline uint64_t pat_checksum(uint64_t h, const char *base, size_t nr_pages)
{
	for (size_t i = 0; i < nr_pages; i++)
		h = pat_fold(h, base + i * PAT_PAGE_BYTES);
	return h;
}

#endif
