/* SPDX-License-Identifier: MIT */
/*
 * The thrashing verdict over a series of windows (thrash.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmsandbox/thrash.h"

struct vms_thrash {
	struct vms_thrash_config cfg;
	struct vms_thrash_window *windows;   /* cfg.max_windows */
	uint32_t nr;
	struct vms_ws_hist window_hist;      /* the open window's refault distances */
	struct vms_thrash_totals all, thrashed;
	struct vms_ws_hist all_hist, thrashed_hist;
	uint32_t streak;                     /* consecutive thrashing windows, up to now */
	uint64_t streak_start_ns;
	bool sustained;
	uint64_t since_ns;
};

int vms_thrash_new(const struct vms_thrash_config *cfg, struct vms_thrash **ret)
{
	struct vms_thrash *t;

	if (cfg->window_len == 0 || cfg->max_windows < 2 || cfg->max_windows % 2 ||
	    cfg->rule.min_windows == 0 || cfg->max_distance == 0 ||
	    cfg->max_distance > (UINT64_C(1) << 28))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->windows = calloc(cfg->max_windows, sizeof(*t->windows));
	if (!t->windows) {
		free(t);
		return -ENOMEM;
	}
	t->cfg = *cfg;
	*ret = t;
	return 0;
}

void vms_thrash_free(struct vms_thrash *t)
{
	if (!t)
		return;
	free(t->windows);
	free(t);
}

void vms_thrash_refault(struct vms_thrash *t, uint64_t distance)
{
	vms_ws_hist_add(&t->window_hist, distance);
}

uint64_t vms_thrash_window_len(const struct vms_thrash *t)
{
	return t->cfg.window_len;
}

const struct vms_thrash_config *vms_thrash_config(const struct vms_thrash *t)
{
	return &t->cfg;
}

bool vms_thrash_window_thrashes(const struct vms_thrash_rule *rule,
				const struct vms_thrash_sample *s, uint64_t refaults)
{
	if (s->dur_ns == 0 || s->faults == 0 || refaults < rule->min_refaults)
		return false;
	return (double)s->stall_ns >= rule->min_stall_fraction * (double)s->dur_ns &&
	       (double)refaults >= rule->min_refault_fraction * (double)s->faults;
}

static void add_totals(struct vms_thrash_totals *to, const struct vms_thrash_sample *s,
		       uint64_t refaults)
{
	to->nr_windows++;
	to->dur_ns += s->dur_ns;
	to->stall_ns += s->stall_ns;
	to->faults += s->faults;
	to->swap_ins += s->swap_ins;
	to->evictions += s->evictions;
	to->refaults += refaults;
}

/* Two neighbours as one window of twice the length.  The working set of
 * the pair is the mean of theirs weighted by refaults (their distances are
 * gone by now). */
static void merge_pair(const struct vms_thrash_config *cfg, const struct vms_thrash_window *a,
		       const struct vms_thrash_window *b, struct vms_thrash_window *out)
{
	struct vms_thrash_window m = *a;

	m.s.dur_ns += b->s.dur_ns;
	m.s.len += b->s.len;
	m.s.refs = b->s.refs;
	m.s.faults += b->s.faults;
	m.s.swap_ins += b->s.swap_ins;
	m.s.evictions += b->s.evictions;
	m.s.stall_ns += b->s.stall_ns;
	m.s.resident = b->s.resident;
	m.refaults += b->refaults;
	m.wss_pages = m.refaults ? (a->wss_pages * a->refaults + b->wss_pages * b->refaults) /
				   m.refaults : 0;
	m.wss_beyond = m.wss_pages > cfg->frames + cfg->max_distance;
	m.thrashing = vms_thrash_window_thrashes(&cfg->rule, &m.s, m.refaults);
	*out = m;
}

static void store(struct vms_thrash *t, const struct vms_thrash_window *w)
{
	if (t->nr == t->cfg.max_windows) {
		for (uint32_t i = 0; i < t->nr / 2; i++)
			merge_pair(&t->cfg, &t->windows[2 * i], &t->windows[2 * i + 1],
				   &t->windows[i]);
		t->nr /= 2;
		t->cfg.window_len *= 2;
	}
	t->windows[t->nr++] = *w;
}

/* The verdict as it stands, updated with one more window. */
static void judge(struct vms_thrash *t, const struct vms_thrash_window *w)
{
	add_totals(&t->all, &w->s, w->refaults);
	vms_ws_hist_merge(&t->all_hist, &t->window_hist);
	if (!w->thrashing) {
		t->streak = 0;
		return;
	}
	add_totals(&t->thrashed, &w->s, w->refaults);
	vms_ws_hist_merge(&t->thrashed_hist, &t->window_hist);
	if (t->streak++ == 0)
		t->streak_start_ns = w->s.start_ns;
	if (t->streak >= t->cfg.rule.min_windows && !t->sustained) {
		t->sustained = true;
		t->since_ns = t->streak_start_ns;
	}
}

/* The budget plus the median refault distance; *ret_beyond when that
 * median is one of the refaults too distant to be measured (they are in
 * the histogram's last bucket, far above any max_distance), and the
 * estimate then the least it can be. */
static uint64_t wss_estimate(const struct vms_thrash_config *cfg, const struct vms_ws_hist *h,
			     bool *ret_beyond)
{
	uint64_t median = vms_ws_hist_quantile(h, 0.5);

	*ret_beyond = median > cfg->max_distance;
	if (*ret_beyond)
		median = cfg->max_distance + 1;
	return h->total ? cfg->frames + median : 0;
}

void vms_thrash_close(struct vms_thrash *t, const struct vms_thrash_sample *s, bool last)
{
	struct vms_thrash_window w = { .s = *s };
	bool counted = s->len * 2 >= t->cfg.window_len || (last && t->all.nr_windows == 0);

	w.refaults = t->window_hist.total;
	w.wss_pages = wss_estimate(&t->cfg, &t->window_hist, &w.wss_beyond);
	w.thrashing = vms_thrash_window_thrashes(&t->cfg.rule, s, w.refaults);
	if (counted)
		judge(t, &w);
	store(t, &w);
	if (t->window_hist.total)
		vms_ws_hist_reset(&t->window_hist);
}

const struct vms_thrash_window *vms_thrash_windows(const struct vms_thrash *t, uint32_t *ret_nr)
{
	*ret_nr = t->nr;
	return t->windows;
}

void vms_thrash_get_verdict(const struct vms_thrash *t, struct vms_thrash_verdict *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->all = t->all;
	ret->all.wss_pages = wss_estimate(&t->cfg, &t->all_hist, &ret->all.wss_beyond);
	ret->thrashed = t->thrashed;
	ret->thrashed.wss_pages = wss_estimate(&t->cfg, &t->thrashed_hist,
					       &ret->thrashed.wss_beyond);
	if (t->sustained) {
		ret->thrashing = true;
		ret->since_ns = t->since_ns;
	} else if (t->streak && 2 * (uint64_t)t->streak >= t->all.nr_windows) {
		/* Thrashing when the run ended, for half of it or more. */
		ret->thrashing = true;
		ret->since_ns = t->streak_start_ns;
	}
}
