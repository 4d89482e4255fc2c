/* SPDX-License-Identifier: MIT */
/*
 * commit_probe: how a C program meets --overcommit never.
 *
 *   commit_probe HUGE_MIB CHUNK_MIB MAX_MIB
 *
 * 1. malloc(HUGE_MIB MiB): prints "huge: NULL" or "huge: ok".
 * 2. malloc(CHUNK_MIB MiB) blocks (touching one byte of each page) until
 *    malloc returns NULL or MAX_MIB are held: prints "chunks: N".
 * 3. Frees them all, mallocs one block again and writes it in full:
 *    prints "after free: ok" (or "after free: NULL").
 * 4. Tries to grow the heap with sbrk(CHUNK_MIB MiB) while the blocks are
 *    held: prints "sbrk: ENOMEM" or "sbrk: ok" (the tests compare).
 * Exits 0; 2 on bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progargs.h"

#define PROG "commit_probe"
#define MAX_BLOCKS 4096

static void usage(FILE *f)
{
	fputs("usage: " PROG " HUGE_MIB CHUNK_MIB MAX_MIB\n", f);
}

int main(int argc, char **argv)
{
	static char *blocks[MAX_BLOCKS];
	unsigned long huge, chunk, max, n = 0;
	void *p, *brk_before;

	if (argc != 4) {
		usage(stderr);
		return 2;
	}
	huge = prog_parse_num(PROG, usage, argv[1], "HUGE_MIB", 1, 1ul << 30);
	chunk = prog_parse_num(PROG, usage, argv[2], "CHUNK_MIB", 1, 1024);
	max = prog_parse_num(PROG, usage, argv[3], "MAX_MIB", 1, MAX_BLOCKS);
	p = malloc(huge << 20);
	printf("huge: %s\n", p ? "ok" : "NULL");
	free(p);
	while (n < MAX_BLOCKS && (n + 1) * chunk <= max && (blocks[n] = malloc(chunk << 20)) != NULL) {
		for (unsigned long off = 0; off < chunk << 20; off += 4096)
			blocks[n][off] = (char)off;
		n++;
	}
	printf("chunks: %lu\n", n);
	brk_before = sbrk(0);
	p = sbrk((intptr_t)(chunk << 20));
	printf("sbrk: %s\n", p == (void *)-1 ? (errno == ENOMEM ? "ENOMEM" : "error") : "ok");
	if (p != (void *)-1)
		brk(brk_before);
	while (n)
		free(blocks[--n]);
	p = malloc(chunk << 20);
	if (p)
		memset(p, 1, chunk << 20);
	printf("after free: %s\n", p ? "ok" : "NULL");
	free(p);
	return 0;
}
