/* SPDX-License-Identifier: MIT */
/*
 * The engine's backend: how a page leaves a process when the engine evicts
 * it, and how it comes back.
 *
 * Eviction must be atomic against the program's writers: a write between
 * "copy the bytes" and "drop the page" would be lost.  The pager first
 * write-protects the page (UFFDIO_WRITEPROTECT works from outside the
 * process: writers now stop in a WP fault), reads its bytes through
 * /proc/PID/mem, and gives them to the engine, which stores them.  The page
 * itself is then dropped by the process's agent, because only the process
 * can: UFFDIO_MOVE is refused from another mm (EINVAL, measured on 6.18) and
 * MADV_DONTNEED has no remote form.  Drops are batched per process and sent
 * once per loop iteration (a DROP request of up to VMS_AGENT_MAX_DROP pages:
 * the agent moves them into its stash and empties it in one madvise, so the
 * batch costs one message, one REMOVE event and one reply).  Until the reply,
 * writers of those pages wait in their WP fault; then they are woken, fault
 * the page in again and get it from swap.  Readers read the unchanged page.
 *
 * A page is still resident in the process between its eviction and the
 * agent's drop: at most one batch per process, outside the budget, the way
 * the kernel's reclaim lags behind its decisions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "attrib.h"
#include "pager.h"
#include "uffd.h"

bool vms_stash_contains(const struct vms_proc *p, uint64_t addr)
{
	return p->stash_addr && addr >= p->stash_addr &&
	       addr < p->stash_addr + (uint64_t)VMS_STASH_PAGES * VMS_PAGE;
}

static bool batch_has(const struct vms_drop_batch *b, uint64_t addr)
{
	for (uint32_t i = 0; i < b->nr; i++)
		if (b->addr[i] == addr)
			return true;
	return false;
}

bool vms_drop_pending(const struct vms_proc *p, uint64_t addr)
{
	if (batch_has(&p->drop_next, addr))
		return true;
	for (size_t i = 0; i < p->nr_backlog; i++)
		if (p->backlog[i] == addr)
			return true;
	for (const struct vms_drop_batch *b = p->drops_sent; b; b = b->next)
		if (batch_has(b, addr))
			return true;
	return false;
}

/*
 * A writer of addr waits in its write-protect fault until the page has been
 * dropped (then it faults again and gets the page from swap): it is woken
 * by the reply, and the batch holding the page does not wait for its
 * deadline.  Only such writers are woken by a reply: a thread whose missing
 * fault on the page is queued is woken by that fault's fill.  Waking it at
 * the reply too made it fault again before its page came, and if the fill
 * came before it slept again it ran on without waiting for the agent
 * (hold.c): perl under --deterministic saw a page evicted but not dropped.
 * Returns -ENOMEM, or 0.
 */
int vms_drop_wait_write(struct vms_proc *p, uint64_t addr)
{
	if (batch_has(&p->drop_next, addr))
		p->drop_waited = true;
	for (size_t i = 0; i < p->nr_drop_writers; i++)
		if (p->drop_writers[i] == addr)
			return 0;
	if (p->nr_drop_writers == p->cap_drop_writers) {
		size_t cap = p->cap_drop_writers ? p->cap_drop_writers * 2 : 16;
		uint64_t *w = realloc(p->drop_writers, cap * sizeof(*w));

		if (!w)
			return -ENOMEM;
		p->drop_writers = w;
		p->cap_drop_writers = cap;
	}
	p->drop_writers[p->nr_drop_writers++] = addr;
	return 0;
}

/* Wakes the writers waiting for pages in [start, end). */
static void wake_writers(struct vms_proc *p, uint64_t start, uint64_t end)
{
	size_t j = 0;

	for (size_t i = 0; i < p->nr_drop_writers; i++) {
		uint64_t a = p->drop_writers[i];

		if (a >= start && a < end)
			vms_uffd_wake(p->uffd, a, VMS_PAGE);
		else
			p->drop_writers[j++] = a;
	}
	p->nr_drop_writers = j;
}

