/* SPDX-License-Identifier: MIT */
/*
 * hashtable: an open-addressing hash table that outgrows the memory
 * budget, filled and then queried; an example of docs/profiling.md
 * ("Attribution").
 *
 *   build/tools/vmsandbox --frames 64 --profile -- build/examples/locality/hashtable
 *
 *   hashtable [KEYS]          (default 20000)
 *
 * The table starts at 4,096 slots of 16 bytes and doubles (a new mapping
 * by table_new(), the old entries moved over, the old mapping unmapped)
 * whenever it is half full: 20,000 keys end in 65,536 slots, 1 MiB.
 * Keys are random, so every insert and every lookup lands on a random
 * page of the table.  Under a budget below the table (64 frames = 256 KiB)
 * most of them fault, and every one of those faults is in find_slot()'s
 * probe loop: the report's top code location is find_slot at its marked
 * line (its stacks show the callers: insert, from main's filling loop and
 * from grow, and lookup), and the top region is the table's mappings by
 * table_new (one row for all of them, `mappings` counting each).
 *
 * Prints how many lookups found their key and their values' sum (the same
 * on every run) and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

struct slot {
	uint64_t key;                 /* 0: empty */
	uint64_t value;
};

struct table {
	struct slot *slots;
	size_t cap;                   /* a power of two */
	size_t nr;
};

static uint64_t next_random(uint64_t *state)
{
	/* splitmix64: the same keys on every run */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t hash(uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	return key ^ (key >> 33);
}

static struct slot *table_new(size_t cap)
{
	const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *m = mmap(NULL, cap * sizeof(struct slot), prot, flags, -1, 0);   /* ATTRIB: table_new */

	if (m == MAP_FAILED) {
		perror("hashtable: mmap");
		exit(1);
	}
	return m;
}

/* The slot of key: where it is, or the empty slot where it would go. */
static __attribute__((noinline)) struct slot *find_slot(const struct table *t, uint64_t key)
{
	size_t i = hash(key) & (t->cap - 1);

	while (t->slots[i].key != 0 && t->slots[i].key != key)   /* ATTRIB: probe */
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

static void grow(struct table *t);

static __attribute__((noinline)) void insert(struct table *t, uint64_t key, uint64_t value)
{
	struct slot *s;

	if ((t->nr + 1) * 2 > t->cap)
		grow(t);
	s = find_slot(t, key);
	if (s->key == 0)
		t->nr++;
	s->key = key;
	s->value = value;
}

static void grow(struct table *t)
{
	struct table bigger = { .slots = table_new(t->cap * 2), .cap = t->cap * 2 };

	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].key)
			insert(&bigger, t->slots[i].key, t->slots[i].value);
	munmap(t->slots, t->cap * sizeof(struct slot));
	*t = bigger;
}

static __attribute__((noinline)) const struct slot *lookup(const struct table *t, uint64_t key)
{
	const struct slot *s = find_slot(t, key);

	return s->key == key ? s : NULL;
}

int main(int argc, char **argv)
{
	size_t keys = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	struct table t = { .slots = table_new(4096), .cap = 4096 };
	uint64_t seed = 1, sum = 0;
	size_t found = 0;

	if (!keys || keys > (1u << 26)) {
		fprintf(stderr, "usage: hashtable [KEYS] (1 to 67108864)\n");
		return 2;
	}
	for (size_t i = 0; i < keys; i++)
		insert(&t, next_random(&seed) | 1, i);
	/* The same keys again, in the same order: every one is there. */
	seed = 1;
	for (size_t i = 0; i < keys; i++) {
		const struct slot *s = lookup(&t, next_random(&seed) | 1);

		if (s) {
			found++;
			sum += s->value;
		}
	}
	printf("found %zu of %zu, values sum to %llu\n", found, keys, (unsigned long long)sum);
	return 0;
}
