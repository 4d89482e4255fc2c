/* SPDX-License-Identifier: MIT */
/*
 * sites_leak: three functions that leak memory in three ways, for the
 * allocation-site tests (tests/integration/test_sites.sh).
 *
 *   sites_leak BIG_MIB SMALL_MIB HEAP_MIB
 *
 *  - leak_big_blocks()  mallocs BIG_MIB blocks of 1 MiB (glibc maps each
 *                       with its own mmap);
 *  - leak_small_maps()  mmaps SMALL_MIB * 2 regions of 512 KiB directly;
 *  - leak_heap_chunks() mallocs HEAP_MIB * 8 chunks of 128 KiB from the brk
 *                       heap (the mmap threshold raised above them).
 * Each writes every page it gets.  The calls are made from the bottom of a
 * recursion whose frames each hold ~6 KB of stack, so that under a small
 * budget the callers' stack pages are evicted by the time the later
 * allocations are made, and unwinding must read them from swap.
 *
 * The lines of the allocation calls carry a "SITE:" comment that the test
 * looks for.  Built with -g (meson's debugoptimized, -O2): the functions are
 * external and noinline so that each keeps its own name and frame.
 * Prints one deterministic line (the sizes and a checksum of every leaked
 * page read back) and exits 0; exits 1 if an allocation fails or a page
 * reads back wrong, 2 on bad usage.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "progargs.h"

#define PAGE 4096u
#define MAX_BLOCKS 65536

struct block {
	uint8_t *p;
	size_t len;
};

/* External, so that each keeps its name (no clones) and its frame. */
void leak_big_blocks(unsigned long mib);
void leak_small_maps(unsigned long mib);
void leak_heap_chunks(unsigned long mib);
struct sizes;
unsigned deep_stack(int level, const struct sizes *sz);

static struct block blocks[MAX_BLOCKS];
static size_t nr_blocks;

static void usage(FILE *out)
{
	fprintf(out, "usage: sites_leak BIG_MIB SMALL_MIB HEAP_MIB\n");
}

static void keep(uint8_t *p, size_t len)
{
	if (!p || nr_blocks == MAX_BLOCKS) {
		fprintf(stderr, "sites_leak: allocation %zu of %zu bytes failed\n", nr_blocks, len);
		exit(1);
	}
	/* Every page written with its block and page number. */
	for (size_t off = 0; off < len; off += PAGE)
		memset(p + off, (int)((nr_blocks * 131 + off / PAGE) & 0xff), 64);
	blocks[nr_blocks].p = p;
	blocks[nr_blocks].len = len;
	nr_blocks++;
}

__attribute__((noinline)) void leak_big_blocks(unsigned long mib)
{
	for (unsigned long i = 0; i < mib; i++) {
		uint8_t *p = malloc(1u << 20); /* SITE: big */

		keep(p, 1u << 20);
	}
}

__attribute__((noinline)) void leak_small_maps(unsigned long mib)
{
	for (unsigned long i = 0; i < mib * 2; i++) {
		uint8_t *p = mmap(NULL, 512u << 10, PROT_READ | PROT_WRITE, /* SITE: small */
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		keep(p == MAP_FAILED ? NULL : p, 512u << 10);
	}
}

__attribute__((noinline)) void leak_heap_chunks(unsigned long mib)
{
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	for (unsigned long i = 0; i < mib * 8; i++) {
		uint8_t *p = malloc(128u << 10); /* SITE: heap */

		keep(p, 128u << 10);
	}
}

struct sizes {
	unsigned long big, small, heap;
};

/* Recursion that leaves `level` frames of stack above the allocations. */
__attribute__((noinline)) unsigned deep_stack(int level, const struct sizes *sz)
{
	volatile uint8_t pad[6000];
	unsigned sum;

	memset((void *)pad, level, sizeof(pad));
	if (level > 0) {
		sum = deep_stack(level - 1, sz);
	} else {
		/* The heap last: it raises the mmap threshold for good. */
		leak_big_blocks(sz->big);
		leak_small_maps(sz->small);
		leak_heap_chunks(sz->heap);
		sum = 0;
	}
	return sum + pad[level * 97 % sizeof(pad)];
}

int main(int argc, char **argv)
{
	struct sizes sz;
	uint64_t check = 0;
	unsigned pads;

	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	sz.big = prog_parse_num("sites_leak", usage, argv[1], "BIG_MIB", 0, 4096);
	sz.small = prog_parse_num("sites_leak", usage, argv[2], "SMALL_MIB", 0, 4096);
	sz.heap = prog_parse_num("sites_leak", usage, argv[3], "HEAP_MIB", 0, 4096);
	pads = deep_stack(8, &sz);
	for (size_t i = 0; i < nr_blocks; i++)
		for (size_t off = 0; off < blocks[i].len; off += PAGE) {
			uint8_t want = (uint8_t)((i * 131 + off / PAGE) & 0xff);

			if (blocks[i].p[off] != want || blocks[i].p[off + 63] != want) {
				fprintf(stderr, "sites_leak: block %zu page %zu reads %u, not %u\n",
					i, off / PAGE, blocks[i].p[off], want);
				return 1;
			}
			check = check * 31 + want;
		}
	printf("sites_leak big=%lu small=%lu heap=%lu blocks=%zu pads=%u check=%016llx\n", sz.big,
	       sz.small, sz.heap, nr_blocks, pads, (unsigned long long)check);
	return 0;
}