/* When the unsent batch must go (0: nothing to send). */
uint64_t vms_drop_deadline(const struct vms_pager *pg, const struct vms_proc *p)
{
	if (p->drop_next.nr == 0 || p->gone || p->sock < 0 ||
	    p->nr_drops_sent >= VMS_DROPS_IN_FLIGHT)
		return 0;   /* nothing, or the agent's reply wakes the loop */
	/* --deterministic: the faulting thread waits for its drops (hold.c). */
	if (p->drop_waited || p->nr_queued || p->drop_next.nr == VMS_AGENT_MAX_DROP ||
	    pg->cfg.deterministic)
		return 1;   /* now */
	return p->drop_next.first_ns + VMS_DROP_DELAY_NS;
}

/* Sends the unsent batch if its time has come (see VMS_DROP_DELAY_NS). */
void vms_drop_maybe_flush(struct vms_pager *pg, struct vms_proc *p, uint64_t now_ns)
{
	uint64_t due = vms_drop_deadline(pg, p);

	if (due && due <= now_ns)
		vms_drop_flush(pg, p);
}

/* Sends the batch being filled to the agent. */
void vms_drop_flush(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_drop_batch *b;
	struct vms_agent_req q = { .op = VMS_AGENT_DROP };

	/* A fork child's agent may not be there yet: the batch waits for it
	 * (its writers keep waiting too). */
	if (p->drop_next.nr == 0 || p->gone || p->sock < 0 ||
	    p->nr_drops_sent >= VMS_DROPS_IN_FLIGHT)
		return;
	b = malloc(sizeof(*b));
	if (!b) {
		vms_pager_fatal(pg, -ENOMEM, "out of memory");
		return;
	}
	*b = p->drop_next;
	q.seq = ++p->next_seq;
	q.nr = b->nr;
	memcpy(q.addr, b->addr, b->nr * sizeof(uint64_t));
	if (send(p->sock, &q, VMS_AGENT_REQ_BYTES(q.nr), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		free(b);
		p->next_seq--;   /* not sent: no reply will carry it (hold.c) */
		if (errno == EPIPE || errno == ECONNRESET) {
			p->gone = true;   /* the process is exiting or exec'ing */
			return;
		}
		if (errno == EAGAIN || errno == ENOBUFS)
			return;   /* the agent is behind: the batch waits */
		vms_pager_fatal(pg, -errno,
				"cannot ask process %d (%s) to drop evicted pages", (int)p->pid,
				p->comm);
		return;
	}
	b->seq = q.seq;
	b->next = p->drops_sent;
	p->drops_sent = b;
	p->nr_drops_sent++;
	p->drop_next.nr = 0;
	p->drop_waited = false;   /* its waiters are woken by the reply */
	/* The backlog of a child whose agent has just arrived: the next batch. */
	while (p->nr_backlog && p->drop_next.nr < VMS_AGENT_MAX_DROP) {
		if (p->drop_next.nr == 0)
			p->drop_next.first_ns = vms_now_ns();
		p->drop_next.addr[p->drop_next.nr++] = p->backlog[--p->nr_backlog];
	}
	pg->st.agent_calls++;
	pg->st.drop_batches++;
}

/* The agent's reply to DROP seq: the pages are gone; wake their writers
 * (vms_drop_wait_write). */
bool vms_drop_done(struct vms_pager *pg, struct vms_proc *p, uint32_t seq, int64_t failed)
{
	for (struct vms_drop_batch **bb = &p->drops_sent; *bb; bb = &(*bb)->next) {
		struct vms_drop_batch *b = *bb;

		if (b->seq != seq)
			continue;
		*bb = b->next;
		p->nr_drops_sent--;
		if (failed > 0)
			pg->st.drop_failures += (uint64_t)failed;
		for (uint32_t i = 0; i < b->nr && p->nr_drop_writers; i++)
			wake_writers(p, b->addr[i], b->addr[i] + VMS_PAGE);
		free(b);
		return true;
	}
	return false;
}

/* A REMOVE of one page the agent discarded (MOVE refused it): ours. */
bool vms_drop_is_ours(const struct vms_proc *p, uint64_t start, uint64_t end)
{
	if (end != start + VMS_PAGE)
		return false;
	for (const struct vms_drop_batch *b = p->drops_sent; b; b = b->next)
		if (batch_has(b, start))
			return true;
	return false;
}

/* munmap/MADV_DONTNEED/mremap of [start, end): pages of the unsent batch
 * there are gone already or moved; the agent must not touch that range. */
/* Applies vms_drop_forget() to addrs[0..nr); returns the new count. */
static size_t forget_in(uint64_t *addrs, size_t nr, uint64_t start, uint64_t end, int64_t moved_by)
{
	size_t j = 0;

	for (size_t i = 0; i < nr; i++) {
		uint64_t a = addrs[i];

		if (a >= start && a < end) {
			if (!moved_by)
				continue;
			a = (uint64_t)((int64_t)a + moved_by);
		}
		addrs[j++] = a;
	}
	return j;
}

void vms_drop_forget(struct vms_proc *p, uint64_t start, uint64_t end, int64_t moved_by)
{
	/* Their pages are gone or moved: they fault again, on what is there. */
	wake_writers(p, start, end);
	p->drop_next.nr = (uint32_t)forget_in(p->drop_next.addr, p->drop_next.nr, start, end,
					      moved_by);
	p->nr_backlog = forget_in(p->backlog, p->nr_backlog, start, end, moved_by);
}

/* A fork child before its agent: its batch cannot be sent, and refusing its
 * pages could deadlock (every frame may be shared with it, and it needs one
 * to reach the point where its agent starts).  They wait here, resident in
 * the child and outside the budget, until the agent arrives. */
static int backlog_add(struct vms_proc *p, uint64_t addr)
{
	if (p->nr_backlog == p->cap_backlog) {
		size_t cap = p->cap_backlog ? p->cap_backlog * 2 : 256;
		uint64_t *b = realloc(p->backlog, cap * sizeof(*b));

		if (!b)
			return -ENOMEM;
		p->backlog = b;
		p->cap_backlog = cap;
	}
	p->backlog[p->nr_backlog++] = addr;
	return 0;
}

/* Queues addr for the agent to drop; flushes a full batch. */
int vms_drop_add(struct vms_pager *pg, struct vms_proc *p, uint64_t addr)
{
	if (p->drop_next.nr == VMS_AGENT_MAX_DROP)
		vms_drop_flush(pg, p);
	if (p->drop_next.nr == VMS_AGENT_MAX_DROP)
		return p->sock < 0 ? backlog_add(p, addr) : -EAGAIN;
	if (p->drop_next.nr == 0)
		p->drop_next.first_ns = vms_now_ns();
	p->drop_next.addr[p->drop_next.nr++] = addr;
	vms_hold_note_work(pg, p, true);
	return 0;
}

static int classify_to_retry(struct vms_pager *pg, struct vms_proc *p, int r)
{
	switch (vms_pager_classify(pg, r)) {
	case VMS_UFFD_RETRY:
	case VMS_UFFD_HOLE:      /* unmapped under us: its event comes next */
		return -EAGAIN;
	case VMS_UFFD_GONE:
		p->gone = true;
		return -EAGAIN;
	default:
		return r;
	}
}

/* The frame of a resident page (the engine asks before it frees it). */
static vms_frame_t frame_of(struct vms_as *as, vms_vpn_t vpn)
{
	return (vms_frame_t)vms_pt_lookup(&as->pt, vpn)->payload;
}

static int take_page(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf)
{
	struct vms_pager *pg = ctx;
	struct vms_proc *p = as->owner;
	uint64_t addr = (uint64_t)vpn * VMS_PAGE;
	int r, parked;

	if (p->gone)
		return -EAGAIN;
	/* A soft-unmapped page: its bytes are in its slot and nothing is
	 * left in the process to drop (the slot is emptied when the frame
	 * is freed). */
	parked = vms_park_evicting(pg, p, frame_of(as, vpn), buf);
	if (parked < 0)
		return parked;
	if (parked == 1)
		return 0;
	if (p->pid <= 0) {
		/* A fork child whose pid is not known yet: its bytes cannot
		 * be read.  The engine puts the victim back at the young end;
		 * the caller asks again. */
		pg->refused_agentless = true;
		return -EAGAIN;
	}
	/* A fork child before its agent: the page waits in the batch until
	 * the agent arrives (at most a batch, outside the budget); a write
	 * to it meanwhile takes it back (fault.c), since the agent may be
	 * waiting for that very write. */
	if (p->drop_next.nr == VMS_AGENT_MAX_DROP && p->sock >= 0) {
		vms_drop_flush(pg, p);
		if (p->drop_next.nr == VMS_AGENT_MAX_DROP)
			return -EAGAIN;   /* the agent is behind */
	}
	r = vms_uffd_writeprotect(p->uffd, addr, VMS_PAGE, true, false);
	if (r < 0)
		return classify_to_retry(pg, p, r);
	r = vms_proc_read_page(p, addr, buf);
	/* A soft unmap in flight: the agent has moved the page already. */
	if (r == -EIO && parked == 2)
		r = vms_park_read_slot(pg, p, frame_of(as, vpn), buf);
	if (r < 0) {
		vms_uffd_writeprotect(p->uffd, addr, VMS_PAGE, false, false);
		if (r == -ESRCH || r == -EIO) {
			p->gone = p->gone || r == -ESRCH;
			return -EAGAIN;
		}
		return r;
	}
	return vms_drop_add(pg, p, addr);
}

/* A clean page (its swap copy valid): mapped write-protected since it was
 * swapped in, so there is nothing to read and nothing a writer can change. */
static int drop_page(void *ctx, struct vms_as *as, vms_vpn_t vpn)
{
	struct vms_pager *pg = ctx;
	struct vms_proc *p = as->owner;

	if (p->gone)
		return -EAGAIN;
	if (vms_park_evicting(pg, p, frame_of(as, vpn), NULL) == 1)
		return 0;   /* soft-unmapped: nothing in the process */
	return vms_drop_add(pg, p, (uint64_t)vpn * VMS_PAGE);
}

/* Takes addr out of the unsent batch; false if it is not there. */
bool vms_drop_cancel(struct vms_proc *p, uint64_t addr)
{
	struct vms_drop_batch *b = &p->drop_next;

	for (uint32_t i = 0; i < b->nr; i++)
		if (b->addr[i] == addr) {
			b->addr[i] = b->addr[--b->nr];
			return true;
		}
	for (size_t i = 0; i < p->nr_backlog; i++)
		if (p->backlog[i] == addr) {
			p->backlog[i] = p->backlog[--p->nr_backlog];
			return true;
		}
	return false;
}

/* Swap was full: the page never left; take it out of the batch and let
 * writers in again. */
static int restore_page(void *ctx, struct vms_as *as, vms_vpn_t vpn, const void *buf)
{
	struct vms_proc *p = as->owner;
	uint64_t addr = (uint64_t)vpn * VMS_PAGE;

	if (vms_park_evicting(ctx, p, frame_of(as, vpn), NULL) == 1)
		return 0;   /* still in its slot */
	if (vms_drop_cancel(p, addr))
		return vms_uffd_writeprotect(p->uffd, addr, VMS_PAGE, false, false);
	return -ENOENT;
}

/* Fork: the engine snapshots the parent's page and keeps the snapshot as
 * the page's swap copy, i.e. the page is clean from now on; write-protect it
 * first so that its next write is seen (and so that none slips in between). */
static int peek_page(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf)
{
	struct vms_proc *p = as->owner;
	uint64_t addr = (uint64_t)vpn * VMS_PAGE;
	int r = vms_uffd_writeprotect(p->uffd, addr, VMS_PAGE, true, false);

	if (r < 0)
		return r;
	return vms_proc_read_page(p, addr, buf);
}

/* The profile charges every page evicted to its region (attrib.c): the
 * engine calls these once per process a page leaves. */
static int take_page_charged(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf)
{
	int r = take_page(ctx, as, vpn, buf);

	if (r == 0)
		vms_attrib_evicted(ctx, as, vpn, 1);
	return r;
}

static int drop_page_charged(void *ctx, struct vms_as *as, vms_vpn_t vpn)
{
	int r = drop_page(ctx, as, vpn);

	if (r == 0)
		vms_attrib_evicted(ctx, as, vpn, 1);
	return r;
}

static int restore_page_charged(void *ctx, struct vms_as *as, vms_vpn_t vpn, const void *buf)
{
	int r = restore_page(ctx, as, vpn, buf);

	if (r == 0)
		vms_attrib_evicted(ctx, as, vpn, -1);
	return r;
}

const struct vms_mm_backend vms_pager_backend_ops = {
	.take_page = take_page_charged,
	.drop_page = drop_page_charged,
	.restore_page = restore_page_charged,
	.peek_page = peek_page,
	.unreferenced = vms_park_unreferenced,
	.frame_freed = vms_park_frame_freed,
};
