/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the compressed swap store and its compressors.
 *
 * Every test checks outcomes: the bytes that come back, the slot numbers,
 * the error codes and the exact statistics.  The store is freed at the end
 * of each test, often with live slots, so that ASan's leak checker covers
 * vms_swap_free().
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmsandbox/compress.h"
#include "vmsandbox/swap.h"

#define PAGE VMS_PAGE_SIZE

/* splitmix64: a tiny seeded PRNG so every run sees the same pages. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void fill_words(unsigned char *page, uint64_t value)
{
	for (size_t off = 0; off < PAGE; off += 8)
		memcpy(page + off, &value, 8);
}

static void make_random(unsigned char *page, uint64_t *rng)
{
	for (size_t off = 0; off < PAGE; off += 8) {
		uint64_t w = rng_next(rng);

		memcpy(page + off, &w, 8);
	}
}

static void make_text(unsigned char *page, uint64_t *rng)
{
	static const char *const words[] = {
		"the", "page", "frame", "swap", "compress", "memory", "fault", "policy",
		"clock", "resident", "evict", "kernel", "userfaultfd", "of", "a", "and",
	};
	size_t off = 0;

	while (off < PAGE) {
		const char *w = words[rng_next(rng) % (sizeof(words) / sizeof(words[0]))];
		size_t n = strlen(w);

		for (size_t i = 0; i < n && off < PAGE; i++)
			page[off++] = (unsigned char)w[i];
		if (off < PAGE)
			page[off++] = (rng_next(rng) % 11 == 0) ? '\n' : ' ';
	}
}

/*
 * What a malloc heap looks like: 16-byte aligned pointers into a few
 * regions, small integers, chunk headers, runs of zeros.
 */
static void make_heap(unsigned char *page, uint64_t *rng)
{
	static const uint64_t bases[] = {
		UINT64_C(0x000055d4c3a2e000), UINT64_C(0x00007f3b1c000000), UINT64_C(0x00007ffd5e200000),
	};

	for (size_t off = 0; off < PAGE; off += 8) {
		uint64_t r = rng_next(rng), w;

		switch (r % 8) {
		case 0: case 1: case 2:
			w = bases[(r >> 8) % 3] + (((r >> 16) & 0xffff) << 4);
			break;
		case 3: case 4:
			w = (r >> 8) % 100;
			break;
		case 5:
			w = 0x21 + (((r >> 8) % 16) << 4); /* a chunk size field */
			break;
		default:
			w = 0;
			break;
		}
		memcpy(page + off, &w, 8);
	}
}

/* A page that is not same-filled only because its last word differs. */
static void make_almost_same(unsigned char *page, uint64_t value)
{
	uint64_t last = value ^ 1;

	fill_words(page, value);
	memcpy(page + PAGE - 8, &last, 8);
}

static struct vms_swap *new_store(enum vms_compressor c, uint64_t capacity, uint32_t max_slots)
{
	struct vms_swap_config cfg = {
		.compressor = c,
		.zstd_level = 0,
		.capacity_bytes = capacity,
		.max_slots = max_slots,
	};
	struct vms_swap *swap = NULL;

	assert_int_equal(vms_swap_new(&cfg, &swap), 0);
	assert_non_null(swap);
	return swap;
}

static struct vms_swap_stats stats_of(const struct vms_swap *swap)
{
	struct vms_swap_stats st;

	vms_swap_get_stats(swap, &st);
	return st;
}

static void assert_round_trip(struct vms_swap *swap, vms_slot_t slot, const unsigned char *want)
{
	unsigned char got[PAGE];

	memset(got, 0x5a, sizeof(got));
	assert_int_equal(vms_swap_get(swap, slot, got), 0);
	assert_memory_equal(got, want, PAGE);
}

static vms_slot_t put_ok(struct vms_swap *swap, const unsigned char *page)
{
	vms_slot_t slot = VMS_SLOT_NONE;

	assert_int_equal(vms_swap_put(swap, page, &slot), 0);
	assert_int_not_equal(slot, VMS_SLOT_NONE);
	assert_int_equal(vms_swap_refcount(swap, slot), 1);
	return slot;
}

/* ---- compressor names and codecs ---- */

