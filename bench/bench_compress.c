/* SPDX-License-Identifier: MIT */
/*
 * bench_compress: page compression on real heap pages.
 *
 * Starts a python3 that builds ~200 MB of lists, dicts and strings and then
 * waits on stdin; collects its resident anonymous private writable pages
 * ([heap], [stack], nameless mappings) through /proc/PID/pagemap and
 * /proc/PID/mem; kills it.  Then, on the very same pages:
 *   - the swap store (vms_swap_put / vms_swap_get) with each compressor:
 *     MB/s both ways and the store's ratio, with a bit-exact check;
 *   - the raw libraries (LZ4_compress_default / LZ4_decompress_safe,
 *     ZSTD_compress / ZSTD_decompress at level 1, and zstd-1 with reused
 *     contexts): MB/s and ratio over every page.
 * MB/s counts uncompressed bytes, MB = 10^6 bytes; best of --reps runs.
 *
 * Usage: bench_compress [--pages N] [--reps R] [--mb M]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>
#include <zstd.h>

#include "vmsandbox/swap.h"

#define PAGE VMS_PAGE_SIZE

struct pages {
	unsigned char *data;  /* nr * PAGE bytes */
	size_t nr;
	size_t cap;
	size_t nr_mapped;     /* pages in the selected mappings, resident or not */
	size_t nr_unreadable;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double mb_per_s(size_t nr_pages, double secs)
{
	return secs > 0 ? (double)nr_pages * PAGE / 1e6 / secs : 0;
}

/*
 * The python side: ~mb MB of typical heap objects (dict of int -> str,
 * lists of floats and ints, strings, tuples), then wait for EOF on stdin.
 */
