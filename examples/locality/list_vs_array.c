/* SPDX-License-Identifier: MIT */
/*
 * list_vs_array: the same values summed from a linked list whose nodes are
 * scattered over the heap, and from an array; an example of
 * docs/profiling.md ("Attribution").
 *
 *   build/tools/vmsandbox --frames 128 --profile -- build/examples/locality/list_vs_array
 *
 *   list_vs_array [NODES]     (default 30000)
 *
 * make_list() mallocs NODES nodes of 64 bytes (2.3 MiB of brk heap with
 * malloc's headers, in address order) and links them in a scattered
 * order; make_array() puts the same values into one malloc'd array (an
 * mmap of 235 KiB).  sum_list() follows the links, jumping to a far page
 * at every node; sum_array() reads the array in order.  Under a budget
 * below the heap (128 frames = 512 KiB), most nodes of the list are a
 * fault and the array costs one fault per page: the report's top region
 * is the [heap], the top code location sum_list at its marked line, and
 * sum_array is far behind.
 *
 * Prints both sums (equal, the same on every run) and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

struct node {
	struct node *next;
	uint64_t value;
	char payload[48];             /* a record's other fields */
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		perror("list_vs_array: malloc");
		exit(1);
	}
	return p;
}

static size_t gcd(size_t a, size_t b)
{
	while (b) {
		size_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * NODES nodes in address order, linked in a scattered order: node i's
 * successor is node (i + stride) mod NODES, stride about 0.618 NODES and
 * prime to it (so the list holds every node, and consecutive nodes of the
 * list are far apart in memory, as after years of inserts and deletes).
 * The links are written in address order: building the list streams
 * through the heap, only following it jumps.  Returns the head (node 0).
 */
static struct node *make_list(size_t nodes)
{
	struct node **all = xmalloc(nodes * sizeof(*all));
	size_t stride = nodes * 618 / 1000;
	struct node *head;

	while (gcd(stride, nodes) != 1)
		stride++;
	for (size_t i = 0; i < nodes; i++) {
		all[i] = xmalloc(sizeof(struct node));   /* ATTRIB: node */
		all[i]->value = i * 7 + 1;
	}
	for (size_t i = 0; i < nodes; i++)
		all[i]->next = all[(i + stride) % nodes];
	/* The last node of the list is the one before the head. */
	all[(nodes - stride) % nodes]->next = NULL;
	head = all[0];
	free(all);
	return head;
}

/* The same values, in one array. */
static uint64_t *make_array(size_t nodes)
{
	uint64_t *a = xmalloc(nodes * sizeof(*a));   /* ATTRIB: array */

	for (size_t i = 0; i < nodes; i++)
		a[i] = i * 7 + 1;
	return a;
}

static __attribute__((noinline)) uint64_t sum_list(const struct node *n)
{
	uint64_t sum = 0;

	while (n) { sum += n->value; n = n->next; }   /* ATTRIB: list */
	return sum;
}

static __attribute__((noinline)) uint64_t sum_array(const uint64_t *a, size_t nodes)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < nodes; i++)
		sum += a[i];   /* ATTRIB: sum_array */
	return sum;
}

int main(int argc, char **argv)
{
	size_t nodes = argc > 1 ? strtoul(argv[1], NULL, 0) : 30000;
	struct node *head;
	uint64_t *array;

	if (nodes < 2 || nodes > (1u << 26)) {
		fprintf(stderr, "usage: list_vs_array [NODES] (2 to 67108864)\n");
		return 2;
	}
	head = make_list(nodes);
	array = make_array(nodes);
	printf("list:  %llu\n", (unsigned long long)sum_list(head));
	printf("array: %llu\n", (unsigned long long)sum_array(array, nodes));
	return 0;
}