static void test_compressor_parse_and_name(void **state)
{
	static const struct {
		const char *name;
		enum vms_compressor c;
	} known[] = {
		{ "lz4", VMS_COMPRESS_LZ4 },
		{ "zstd", VMS_COMPRESS_ZSTD },
		{ "none", VMS_COMPRESS_NONE },
	};
	enum vms_compressor c;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		c = (enum vms_compressor)99;
		assert_int_equal(vms_compressor_parse(known[i].name, &c), 0);
		assert_int_equal(c, known[i].c);
		assert_string_equal(vms_compressor_name(known[i].c), known[i].name);
	}
	c = VMS_COMPRESS_ZSTD;
	assert_int_equal(vms_compressor_parse("LZ4", &c), -EINVAL);
	assert_int_equal(vms_compressor_parse("lz", &c), -EINVAL);
	assert_int_equal(vms_compressor_parse("", &c), -EINVAL);
	assert_int_equal(vms_compressor_parse(NULL, &c), -EINVAL);
	assert_int_equal(c, VMS_COMPRESS_ZSTD); /* untouched on failure */
	assert_string_equal(vms_compressor_name((enum vms_compressor)42), "unknown");
}

static void test_config_validation(void **state)
{
	struct vms_swap_config cfg = { .compressor = VMS_COMPRESS_ZSTD, .zstd_level = 1000 };
	struct vms_swap *swap = (struct vms_swap *)&cfg; /* a sentinel, must stay */
	struct vms_codec *codec = NULL;

	assert_int_equal(vms_swap_new(&cfg, &swap), -EINVAL);
	assert_ptr_equal(swap, (struct vms_swap *)&cfg);
	cfg.compressor = (enum vms_compressor)7;
	cfg.zstd_level = 0;
	assert_int_equal(vms_swap_new(&cfg, &swap), -EINVAL);
	assert_ptr_equal(swap, (struct vms_swap *)&cfg);

	/* NULL config = defaults = lz4. */
	assert_int_equal(vms_swap_new(NULL, &swap), 0);
	assert_int_equal(vms_swap_compressor(swap), VMS_COMPRESS_LZ4);
	vms_swap_free(swap);

	/* Other zstd levels, negative ("fast") ones included, work. */
	assert_int_equal(vms_codec_new(VMS_COMPRESS_ZSTD, -5, &codec), 0);
	vms_codec_free(codec);
	assert_int_equal(vms_codec_new(VMS_COMPRESS_ZSTD, 19, &codec), 0);
	vms_codec_free(codec);

	vms_swap_free(NULL);
	vms_codec_free(NULL);
}

static void check_codec_corruption(enum vms_compressor c)
{
	unsigned char page[PAGE], comp[PAGE], out[PAGE + 16], garbage[512];
	struct vms_codec *codec = NULL;
	uint64_t rng = 7;
	size_t len = 0;

	assert_int_equal(vms_codec_new(c, 0, &codec), 0);
	make_text(page, &rng);
	assert_int_equal(vms_codec_compress(codec, page, PAGE, comp, sizeof(comp), &len), 0);
	assert_true(len > 0 && len < PAGE);

	assert_int_equal(vms_codec_decompress(codec, comp, len, out, PAGE), 0);
	assert_memory_equal(out, page, PAGE);
	/* Truncated data. */
	assert_int_equal(vms_codec_decompress(codec, comp, len / 2, out, PAGE), -EIO);
	assert_int_equal(vms_codec_decompress(codec, comp, 0, out, PAGE), -EIO);
	/* Decodes, but not to exactly the length asked for. */
	assert_int_equal(vms_codec_decompress(codec, comp, len, out, PAGE - 1), -EIO);
	assert_int_equal(vms_codec_decompress(codec, comp, len, out, PAGE + 16), -EIO);
	/* Garbage. */
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (unsigned char)rng_next(&rng);
	assert_int_equal(vms_codec_decompress(codec, garbage, sizeof(garbage), out, PAGE), -EIO);

	/* Output that does not fit is -ENOSPC, not a short result. */
	len = 12345;
	assert_int_equal(vms_codec_compress(codec, page, PAGE, comp, 16, &len), -ENOSPC);
	assert_int_equal(len, 12345);
	vms_codec_free(codec);
}

static void test_codec_corruption_lz4(void **state)
{
	check_codec_corruption(VMS_COMPRESS_LZ4);
}

static void test_codec_corruption_zstd(void **state)
{
	check_codec_corruption(VMS_COMPRESS_ZSTD);
}

