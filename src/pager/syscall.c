/* SPDX-License-Identifier: MIT */
/*
 * System calls the program makes that change which memory exists, stopped by
 * the seccomp filter (src/os/filter.c) before they run:
 *  - mmap(MAP_PRIVATE|MAP_ANONYMOUS) and brk create anonymous memory that
 *    must be registered before any thread can touch it.  The pager cannot
 *    map memory into another process, so the process's agent performs the
 *    call; the pager registers the new range with the process's uffd and
 *    only then completes the stopped syscall with the agent's result.  No
 *    thread can have touched the range in between: nobody knew its address.
 *  - madvise(MADV_FREE) would let the kernel discard pages silently (no
 *    uffd event); answering it as a no-op is one of its valid outcomes
 *    (the data is simply kept).
 *  - with --overcommit never, mprotect(PROT_WRITE) and mremap too: each of
 *    these, and fork, may be refused with ENOMEM (commit.c).
 *  - fork, and clone without CLONE_VM, create a process that shares the
 *    parent's pages copy-on-write: see fork.c.
 * The agent's own calls, processes without a shim (the loader before the
 * shim's constructor, static binaries, LD_PRELOAD removed) and anything
 * else are let through unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attrib.h"
#include "filter.h"
#include "pager.h"
#include "procmem.h"
#include "sites.h"

#define PAGE_UP(x) (((x) + VMS_PAGE - 1) & ~(uint64_t)(VMS_PAGE - 1))

/* Sends call c; 0, -EAGAIN if the socket is full (c stays unsent), or
 * -errno (the agent is gone). */
