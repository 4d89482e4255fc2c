/* SPDX-License-Identifier: MIT */
/*
 * Measuring each window of the run for the thrashing verdict (thrash.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "pager.h"
#include "thrash.h"

/* Shadows kept per frame of the budget: refault distances up to 4x the
 * budget are measured (a working set up to 5x the budget; beyond, the
 * estimate says "more than"), at 20-24 bytes per shadow. */
#define SHADOWS_PER_FRAME 4u
#define MAX_SHADOWS (UINT32_C(1) << 21)

int vms_thrash_start(struct vms_pager *pg)
{
	uint64_t shadows = pg->cfg.frames * SHADOWS_PER_FRAME;
	struct vms_thrash_config cfg = {
		.frames = pg->cfg.frames,
		.max_distance = shadows < MAX_SHADOWS ? shadows : MAX_SHADOWS,
		.window_len = pg->cfg.thrash_window_refs ? pg->cfg.thrash_window_refs
			    : pg->cfg.thrash_window_ns ? pg->cfg.thrash_window_ns
			    : VMS_THRASH_WINDOW_NS,
		.max_windows = VMS_THRASH_MAX_WINDOWS,
		.rule = VMS_THRASH_RULE_DEFAULT,
	};
	struct vms_thrash_monitor *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	r = vms_thrash_new(&cfg, &m->series);
	if (r < 0) {
		free(m);
		return r;
	}
	m->by_refs = pg->cfg.thrash_window_refs != 0;
	m->shadow_capacity = (uint32_t)cfg.max_distance;
	m->win_start_ns = pg->start_ns;
	m->woke_ns = pg->start_ns;
	pg->thrash = m;
	return 0;
}

/* Ends the current window at `end_ns` (and `len` of it, in its unit). */
static void close_window(struct vms_pager *pg, struct vms_thrash_monitor *m, uint64_t end_ns,
			 uint64_t len, bool last)
{
	const struct vms_mm_stats *now = vms_mm_stats(pg->mm);
	struct vms_thrash_sample s = {
		.start_ns = m->win_start_ns - pg->start_ns,
		.dur_ns = end_ns - m->win_start_ns,
		.len = len,
		.refs = now->references,
		.faults = now->faults - m->at_start.faults,
		.swap_ins = now->faults_swapin - m->at_start.faults_swapin,
		.evictions = now->evictions - m->at_start.evictions,
		.resident = vms_mm_frames(pg->mm)->nr_used,
	};

	if (m->stall_from_ns) {
		m->stall_ns += end_ns - m->stall_from_ns;
		m->stall_from_ns = end_ns;   /* still waiting: the next window's */
	}
	s.stall_ns = m->stall_ns;
	vms_thrash_close(m->series, &s, last);
	m->stall_ns = 0;
	m->win_start_ns = end_ns;
	m->win_start_refs = now->references;
	m->at_start = *now;
}

/* Closes the wall-time windows that ended by now_ns. */
static void advance(struct vms_pager *pg, struct vms_thrash_monitor *m, uint64_t now_ns)
{
	if (m->by_refs)
		return;
	for (;;) {
		uint64_t len = vms_thrash_window_len(m->series);

		if (now_ns - m->win_start_ns < len)
			break;
		close_window(pg, m, m->win_start_ns + len, len, false);
	}
}

void vms_thrash_woke(struct vms_pager *pg, uint64_t now_ns)
{
	struct vms_thrash_monitor *m = pg->thrash;

	if (!m)
		return;
	m->woke_ns = now_ns;
	advance(pg, m, now_ns);
}

/*
 * A page came back from swap (or from its same-filled value).  It is a
 * refault if this very mapping had been evicted: a fork child's first touch
 * of a page its parent had in swap is not (the child's entry was never
 * evicted).  Its distance is known if its shadow is still kept.
 */
static void note_refault(struct vms_thrash_monitor *m, struct vms_proc *p, vms_vpn_t vpn)
{
	const struct vms_pte *pte = vms_pt_lookup(&p->as->pt, vpn);
	uint64_t distance = VMS_THRASH_DISTANCE_UNKNOWN;

	if (!pte || !(pte->flags & VMS_PTE_EVER_SWAPPED))
		return;
	if (m->shadow)
		vms_workingset_refault(m->shadow, vms_key(p->as->id, vpn), &distance);
	vms_thrash_refault(m->series, distance);
}

void vms_thrash_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn,
			  const struct vms_ref_result *res)
{
	struct vms_thrash_monitor *m = pg->thrash;

	if (!m)
		return;
	/* The refault first: the eviction this fault made comes after it. */
	if (res->outcome == VMS_REF_FAULT_SWAPIN || res->outcome == VMS_REF_FAULT_SAME)
		note_refault(m, p, vpn);
	if (res->evicted) {
		if (!m->shadow) {
			int r = vms_workingset_new(m->shadow_capacity, &m->shadow);

			if (r < 0) {
				vms_pager_fatal(pg, r, "cannot keep the shadows of evicted pages");
				return;
			}
		}
		vms_workingset_evicted(m->shadow, res->victim);
	}
	if (m->by_refs) {
		uint64_t refs = vms_mm_stats(pg->mm)->references - m->win_start_refs;
		uint64_t len = vms_thrash_window_len(m->series);

		if (refs >= len)
			close_window(pg, m, vms_now_ns(), len, false);
	}
}

void vms_thrash_batch_done(struct vms_pager *pg)
{
	struct vms_thrash_monitor *m = pg->thrash;
	uint64_t now;

	if (!m || !m->stall_from_ns)
		return;
	for (const struct vms_proc *p = pg->procs; p; p = p->next)
		if (!p->gone && (p->nr_queued || p->fills))
			return;   /* still waiting, through the loop's sleep */
	/* The batch may have outlasted its window: the stall is split at the
	 * boundary. */
	now = vms_now_ns();
	advance(pg, m, now);
	m->stall_ns += now - m->stall_from_ns;
	m->stall_from_ns = 0;
}

void vms_thrash_finish(struct vms_pager *pg, uint64_t now_ns)
{
	struct vms_thrash_monitor *m = pg->thrash;
	uint32_t nr;
	uint64_t len;

	if (!m)
		return;
	vms_thrash_woke(pg, now_ns);
	len = m->by_refs ? vms_mm_stats(pg->mm)->references - m->win_start_refs
			 : now_ns - m->win_start_ns;
	/* A window of nothing at all (the run ended on a boundary) is left out. */
	vms_thrash_windows(m->series, &nr);
	if (len || nr == 0)
		close_window(pg, m, now_ns, len, true);
	m->stall_from_ns = 0;
}

void vms_thrash_fini(struct vms_pager *pg)
{
	struct vms_thrash_monitor *m = pg->thrash;

	if (!m)
		return;
	vms_thrash_free(m->series);
	vms_workingset_free(m->shadow);
	free(m);
	pg->thrash = NULL;
}