static void test_codec_none(void **state)
{
	unsigned char page[PAGE], out[PAGE];
	struct vms_codec *codec = NULL;
	size_t len = 3;

	memset(page, 0, sizeof(page));
	assert_int_equal(vms_codec_new(VMS_COMPRESS_NONE, 0, &codec), 0);
	assert_int_equal(vms_codec_compress(codec, page, PAGE, out, PAGE, &len), -ENOSPC);
	assert_int_equal(len, 3);
	assert_int_equal(vms_codec_decompress(codec, page, PAGE, out, PAGE), -EINVAL);
	vms_codec_free(codec);
}

/* ---- same-filled detection ---- */

static void test_same_filled_edges(void **state)
{
	static const uint64_t values[] = {
		0, UINT64_MAX, UINT64_C(0xabababababababab), UINT64_C(0x0123456789abcdef),
		UINT64_C(0x00000000deadbeef), UINT64_C(0x8000000000000000), 1,
	};
	/* One byte past a page boundary, to test unaligned input. */
	unsigned char buf[PAGE + 9];
	unsigned char *page = buf + 1;
	uint64_t v;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		fill_words(page, values[i]);
		v = ~values[i];
		assert_true(vms_page_same_filled(page, &v));
		assert_int_equal(v, values[i]);

		/* Any single differing byte anywhere makes it not same-filled. */
		for (size_t pos = 0; pos < PAGE; pos += 1 + pos / 64) {
			page[pos] ^= 0x10;
			v = 42;
			assert_false(vms_page_same_filled(page, &v));
			assert_int_equal(v, 42); /* untouched */
			page[pos] ^= 0x10;
		}
		/* The very last byte and the very first one, explicitly. */
		page[PAGE - 1] ^= 1;
		assert_false(vms_page_same_filled(page, &v));
		page[PAGE - 1] ^= 1;
		page[0] ^= 1;
		assert_false(vms_page_same_filled(page, &v));
		page[0] ^= 1;
		assert_true(vms_page_same_filled(page, &v));
	}

	/* Only the last word differs. */
	make_almost_same(page, 0);
	assert_false(vms_page_same_filled(page, &v));

	/* A 16-byte period is not same-filled under the 64-bit rule. */
	for (size_t off = 0; off < PAGE; off += 16) {
		uint64_t a = 1, b = 2;

		memcpy(page + off, &a, 8);
		memcpy(page + off + 8, &b, 8);
	}
	assert_false(vms_page_same_filled(page, &v));

	/* A 4-byte period is (the word repeats). */
	for (size_t off = 0; off < PAGE; off += 4) {
		uint32_t w = 0xcafef00d;

		memcpy(page + off, &w, 4);
	}
	assert_true(vms_page_same_filled(page, &v));
	assert_int_equal(v, UINT64_C(0xcafef00dcafef00d));
}

/* ---- round trips, per compressor ---- */

