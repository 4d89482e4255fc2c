/* SPDX-License-Identifier: MIT */
/*
 * A process about to fork.  After the fork, parent and child share the
 * parent's resident pages copy-on-write, and the engine counts each such
 * frame once (vms_mm_as_clone_live), as a memory cgroup does.  For that to
 * stay true, the pager must see the first write to a shared page by either
 * process: the kernel copies the page then, silently, and the writer needs
 * a frame of its own in the budget.  So the seccomp filter stops fork and
 * clone without CLONE_VM (clone3 is refused with ENOSYS, which glibc answers
 * by using clone, because seccomp cannot read clone3's flags), and before
 * the kernel copies the address space the pager write-protects every
 * resident page of the parent.  The child inherits the write protection
 * (its VMAs are registered in WP mode through UFFD_EVENT_FORK), so a write
 * by either side is a WP fault, which the engine answers with VMS_REF_COW.
 *
 * What can still slip through: a write by another thread of the parent
 * between its WP fault being answered and the fork (the kernel copies the
 * page without telling us).  The engine then counts one frame for two
 * pages until either is written again or evicted; eviction compares the
 * copies and stores them apart (diverged_copies), so data is never mixed
 * up, only the count is briefly low.
 *
 * The fork waits while the parent has fills the kernel refused (pending
 * fills): the engine counts those pages resident, so the child would map
 * frames whose page the parent does not have yet, and the child's copy
 * would be missing.  It also waits while the parent's previous child is
 * unnamed (no fault, no hello yet): a FORK event does not say which
 * process it created, and two unnamed children of one parent could not be
 * told apart when their agents say hello (proc.c).  A child that stays
 * unnamed for FORK_WAIT_MAX_NS (one that never faults, never starts an
 * agent) does not hold its parent back for longer.
 */
#include <errno.h>
#include <stdlib.h>

#include "filter.h"
#include "pager.h"
#include "uffd.h"

#define FORK_WAIT_MAX_NS 200000000ull

struct vms_fork_wait {
	struct vms_fork_wait *next;
	uint64_t notif_id;
};

struct protect_ctx {
	struct vms_pager *pg;
	struct vms_proc *p;
	vms_vpn_t run_start, run_end;   /* resident pages [start, end) not yet protected */
	uint64_t refused;
};

static void protect_run(struct protect_ctx *c)
{
	int r;

	if (c->run_end == c->run_start)
		return;
	r = vms_uffd_writeprotect(c->p->uffd, (uint64_t)c->run_start * VMS_PAGE,
				  (uint64_t)(c->run_end - c->run_start) * VMS_PAGE, true, false);
	if (r < 0) {
		/* mmap_changing (an event of this process not read yet) or a
		 * range unmapped under us: those pages are not protected, which
		 * costs accounting, never data (see above). */
		vms_pager_classify(c->pg, r);
		c->refused += c->run_end - c->run_start;
	}
	c->run_start = c->run_end;
}

static int protect_visit(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct protect_ctx *c = ctx;

	if (vms_pte_state(pte) != VMS_PTE_RESIDENT)
		return 0;
	if (vpn != c->run_end) {
		protect_run(c);
		c->run_start = vpn;
	}
	c->run_end = vpn + 1;
	return 0;
}

static void prepare_and_continue(struct vms_pager *pg, struct vms_proc *p, uint64_t notif_id)
{
	struct protect_ctx c = { .pg = pg, .p = p };

	/* Pages evicted but not dropped yet would be inherited as copies the
	 * budget does not count: send them to the agent now. */
	vms_drop_flush(pg, p);
	vms_pt_walk(&p->as->pt, 0, VMS_VPN_MAX + 1, protect_visit, &c);
	protect_run(&c);
	pg->st.forks++;
	pg->st.fork_pages_unprotected += c.refused;
	p->forks_unseen++;
	vms_seccomp_continue(pg->seccomp_fd, notif_id);
}

static bool must_wait(struct vms_pager *pg, struct vms_proc *p)
{
	if (p->fills)
		return true;
	/* Soft-unmapped pages come back first: the child must inherit them. */
	if (!vms_park_unpark_all(pg, p))
		return true;
	if (!p->forks_unseen && !vms_proc_has_unnamed_child(pg, p))
		return false;
	if (vms_now_ns() - p->fork_wait_since_ns > FORK_WAIT_MAX_NS) {
		p->forks_unseen = 0;   /* a fork that failed has no event */
		return false;
	}
	pg->uffd_busy = true;   /* nothing may wake the loop: look again soon */
	return true;
}

void vms_fork_stopped(struct vms_pager *pg, struct vms_proc *p, uint64_t notif_id)
{
	struct vms_fork_wait *w;

	if (!p->forks_waiting)
		p->fork_wait_since_ns = vms_now_ns();
	if (!p->forks_waiting && !must_wait(pg, p)) {
		prepare_and_continue(pg, p, notif_id);
		return;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		vms_pager_fatal(pg, -ENOMEM, "out of memory");
		vms_seccomp_continue(pg->seccomp_fd, notif_id);
		return;
	}
	w->notif_id = notif_id;
	w->next = p->forks_waiting;
	p->forks_waiting = w;
}

void vms_fork_retry(struct vms_pager *pg, struct vms_proc *p)
{
	while (p->forks_waiting && !p->gone && !must_wait(pg, p)) {
		struct vms_fork_wait *w = p->forks_waiting;

		p->forks_waiting = w->next;
		prepare_and_continue(pg, p, w->notif_id);
		free(w);
		p->fork_wait_since_ns = vms_now_ns();
	}
}

void vms_fork_forget(struct vms_proc *p)
{
	while (p->forks_waiting) {
		struct vms_fork_wait *w = p->forks_waiting;

		p->forks_waiting = w->next;
		free(w);
	}
}
