/* SPDX-License-Identifier: MIT */
/*
 * Faulting threads kept asleep until the agent has done what their fault
 * asked of it.
 *
 * The agent's work is asynchronous: a soft unmap (park.c) or a drop of an
 * evicted page (backend.c) happens when the agent next runs.  Waking the
 * faulting thread as soon as its page was filled let the program run ahead
 * of its agent: across two busy CPUs by hundreds of milliseconds, touching
 * pages the engine believed unmapped, unseen (hotcold under clock: 2,600
 * swap-ins on one CPU, up to 42,651 on two).  So the page is filled without
 * waking (UFFDIO_*_MODE_DONTWAKE) and the fault's range is *held*; it is
 * woken once the agent has answered every request that carries the fault's
 * work, the way a kernel finishes its TLB shootdown before the faulting
 * thread returns to user space.
 *
 * What a fault waits for: the soft unmaps it queued in its own process, and
 * with --deterministic also the drops of the pages it evicted there (a read
 * of a page evicted but not yet dropped is a reference nobody sees, and
 * whether it happens depends on the scheduler).  Work in other processes is
 * not waited for: those run concurrently anyway, as with an MMU whose
 * accessed bits another CPU clears.  A process without its agent yet (a
 * fork child before its atfork handler has run) is never held: the thread
 * held could be the one that is to start the agent.
 *
 * How it is woken: once the requests carrying its work are sent, a WAKE
 * request follows them on the same socket; the agent runs requests in
 * order, so it wakes the thread right after the moves, one message sooner
 * than if the supervisor woke it on the reply (and WAKE has no reply: one
 * wakeup of the supervisor less).  Holds that cannot go with a WAKE (the
 * send failed) are woken by the supervisor when the reply to the newest
 * request sent before them arrives (replies come in order; if any request
 * before it is unanswered, so is it).
 *
 * A thread the agent woke may fault again before the supervisor has read
 * the replies to the requests before the WAKE.  Its fault then finds its
 * page's request in flight and waits in the queue for the reply (fault.c),
 * with the outcome it would have had a moment later.  Reading the replies
 * first instead would be wrong: a REMOVE event a drop caused, read in the
 * same batch as the fault, must be handled while that drop is still in
 * flight, or it is taken for the program's own MADV_DONTNEED and the
 * evicted page is forgotten (fork_under_faults read zeros).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pager.h"
#include "uffd.h"

void vms_hold_fault_begin(struct vms_pager *pg, struct vms_proc *p)
{
	pg->fault_proc = p;
	pg->fault_agent_work = false;
}

bool vms_hold_fault_has_work(const struct vms_pager *pg, const struct vms_proc *p)
{
	return p == pg->fault_proc && pg->fault_agent_work;
}

/* A fill the kernel refused with EAGAIN (an mm change in progress: the
 * agent's MADV_DONTNEED of a page MOVE refused, another thread's munmap)
 * is done later, outside its fault.  Filled then with a plain wake, its
 * thread could run on before the agent had done the fault's drops and soft
 * unmaps, touching pages unseen.  So the deferred fill holds as its fault
 * would have.  (Found by reading, while looking for perl's CI failure,
 * which had another cause: park.c's full socket.) */
void vms_hold_fault_resume(struct vms_pager *pg, struct vms_proc *p, bool agent_work)
{
	pg->fault_proc = p;
	pg->fault_agent_work = agent_work;
}

void vms_hold_note_work(struct vms_pager *pg, struct vms_proc *p, bool drop)
{
	if (p == pg->fault_proc && (!drop || pg->cfg.deterministic))
		pg->fault_agent_work = true;
}

/* Work for p's agent not sent yet that a held thread waits for. */
static bool unsent_work(const struct vms_pager *pg, const struct vms_proc *p)
{
	return p->nr_park_next || (pg->cfg.deterministic && p->drop_next.nr);
}

/* Requests to p's agent not answered yet that a held thread may wait for. */
static bool work_in_flight(const struct vms_pager *pg, const struct vms_proc *p)
{
	return p->parks_sent || (pg->cfg.deterministic && p->drops_sent);
}

bool vms_hold_needed(const struct vms_pager *pg, const struct vms_proc *p)
{
	return p && p == pg->fault_proc && pg->fault_agent_work && p->sock >= 0 &&
	       p->welcomed && !p->gone && (unsent_work(pg, p) || work_in_flight(pg, p));
}