static void check_round_trip_kinds(enum vms_compressor c)
{
	static const uint64_t same_values[] = {
		0, UINT64_MAX, UINT64_C(0x4242424242424242), UINT64_C(0x0123456789abcdef), 7,
	};
	unsigned char page[PAGE];
	struct vms_swap *swap = new_store(c, 0, 0);
	struct vms_swap_stats st;
	uint64_t rng = 1234, v;
	vms_slot_t slot;

	/* Same-filled: the value only, 0 bytes, whatever the compressor. */
	for (size_t i = 0; i < sizeof(same_values) / sizeof(same_values[0]); i++) {
		fill_words(page, same_values[i]);
		slot = put_ok(swap, page);
		assert_true(vms_swap_slot_same(swap, slot, &v));
		assert_int_equal(v, same_values[i]);
		assert_round_trip(swap, slot, page);
	}
	st = stats_of(swap);
	assert_int_equal(st.same_filled, 5);
	assert_int_equal(st.bytes_stored, 0);
	assert_int_equal(st.compressed_bytes_total, 0);

	/* Almost same-filled: must be stored as data and come back exactly. */
	for (size_t i = 0; i < sizeof(same_values) / sizeof(same_values[0]); i++) {
		uint64_t before = stats_of(swap).bytes_stored;

		make_almost_same(page, same_values[i]);
		slot = put_ok(swap, page);
		assert_false(vms_swap_slot_same(swap, slot, &v));
		assert_round_trip(swap, slot, page);
		st = stats_of(swap);
		if (c == VMS_COMPRESS_NONE)
			assert_int_equal(st.bytes_stored - before, PAGE);
		else /* highly compressible */
			assert_true(st.bytes_stored - before < 512);
	}
	assert_int_equal(stats_of(swap).same_filled, 5);

	/* Random bytes: incompressible, kept raw. */
	{
		uint64_t before_raw = stats_of(swap).incompressible;
		uint64_t before_bytes = stats_of(swap).bytes_stored;

		make_random(page, &rng);
		slot = put_ok(swap, page);
		assert_round_trip(swap, slot, page);
		st = stats_of(swap);
		assert_int_equal(st.incompressible, before_raw + 1);
		assert_int_equal(st.bytes_stored, before_bytes + PAGE);
	}

	/* Text and heap pages: compressed below the threshold (except none). */
	for (int kind = 0; kind < 2; kind++) {
		uint64_t before_bytes = stats_of(swap).bytes_stored;
		uint64_t before_raw = stats_of(swap).incompressible;

		if (kind == 0)
			make_text(page, &rng);
		else
			make_heap(page, &rng);
		slot = put_ok(swap, page);
		assert_round_trip(swap, slot, page);
		st = stats_of(swap);
		if (c == VMS_COMPRESS_NONE) {
			assert_int_equal(st.bytes_stored - before_bytes, PAGE);
			assert_int_equal(st.incompressible, before_raw + 1);
		} else {
			assert_true(st.bytes_stored - before_bytes <= VMS_SWAP_MAX_COMPRESSED_BYTES);
			assert_int_equal(st.incompressible, before_raw);
		}
	}

	/* Every slot still round-trips after all the others were added. */
	assert_int_equal(stats_of(swap).stored_pages, 13);
	assert_int_equal(stats_of(swap).pages_in, 13);
	vms_swap_free(swap);
}

static void check_round_trip_many(enum vms_compressor c)
{
	enum { N = 3000 };
	unsigned char *pages = malloc((size_t)N * PAGE);
	vms_slot_t *slots = malloc(N * sizeof(*slots));
	bool *live = calloc(N, sizeof(*live));
	struct vms_swap *swap = new_store(c, 0, 0);
	struct vms_swap_stats st;
	uint64_t rng = 0x5eed0000u + (uint64_t)c;
	uint64_t nr_live = 0, nr_same = 0, nr_puts = 0;

	assert_non_null(pages);
	assert_non_null(slots);
	assert_non_null(live);
	for (size_t i = 0; i < N; i++) {
		unsigned char *p = pages + i * PAGE;
		uint64_t v;

		switch (rng_next(&rng) % 6) {
		case 0: fill_words(p, rng_next(&rng) % 3 ? 0 : rng_next(&rng)); break;
		case 1: make_almost_same(p, rng_next(&rng)); break;
		case 2: make_random(p, &rng); break;
		case 3: make_text(p, &rng); break;
		default: make_heap(p, &rng); break;
		}
		/* Sometimes a page that is half heap, half zeros. */
		if (rng_next(&rng) % 5 == 0)
			memset(p + PAGE / 2, 0, PAGE / 2);
		nr_same += vms_page_same_filled(p, &v);
		slots[i] = put_ok(swap, p);
		live[i] = true;
		nr_live++;
		nr_puts++;
		/* Release an earlier page now and then, so slots get recycled. */
		if (rng_next(&rng) % 4 == 0) {
			size_t j = rng_next(&rng) % (i + 1);

			if (live[j]) {
				vms_swap_release(swap, slots[j]);
				live[j] = false;
				nr_live--;
			}
		}
	}
	for (size_t i = 0; i < N; i++)
		if (live[i])
			assert_round_trip(swap, slots[i], pages + i * PAGE);

	st = stats_of(swap);
	assert_int_equal(st.pages_out, nr_puts);
	assert_int_equal(st.stored_pages, nr_live);
	assert_int_equal(st.bytes_in, nr_puts * PAGE);
	assert_int_equal(st.same_filled, nr_same);
	assert_int_equal(st.pages_in, nr_live);
	assert_true(st.bytes_stored <= st.compressed_bytes_total);
	assert_true(st.peak_stored_pages >= st.stored_pages);
	assert_true(st.peak_stored_pages < N); /* releases made room, slots reused */
	if (c != VMS_COMPRESS_NONE)
		assert_true(vms_swap_ratio(&st) > 1.5);
	else
		assert_true(vms_swap_ratio(&st) > 1.0); /* same-filled pages only */

	vms_swap_free(swap); /* with live slots: ASan checks nothing leaks */
	free(pages);
	free(slots);
	free(live);
}

