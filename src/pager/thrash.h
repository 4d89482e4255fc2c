/* SPDX-License-Identifier: MIT */
/*
 * The live side of the thrashing verdict (include/vmsandbox/thrash.h):
 * what the pager measures for each window of the run.
 *
 * Windows are 100 ms of wall time by default, or a number of the engine's
 * references (--thrash-window 20000refs: virtual time, so that the windows
 * and their counts follow the reference stream the engine saw, not the
 * machine's speed).  Per window: faults, swap-ins and evictions (the
 * engine's counters), refaults and their distances (a shadow of the
 * recent evictions, include/vmsandbox/workingset.h), resident frames, and
 * the stall: the wall time during which at least one thread of the tree
 * waited on a fault, as PSI's "some" counts memory stalls.
 *
 * A fault is counted as waited on from the moment the loop woke up with it
 * pending to the end of the batch that served it, and through the loop's
 * sleep while a fault stays queued (for an agent's reply, an event).  The
 * kernel's side of a fault (the thread entering the fault, the wakeups
 * both ways) is not seen by the pager, so the stall is a lower bound:
 * docs/thrashing.md has the measurements.
 */
#ifndef VMSANDBOX_PAGER_THRASH_H
#define VMSANDBOX_PAGER_THRASH_H

#include <stdbool.h>
#include <stdint.h>

#include "vmsandbox/mm.h"
#include "vmsandbox/thrash.h"
#include "vmsandbox/workingset.h"

#define VMS_THRASH_WINDOW_NS 100000000u   /* the default window: 100 ms */
#define VMS_THRASH_MAX_WINDOWS 1000u      /* then neighbours merge, the window doubles */

struct vms_pager;
struct vms_proc;

struct vms_thrash_monitor {
	struct vms_thrash *series;
	struct vms_workingset *shadow;   /* created at the first eviction */
	uint32_t shadow_capacity;        /* evictions it remembers */
	bool by_refs;                    /* windows of references, not of wall time */
	uint64_t win_start_ns;           /* CLOCK_MONOTONIC */
	uint64_t win_start_refs;
	struct vms_mm_stats at_start;    /* the engine's counters when the window began */
	uint64_t stall_ns;               /* this window's, up to stall_from_ns */
	uint64_t stall_from_ns;          /* a fault has been pending since; 0: none */
	uint64_t woke_ns;                /* when the loop woke for the batch it handles */
};

/* At the program's start (pg->start_ns set): 0 or -errno. */
int vms_thrash_start(struct vms_pager *pg);
/* The loop woke up with events to handle: closes the windows that ended. */
void vms_thrash_woke(struct vms_pager *pg, uint64_t now_ns);

/* A page-fault message was read: a thread waits (since the loop woke, or
 * since the window began if one began in the batch). */
static inline void vms_thrash_fault_seen(struct vms_thrash_monitor *m)
{
	if (m && !m->stall_from_ns)
		m->stall_from_ns = m->woke_ns > m->win_start_ns ? m->woke_ns : m->win_start_ns;
}

/* After every reference the engine accepted: evictions and refaults. */
void vms_thrash_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn,
			  const struct vms_ref_result *res);
/* The end of a batch: if no fault is left waiting, the stall ends. */
void vms_thrash_batch_done(struct vms_pager *pg);
/* The program has ended: the last window. */
void vms_thrash_finish(struct vms_pager *pg, uint64_t now_ns);
void vms_thrash_fini(struct vms_pager *pg);

#endif