static int send_call(struct vms_pager *pg, struct vms_proc *p, struct vms_pending_call *c)
{
	struct vms_agent_req q = { .op = c->op, .seq = p->next_seq + 1 };

	memcpy(q.args, c->args, sizeof(uint64_t) * (c->op == VMS_AGENT_MMAP ? 6 :
						    c->op == VMS_AGENT_BRK ? 1 : 3));
	if (send(p->sock, &q, sizeof(q), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(q)) {
		int err = -errno;

		if (err == -ENOBUFS)
			err = -EAGAIN;
		/* The agent died with its process (exit, exec): its EOF is on
		 * the way; nothing of this process needs doing any more. */
		if (err == -EPIPE || err == -ECONNRESET)
			p->gone = true;
		return err;
	}
	c->seq = ++p->next_seq;
	pg->st.agent_calls++;
	return 0;
}

int vms_agent_call(struct vms_pager *pg, struct vms_proc *p, uint32_t op, const uint64_t *args,
		   enum vms_call_purpose purpose, uint64_t tag)
{
	struct vms_pending_call *c;
	bool queued = false;
	int r;

	if (p->sock < 0 || p->gone || !p->as)
		return -ENOTCONN;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->op = op;
	c->purpose = purpose;
	memcpy(c->args, args, sizeof(c->args));
	c->notif_id = tag;
	for (const struct vms_pending_call *o = p->calls; o && !queued; o = o->next)
		queued = o->seq == 0;
	/* Behind older calls still queued: in order, after them.  A socket
	 * full (the agent busy with drops and soft unmaps: a Unix socket
	 * queues net.unix.max_dgram_qlen messages) is no reason to let the
	 * program's mmap or brk run unmanaged: it waits, stopped. */
	r = queued ? -EAGAIN : send_call(pg, p, c);
	if (r < 0 && r != -EAGAIN) {
		free(c);
		return r;
	}
	c->next = p->calls;
	p->calls = c;
	return 0;
}

void vms_agent_send_queued(struct vms_pager *pg, struct vms_proc *p)
{
	for (;;) {
		struct vms_pending_call *oldest = NULL;

		/* The list is newest first: the last unsent is the oldest. */
		for (struct vms_pending_call *c = p->calls; c; c = c->next)
			if (c->seq == 0)
				oldest = c;
		if (!oldest || p->gone || p->sock < 0 || send_call(pg, p, oldest) < 0)
			return;
	}
}

static struct vms_proc *proc_of_thread(struct vms_pager *pg, pid_t tid)
{
	struct vms_proc *p = vms_proc_by_pid(pg, tid);
	pid_t tgid;

	if (p)
		return p;
	for (p = pg->procs; p; p = p->next)
		if (p->agent_tid == tid)
			return p;
	tgid = vms_procmem_tgid(tid);
	return tgid > 0 ? vms_proc_by_pid(pg, tgid) : NULL;
}

void vms_syscall_notify(struct vms_pager *pg)
{
	struct seccomp_notif req;
	const struct seccomp_data *d;
	struct vms_proc *p;
	uint64_t args[6], charged = 0;
	uint32_t op;

	if (vms_seccomp_receive(pg->seccomp_fd, &req) < 0)
		return;   /* the thread died meanwhile */
	pg->st.seccomp_notifs++;
	d = &req.data;
	p = proc_of_thread(pg, (pid_t)req.pid);
	if (!p || !p->welcomed || p->gone || (pid_t)req.pid == p->agent_tid) {
		if (!p) {
			pg->unmanaged.unmanaged_syscalls++;
			vms_proc_note_unmanaged(pg, (pid_t)req.pid);
		}
		vms_seccomp_continue(pg->seccomp_fd, req.id);
		return;
	}
	memcpy(args, d->args, sizeof(args));
	switch (d->nr) {
	case SYS_mmap:
		if (args[3] & MAP_HUGETLB) {
			pg->unmanaged.hugetlb_mmaps++;
			vms_seccomp_continue(pg->seccomp_fd, req.id);
			return;
		}
		/* Pages populated before registration would escape the budget;
		 * they are faulted in on first touch instead. */
		args[3] &= ~(uint64_t)MAP_POPULATE;
		if (vms_commit_refuses(pg, p, SYS_mmap, args, &charged)) {
			vms_seccomp_reply(pg->seccomp_fd, req.id, -ENOMEM);
			return;
		}
		op = VMS_AGENT_MMAP;
		break;
	case SYS_brk:
		/* A refused brk returns the current break, as the kernel's. */
		if (vms_commit_refuses(pg, p, SYS_brk, args, &charged)) {
			vms_seccomp_reply(pg->seccomp_fd, req.id, (int64_t)p->commit.brk_cur);
			return;
		}
		op = VMS_AGENT_BRK;
		break;
	case SYS_mprotect:
	case SYS_mremap:
		/* Stopped with --overcommit never only: they run as they are
		 * unless they would commit memory beyond the limit. */
		if (vms_commit_refuses(pg, p, (int)d->nr, args, &charged)) {
			vms_seccomp_reply(pg->seccomp_fd, req.id, -ENOMEM);
			return;
		}
		vms_commit_changed(p);
		vms_seccomp_continue(pg->seccomp_fd, req.id);
		return;
	case SYS_madvise:
		pg->unmanaged.madv_free_ignored++;
		vms_seccomp_reply(pg->seccomp_fd, req.id, 0);
		return;
	case SYS_clone:
	case SYS_fork:
		if (vms_commit_refuses_fork(pg, p)) {
			vms_seccomp_reply(pg->seccomp_fd, req.id, -ENOMEM);
			return;
		}
		vms_fork_stopped(pg, p, req.id);
		return;
	default:
		vms_seccomp_continue(pg->seccomp_fd, req.id);
		return;
	}
	if (vms_agent_call(pg, p, op, args, VMS_CALL_SYSCALL, req.id) < 0) {
		vms_seccomp_continue(pg->seccomp_fd, req.id);
		return;
	}
	/* Charged until the agent's reply: another thread's request meanwhile
	 * sees this one's room taken (the kernel's mmap_lock does that). */
	p->calls->commit_pages = charged;
	p->commit.inflight += charged;
	/* The calling thread stays stopped until the reply: its stack is
	 * read while the agent maps (the request is p->calls' head). */
	p->calls->site = op == VMS_AGENT_MMAP
		? vms_sites_capture_mmap(pg, p, (pid_t)req.pid, args[1])
		: vms_sites_capture_brk(pg, p, (pid_t)req.pid, args[0]);
}

static void complete_syscall(struct vms_pager *pg, struct vms_proc *p,
			     const struct vms_pending_call *c, int64_t ret)
{
	if (c->op == VMS_AGENT_MMAP || c->op == VMS_AGENT_BRK)
		vms_commit_changed(p);
	p->commit.inflight -= c->commit_pages;
	if (c->op == VMS_AGENT_BRK && ret > 0)
		p->commit.brk_cur = (uint64_t)ret;
	if (c->op == VMS_AGENT_MMAP && ret >= 0) {
		if (vms_proc_register(pg, p, (uint64_t)ret, PAGE_UP(c->args[1])) == 0) {
			p->nr_mmaps++;
			vms_sites_mapped(pg, p, c->site, (uint64_t)ret, PAGE_UP(c->args[1]));
			vms_attrib_mapped(pg, p, c->site, (uint64_t)ret, PAGE_UP(c->args[1]),
					  c->args[3]);
		}
	} else if (c->op == VMS_AGENT_BRK && ret > 0) {
		uint64_t end = PAGE_UP((uint64_t)ret), from = PAGE_UP(p->heap_end);

		p->nr_brks++;
		if (end > from)
			vms_proc_register(pg, p, from, end - from);
		p->heap_end = end;
		vms_sites_brk_done(pg, p, c->site, end);
		vms_attrib_brk(pg, p, from, end);
	}
	vms_seccomp_reply(pg->seccomp_fd, c->notif_id, ret);
}

void vms_agent_read(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_agent_reply r;

	if (!p->as) {
		vms_proc_hello(pg, p);
		return;
	}
	for (;;) {
		ssize_t n = recv(p->sock, &r, sizeof(r), MSG_DONTWAIT);
		struct vms_pending_call **cc, *c = NULL;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n != (ssize_t)sizeof(r)) {
			/* EOF: the agent died with its process (exit or exec). */
			p->gone = true;
			break;
		}
		vms_hold_reply(p, r.seq);
		if (r.op == VMS_AGENT_DROP) {
			vms_drop_done(pg, p, r.seq, r.ret);
			continue;
		}
		if (r.op == VMS_AGENT_PARK) {
			vms_park_done(pg, p, r.seq, r.ret);
			continue;
		}
		for (cc = &p->calls; *cc; cc = &(*cc)->next)
			if ((*cc)->seq == r.seq) {
				c = *cc;
				*cc = c->next;
				break;
			}
		if (!c)
			continue;
		complete_syscall(pg, p, c, r.ret);
		free(c);
	}
}