#define PER_COMPRESSOR(check)                                                      \
	static void test_##check##_lz4(void **state) { check(VMS_COMPRESS_LZ4); }   \
	static void test_##check##_zstd(void **state) { check(VMS_COMPRESS_ZSTD); } \
	static void test_##check##_none(void **state) { check(VMS_COMPRESS_NONE); }

PER_COMPRESSOR(check_round_trip_kinds)
PER_COMPRESSOR(check_round_trip_many)

/* ---- limits ---- */

static void test_capacity_limit(void **state)
{
	enum { FIT = 10 };
	unsigned char pages[FIT + 1][PAGE], page[PAGE];
	vms_slot_t slots[FIT], slot = 777;
	struct vms_swap *swap = new_store(VMS_COMPRESS_LZ4, (uint64_t)FIT * PAGE, 0);
	struct vms_swap_stats before, after;
	uint64_t rng = 99;

	/* Raw pages: exactly FIT of them fit. */
	for (int i = 0; i <= FIT; i++)
		make_random(pages[i], &rng);
	for (int i = 0; i < FIT; i++)
		slots[i] = put_ok(swap, pages[i]);
	before = stats_of(swap);
	assert_int_equal(before.bytes_stored, (uint64_t)FIT * PAGE);

	assert_int_equal(vms_swap_put(swap, pages[FIT], &slot), -ENOSPC);
	assert_int_equal(slot, 777);
	after = stats_of(swap);
	assert_int_equal(after.rejects, 1);
	after.rejects = 0;
	assert_memory_equal(&after, &before, sizeof(before)); /* nothing else changed */

	/* A compressible page does not fit either: the store is full. */
	make_text(page, &rng);
	assert_int_equal(vms_swap_put(swap, page, &slot), -ENOSPC);
	assert_int_equal(stats_of(swap).rejects, 2);

	/* A same-filled page needs 0 bytes and is accepted. */
	memset(page, 0, sizeof(page));
	slot = put_ok(swap, page);
	assert_round_trip(swap, slot, page);

	for (int i = 0; i < FIT; i++)
		assert_round_trip(swap, slots[i], pages[i]);

	/* Releasing one page makes room for exactly one more. */
	vms_swap_release(swap, slots[3]);
	assert_int_equal(stats_of(swap).bytes_stored, (uint64_t)(FIT - 1) * PAGE);
	slots[3] = put_ok(swap, pages[FIT]);
	assert_int_equal(vms_swap_put(swap, pages[0], &slot), -ENOSPC);
	assert_int_equal(stats_of(swap).rejects, 3);
	assert_round_trip(swap, slots[3], pages[FIT]);
	assert_int_equal(stats_of(swap).peak_bytes_stored, (uint64_t)FIT * PAGE);
	vms_swap_free(swap);
}

static void test_capacity_compressed(void **state)
{
	enum { MAX = 400 };
	const uint64_t cap = 64 * 1024;
	unsigned char (*pages)[PAGE] = malloc(MAX * sizeof(*pages));
	vms_slot_t slots[MAX];
	struct vms_swap *swap = new_store(VMS_COMPRESS_ZSTD, cap, 0);
	uint64_t rng = 5;
	int n = 0, r = 0;

	assert_non_null(pages);
	while (n < MAX) {
		make_heap(pages[n], &rng);
		r = vms_swap_put(swap, pages[n], &slots[n]);
		if (r < 0)
			break;
		n++;
	}
	assert_int_equal(r, -ENOSPC);
	/* More pages fit than raw storage would allow, and the limit held. */
	assert_true(n > (int)(cap / PAGE));
	assert_true(stats_of(swap).bytes_stored <= cap);
	assert_int_equal(stats_of(swap).rejects, 1);
	for (int i = 0; i < n; i++)
		assert_round_trip(swap, slots[i], pages[i]);
	vms_swap_free(swap);
	free(pages);
}

