/* SPDX-License-Identifier: MIT */
/*
 * matrix: the same sum over a matrix of doubles, row by row and column by
 * column; the example of docs/profiling.md ("Attribution").
 *
 *   build/tools/vmsandbox --frames 128 --profile -- build/examples/locality/matrix
 *
 *   matrix [ROWS [COLS]]      (default 1024 128: 1 MiB, rows of 1 KiB)
 *
 * The matrix is one anonymous mapping made by alloc_matrix().  fill()
 * writes it row by row, sum_rows() reads it row by row (each page once,
 * its 512 elements in a row), sum_columns() column by column (each column
 * visits every row, i.e. all 256 pages).  Under a budget smaller than the
 * matrix (128 frames = 512 KiB), sum_rows() takes one fault per page
 * (256) and sum_columns() one per 4 elements, the rows sharing a page
 * (32,768): the report's top code location is sum_columns at its marked
 * line with almost every fault, sum_rows far behind, and the top region
 * is the mmap by alloc_matrix.
 *
 * Prints both sums (equal, the same on every run) and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static double *alloc_matrix(size_t rows, size_t cols)
{
	const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *m = mmap(NULL, rows * cols * sizeof(double), prot, flags, -1, 0);   /* ATTRIB: alloc */

	if (m == MAP_FAILED) {
		perror("matrix: mmap");
		exit(1);
	}
	return m;
}

static void fill(double *m, size_t rows, size_t cols)
{
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			m[r * cols + c] = (double)((r * 31 + c * 17) % 1000);
}

/* noinline: each traversal is its own function in the report. */
static __attribute__((noinline)) double sum_rows(const double *m, size_t rows, size_t cols)
{
	double sum = 0;

	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			sum += m[r * cols + c];   /* ATTRIB: rows */
	return sum;
}

static __attribute__((noinline)) double sum_columns(const double *m, size_t rows, size_t cols)
{
	double sum = 0;

	for (size_t c = 0; c < cols; c++)
		for (size_t r = 0; r < rows; r++)
			sum += m[r * cols + c];   /* ATTRIB: columns */
	return sum;
}

int main(int argc, char **argv)
{
	size_t rows = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	size_t cols = argc > 2 ? strtoul(argv[2], NULL, 0) : 128;
	double *m;

	if (!rows || !cols || rows > (1u << 20) || cols > (1u << 20)) {
		fprintf(stderr, "usage: matrix [ROWS [COLS]] (each 1 to 1048576)\n");
		return 2;
	}
	m = alloc_matrix(rows, cols);
	fill(m, rows, cols);
	printf("rows:    %.0f\n", sum_rows(m, rows, cols));
	printf("columns: %.0f\n", sum_columns(m, rows, cols));
	return 0;
}
