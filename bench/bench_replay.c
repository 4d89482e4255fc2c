/* SPDX-License-Identifier: MIT */
/*
 * Replay throughput of the core: a synthetic 10 M-reference trace over 1 M
 * distinct pages, run through the engine once per policy (and through the
 * MRC engine), with the references already in memory so that only the core
 * is timed.  Also reports metadata bytes per tracked page.
 *
 * The trace mixes what real programs do: 60% of references go to a hot set
 * (5% of the pages, skewed), 25% are sequential scans, 15% are uniform over
 * all pages; one in four references is a write.  The budget is 25% of the
 * pages, so every policy evicts.
 *
 * usage: bench_replay [--refs N] [--pages N] [--frames N] [--policy NAME]
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmsandbox/mm.h"
#include "vmsandbox/mrc.h"

static uint64_t rng_state = 12345;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* vpn in the low 63 bits, write flag in the top bit */
#define WRITE_BIT (1ull << 63)

static void make_trace(uint64_t *refs, uint64_t n, uint64_t pages)
{
	uint64_t hot = pages / 20 ? pages / 20 : 1, seq = 0, base = 0x7f0000000ull;

	/* touch every page once first, so the trace really spans `pages` */
	for (uint64_t i = 0; i < n; i++) {
		uint64_t r = rng(), vpn, kind = r % 100;

		if (i < pages)
			vpn = i;
		else if (kind < 60)
			vpn = (rng() % hot) * (rng() % hot) / hot;   /* skewed toward 0 */
		else if (kind < 85)
			vpn = seq++ % pages;
		else
			vpn = rng() % pages;
		refs[i] = (base + vpn) | ((r >> 40) % 4 == 0 ? WRITE_BIT : 0);
	}
}

/* next_use for OPT, by a backward pass with a flat array over the page range */
static uint64_t *make_next_use(const uint64_t *refs, uint64_t n, uint64_t pages)
{
	uint64_t *next = malloc(n * sizeof(*next)), *last = malloc(pages * sizeof(*last));

	for (uint64_t p = 0; p < pages; p++)
		last[p] = VMS_TIME_NEVER;
	for (uint64_t i = n; i-- > 0;) {
		uint64_t p = (refs[i] & ~WRITE_BIT) - 0x7f0000000ull;

		next[i] = last[p];
		last[p] = i;
	}
	free(last);
	return next;
}

int main(int argc, char **argv)
{
	uint64_t nr_refs = 10000000, pages = 1000000, frames = 0;
	const char *only = NULL;
	static const struct option opts[] = {
		{ "refs", required_argument, NULL, 'r' },
		{ "pages", required_argument, NULL, 'p' },
		{ "frames", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': nr_refs = strtoull(optarg, NULL, 0); break;
		case 'p': pages = strtoull(optarg, NULL, 0); break;
		case 'f': frames = strtoull(optarg, NULL, 0); break;
		case 'P': only = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--refs N] [--pages N] [--frames N] [--policy NAME]\n", argv[0]);
			return 2;
		}
	}
	if (!frames)
		frames = pages / 4;
	if (nr_refs < pages)
		nr_refs = pages;

	uint64_t *refs = malloc(nr_refs * sizeof(*refs));

	make_trace(refs, nr_refs, pages);
	uint64_t *next = make_next_use(refs, nr_refs, pages);

	printf("synthetic trace: %" PRIu64 " references over %" PRIu64 " pages, %" PRIu64
	       " frames\n\n", nr_refs, pages, frames);
	printf("%-8s %12s %10s %10s %14s\n", "policy", "faults", "fault%", "seconds", "M refs/s");
	for (size_t p = 0; vms_policies[p]; p++) {
		const struct vms_policy_ops *ops = vms_policies[p];
		struct vms_mm_config cfg = {
			.nr_frames = (uint32_t)frames, .policy = ops,
			.policy_cfg = { .seed = 1, .ws_window = frames, .lfu_decay_period = frames * 4 },
			.swap = { .compressor = VMS_COMPRESS_NONE },
		};
		struct vms_mm *mm;
		struct vms_as *as;
		struct vms_ref_result rr;
		bool offline = ops->flags & VMS_POLICY_OFFLINE;

		if (only && strcmp(only, ops->name))
			continue;
		if (vms_mm_new(&cfg, &mm) < 0 || vms_mm_as_new(mm, 1, &as) < 0) {
			fprintf(stderr, "setup failed for %s\n", ops->name);
			return 1;
		}
		double t0 = now_s();

		for (uint64_t i = 0; i < nr_refs; i++)
			vms_mm_ref(mm, as, refs[i] & ~WRITE_BIT, refs[i] >> 63,
				   offline ? next[i] : VMS_TIME_NEVER, &rr);
		double dt = now_s() - t0;
		const struct vms_mm_stats *st = vms_mm_stats(mm);

		printf("%-8s %12" PRIu64 " %9.2f%% %10.3f %14.1f\n", ops->name, st->faults,
		       100.0 * (double)st->faults / (double)nr_refs, dt, (double)nr_refs / dt / 1e6);
		if (p == 0) {
			struct vms_pt_memory m = vms_mm_pt_memory(mm);
			struct vms_swap_stats ss;

			vms_swap_get_stats(vms_mm_swap(mm), &ss);
			fprintf(stderr, "metadata: page tables %" PRIu64 " bytes for %" PRIu64
				" tracked pages = %.2f bytes/page; swap slot table 16 bytes per"
				" swapped page (%" PRIu64 " now); frame table %zu bytes per frame\n",
				m.bytes, m.nr_entries, (double)m.bytes / (double)m.nr_entries,
				ss.stored_pages, sizeof(struct vms_frame));
			fprintf(stderr, "metadata per tracked page, all structures: %.2f bytes\n",
				(double)(m.bytes + 16 * ss.stored_pages +
					 frames * sizeof(struct vms_frame)) / (double)m.nr_entries);
		}
		vms_mm_free(mm);
	}
	if (!only || strcmp(only, "mrc") == 0) {
		struct vms_mrc *mrc;
		double t0 = now_s();

		vms_key_t keys[4096];

		vms_mrc_new(pages, &mrc);
		for (uint64_t i = 0; i < nr_refs; i += 4096) {
			uint64_t n = nr_refs - i < 4096 ? nr_refs - i : 4096;

			for (uint64_t k = 0; k < n; k++)
				keys[k] = vms_key(1, refs[i + k] & ~WRITE_BIT);
			vms_mrc_access_batch(mrc, keys, n);
		}
		double dt = now_s() - t0;

		printf("%-8s %12" PRIu64 " %9.2f%% %10.3f %14.1f   (LRU faults at %" PRIu64
		       " frames, from the curve; %.1f MB)\n", "mrc", vms_mrc_faults(mrc, frames),
		       100.0 * (double)vms_mrc_faults(mrc, frames) / (double)nr_refs, dt,
		       (double)nr_refs / dt / 1e6, frames, (double)vms_mrc_bytes(mrc) / 1e6);
		vms_mrc_free(mrc);
	}
	free(next);
	free(refs);
	return 0;
}