static void test_max_slots(void **state)
{
	unsigned char page[PAGE];
	struct vms_swap *swap = new_store(VMS_COMPRESS_LZ4, 0, 4);
	vms_slot_t s[4], slot = 555;
	uint64_t rng = 3;

	make_text(page, &rng);
	s[0] = put_ok(swap, page);
	assert_int_equal(vms_swap_reserve(swap, &s[1]), 0);
	memset(page, 0, sizeof(page));
	s[2] = put_ok(swap, page);
	make_random(page, &rng);
	s[3] = put_ok(swap, page);
	for (int i = 0; i < 4; i++)
		assert_int_equal(s[i], (vms_slot_t)i); /* dense, from 0 */

	assert_int_equal(vms_swap_put(swap, page, &slot), -ENOSPC);
	assert_int_equal(vms_swap_reserve(swap, &slot), -ENOSPC);
	assert_int_equal(slot, 555);
	assert_int_equal(stats_of(swap).rejects, 2);
	assert_int_equal(stats_of(swap).stored_pages, 4);

	/* A release makes room; the freed id is the one handed out again. */
	vms_swap_release(swap, s[1]);
	slot = put_ok(swap, page);
	assert_int_equal(slot, s[1]);
	assert_round_trip(swap, slot, page);
	assert_int_equal(vms_swap_put(swap, page, &slot), -ENOSPC);
	vms_swap_free(swap);
}

/* ---- refcounts, reserve, invalid slots ---- */

static void test_refcount_dup_release(void **state)
{
	unsigned char page[PAGE], other[PAGE], out[PAGE];
	struct vms_swap *swap = new_store(VMS_COMPRESS_LZ4, 0, 0);
	uint64_t rng = 11;
	vms_slot_t a, b, c;

	make_heap(page, &rng);
	make_text(other, &rng);
	a = put_ok(swap, page);
	vms_swap_dup(swap, a);
	vms_swap_dup(swap, a);
	assert_int_equal(vms_swap_refcount(swap, a), 3);

	vms_swap_release(swap, a);
	assert_int_equal(vms_swap_refcount(swap, a), 2);
	assert_round_trip(swap, a, page);
	b = put_ok(swap, other); /* a is still shared: not reused */
	assert_int_not_equal(b, a);
	vms_swap_release(swap, a);
	assert_int_equal(vms_swap_refcount(swap, a), 1);
	assert_round_trip(swap, a, page);
	assert_int_equal(stats_of(swap).stored_pages, 2);

	vms_swap_release(swap, a); /* last reference: freed */
	assert_int_equal(vms_swap_refcount(swap, a), 0);
	memset(out, 0x77, sizeof(out));
	assert_int_equal(vms_swap_get(swap, a, out), -EINVAL);
	assert_int_equal(out[0], 0x77);
	assert_int_equal(stats_of(swap).stored_pages, 1);

	c = put_ok(swap, other);
	assert_int_equal(c, a); /* now it is reused */
	assert_round_trip(swap, c, other);
	assert_round_trip(swap, b, other);
	vms_swap_free(swap);
}

static void test_reserve(void **state)
{
	unsigned char out[PAGE];
	struct vms_swap *swap = new_store(VMS_COMPRESS_ZSTD, 4096, 0);
	struct vms_swap_stats st;
	vms_slot_t r1, r2;
	uint64_t v = 9;

	assert_int_equal(vms_swap_reserve(swap, &r1), 0);
	assert_int_equal(vms_swap_reserve(swap, &r2), 0);
	assert_int_equal(r1, 0);
	assert_int_equal(r2, 1);
	assert_int_equal(vms_swap_refcount(swap, r1), 1);
	memset(out, 0x33, sizeof(out));
	assert_int_equal(vms_swap_get(swap, r1, out), -ENODATA);
	assert_int_equal(out[100], 0x33);
	assert_false(vms_swap_slot_same(swap, r1, &v));
	assert_int_equal(v, 9);

	st = stats_of(swap);
	assert_int_equal(st.stored_pages, 2);
	assert_int_equal(st.reserved, 2);
	assert_int_equal(st.pages_out, 0);
	assert_int_equal(st.pages_in, 0);
	assert_int_equal(st.bytes_stored, 0);
	assert_int_equal(st.bytes_in, 0);
	assert_true(vms_swap_ratio(&st) == 1.0);

	vms_swap_dup(swap, r2);
	vms_swap_release(swap, r1);
	vms_swap_release(swap, r2);
	assert_int_equal(stats_of(swap).stored_pages, 1);
	vms_swap_release(swap, r2);
	assert_int_equal(stats_of(swap).stored_pages, 0);
	assert_int_equal(stats_of(swap).peak_stored_pages, 2);
	vms_swap_free(swap);
}

