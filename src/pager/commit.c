/* SPDX-License-Identifier: MIT */
/*
 * Commit accounting for --overcommit (docs/oom.md): the kernel's
 * vm.overcommit_memory, applied to the sandboxed tree.  The rules are the
 * core's (vms_commit_allows); this file measures what the tree has
 * committed and answers the stopped system call with the kernel's error
 * when the rules refuse.
 *
 * What is committed is what the kernel charges: private writable mappings
 * (anonymous or file-backed: a private file mapping's written pages are
 * anonymous memory).  Rather than mirror the kernel's VMA bookkeeping
 * (mmap, brk, mprotect, mremap, munmap, fork, exec all change it) the
 * pager reads it back from /proc/PID/maps when a decision needs it: a
 * process's figure is re-read when it asks for more and after any of its
 * calls that may have changed it.  Only --overcommit never needs the
 * total; the heuristic mode looks at the size of one request only, and
 * always at nothing, so the maps are read in never mode only (and once
 * per process for an OOM report).
 *
 * Differences from the kernel, all small and on the side of charging less:
 * a mapping made writable once and then read-only stays charged in the
 * kernel (VM_ACCOUNT), here it is not; shared anonymous memory (shmem) is
 * not counted.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "pager.h"
#include "procmem.h"

#define PAGE_UP(x) (((x) + VMS_PAGE - 1) & ~(uint64_t)(VMS_PAGE - 1))

struct scan {
	const struct vms_proc *p;
	uint64_t committed;          /* bytes of private writable mappings */
	uint64_t lo, hi;             /* a range of interest, [lo, hi) */
	uint64_t writable_in_range;  /* committed bytes inside it */
	uint64_t readonly_in_range;  /* private, not writable, inside it */
	bool range_writable;         /* lo falls in a private writable mapping */
};

static bool agent_area(const struct vms_proc *p, uint64_t addr)
{
	return vms_stash_contains(p, addr) ||
	       (p->park_addr && addr >= p->park_addr &&
		addr < p->park_addr + p->park_pages * VMS_PAGE);
}

static int scan_map(void *ctx, const struct vms_map *m)
{
	struct scan *s = ctx;
	bool priv = m->perms[3] == 'p', writable = m->perms[1] == 'w';
	uint64_t lo = m->start > s->lo ? m->start : s->lo;
	uint64_t hi = m->end < s->hi ? m->end : s->hi;

	if (!priv || agent_area(s->p, m->start))
		return 0;
	if (writable)
		s->committed += m->end - m->start;
	if (lo < hi) {
		if (writable)
			s->writable_in_range += hi - lo;
		else
			s->readonly_in_range += hi - lo;
	}
	if (writable && s->lo >= m->start && s->lo < m->end)
		s->range_writable = true;
	return 0;
}

static int scan(const struct vms_proc *p, uint64_t lo, uint64_t hi, struct scan *s)
{
	*s = (struct scan){ .p = p, .lo = lo, .hi = hi };
	return vms_procmem_for_each_map(p->pid, scan_map, s);
}

int vms_commit_refresh(struct vms_proc *p)
{
	struct scan s;
	int r;

	if (p->commit.known)
		return 0;
	r = scan(p, 0, 0, &s);
	if (r < 0)
		return r;
	p->commit.pages = s.committed / VMS_PAGE;
	p->commit.known = true;
	return 0;
}

/* The tree's total, re-reading the processes whose figure may be stale
 * (except `skip`, whose figure the caller has just computed). */
static uint64_t tree_committed(struct vms_pager *pg, const struct vms_proc *skip)
{
	uint64_t total = 0;

	for (struct vms_proc *q = pg->procs; q; q = q->next) {
		if (q == skip || q->gone || q->pid <= 0)
			continue;
		if (vms_commit_refresh(q) < 0)
			continue;   /* exited meanwhile: it holds nothing */
		total += q->commit.pages + q->commit.inflight;
	}
	return total;
}

/*
 * How many pages the stopped call would commit, with what it would release
 * first (a MAP_FIXED mmap replaces what was there).  -1: not a charging call.
 */
