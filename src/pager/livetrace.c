/* SPDX-License-Identifier: MIT */
/*
 * --trace: the live pager writes the engine's input as it happens (each
 * reference, each fault-around page, unmap, remap, fork, exit), so that
 * `vmsandbox replay` of the file runs the very same engine over the very
 * same stream (docs/trace-format.md).
 *
 * Each event names its address space by the engine's number for it (pid
 * in the trace: 1 for the program, then in order of arrival), the thread
 * whose fault it served, and its time:
 *  - thread: the faulting thread's kernel id (UFFD_FEATURE_THREAD_ID), or
 *    0 for what no thread asked for at that moment (pages present when the
 *    process arrived, unmap and remap events, fork, exit).  With
 *    --deterministic the kernel ids, which differ from run to run, become
 *    1, 2, 3... in the order each thread of the process first appears;
 *  - time: nanoseconds of monotonic time since the start, or 0 with
 *    --deterministic: a wall clock differs from run to run, and the
 *    event's position in the trace is its virtual time.
 */
#include <errno.h>
#include <stdlib.h>

#include "pager.h"

/* The number of thread tid of p in the order of first appearance (1, 2,
 * ...), 0 for 0 or when out of memory (then "unknown" rather than wrong). */
static uint32_t stable_tid(struct vms_proc *p, uint32_t tid)
{
	if (!tid)
		return 0;
	/* Most events come from the thread of the previous one. */
	for (size_t i = p->nr_trace_tids; i-- > 0;)
		if (p->trace_tids[i] == tid)
			return (uint32_t)i + 1;
	if (p->nr_trace_tids == p->cap_trace_tids) {
		size_t cap = p->cap_trace_tids ? p->cap_trace_tids * 2 : 8;
		uint32_t *t = realloc(p->trace_tids, cap * sizeof(*t));

		if (!t)
			return 0;
		p->trace_tids = t;
		p->cap_trace_tids = cap;
	}
	p->trace_tids[p->nr_trace_tids++] = tid;
	return (uint32_t)p->nr_trace_tids;
}

static uint32_t event_tid(struct vms_pager *pg, const struct vms_trace_event *ev)
{
	struct vms_proc *p = pg->fault_proc;

	if (!p || !p->as || p->as->id != ev->pid || !pg->fault_tid)
		return 0;
	return pg->cfg.deterministic ? stable_tid(p, pg->fault_tid) : pg->fault_tid;
}

void vms_trace_note(struct vms_pager *pg, const struct vms_trace_event *ev)
{
	struct vms_trace_event e = *ev;
	int r;

	if (!pg->trace || pg->trace_err || pg->end_ns)
		return;   /* none, broken, or finished */
	e.tid = event_tid(pg, ev);
	e.time_ns = pg->cfg.deterministic ? 0 : vms_now_ns() - pg->start_ns;
	r = vms_trace_write(pg->trace, &e);
	if (r < 0)
		pg->trace_err = r;
}