static void test_invalid_slots(void **state)
{
	unsigned char page[PAGE], out[PAGE];
	struct vms_swap *swap = new_store(VMS_COMPRESS_LZ4, 0, 0);
	uint64_t v = 1;
	vms_slot_t s;

	memset(out, 0x11, sizeof(out));
	assert_int_equal(vms_swap_get(swap, 0, out), -EINVAL);
	assert_int_equal(vms_swap_get(swap, VMS_SLOT_NONE, out), -EINVAL);
	memset(page, 0xee, sizeof(page));
	s = put_ok(swap, page);
	assert_int_equal(vms_swap_get(swap, s + 1, out), -EINVAL);
	assert_int_equal(vms_swap_get(swap, 1u << 30, out), -EINVAL);
	assert_int_equal(out[0], 0x11);
	assert_int_equal(vms_swap_refcount(swap, s + 1), 0);
	assert_int_equal(vms_swap_refcount(swap, VMS_SLOT_NONE), 0);
	assert_false(vms_swap_slot_same(swap, VMS_SLOT_NONE, &v));
	assert_int_equal(v, 1);
	assert_int_equal(stats_of(swap).pages_in, 0); /* failed gets do not count */
	vms_swap_free(swap);
}

/* A peek (the pager unwinding a program's evicted stack) gives the bytes a
 * get would, for every kind of slot, and is not a swap-in. */
static void test_peek_does_not_count(void **state)
{
	unsigned char text[PAGE], rnd[PAGE], same[PAGE], out[PAGE];
	struct vms_swap *swap = new_store(VMS_COMPRESS_LZ4, 0, 0);
	uint64_t rng = 77;
	vms_slot_t t, r, z, res;

	make_text(text, &rng);
	make_random(rnd, &rng);
	memset(same, 0x5a, sizeof(same));
	t = put_ok(swap, text);
	r = put_ok(swap, rnd);
	z = put_ok(swap, same);
	assert_int_equal(vms_swap_reserve(swap, &res), 0);
	assert_int_equal(vms_swap_peek(swap, t, out), 0);
	assert_memory_equal(out, text, PAGE);
	assert_int_equal(vms_swap_peek(swap, r, out), 0);
	assert_memory_equal(out, rnd, PAGE);
	assert_int_equal(vms_swap_peek(swap, z, out), 0);
	assert_memory_equal(out, same, PAGE);
	assert_int_equal(vms_swap_peek(swap, res, out), -ENODATA);
	assert_int_equal(vms_swap_peek(swap, res + 1, out), -EINVAL);
	assert_int_equal(stats_of(swap).pages_in, 0);
	assert_int_equal(vms_swap_get(swap, t, out), 0);
	assert_int_equal(stats_of(swap).pages_in, 1);
	assert_int_equal(vms_swap_refcount(swap, t), 1);   /* neither takes the slot */
	vms_swap_free(swap);
}

/* ---- statistics ---- */

static void test_stats_arithmetic(void **state)
{
	unsigned char zero[PAGE], rnd[PAGE], text[PAGE], comp[PAGE], out[PAGE];
	struct vms_codec *codec = NULL;
	struct vms_swap *swap = new_store(VMS_COMPRESS_LZ4, 0, 0);
	struct vms_swap_stats st;
	uint64_t rng = 21;
	size_t text_len = 0;
	vms_slot_t z1, z2, r, t;

	memset(zero, 0, sizeof(zero));
	make_random(rnd, &rng);
	make_text(text, &rng);
	assert_int_equal(vms_codec_new(VMS_COMPRESS_LZ4, 0, &codec), 0);
	assert_int_equal(vms_codec_compress(codec, text, PAGE, comp,
					    VMS_SWAP_MAX_COMPRESSED_BYTES, &text_len), 0);
	vms_codec_free(codec);

	st = stats_of(swap);
	assert_true(vms_swap_ratio(&st) == 1.0); /* nothing put */

	z1 = put_ok(swap, zero);
	z2 = put_ok(swap, zero);
	assert_int_not_equal(z1, z2); /* same contents, still two slots */
	st = stats_of(swap);
	assert_true(isinf(vms_swap_ratio(&st))); /* data in, none out */

	r = put_ok(swap, rnd);
	t = put_ok(swap, text);
	st = stats_of(swap);
	assert_int_equal(st.pages_out, 4);
	assert_int_equal(st.stored_pages, 4);
	assert_int_equal(st.bytes_in, 4 * PAGE);
	assert_int_equal(st.same_filled, 2);
	assert_int_equal(st.incompressible, 1);
	assert_int_equal(st.compressed_bytes_total, PAGE + text_len);
	assert_int_equal(st.bytes_stored, PAGE + text_len);
	assert_int_equal(st.rejects, 0);
	assert_int_equal(st.reserved, 0);
	assert_true(vms_swap_ratio(&st) == (double)(4 * PAGE) / (double)(PAGE + text_len));

	assert_int_equal(vms_swap_get(swap, t, out), 0);
	assert_int_equal(vms_swap_get(swap, z1, out), 0);
	assert_int_equal(vms_swap_get(swap, z1, out), 0);
	vms_swap_release(swap, r);
	vms_swap_release(swap, z2);
	st = stats_of(swap);
	assert_int_equal(st.pages_in, 3);
	assert_int_equal(st.stored_pages, 2);
	assert_int_equal(st.peak_stored_pages, 4);
	assert_int_equal(st.bytes_stored, text_len);
	assert_int_equal(st.peak_bytes_stored, PAGE + text_len);
	/* Totals are cumulative: releases do not undo them. */
	assert_int_equal(st.compressed_bytes_total, PAGE + text_len);
	assert_int_equal(st.bytes_in, 4 * PAGE);
	vms_swap_free(swap);
}