static void wake_now(struct vms_proc *p, uint64_t addr, uint64_t len)
{
	if (p->uffd >= 0)
		vms_uffd_wake(p->uffd, addr, len);
}

void vms_hold_add(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, uint64_t len)
{
	uint32_t seq;

	if (unsent_work(pg, p)) {
		seq = 0;             /* until it is sent: vms_hold_send */
	} else if (work_in_flight(pg, p)) {
		seq = p->next_seq;   /* the newest request sent */
	} else {
		wake_now(p, addr, len);
		return;
	}
	if (p->nr_holds == p->cap_holds) {
		size_t cap = p->cap_holds ? p->cap_holds * 2 : 16;
		struct vms_hold *h = realloc(p->holds, cap * sizeof(*h));

		if (!h) {
			wake_now(p, addr, len);
			return;
		}
		p->holds = h;
		p->cap_holds = cap;
	}
	p->holds[p->nr_holds++] = (struct vms_hold){ .addr = addr, .len = len, .seq = seq };
}

void vms_hold_wake(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, uint64_t len)
{
	if (vms_hold_needed(pg, p))
		vms_hold_add(pg, p, addr, len);
	else
		wake_now(p, addr, len);
}

/* Holds of seq 0 now wait for the reply to the newest request sent. */
static void hold_until_reply(struct vms_proc *p)
{
	for (size_t i = 0; i < p->nr_holds; i++)
		if (p->holds[i].seq == 0)
			p->holds[i].seq = p->next_seq;
}

/* One WAKE request with the first holds of seq 0 (up to VMS_AGENT_MAX_WAKE
 * ranges); they are the agent's to wake once it is sent.  Returns how many
 * went, or -errno. */
static int send_wake(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_agent_req q = { .op = VMS_AGENT_WAKE };
	size_t i, j = 0;
	uint32_t n = 0;

	for (i = 0; i < p->nr_holds && n < VMS_AGENT_MAX_WAKE; i++)
		if (p->holds[i].seq == 0) {
			q.addr[2 * n] = p->holds[i].addr;
			q.addr[2 * n + 1] = p->holds[i].len;
			n++;
		}
	/* No reply comes, so it takes no number of its own: p->next_seq stays
	 * the newest request that will be answered, which holds rely on. */
	q.seq = p->next_seq;
	q.nr = 2 * n;
	if (send(p->sock, &q, VMS_AGENT_REQ_BYTES(q.nr), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	pg->st.agent_calls++;
	for (i = 0, n = 0; i < p->nr_holds; i++) {
		if (p->holds[i].seq == 0 && n < VMS_AGENT_MAX_WAKE) {
			n++;
			continue;
		}
		p->holds[j++] = p->holds[i];
	}
	p->nr_holds = j;
	return (int)n;
}

void vms_hold_send(struct vms_pager *pg, struct vms_proc *p)
{
	bool any = false;

	for (size_t i = 0; i < p->nr_holds && !any; i++)
		any = p->holds[i].seq == 0;
	if (!any || unsent_work(pg, p))
		return;   /* nothing to send, or the work waits to be sent first */
	if (!work_in_flight(pg, p) || p->gone || p->sock < 0) {
		/* Every request they wait for is answered (or never will be). */
		for (size_t i = 0; i < p->nr_holds; i++)
			wake_now(p, p->holds[i].addr, p->holds[i].len);
		p->nr_holds = 0;
		return;
	}
	for (;;) {
		int r = send_wake(pg, p);

		if (r == -EPIPE || r == -ECONNRESET) {
			p->gone = true;
			return;
		}
		if (r < 0) {
			hold_until_reply(p);   /* the agent is behind: woken on the reply */
			return;
		}
		if (r < (int)VMS_AGENT_MAX_WAKE)
			return;
	}
}

void vms_hold_reply(struct vms_proc *p, uint32_t seq)
{
	size_t j = 0;

	for (size_t i = 0; i < p->nr_holds; i++) {
		struct vms_hold h = p->holds[i];

		if (h.seq != 0 && (int32_t)(seq - h.seq) >= 0)
			wake_now(p, h.addr, h.len);
		else
			p->holds[j++] = h;
	}
	p->nr_holds = j;
}