static pid_t spawn_python(int mb, int *ret_stdin_fd)
{
	char script[1024];
	int to_child[2], from_child[2];
	char buf[16];
	pid_t pid;
	ssize_t n;

	snprintf(script, sizeof(script),
		 "import sys, random\n"
		 "random.seed(1)\n"
		 "n = %d * 1000000 // 370\n"
		 "d = {i: 'value-%%d-%%s' %% (i, 'x' * (i %% 40)) for i in range(n)}\n"
		 "floats = [random.random() for _ in range(n)]\n"
		 "ints = [i * 7919 %% 1000003 for i in range(n)]\n"
		 "tuples = [(i, str(i), i * 0.5) for i in range(n // 2)]\n"
		 "words = ' '.join(random.choice(['page', 'frame', 'swap', 'fault', 'the', 'of'])"
		 " for _ in range(n))\n"
		 "sys.stdout.write('ready\\n'); sys.stdout.flush()\n"
		 "sys.stdin.read()\n", mb);

	if (pipe2(to_child, O_CLOEXEC) < 0 || pipe2(from_child, O_CLOEXEC) < 0) {
		perror("pipe2");
		exit(1);
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(to_child[0], STDIN_FILENO);
		dup2(from_child[1], STDOUT_FILENO);
		execlp("python3", "python3", "-c", script, (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	n = read(from_child[0], buf, sizeof(buf));
	close(from_child[0]);
	if (n < 5 || memcmp(buf, "ready", 5) != 0) {
		fprintf(stderr, "bench_compress: python3 did not start (is it installed?)\n");
		exit(1);
	}
	*ret_stdin_fd = to_child[1];
	return pid;
}

static void pages_add(struct pages *pg, const unsigned char *page)
{
	if (pg->nr == pg->cap) {
		size_t cap = pg->cap ? pg->cap * 2 : 4096;
		unsigned char *d = realloc(pg->data, cap * PAGE);

		if (!d) {
			fprintf(stderr, "bench_compress: out of memory collecting pages\n");
			exit(1);
		}
		pg->data = d;
		pg->cap = cap;
	}
	memcpy(pg->data + pg->nr * PAGE, page, PAGE);
	pg->nr++;
}

/* Anonymous private writable: rw-p, no backing file, or [heap]/[stack]. */
static bool mapping_wanted(const char *perms, unsigned long inode, const char *path)
{
	if (perms[0] != 'r' || perms[1] != 'w' || perms[3] != 'p' || inode != 0)
		return false;
	return path[0] == '\0' || strcmp(path, "[heap]") == 0 || strcmp(path, "[stack]") == 0;
}

static void collect_pages(pid_t pid, size_t limit, struct pages *pg)
{
	char path[64], line[512];
	unsigned char page[PAGE];
	FILE *maps;
	int mem_fd, pagemap_fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	maps = fopen(path, "re");
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (!maps || mem_fd < 0 || pagemap_fd < 0) {
		fprintf(stderr, "bench_compress: cannot open /proc/%d/{maps,mem,pagemap}: %s "
			"(needs ptrace access to the child)\n", (int)pid, strerror(errno));
		exit(1);
	}
	while (pg->nr < limit && fgets(line, sizeof(line), maps)) {
		unsigned long start, end, inode;
		char perms[8], name[256] = "";

		if (sscanf(line, "%lx-%lx %7s %*s %*s %lu %255[^\n]", &start, &end, perms, &inode,
			   name) < 4)
			continue;
		if (!mapping_wanted(perms, inode, name))
			continue;
		for (unsigned long a = start; a < end && pg->nr < limit; a += PAGE) {
			uint64_t pme = 0;

			pg->nr_mapped++;
			/* Only resident pages (bit 63): untouched ones would read as zeros. */
			if (pread(pagemap_fd, &pme, sizeof(pme), (off_t)(a / PAGE * sizeof(pme))) !=
			    (ssize_t)sizeof(pme) || !(pme >> 63))
				continue;
			if (pread(mem_fd, page, PAGE, (off_t)a) != PAGE) {
				pg->nr_unreadable++;
				continue;
			}
			pages_add(pg, page);
		}
	}
	fclose(maps);
	close(mem_fd);
	close(pagemap_fd);
}

struct result {
	double put_mbs, get_mbs, ratio;
	uint64_t same, raw;
	size_t mismatches;
};

static void bench_store(const struct pages *pg, enum vms_compressor c, int reps, struct result *res)
{
	vms_slot_t *slots = malloc(pg->nr * sizeof(*slots));
	unsigned char *out = malloc(PAGE);
	struct vms_swap_config cfg = { .compressor = c, .zstd_level = 0, .capacity_bytes = 0,
				       .max_slots = 0 };
	double best_put = 1e30, best_get = 1e30;

	memset(res, 0, sizeof(*res));
	for (int rep = 0; rep < reps; rep++) {
		struct vms_swap *swap;
		struct vms_swap_stats st;
		double t0, t1, t2;
		int r;

		r = vms_swap_new(&cfg, &swap);
		if (r < 0) {
			fprintf(stderr, "bench_compress: vms_swap_new: %s\n", strerror(-r));
			exit(1);
		}
		t0 = now_s();
		for (size_t i = 0; i < pg->nr; i++) {
			r = vms_swap_put(swap, pg->data + i * PAGE, &slots[i]);
			if (r < 0) {
				fprintf(stderr, "bench_compress: vms_swap_put: %s\n", strerror(-r));
				exit(1);
			}
		}
		t1 = now_s();
		for (size_t i = 0; i < pg->nr; i++)
			if (vms_swap_get(swap, slots[i], out) < 0)
				res->mismatches++;
		t2 = now_s();
		if (t1 - t0 < best_put)
			best_put = t1 - t0;
		if (t2 - t1 < best_get)
			best_get = t2 - t1;

		if (rep == 0) {
			for (size_t i = 0; i < pg->nr; i++)
				if (vms_swap_get(swap, slots[i], out) < 0 ||
				    memcmp(out, pg->data + i * PAGE, PAGE) != 0)
					res->mismatches++;
			vms_swap_get_stats(swap, &st);
			res->ratio = vms_swap_ratio(&st);
			res->same = st.same_filled;
			res->raw = st.incompressible;
		}
		vms_swap_free(swap);
	}
	res->put_mbs = mb_per_s(pg->nr, best_put);
	res->get_mbs = mb_per_s(pg->nr, best_get);
	free(slots);
	free(out);
}

enum raw_lib { RAW_LZ4, RAW_ZSTD, RAW_ZSTD_CTX };

/* The bare library calls on every page, no same-filled or raw shortcut. */
static void bench_raw(const struct pages *pg, enum raw_lib lib, int reps, struct result *res)
{
	const size_t bound = ZSTD_compressBound(PAGE) > (size_t)LZ4_compressBound(PAGE) ?
			     ZSTD_compressBound(PAGE) : (size_t)LZ4_compressBound(PAGE);
	unsigned char *comp = malloc(pg->nr * bound);
	size_t *lens = malloc(pg->nr * sizeof(*lens));
	unsigned char *out = malloc(PAGE);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_DCtx *dctx = ZSTD_createDCtx();
	double best_c = 1e30, best_d = 1e30;
	uint64_t total = 0;

	memset(res, 0, sizeof(*res));
	if (!comp || !lens || !out || !cctx || !dctx) {
		fprintf(stderr, "bench_compress: out of memory\n");
		exit(1);
	}
	for (int rep = 0; rep < reps; rep++) {
		double t0, t1, t2;

		total = 0;
		t0 = now_s();
		for (size_t i = 0; i < pg->nr; i++) {
			const unsigned char *src = pg->data + i * PAGE;
			unsigned char *dst = comp + i * bound;

			switch (lib) {
			case RAW_LZ4:
				lens[i] = (size_t)LZ4_compress_default((const char *)src, (char *)dst,
								       PAGE, (int)bound);
				break;
			case RAW_ZSTD:
				lens[i] = ZSTD_compress(dst, bound, src, PAGE, 1);
				break;
			case RAW_ZSTD_CTX:
				lens[i] = ZSTD_compressCCtx(cctx, dst, bound, src, PAGE, 1);
				break;
			}
			total += lens[i];
		}
		t1 = now_s();
		for (size_t i = 0; i < pg->nr; i++) {
			const unsigned char *src = comp + i * bound;
			size_t n;

			switch (lib) {
			case RAW_LZ4:
				n = (size_t)LZ4_decompress_safe((const char *)src, (char *)out,
								(int)lens[i], PAGE);
				break;
			case RAW_ZSTD:
				n = ZSTD_decompress(out, PAGE, src, lens[i]);
				break;
			default:
				n = ZSTD_decompressDCtx(dctx, out, PAGE, src, lens[i]);
				break;
			}
			if (n != PAGE)
				res->mismatches++;
		}
		t2 = now_s();
		if (t1 - t0 < best_c)
			best_c = t1 - t0;
		if (t2 - t1 < best_d)
			best_d = t2 - t1;
	}
	res->put_mbs = mb_per_s(pg->nr, best_c);
	res->get_mbs = mb_per_s(pg->nr, best_d);
	res->ratio = total ? (double)pg->nr * PAGE / (double)total : 0;
	ZSTD_freeCCtx(cctx);
	ZSTD_freeDCtx(dctx);
	free(comp);
	free(lens);
	free(out);
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_compress [--pages N] [--reps R] [--mb M]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct pages pg = { 0 };
	size_t limit = SIZE_MAX, nr_zero = 0, nr_same = 0;
	int reps = 3, mb = 200, stdin_fd, status;
	struct result res;
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--pages") == 0)
			limit = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--reps") == 0)
			reps = atoi(argv[++i]);
		else if (strcmp(argv[i], "--mb") == 0)
			mb = atoi(argv[++i]);
		else
			usage();
	}
	if (limit == 0 || reps < 1 || mb < 1)
		usage();

	pid = spawn_python(mb, &stdin_fd);
	collect_pages(pid, limit, &pg);
	kill(pid, SIGKILL);
	close(stdin_fd);
	waitpid(pid, &status, 0);
	if (pg.nr == 0) {
		fprintf(stderr, "bench_compress: no pages collected\n");
		return 1;
	}

	for (size_t i = 0; i < pg.nr; i++) {
		uint64_t v;

		if (vms_page_same_filled(pg.data + i * PAGE, &v)) {
			nr_same++;
			nr_zero += v == 0;
		}
	}
	printf("python3 heap (--mb %d): %zu resident anonymous pages collected (%.1f MB) "
	       "of %zu mapped, %zu unreadable\n",
	       mb, pg.nr, (double)pg.nr * PAGE / 1e6, pg.nr_mapped, pg.nr_unreadable);
	printf("same-filled: %.2f%% (zero: %.2f%%); MB = 10^6 bytes of pages; best of %d\n\n",
	       100.0 * (double)nr_same / (double)pg.nr, 100.0 * (double)nr_zero / (double)pg.nr,
	       reps);

	printf("%-24s %12s %12s %8s %8s %8s %s\n", "", "put MB/s", "get MB/s", "ratio", "same%",
	       "raw%", "check");
	for (int c = 0; c < VMS_COMPRESSOR_COUNT; c++) {
		char label[32];

		bench_store(&pg, (enum vms_compressor)c, reps, &res);
		snprintf(label, sizeof(label), "vms_swap %s", vms_compressor_name((enum vms_compressor)c));
		printf("%-24s %12.0f %12.0f %8.2f %7.2f%% %7.2f%% %s\n", label, res.put_mbs,
		       res.get_mbs, res.ratio, 100.0 * (double)res.same / (double)pg.nr,
		       100.0 * (double)res.raw / (double)pg.nr,
		       res.mismatches ? "MISMATCH" : "bit-exact");
	}
	printf("\n%-24s %12s %12s %8s\n", "raw library, every page", "comp MB/s", "decomp MB/s",
	       "ratio");
	{
		static const char *const names[] = {
			"LZ4_compress_default", "ZSTD_compress -1", "ZSTD_compressCCtx -1",
		};

		for (int lib = RAW_LZ4; lib <= RAW_ZSTD_CTX; lib++) {
			bench_raw(&pg, (enum raw_lib)lib, reps, &res);
			printf("%-24s %12.0f %12.0f %8.2f%s\n", names[lib], res.put_mbs, res.get_mbs,
			       res.ratio, res.mismatches ? "  DECODE ERRORS" : "");
		}
	}
	free(pg.data);
	return 0;
}
