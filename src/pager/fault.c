/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd messages: page faults (MISSING: the page is not in the
 * process; WP: a write to a page we mapped write-protected, i.e. a clean page
 * becoming dirty) and the events that change the address space (munmap,
 * mremap, MADV_DONTNEED, fork).
 *
 * Ordering: the kernel refuses fills with EAGAIN while an event is queued
 * and not read (mmap_changing), and the backend answers EAGAIN when the
 * victim's stash is full until its agent empties it.  Either way the fault
 * is queued and retried after the loop has read events and agent replies;
 * nothing here ever waits, because the thing waited for arrives through the
 * same loop.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "attrib.h"
#include "pager.h"
#include "profile.h"
#include "procmem.h"
#include "thrash.h"
#include "sites.h"
#include "uffd.h"

static uint64_t page_addr(vms_vpn_t vpn)
{
	return (uint64_t)vpn * VMS_PAGE;
}

/* The engine calls that change an address space, recorded for --trace. */
static void unmap_pages(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, uint64_t nr)
{
	struct vms_trace_event ev = { .kind = VMS_TR_UNMAP, .pid = p->as->id, .vpn = vpn,
				      .nr_pages = nr };

	vms_mm_unmap(pg->mm, p->as, vpn, nr);
	vms_trace_note(pg, &ev);
}

static int populate_page(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn)
{
	int r = vms_mm_populate(pg->mm, p->as, vpn);

	if (r == 1) {
		struct vms_trace_event ev = { .kind = VMS_TR_POPULATE, .pid = p->as->id,
					      .vpn = vpn, .nr_pages = 1 };

		vms_trace_note(pg, &ev);
	}
	return r;
}

