/* SPDX-License-Identifier: MIT */
/*
 * The locality profile's analysis (locality.h): one pass of the MRC engine
 * for the exact LRU curve, a few simulations of other policies over the
 * same stream, and two passes for the working set and the heatmap.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "locality.h"
#include "pageset.h"
#include "tracesim.h"
#include "vmsandbox/policy.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int curve_alloc(struct vms_curve *c, const char *policy, size_t n)
{
	c->policy = policy;
	c->n = n;
	c->frames = calloc(n ? n : 1, sizeof(*c->frames));
	c->faults = calloc(n ? n : 1, sizeof(*c->faults));
	return c->frames && c->faults ? 0 : -ENOMEM;
}

static void curve_free(struct vms_curve *c)
{
	free(c->frames);
	free(c->faults);
	memset(c, 0, sizeof(*c));
}

/*
 * The LRU curve at the replayer's points (every count up to 1024, then ~64
 * per doubling, and the budget), and the knee from the full curve: the
 * smallest k at which faults(k) - cold <= 5% of faults(1) - cold.
 */
static int lru_curve(const struct vms_tsim_trace *t, struct vms_locality *loc)
{
	struct vms_mrc *mrc = vms_tsim_mrc(t);
	uint64_t max = loc->distinct_pages ? loc->distinct_pages : 1;
	uint64_t *full = NULL, *pts = NULL;
	size_t n;
	int r = -ENOMEM;

	if (!mrc)
		return -ENOMEM;
	loc->cold_misses = vms_mrc_cold_misses(mrc);
	full = malloc((max + 1) * sizeof(*full));
	n = vms_tsim_mrc_points(max, loc->budget_frames, &pts);
	if (!full || !pts || vms_mrc_curve(mrc, max, full) < 0 || curve_alloc(&loc->lru, "lru", n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		loc->lru.frames[i] = pts[i];
		loc->lru.faults[i] = pts[i] <= max ? full[pts[i]] : vms_mrc_faults(mrc, pts[i]);
	}
	if (loc->budget_frames)
		loc->faults_at_budget = vms_mrc_faults(mrc, loc->budget_frames);
	if (full[1] > loc->cold_misses) {
		double limit = (double)loc->cold_misses +
			       (1.0 - VMS_KNEE_AVOIDED) * (double)(full[1] - loc->cold_misses);

		for (uint64_t k = 1; k <= max; k++) {
			if ((double)full[k] <= limit) {
				loc->has_knee = true;
				loc->knee_frames = k;
				loc->knee_faults = full[k];
				/* A point a little below, to say how steep it is. */
				loc->knee_prev_frames = k - (k + 15) / 16;
				loc->knee_prev_faults = full[loc->knee_prev_frames];
				break;
			}
		}
	}
	r = 0;
out:
	free(full);
	free(pts);
	vms_mrc_free(mrc);
	return r;
}

/* Budgets for the simulated policies: log-spaced from 1/64 of the pages
 * referenced to all of them, plus the run's budget and the knee. */
static size_t sim_points(const struct vms_locality *loc, uint64_t *pts, size_t max_pts)
{
	uint64_t hi = loc->distinct_pages, lo = hi / 64 ? hi / 64 : 1;
	size_t n = 0, want = max_pts - 2;
	uint64_t extra[2] = { loc->budget_frames, loc->has_knee ? loc->knee_frames : 0 };

	for (size_t i = 0; i < want && hi; i++) {
		double f = want > 1 ? (double)i / (double)(want - 1) : 1.0;
		uint64_t k = (uint64_t)((double)lo * pow((double)hi / (double)lo, f) + 0.5);

		if (k && (n == 0 || k > pts[n - 1]))
			pts[n++] = k;
	}
	for (int e = 0; e < 2; e++) {
		size_t i = 0;

		if (!extra[e])
			continue;
		while (i < n && pts[i] < extra[e])
			i++;
		if (i < n && pts[i] == extra[e])
			continue;
		memmove(&pts[i + 1], &pts[i], (n - i) * sizeof(*pts));
		pts[i] = extra[e];
		n++;
	}
	return n;
}

static bool listed(const struct vms_locality *loc, const char *name)
{
	for (size_t i = 0; i < loc->nr_policies; i++)
		if (strcmp(loc->policies[i].policy, name) == 0)
			return true;
	return strcmp(name, "lru") == 0;   /* exact already */
}

/*
 * FIFO, Clock, ARC, OPT and the run's own policy, at up to 12 budgets
 * (fewer for a long stream: each point is a pass over it).
 */
static int simulate(const struct vms_tsim_trace *t, const struct vms_locality_input *in,
		    struct vms_locality *loc)
{
	const char *names[] = { "fifo", "clock", "arc", "opt", in->run_policy };
	uint64_t pts[16], *next_use = NULL;
	size_t max_pts = t->nr_refs <= 2000000 ? 12 : t->nr_refs <= 10000000 ? 7 : 4;
	size_t n = sim_points(loc, pts, max_pts);

	for (size_t p = 0; p < sizeof(names) / sizeof(names[0]); p++) {
		const struct vms_policy_ops *ops = names[p] ? vms_policy_find(names[p]) : NULL;
		struct vms_curve *c;

		if (!ops || listed(loc, ops->name) || loc->nr_policies == VMS_LOCALITY_MAX_POLICIES)
			continue;
		if ((ops->flags & VMS_POLICY_OFFLINE) && !next_use) {
			next_use = vms_tsim_next_use(t);
			if (!next_use)
				return -ENOMEM;
		}
		c = &loc->policies[loc->nr_policies++];
		if (curve_alloc(c, ops->name, n) < 0) {
			free(next_use);
			return -ENOMEM;
		}
		for (size_t i = 0; i < n; i++) {
			struct vms_tsim_cfg cfg = { .who = "vmsandbox: profile", .path = in->trace_path,
						    .frames = pts[i], .seed = in->seed };
			struct vms_tlb_geom none = { 0 };
			struct vms_tsim_result res;

			c->frames[i] = pts[i];
			if (vms_tsim_run_policy(t, &cfg, &none, ops, next_use, &res) < 0) {
				free(next_use);
				return -EIO;
			}
			c->faults[i] = res.st.faults;
		}
	}
	free(next_use);
	return 0;
}

static uint64_t op_time(const struct vms_tsim_trace *t, bool virtual_time, size_t i,
			uint64_t ref_index)
{
	return virtual_time ? ref_index : t->times[i];
}

/*
 * Denning's working set W(t, tau) at the end of each bucket of the pager's
 * timeline, tau = VMS_WSS_WINDOW_BUCKETS buckets: the distinct pages
 * referenced in the last tau.  A page is in W at bucket i when one of its
 * references falls in (i - m, i]: each reference at bucket b covers
 * [b, b + m - 1], and only the part after the page's previous cover is
 * added (a difference array over the buckets), so one pass suffices.
 */
static int working_set(const struct vms_tsim_trace *t, const struct vms_locality_input *in,
		       struct vms_locality *loc)
{
	struct pageset seen;
	uint64_t ref = 0, m;
	int64_t *diff, run = 0;

	loc->bucket = in->bucket;
	loc->nr_buckets = in->nr_buckets;
	loc->wss = calloc(in->nr_buckets ? in->nr_buckets : 1, sizeof(*loc->wss));
	if (!loc->wss)
		return -ENOMEM;
	if (!in->bucket || !in->nr_buckets)
		return 0;
	m = in->nr_buckets / VMS_WSS_WINDOW_DIVISOR;
	loc->wss_window_buckets = m = m ? m : 1;
	diff = calloc(in->nr_buckets + 1, sizeof(*diff));
	if (!diff)
		return -ENOMEM;
	pageset_init(&seen);
	for (size_t i = 0; i < t->nr_ops; i++) {
		const struct vms_tsim_op *o = &t->ops[i];
		uint64_t b, from, to;
		struct vms_pte *e;

		if (o->kind != VMS_TR_REF)
			continue;
		b = op_time(t, in->virtual_time, i, ref++) / in->bucket;
		if (b >= in->nr_buckets)
			b = in->nr_buckets - 1;
		e = pageset_get(&seen, o->pid, o->arg);
		if (!e) {
			pageset_fini(&seen);
			free(diff);
			return -ENOMEM;
		}
		/* The value is 1 + the last bucket the page's cover reaches. */
		from = b;
		if (vms_pte_state(e) != VMS_PTE_NONE && e->payload > from)
			from = e->payload;   /* covered up to payload - 1 */
		to = b + m;   /* exclusive */
		if (to > in->nr_buckets)
			to = in->nr_buckets;
		if (from < to) {
			diff[from]++;
			diff[to]--;
			pageset_set(&seen, o->pid, o->arg, e, to);
		}
	}
	pageset_fini(&seen);
	for (size_t i = 0; i < in->nr_buckets; i++) {
		run += diff[i];
		loc->wss[i] = (uint64_t)run;
	}
	free(diff);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	vms_key_t x = *(const vms_key_t *)a, y = *(const vms_key_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The heatmap's address axis: every page referenced, in (process, address)
 * order, cut into rows of equal page counts, so that a sparse address space
 * shows only what was used.  Time: columns of equal width.
 */
static int heatmap(const struct vms_tsim_trace *t, const struct vms_locality_input *in,
		   struct vms_locality *loc)
{
	struct pageset rank;
	vms_key_t *keys = NULL;
	uint64_t nr = 0, span = 0, ref = 0;
	int r = -ENOMEM;

	pageset_init(&rank);
	keys = malloc((loc->distinct_pages ? loc->distinct_pages : 1) * sizeof(*keys));
	if (!keys)
		goto out;
	for (size_t i = 0; i < t->nr_ops; i++) {
		const struct vms_tsim_op *o = &t->ops[i];
		struct vms_pte *e;

		if (o->kind != VMS_TR_REF)
			continue;
		span = op_time(t, in->virtual_time, i, ref++) + 1;
		e = pageset_get(&rank, o->pid, o->arg);
		if (!e)
			goto out;
		if (vms_pte_state(e) == VMS_PTE_NONE && nr < loc->distinct_pages) {
			pageset_set(&rank, o->pid, o->arg, e, 0);
			keys[nr++] = vms_key(o->pid, o->arg);
		}
	}
	if (!nr) {
		r = 0;
		goto out;
	}
	qsort(keys, nr, sizeof(*keys), cmp_key);
	loc->nr_rows = nr < VMS_HEATMAP_ROWS ? nr : VMS_HEATMAP_ROWS;
	loc->nr_columns = VMS_HEATMAP_COLUMNS;
	loc->column_width = (span + loc->nr_columns - 1) / loc->nr_columns;
	if (!loc->column_width)
		loc->column_width = 1;
	for (uint64_t k = 0; k < nr; k++) {
		uint32_t pid = vms_key_asid(keys[k]);
		vms_vpn_t vpn = vms_key_vpn(keys[k]);
		size_t row = (size_t)(k * loc->nr_rows / nr);
		struct vms_heatmap_row *rw = &loc->rows[row];
		struct vms_pte *e = pageset_get(&rank, pid, vpn);

		if (!e)
			goto out;
		pageset_set(&rank, pid, vpn, e, row);
		if (!rw->pages) {
			rw->pid = pid;
			rw->start_vpn = vpn;
		}
		rw->end_vpn = vpn;
		rw->pages++;
	}
	loc->counts = calloc(loc->nr_rows * loc->nr_columns, sizeof(*loc->counts));
	if (!loc->counts)
		goto out;
	ref = 0;
	for (size_t i = 0; i < t->nr_ops; i++) {
		const struct vms_tsim_op *o = &t->ops[i];
		struct vms_pte *e;
		uint64_t col, *cell;

		if (o->kind != VMS_TR_REF)
			continue;
		col = op_time(t, in->virtual_time, i, ref++) / loc->column_width;
		if (col >= loc->nr_columns)
			col = loc->nr_columns - 1;
		e = pageset_get(&rank, o->pid, o->arg);
		if (!e)
			goto out;
		cell = &loc->counts[e->payload * loc->nr_columns + col];
		if (++*cell > loc->counts_max)
			loc->counts_max = *cell;
	}
	r = 0;
out:
	free(keys);
	pageset_fini(&rank);
	return r;
}

int vms_locality_analyze(const struct vms_locality_input *in, struct vms_locality *loc)
{
	struct vms_tsim_trace t = { .keep_times = !in->virtual_time };
	double t0 = now_s();
	int r;

	memset(loc, 0, sizeof(*loc));
	loc->virtual_time = in->virtual_time;
	loc->budget_frames = in->budget_frames;
	if (vms_tsim_load("vmsandbox: profile", in->trace_path, &t) < 0) {
		snprintf(loc->error, sizeof(loc->error), "the recorded stream %s cannot be read",
			 in->trace_path);
		return -1;
	}
	loc->references = t.nr_refs;
	loc->distinct_pages = vms_tsim_distinct_pages(&t);
	r = lru_curve(&t, loc);
	if (r == 0)
		r = simulate(&t, in, loc);
	if (r == 0)
		r = working_set(&t, in, loc);
	if (r == 0)
		r = heatmap(&t, in, loc);
	vms_tsim_free(&t);
	loc->analysis_s = now_s() - t0;
	if (r < 0) {
		snprintf(loc->error, sizeof(loc->error), "the analysis failed: %s", strerror(-r));
		return -1;
	}
	return 0;
}

void vms_locality_free(struct vms_locality *loc)
{
	curve_free(&loc->lru);
	for (size_t i = 0; i < loc->nr_policies; i++)
		curve_free(&loc->policies[i]);
	loc->nr_policies = 0;
	free(loc->wss);
	free(loc->counts);
	loc->wss = NULL;
	loc->counts = NULL;
}