static void test_deterministic_slot_numbers(void **state)
{
	vms_slot_t seq[2][64];

	for (int run = 0; run < 2; run++) {
		struct vms_swap *swap = new_store(VMS_COMPRESS_ZSTD, 0, 0);
		unsigned char page[PAGE];
		uint64_t rng = 1;
		int n = 0;

		for (int i = 0; i < 64; i++) {
			make_heap(page, &rng);
			seq[run][n++] = put_ok(swap, page);
			if (i % 3 == 2) {
				vms_swap_release(swap, seq[run][i - 1]);
				vms_swap_release(swap, seq[run][i - 2]);
			}
		}
		vms_swap_free(swap);
	}
	assert_memory_equal(seq[0], seq[1], sizeof(seq[0]));
	/* LIFO recycling: slot 1 was freed last before put #3 ... */
	assert_int_equal(seq[0][3], 0);
	assert_int_equal(seq[0][4], 1);
}

static void test_free_with_live_slots(void **state)
{
	unsigned char page[PAGE];
	struct vms_swap *swap = new_store(VMS_COMPRESS_ZSTD, 0, 0);
	uint64_t rng = 8;
	vms_slot_t s;

	/* Enough slots to grow the table several times. */
	for (int i = 0; i < 5000; i++) {
		if (i % 3 == 0)
			make_text(page, &rng);
		else if (i % 3 == 1)
			make_random(page, &rng);
		else
			memset(page, i & 0xff, sizeof(page));
		s = put_ok(swap, page);
		if (i % 7 == 0)
			vms_swap_dup(swap, s);
		if (i % 11 == 0)
			assert_int_equal(vms_swap_reserve(swap, &s), 0);
	}
	assert_int_equal(stats_of(swap).stored_pages, 5000 + 455);
	vms_swap_free(swap); /* ASan's leak check proves every buffer was freed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compressor_parse_and_name),
		cmocka_unit_test(test_config_validation),
		cmocka_unit_test(test_codec_corruption_lz4),
		cmocka_unit_test(test_codec_corruption_zstd),
		cmocka_unit_test(test_codec_none),
		cmocka_unit_test(test_same_filled_edges),
		cmocka_unit_test(test_check_round_trip_kinds_lz4),
		cmocka_unit_test(test_check_round_trip_kinds_zstd),
		cmocka_unit_test(test_check_round_trip_kinds_none),
		cmocka_unit_test(test_check_round_trip_many_lz4),
		cmocka_unit_test(test_check_round_trip_many_zstd),
		cmocka_unit_test(test_check_round_trip_many_none),
		cmocka_unit_test(test_capacity_limit),
		cmocka_unit_test(test_capacity_compressed),
		cmocka_unit_test(test_max_slots),
		cmocka_unit_test(test_refcount_dup_release),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_invalid_slots),
		cmocka_unit_test(test_peek_does_not_count),
		cmocka_unit_test(test_stats_arithmetic),
		cmocka_unit_test(test_deterministic_slot_numbers),
		cmocka_unit_test(test_free_with_live_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