static int64_t request_pages(const struct vms_pager *pg, const struct vms_proc *p, int nr,
			     const uint64_t *args, const struct scan *s)
{
	switch (nr) {
	case SYS_mmap:
		if (!(args[2] & PROT_WRITE))
			return -1;
		/* The kernel honours MAP_NORESERVE except in never mode. */
		if ((args[3] & MAP_NORESERVE) && pg->oom.rules.mode != VMS_OVERCOMMIT_NEVER)
			return -1;
		return (int64_t)(PAGE_UP(args[1]) / VMS_PAGE);
	case SYS_brk:
		if (!p->commit.brk_cur || args[0] <= p->commit.brk_cur)
			return -1;
		return (int64_t)((PAGE_UP(args[0]) - PAGE_UP(p->commit.brk_cur)) / VMS_PAGE);
	case SYS_mremap:
		/* Growing a charged mapping charges the difference. */
		if (args[2] <= args[1] || !s || !s->range_writable)
			return -1;
		return (int64_t)((PAGE_UP(args[2]) - PAGE_UP(args[1])) / VMS_PAGE);
	case SYS_mprotect:
		/* Making private memory writable charges what was not. */
		if (!(args[2] & PROT_WRITE) || !s)
			return -1;
		return (int64_t)(s->readonly_in_range / VMS_PAGE);
	default:
		return -1;
	}
}

bool vms_commit_refuses(struct vms_pager *pg, struct vms_proc *p, int nr, const uint64_t *args,
			uint64_t *ret_pages)
{
	const bool never = pg->oom.rules.mode == VMS_OVERCOMMIT_NEVER;
	struct scan s, *sp = NULL;
	uint64_t committed = 0, released = 0;
	int64_t pages;

	*ret_pages = 0;
	if (pg->oom.rules.mode == VMS_OVERCOMMIT_ALWAYS)
		return false;
	if (never) {
		uint64_t lo = args[0] & ~(uint64_t)(VMS_PAGE - 1);
		uint64_t len = nr == SYS_brk ? 0 : PAGE_UP(args[1]);

		if (scan(p, lo, lo + len, &s) == 0) {
			sp = &s;
			p->commit.pages = s.committed / VMS_PAGE;
			p->commit.known = true;
			if (nr == SYS_mmap && (args[3] & MAP_FIXED))
				released = s.writable_in_range / VMS_PAGE;
		}
	}
	pages = request_pages(pg, p, nr, args, sp);
	if (pages <= 0)
		return false;
	if (never) {
		committed = tree_committed(pg, p) + p->commit.pages + p->commit.inflight;
		committed = committed > released ? committed - released : 0;
	}
	if (vms_commit_allows(&pg->oom.rules, committed, (uint64_t)pages)) {
		*ret_pages = (uint64_t)pages;
		return false;
	}
	pg->oom.refusals++;
	pg->oom.refused_pages += (uint64_t)pages;
	if (!pg->oom.first_refusal.pid) {
		pg->oom.first_refusal.pid = p->pid;
		pg->oom.first_refusal.nr = nr;
		pg->oom.first_refusal.pages = (uint64_t)pages;
		pg->oom.first_refusal.committed_pages = committed;
		snprintf(pg->oom.first_refusal.comm, sizeof(pg->oom.first_refusal.comm), "%s", p->comm);
	}
	return true;
}

void vms_commit_changed(struct vms_proc *p)
{
	p->commit.known = false;
}

bool vms_commit_refuses_fork(struct vms_pager *pg, struct vms_proc *p)
{
	uint64_t total;

	if (pg->oom.rules.mode != VMS_OVERCOMMIT_NEVER)
		return false;
	/* The child starts with a copy of every charged mapping (dup_mmap). */
	vms_commit_changed(p);
	total = tree_committed(pg, NULL);
	if (vms_commit_allows(&pg->oom.rules, total, p->commit.pages))
		return false;
	pg->oom.refusals++;
	return true;
}