int vms_fault_queue(struct vms_proc *p, uint64_t addr, uint32_t flags, uint32_t tid)
{
	if (p->nr_queued == p->cap_queued) {
		size_t cap = p->cap_queued ? p->cap_queued * 2 : 64;
		struct vms_queued_fault *q = realloc(p->queue, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		p->queue = q;
		p->cap_queued = cap;
	}
	p->queue[p->nr_queued++] = (struct vms_queued_fault){ .addr = addr, .flags = flags,
							       .tid = tid };
	return 0;
}

static struct vms_pending_fill *find_fill(struct vms_proc *p, vms_vpn_t vpn)
{
	for (struct vms_pending_fill *f = p->fills; f; f = f->next)
		if (f->vpn == vpn)
			return f;
	return NULL;
}

bool vms_fill_pending(struct vms_proc *p, vms_vpn_t vpn)
{
	return find_fill(p, vpn) != NULL;
}

static int defer_fill(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, const void *data,
		      bool wp)
{
	struct vms_pending_fill *f = malloc(sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->vpn = vpn;
	f->wp = wp;
	f->agent_work = vms_hold_fault_has_work(pg, p);
	f->zero = data == NULL;
	if (data)
		memcpy(f->data, data, VMS_PAGE);
	f->next = p->fills;
	p->fills = f;
	return 0;
}

/*
 * Puts [lo, hi) into the process: zeros (data NULL) or the bytes of one page
 * (then hi == lo + 1).  Returns pages done; *ret_err is the error that
 * stopped it (0 when all were done).
 */
static uint64_t fill_range(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t lo, vms_vpn_t hi,
			   const void *data, bool write, bool wp, int *ret_err)
{
	uint64_t len = (hi - lo) * VMS_PAGE, done = 0;
	/* The fault gave this process's agent work: its threads sleep on
	 * until the agent has done it (hold.c). */
	bool hold = vms_hold_needed(pg, p);
	uint64_t copy_mode = hold ? UFFDIO_COPY_MODE_DONTWAKE : 0;
	int r;

	if (data)
		r = vms_uffd_copy(p->uffd, page_addr(lo), data, len,
				  copy_mode | (wp ? UFFDIO_COPY_MODE_WP : 0), &done);
	else if (write)
		/* A write would take a second fault on the zero page; copying
		 * zeros maps writable pages at once. */
		r = vms_uffd_copy(p->uffd, page_addr(lo), pg->zeros, len, copy_mode, &done);
	else
		r = vms_uffd_zeropage(p->uffd, page_addr(lo), len,
				      hold ? UFFDIO_ZEROPAGE_MODE_DONTWAKE : 0, &done);
	if (hold && done)
		vms_hold_add(pg, p, page_addr(lo), done);
	*ret_err = r < 0 ? r : 0;
	return done / VMS_PAGE;
}

/*
 * What to do when the faulting page could not be filled.  The engine
 * already counts it resident.
 */
static int fill_failed(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, const void *data,
		       bool wp, int err)
{
	switch (vms_pager_classify(pg, err)) {
	case VMS_UFFD_RETRY:
		pg->st.fault_retries++;
		return defer_fill(pg, p, vpn, data, wp);
	case VMS_UFFD_EXISTS:
		/* Present already: nothing to put there. */
		vms_hold_wake(pg, p, page_addr(vpn), VMS_PAGE);
		return 0;
	case VMS_UFFD_HOLE:
		/* Unmapped under us; the event follows.  The page is gone; its
		 * threads fault again (and get what the program's munmap
		 * means). */
		unmap_pages(pg, p, vpn, 1);
		vms_uffd_wake(p->uffd, page_addr(vpn), VMS_PAGE);
		return 0;
	case VMS_UFFD_GONE:
		p->gone = true;
		return 0;
	default:
		vms_pager_fatal(pg, err, "cannot fill page 0x%llx of process %d (%s)",
				(unsigned long long)page_addr(vpn), (int)p->pid, p->comm);
		return err;
	}
}

/* Zero fill with fault-around: the aligned block of VMS_FAULT_AROUND_PAGES
 * around vpn, as far as its pages were never touched and frames are free. */
static int fill_zero(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
		     bool around)
{
	vms_vpn_t lo = vpn, hi = vpn + 1, v;
	vms_vpn_t block = vpn & ~(vms_vpn_t)(VMS_FAULT_AROUND_PAGES - 1);
	uint64_t done;
	int err;

	if (around) {
		for (v = vpn + 1; v < block + VMS_FAULT_AROUND_PAGES; v++) {
			if (find_fill(p, v) || vms_drop_pending(p, page_addr(v)) ||
			    vms_park_inflight(p, page_addr(v)) || populate_page(pg, p, v) != 1)
				break;
			hi = v + 1;
		}
		for (v = vpn; v-- > block;) {
			if (find_fill(p, v) || vms_drop_pending(p, page_addr(v)) ||
			    vms_park_inflight(p, page_addr(v)) || populate_page(pg, p, v) != 1)
				break;
			lo = v;
		}
	}
	done = fill_range(pg, p, lo, hi, NULL, write, false, &err);
	if (err == 0)
		return 0;
	/* Give back the neighbours that were not filled (they were never
	 * touched, so "not there" is exactly their old state). */
	for (v = lo + done; v < hi; v++)
		if (v != vpn)
			unmap_pages(pg, p, v, 1);
	if (vpn < lo + done)
		return 0;
	if (hi - lo > 1) {
		/* The block crossed the end of the mapping, or a neighbour was
		 * present already (a fork child's inherited copy): the page
		 * alone decides. */
		if (fill_range(pg, p, vpn, vpn + 1, NULL, write, false, &err) == 1)
			return 0;
	}
	return fill_failed(pg, p, vpn, NULL, false, err);
}

static int fill_page(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, const void *data,
		     bool wp)
{
	int err;

	if (fill_range(pg, p, vpn, vpn + 1, data, true, wp, &err) == 1)
		return 0;
	return fill_failed(pg, p, vpn, data, wp, err);
}

static void fill_value(uint8_t *page, uint64_t value)
{
	for (size_t i = 0; i < VMS_PAGE; i += sizeof(value))
		memcpy(page + i, &value, sizeof(value));
}

/* The bytes of page vpn of q, if q has them: a fill waiting to be retried,
 * or the page itself (reading a missing page of registered memory through
 * /proc/PID/mem fails with EIO rather than faulting). */
static bool bytes_of(struct vms_pager *pg, struct vms_proc *q, vms_vpn_t vpn, uint8_t *buf)
{
	struct vms_pending_fill *f;

	if (q->gone || q->pid <= 0 || vms_drop_pending(q, page_addr(vpn)))
		return false;
	f = find_fill(q, vpn);
	if (f) {
		if (f->zero)
			memset(buf, 0, VMS_PAGE);
		else
			memcpy(buf, f->data, VMS_PAGE);
		return true;
	}
	(void)pg;
	return vms_proc_read_page(q, page_addr(vpn), buf) == 0;
}

/*
 * A missing page whose engine entry maps a frame shared since a fork: the
 * process never got its copy, because the page came into the parent while
 * the fork was under way (a fill the kernel refused during the fork and
 * retried after, or served just before the FORK event was read).  Its
 * bytes are those of the frame: copied from a process that has them,
 * write-protected, since the frame is still shared.
 */
static int fill_from_sharer(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn)
{
	const struct vms_pte *pte = vms_pt_lookup(&p->as->pt, vpn);
	const struct vms_frame *fr = &vms_mm_frames(pg->mm)->frames[pte->payload];
	struct vms_proc *q = fr->as->owner;

	if (fr->as != p->as && bytes_of(pg, q, fr->vpn, pg->page))
		return fill_page(pg, p, vpn, pg->page, true);
	for (const struct vms_frame_map *m = fr->more; m; m = m->next) {
		q = m->as->owner;
		if (m->as != p->as && bytes_of(pg, q, m->vpn, pg->page))
			return fill_page(pg, p, vpn, pg->page, true);
	}
	return -EAGAIN;   /* nobody has it yet: retried after the next events */
}

/*
 * A full batch of drops that cannot go yet (the agent is behind) would make
 * an eviction refuse its victim, which goes back to the policy as a page
 * just used: the run would no longer be the reference stream the trace
 * records.  The fault waits for the agent instead.
 */
static bool drops_blocked(struct vms_pager *pg, struct vms_proc *p)
{
	if (p->drop_next.nr < VMS_AGENT_MAX_DROP || p->sock < 0)
		return false;
	vms_drop_flush(pg, p);
	return p->drop_next.nr == VMS_AGENT_MAX_DROP;
}

/*
 * One reference through the engine.  A victim refused because its process
 * cannot drop pages yet (a fork child before its agent) went back to the
 * young end of the policy's order, so asking again chooses another.
 */
static int reference(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
		     struct vms_ref_result *res)
{
	int r;

	if (drops_blocked(pg, p))
		return -EAGAIN;
	for (int tries = 0;; tries++) {
		pg->refused_agentless = false;
		memset(res, 0, sizeof(*res));
		r = vms_mm_ref(pg->mm, p->as, vpn, write, VMS_TIME_NEVER, res);
		if (r == 0) {
			vms_park_after_ref(pg, p, vpn, write, res);
			vms_thrash_after_ref(pg, p, vpn, res);
			vms_profile_after_ref(pg, res);
			vms_attrib_after_ref(pg, p, vpn, write, res);
		} else {
			vms_park_tlb_displaced(pg, res);
		}
		/* No free frame, and no room in swap for a victim: the OOM
		 * killer frees memory and the fault waits (oom.c). */
		if (r == -ENOSPC)
			return vms_oom(pg, p, page_addr(vpn));
		if (r != -EAGAIN || !pg->refused_agentless || tries == 64)
			return r;
	}
}

/*
 * A write to a page mapped write-protected.  Usually a clean page (swapped
 * in by a read) becoming dirty.  If the engine does not count the page
 * resident, the page is a copy whose bytes the engine has in swap: evicted
 * but not dropped yet (its writer waits for the drop and the refault), or
 * inherited by a fork child, or left behind at the old address of an
 * mremap.  A write-protected page cannot have changed since its bytes were
 * stored, so outside a pending drop it is simply taken back: the engine
 * counts it resident and dirty, and it is not filled again.
 */
static int handle_fault(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, uint32_t flags);

static int write_protect_fault(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn)
{
	struct vms_pte *pte = vms_pt_lookup(&p->as->pt, vpn);
	struct vms_ref_result res;
	bool hold;
	int r;

	pg->st.wp_faults++;
	if (vms_drop_pending(p, page_addr(vpn))) {
		if (p->sock >= 0)
			return vms_drop_wait_write(p, page_addr(vpn));   /* woken when dropped */
		/* A fork child before its agent: the drop would wait for an
		 * agent that may wait for this write.  The page (write-
		 * protected since its bytes were stored) is taken back. */
		vms_drop_cancel(p, page_addr(vpn));
		return handle_fault(pg, p, page_addr(vpn), UFFD_PAGEFAULT_FLAG_WRITE);
	}
	if (!pte || vms_pte_state(pte) != VMS_PTE_RESIDENT) {
		/* The fault may be older than the drop that has removed the
		 * page since (the agent's reply and the uffd are read in no
		 * particular order): only a page still there is taken back. */
		r = vms_procmem_page_present(p->pid, &p->pagemap_fd, page_addr(vpn));
		if (r == 0)
			return handle_fault(pg, p, page_addr(vpn), UFFD_PAGEFAULT_FLAG_WRITE);
		if (r < 0)
			return vms_uffd_wake(p->uffd, page_addr(vpn), VMS_PAGE) < 0 ? 0 : 0;
	}
	pg->ref_kind = VMS_REFK_WP;
	r = reference(pg, p, vpn, true, &res);
	if (r < 0)
		return r;
	pg->st.wp_writes++;
	hold = vms_hold_needed(pg, p);
	r = vms_uffd_writeprotect(p->uffd, page_addr(vpn), VMS_PAGE, false, hold);
	if (r < 0 && vms_pager_classify(pg, r) == VMS_UFFD_RETRY)
		return -EAGAIN;
	if (r == 0 && hold)
		vms_hold_add(pg, p, page_addr(vpn), VMS_PAGE);
	return 0;
}

/*
 * A touch of a soft-unmapped (parked) page: one reference (a hit, which
 * sets the reference bit or tells an LRU-like policy), and the page back
 * from its slot, write-protected if clean with a valid swap copy, as a
 * swap-in would be.  Returns 1 if the page is not parked.
 */
static int soft_fault(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, vms_frame_t f,
		      bool write)
{
	enum vms_park_reason why = VMS_PARK_FOR_REF;
	struct vms_ref_result res;
	const struct vms_pte *bits;
	uint64_t t0 = vms_now_ns();
	bool wp;
	int r;

	if (drops_blocked(pg, p))
		return -EAGAIN;
	r = vms_park_claim(pg, p, vpn, f, pg->page, &why);
	if (r <= 0)
		return r == 0 ? 1 : r;
	pg->ref_kind = VMS_REFK_SOFT;
	r = reference(pg, p, vpn, write, &res);
	if (r < 0) {
		vms_pager_fatal(pg, r, "cannot account soft fault of page 0x%llx of process %d (%s)",
				(unsigned long long)page_addr(vpn), (int)p->pid, p->comm);
		return r;
	}
	bits = vms_mm_frames(pg->mm)->frames[res.frame].pte;
	wp = !write && !(bits->flags & VMS_PTE_DIRTY) && (bits->flags & VMS_PTE_SWAPCACHE);
	pg->st.soft_faults[why]++;
	r = fill_page(pg, p, vpn, pg->page, wp);
	pg->st.soft_fault_ns += vms_now_ns() - t0;
	return r;
}

/*
 * A missing fault on a page that is in the process by the time we read it:
 * another thread's fault on the same page, or fault-around, served it, or
 * the thread was woken before its page came (a signal, or a wake meant for
 * others) and faulted again.  The same page coming back again and again
 * means the page table and the process disagree: stop rather than spin.
 */
static int already_served(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn)
{
	pg->st.spurious_faults++;
	if (p->last_hit_addr == page_addr(vpn) && ++p->nr_same_hits > 1000) {
		/* Threads spinning on one page (a barrier in .bss) that the
		 * clock hand soft-unmaps again and again send message after
		 * message for it, each cycle one soft fault and the rest
		 * already served: not a loop as long as the page really is in
		 * the process.  (This stopped threads_pattern under wsclock 3
		 * times in 38 runs on a machine with load 8.) */
		const struct vms_pte *pte = vms_pt_lookup(&p->as->pt, vpn);
		vms_frame_t f = pte ? (vms_frame_t)pte->payload : 0;
		const struct vms_park_rec *rec = pg->park && pte ? &pg->park[f] : NULL;
		int present = vms_procmem_page_present(p->pid, &p->pagemap_fd, page_addr(vpn));

		if (present == 1) {
			p->nr_same_hits = 0;
			vms_hold_wake(pg, p, page_addr(vpn), VMS_PAGE);
			return 0;
		}

		vms_pager_fatal(pg, -EIO, "page 0x%llx of process %d (%s) is resident in "
				"the page table but missing in the process (frame %u, pte flags "
				"0x%x, park state %d gen %u, present per pagemap %d, drop pending "
				"%d, fill pending %d, holds %zu)",
				(unsigned long long)page_addr(vpn), (int)p->pid, p->comm, (unsigned)f,
				pte ? (unsigned)pte->flags : 0u, rec ? rec->state : -1,
				rec ? rec->gen : 0u, present, vms_drop_pending(p, page_addr(vpn)),
				vms_fill_pending(p, vpn), p->nr_holds);
		return -EIO;
	}
	if (p->last_hit_addr != page_addr(vpn)) {
		p->last_hit_addr = page_addr(vpn);
		p->nr_same_hits = 0;
	}
	vms_hold_wake(pg, p, page_addr(vpn), VMS_PAGE);
	return 0;
}

/* Returns 0 when handled, -EAGAIN to be queued and retried, or a fatal error. */
static int handle_fault(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, uint32_t flags)
{
	vms_vpn_t vpn = addr / VMS_PAGE;
	bool write = (flags & UFFD_PAGEFAULT_FLAG_WRITE) != 0;
	struct vms_ref_result res;
	int r;

	if (p->gone || !p->as)
		return 0;
	if (vms_stash_contains(p, addr)) {
		vms_uffd_wake(p->uffd, addr & ~(uint64_t)(VMS_PAGE - 1), VMS_PAGE);
		return 0;
	}
	if (flags & UFFD_PAGEFAULT_FLAG_WP)
		return write_protect_fault(pg, p, vpn);
	if (find_fill(p, vpn))
		return 0;   /* its fill is pending and will wake every waiter */
	/* An agent is about to drop whatever is at this address (an eviction
	 * before the range was discarded and touched again): filling it now
	 * would have the new page dropped.  Wait for the agent's reply. */
	if (vms_drop_pending(p, addr & ~(uint64_t)(VMS_PAGE - 1)) ||
	    vms_park_inflight(p, addr & ~(uint64_t)(VMS_PAGE - 1)))
		return -EAGAIN;
	/* Dirty-bit emulation costs a second fault for every page read in and
	 * then written.  When most clean swap-ins are written soon after (a
	 * refcounting interpreter writes whatever it reads), it costs more than
	 * the clean drops it saves: swap-ins are then mapped writable and
	 * counted dirty at once, as a kernel without a dirty bit would. */
	if (!write && pg->st.swapins_clean >= 4096 &&
	    pg->st.wp_writes * 4 > pg->st.swapins_clean * 3)
		write = true;
	if (!(flags & VMS_QF_ADOPT)) {
		/* A missing page the engine counts resident: its frame is
		 * shared since a fork, or the page is soft-unmapped. */
		const struct vms_pte *pte = vms_pt_lookup(&p->as->pt, vpn);

		if (pte && vms_pte_state(pte) == VMS_PTE_RESIDENT) {
			vms_frame_t f = (vms_frame_t)pte->payload;

			if (vms_frame_shared(vms_mm_frames(pg->mm), f))
				return fill_from_sharer(pg, p, vpn);
			r = soft_fault(pg, p, vpn, f, write);
			if (r <= 0)
				return r;
			/* Neither shared nor parked: in the process already.
			 * Another thread's touch an MMU would mark accessed,
			 * which the engine is told (a hit) unless the run must
			 * be deterministic: whether the message comes at all
			 * depends on timing, and for a single thread it is the
			 * same touch faulting twice. */
			if (pg->cfg.deterministic)
				return already_served(pg, p, vpn);
		}
	}
	pg->ref_kind = flags & VMS_QF_ADOPT ? VMS_REFK_ADOPT : VMS_REFK_MISSING;
	r = reference(pg, p, vpn, write || (flags & VMS_QF_ADOPT), &res);
	if (r < 0) {
		if (r == -EAGAIN)
			return r;
		vms_pager_fatal(pg, r, "cannot make room for page 0x%llx of process %d (%s)",
				(unsigned long long)addr, (int)p->pid, p->comm);
		return r;
	}
	if (flags & VMS_QF_ADOPT)
		return 0;   /* present already */
	switch (res.outcome) {
	case VMS_REF_COW:   /* not for a missing page: treated as served */
	case VMS_REF_HIT:
		return already_served(pg, p, vpn);
	case VMS_REF_FAULT_ZERO:
		return fill_zero(pg, p, vpn, write, pg->fault_around);
	case VMS_REF_FAULT_SAME:
		if (res.value == 0)
			return fill_zero(pg, p, vpn, write, false);
		fill_value(pg->page, res.value);
		return fill_page(pg, p, vpn, pg->page, false);
	case VMS_REF_FAULT_SWAPIN:
		r = vms_swap_get(vms_mm_swap(pg->mm), res.slot, pg->page);
		if (r < 0) {
			vms_pager_fatal(pg, r, "swap slot %llu of page 0x%llx (process %d) cannot "
					"be read back", (unsigned long long)res.slot,
					(unsigned long long)addr, (int)p->pid);
			return r;
		}
		/* A read fault maps the page write-protected: it stays clean,
		 * its swap copy stays valid, and the first write tells us. */
		if (!write)
			pg->st.swapins_clean++;
		return fill_page(pg, p, vpn, pg->page, !write);
	}
	return 0;
}

/* The fault of thread tid of p is being served (p NULL: it is done): for
 * the holds (hold.c) and the trace (livetrace.c). */
static void begin_fault(struct vms_pager *pg, struct vms_proc *p, uint32_t tid)
{
	vms_hold_fault_begin(pg, p);
	pg->fault_tid = tid;
}

static void drop_fills(struct vms_proc *p, vms_vpn_t start, uint64_t nr)
{
	struct vms_pending_fill **pp = &p->fills;

	while (*pp) {
		struct vms_pending_fill *f = *pp;

		if (f->vpn >= start && f->vpn < start + nr) {
			*pp = f->next;
			free(f);
		} else {
			pp = &f->next;
		}
	}
}

static void handle_remove(struct vms_pager *pg, struct vms_proc *p, uint64_t start, uint64_t end)
{
	vms_vpn_t vstart = start / VMS_PAGE;
	uint64_t nr = (end - start + VMS_PAGE - 1) / VMS_PAGE;

	if (vms_stash_contains(p, start))
		return;   /* the agent emptying the stash */
	if (vms_drop_is_ours(p, start, end))
		return;   /* the agent discarding a page MOVE refused */
	vms_drop_forget(p, start, end, 0);
	drop_fills(p, vstart, nr);
	unmap_pages(pg, p, vstart, nr);
}

static void handle_remap(struct vms_pager *pg, struct vms_proc *p, uint64_t from, uint64_t to,
			 uint64_t len)
{
	uint64_t nr = len / VMS_PAGE;
	int r;

	drop_fills(p, from / VMS_PAGE, nr);
	drop_fills(p, to / VMS_PAGE, nr);
	vms_drop_forget(p, to, to + len, 0);
	vms_drop_forget(p, from, from + len, (int64_t)(to - from));
	r = vms_mm_remap(pg->mm, p->as, from / VMS_PAGE, nr, to / VMS_PAGE);
	if (r == 0) {
		struct vms_trace_event ev = { .kind = VMS_TR_REMAP, .pid = p->as->id,
					      .vpn = from / VMS_PAGE, .nr_pages = nr,
					      .new_vpn = to / VMS_PAGE };

		vms_trace_note(pg, &ev);
	}
	if (r < 0)
		vms_pager_fatal(pg, r, "cannot follow mremap of process %d from 0x%llx to 0x%llx",
				(int)p->pid, (unsigned long long)from, (unsigned long long)to);
}

static void dispatch(struct vms_pager *pg, struct vms_proc *p, const struct uffd_msg *m)
{
	int r;

	switch (m->event) {
	case UFFD_EVENT_PAGEFAULT:
		pg->st.uffd_faults++;
		if (p->nr_queued) {
			r = vms_fault_queue(p, m->arg.pagefault.address, (uint32_t)m->arg.pagefault.flags,
					    m->arg.pagefault.feat.ptid);
		} else {
			begin_fault(pg, p, m->arg.pagefault.feat.ptid);
			r = handle_fault(pg, p, m->arg.pagefault.address,
					 (uint32_t)m->arg.pagefault.flags);
			begin_fault(pg, NULL, 0);
			if (r == -EAGAIN)
				r = vms_fault_queue(p, m->arg.pagefault.address,
						    (uint32_t)m->arg.pagefault.flags,
						    m->arg.pagefault.feat.ptid);
		}
		if (r < 0 && !pg->fatal)
			vms_pager_fatal(pg, r, "cannot serve a fault of process %d", (int)p->pid);
		break;
	case UFFD_EVENT_REMOVE:
	case UFFD_EVENT_UNMAP:
		handle_remove(pg, p, m->arg.remove.start, m->arg.remove.end);
		if (m->event == UFFD_EVENT_UNMAP) {
			vms_sites_unmapped(pg, p, m->arg.remove.start, m->arg.remove.end);
			vms_attrib_unmapped(pg, p, m->arg.remove.start, m->arg.remove.end);
		}
		break;
	case UFFD_EVENT_REMAP:
		handle_remap(pg, p, m->arg.remap.from, m->arg.remap.to, m->arg.remap.len);
		vms_sites_remapped(pg, p, m->arg.remap.from, m->arg.remap.to, m->arg.remap.len);
		vms_attrib_remapped(pg, p, m->arg.remap.from, m->arg.remap.to, m->arg.remap.len);
		break;
	case UFFD_EVENT_FORK:
		vms_proc_fork(pg, p, (int)m->arg.fork.ufd);
		break;
	default:
		break;
	}
}

void vms_fault_retry(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_pending_fill **pp = &p->fills;
	size_t i;

	if (p->gone || !p->as)
		return;
	while (*pp) {
		struct vms_pending_fill *f = *pp;
		struct vms_pte *pte = vms_pt_lookup(&p->as->pt, f->vpn);
		uint64_t done;
		int err = 0;

		if (pte && vms_pte_state(pte) == VMS_PTE_RESIDENT) {
			const void *data = f->zero ? NULL : f->data;
			bool again;

			vms_hold_fault_resume(pg, p, f->agent_work);
			done = fill_range(pg, p, f->vpn, f->vpn + 1, data, true, f->wp, &err);
			again = done == 0 && vms_pager_classify(pg, err) == VMS_UFFD_RETRY;
			/* Refused otherwise: as the fault would have handled it
			 * (the page there already, or unmapped under us). */
			if (done == 0 && err && !again)
				fill_failed(pg, p, f->vpn, data, f->wp, err);
			vms_hold_fault_begin(pg, NULL);
			if (again) {
				pp = &f->next;
				continue;
			}
		} else {
			vms_uffd_wake(p->uffd, page_addr(f->vpn), VMS_PAGE);
		}
		*pp = f->next;
		free(f);
	}
	for (i = 0; i < p->nr_queued && !pg->fatal && !p->gone; i++) {
		int r;

		begin_fault(pg, p, p->queue[i].tid);
		r = handle_fault(pg, p, p->queue[i].addr, p->queue[i].flags);
		begin_fault(pg, NULL, 0);

		if (r == -EAGAIN)
			break;
		if (r < 0 && !pg->fatal)
			vms_pager_fatal(pg, r, "cannot serve a fault of process %d", (int)p->pid);
	}
	if (i) {
		memmove(p->queue, p->queue + i, (p->nr_queued - i) * sizeof(*p->queue));
		p->nr_queued -= i;
	}
	vms_proc_maybe_welcome(pg, p);
}

void vms_fault_read_uffd(struct vms_pager *pg, struct vms_proc *p)
{
	struct uffd_msg msgs[64];
	uint64_t t0 = vms_now_ns();

	while (!p->gone && !pg->fatal) {
		size_t n = 0;
		int r = vms_uffd_read_msgs(p->uffd, msgs, 64, &n);

		if (r < 0) {
			if (vms_uffd_classify(r) != VMS_UFFD_RETRY)
				p->gone = true;
			break;
		}
		if (n == 0)
			break;
		for (size_t i = 0; i < n && !pg->fatal; i++) {
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT)
				vms_thrash_fault_seen(pg->thrash);
			if (p->pid == 0 && msgs[i].event == UFFD_EVENT_PAGEFAULT)
				vms_proc_learn_pid(pg, p, (pid_t)msgs[i].arg.pagefault.feat.ptid);
			dispatch(pg, p, &msgs[i]);
		}
	}
	vms_fault_retry(pg, p);
	pg->st.in_fault_ns += vms_now_ns() - t0;
}
