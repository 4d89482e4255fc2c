/* SPDX-License-Identifier: MIT */
/*
 * A sandboxed process's life as the pager sees it: its agent connects and
 * says HELLO with the process's userfaultfd; the pager registers every
 * private anonymous mapping (it can do so from outside: UFFDIO_REGISTER acts
 * on the mm the fd was created in), queues the pages already present to be
 * taken into the page table (which may evict, so it goes through the same
 * queue as faults), and WELCOMEs the agent once that is done.  The process
 * ends when its agent's socket closes: exit_group and execve both kill the
 * agent thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attrib.h"
#include "elfinfo.h"
#include "fdpass.h"
#include "pager.h"
#include "procmem.h"
#include "sites.h"
#include "uffd.h"

#define REGISTER_MODE (UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP)

struct vms_proc *vms_proc_by_pid(struct vms_pager *pg, pid_t pid)
{
	for (struct vms_proc *p = pg->procs; p; p = p->next)
		if (p->pid == pid && !p->gone && p->as)
			return p;
	return NULL;
}

struct vms_proc *vms_proc_by_as(struct vms_pager *pg, const struct vms_as *as)
{
	return as->owner;
}

int vms_proc_register(struct vms_pager *pg, struct vms_proc *p, uint64_t start, uint64_t len)
{
	uint64_t ioctls;
	int r = vms_uffd_register(p->uffd, start, len, REGISTER_MODE, &ioctls);

	if (r < 0)
		pg->unmanaged.unregistrable++;
	return r;
}

static void read_names(pid_t pid, char *comm, size_t comm_len, char *command, size_t command_len)
{
	size_t n;

	if (vms_procmem_read_file(pid, "comm", comm, comm_len))
		comm[strcspn(comm, "\n")] = 0;
	if (!command)
		return;
	/* The arguments are NUL-separated; the last one ends with a NUL. */
	n = vms_procmem_read_file(pid, "cmdline", command, command_len);
	for (size_t i = 0; n && i < n - 1; i++)
		if (command[i] == '\0')
			command[i] = ' ';
}

static void read_comm(struct vms_proc *p)
{
	read_names(p->pid, p->comm, sizeof(p->comm), p->command, sizeof(p->command));
}

void vms_proc_note_unmanaged(struct vms_pager *pg, pid_t tid)
{
	pid_t pid = vms_procmem_tgid(tid);
	struct vms_unmanaged_proc *u;

	if (pid <= 0)
		return;
	for (size_t i = 0; i < pg->nr_unmanaged_procs; i++)
		if (pg->unmanaged_procs[i].pid == pid)
			return;
	if (pg->nr_unmanaged_procs == pg->cap_unmanaged_procs) {
		size_t cap = pg->cap_unmanaged_procs ? pg->cap_unmanaged_procs * 2 : 16;

		u = realloc(pg->unmanaged_procs, cap * sizeof(*u));
		if (!u)
			return;
		pg->unmanaged_procs = u;
		pg->cap_unmanaged_procs = cap;
	}
	u = &pg->unmanaged_procs[pg->nr_unmanaged_procs++];
	memset(u, 0, sizeof(*u));
	u->pid = pid;
	u->ppid = vms_procmem_ppid(pid);
	u->is_static = vms_elf_exe_is_static(pid) == 1;
	read_names(pid, u->comm, sizeof(u->comm), NULL, 0);
}

/* A process that said hello was only in its loader phase before. */
static void forget_unmanaged(struct vms_pager *pg, pid_t pid)
{
	for (size_t i = 0; i < pg->nr_unmanaged_procs; i++)
		if (pg->unmanaged_procs[i].pid == pid) {
			pg->unmanaged_procs[i] = pg->unmanaged_procs[--pg->nr_unmanaged_procs];
			return;
		}
}

/* start_brk, field 47 of /proc/PID/stat: where the brk heap begins. */
static uint64_t read_start_brk(pid_t pid)
{
	char buf[2048];
	int field = 2;
	char *s;

	if (!vms_procmem_read_file(pid, "stat", buf, sizeof(buf)))
		return 0;
	s = strrchr(buf, ')');   /* comm may contain spaces and parentheses */
	if (!s)
		return 0;
	for (s++; *s && field < 47; s++)
		if (*s == ' ')
			field++;
	return strtoull(s, NULL, 10);
}

struct scan_ctx {
	struct vms_pager *pg;
	struct vms_proc *p;
	int err;
};

static int scan_map(void *ctx, const struct vms_map *m)
{
	struct scan_ctx *c = ctx;
	struct vms_proc *p = c->p;
	uint64_t nr = (m->end - m->start) / VMS_PAGE;
	uint8_t *present;
	int r;

	if (m->perms[3] == 's') {
		c->pg->unmanaged.shared_mappings++;
		c->pg->unmanaged.shared_bytes += m->end - m->start;
		return 0;
	}
	if (m->inode != 0) {
		c->pg->unmanaged.file_mappings++;
		c->pg->unmanaged.file_bytes += m->end - m->start;
		return 0;
	}
	if (!vms_map_is_private_anon(m) || vms_stash_contains(p, m->start) ||
	    (p->park_addr && m->start >= p->park_addr &&
	     m->start < p->park_addr + p->park_pages * VMS_PAGE))
		return 0;   /* the agent's own areas */
	if (strcmp(m->path, "[heap]") == 0 && m->end > p->heap_end)
		p->heap_end = m->end;
	if (vms_proc_register(c->pg, p, m->start, m->end - m->start) < 0)
		return 0;   /* counted as unmanaged */
	p->managed_bytes_at_start += m->end - m->start;
	present = malloc(nr);
	if (!present) {
		c->err = -ENOMEM;
		return 1;
	}
	r = vms_procmem_present(p->pid, m->start, nr, present);
	if (r < 0) {
		free(present);
		c->err = r;
		return 1;
	}
	for (uint64_t i = 0; i < nr && c->err == 0; i++)
		if (present[i])
			c->err = vms_fault_queue(p, m->start + i * VMS_PAGE, VMS_QF_ADOPT, 0);
	free(present);
	return c->err ? 1 : 0;
}

/* The welcome lets the program run; a fork child's carries its uffd. */
static void welcome(struct vms_pager *pg, struct vms_proc *p, int status)
{
	struct vms_welcome w = { .magic = VMS_CHANNEL_MAGIC, .status = status };
	int fd = p->send_uffd && status == 0 ? p->uffd : -1;

	p->send_uffd = false;
	if (vms_fdpass_send(p->sock, &w, sizeof(w), fd) != (ssize_t)sizeof(w))
		p->gone = true;
	p->welcomed = true;
}

/* The unclaimed fork child of h->ppid that is h->pid: the one whose pid
 * its faults named, else the only one whose pid is still unknown. */
static struct vms_proc *find_fork_child(struct vms_pager *pg, const struct vms_hello *h)
{
	struct vms_proc *unknown = NULL;
	int nr_unknown = 0;

	for (struct vms_proc *q = pg->procs; q; q = q->next) {
		if (!q->as || q->gone || q->sock >= 0 || q->fork_parent_pid != h->ppid)
			continue;
		if (q->pid == h->pid)
			return q;
		if (q->pid == 0) {
			unknown = q;
			nr_unknown++;
		}
	}
	return nr_unknown == 1 ? unknown : NULL;
}

/*
 * A fork child's agent says HELLO: it belongs to the process a FORK event
 * created.  Which one, when its parent has several children unclaimed: the
 * one its faults named (hellos do not come in fork order; taking the oldest
 * gave one child another's userfaultfd).  fork.c lets a parent fork again
 * only once its previous child is named, so at most one is unknown; pending
 * faults are read first, in case they name it.  The connection moves over
 * to it.
 */
static int adopt_fork_child(struct vms_pager *pg, struct vms_proc *conn, const struct vms_hello *h)
{
	struct vms_proc *c = find_fork_child(pg, h);
	struct epoll_event ev = { .events = EPOLLIN };

	if (!c) {
		for (struct vms_proc *q = pg->procs; q; q = q->next)
			if (q->as && !q->gone && q->sock < 0 && q->pid == 0 &&
			    q->fork_parent_pid == h->ppid)
				vms_fault_read_uffd(pg, q);
		c = find_fork_child(pg, h);
	}
	if (!c)
		return -ESRCH;
	c->pid = h->pid;
	c->agent_tid = h->agent_tid;
	c->sock = conn->sock;
	c->send_uffd = true;
	read_comm(c);
	conn->sock = -1;
	conn->gone = true;
	c->agent_watch = (struct vms_watch){ .kind = VMS_WATCH_AGENT, .proc = c };
	ev.data.ptr = &c->agent_watch;
	if (epoll_ctl(pg->epfd, EPOLL_CTL_MOD, c->sock, &ev) < 0)
		return -errno;
	welcome(pg, c, 0);
	return 0;
}

void vms_proc_maybe_welcome(struct vms_pager *pg, struct vms_proc *p)
{
	if (!p->welcomed && p->as && p->sock >= 0 && p->nr_queued == 0 && !p->gone)
		welcome(pg, p, 0);
}

static int arrive(struct vms_pager *pg, struct vms_proc *p, const struct vms_hello *h, int uffd)
{
	struct scan_ctx c = { .pg = pg, .p = p };
	struct vms_proc *old;
	int r;

	p->pid = h->pid;
	p->ppid = h->ppid;
	p->agent_tid = h->agent_tid;
	p->features = h->features;
	p->uffd = uffd;
	p->stash_addr = h->stash_addr;
	p->park_addr = h->park_addr;
	p->park_pages = h->park_pages;
	read_comm(p);
	forget_unmanaged(pg, p->pid);
	/* An exec'ed image replaces its predecessor: same pid, new mm. */
	old = vms_proc_by_pid(pg, p->pid);
	if (old && old != p)
		old->gone = true;   /* destroyed after this loop iteration */
	r = vms_mm_as_new(pg->mm, pg->next_as_id++, &p->as);
	if (r < 0)
		return r;
	p->as->owner = p;
	p->uffd_watch = (struct vms_watch){ .kind = VMS_WATCH_UFFD, .proc = p };
	r = vms_pager_watch(pg, p->uffd, &p->uffd_watch);
	if (r < 0)
		return r;
	p->heap_end = read_start_brk(p->pid);
	r = vms_procmem_for_each_map(p->pid, scan_map, &c);
	if (r < 0)
		return r;
	if (c.err < 0)
		return c.err;
	pg->st.processes++;
	if (++pg->st.nr_processes > pg->st.peak_processes)
		pg->st.peak_processes = pg->st.nr_processes;
	vms_fault_retry(pg, p);
	vms_proc_maybe_welcome(pg, p);
	return 0;
}

/* The agent's first message: HELLO with the userfaultfd. */
int vms_proc_hello(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_hello h;
	int uffd, r;
	ssize_t n;

	n = vms_fdpass_recv(p->sock, &h, sizeof(h), &uffd);
	if (n == -EAGAIN || n == -EINTR)
		return 0;
	if (n == (ssize_t)sizeof(h) && h.magic == VMS_CHANNEL_MAGIC &&
	    (h.flags & VMS_HELLO_FORKED) && uffd < 0) {
		r = adopt_fork_child(pg, p, &h);
		if (r < 0) {
			/* No fork event for it (fork events unavailable): its
			 * memory is not registered, and pages its parent had
			 * evicted would read as zeros.  Refuse it. */
			vms_pager_fatal(pg, r, "process %d forked by %d has no userfaultfd "
					"(fork events need CAP_SYS_PTRACE)", (int)h.pid, (int)h.ppid);
			welcome(pg, p, -EPERM);
			p->gone = true;
		}
		return r;
	}
	if (n != (ssize_t)sizeof(h) || h.magic != VMS_CHANNEL_MAGIC ||
	    h.version != VMS_CHANNEL_VERSION || uffd < 0) {
		if (uffd >= 0)
			close(uffd);
		p->gone = true;
		return n == 0 ? 0 : -EPROTO;
	}
	r = arrive(pg, p, &h, uffd);
	if (r < 0) {
		vms_pager_fatal(pg, r, "cannot take over the memory of process %d (%s)",
				(int)p->pid, p->comm);
		welcome(pg, p, r);
		p->gone = true;
	}
	return r;
}

void vms_proc_accept(struct vms_pager *pg)
{
	struct vms_proc *p;
	int fd = accept4(pg->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return;
	}
	p->sock = fd;
	p->uffd = -1;
	p->memfd = -1;
	p->pagemap_fd = -1;
	p->agent_watch = (struct vms_watch){ .kind = VMS_WATCH_AGENT, .proc = p };
	if (vms_pager_watch(pg, fd, &p->agent_watch) < 0) {
		close(fd);
		free(p);
		return;
	}
	p->next = pg->procs;
	pg->procs = p;
}

static void record(struct vms_pager *pg, const struct vms_proc *p)
{
	struct vms_proc_record *r;

	if (pg->nr_records == pg->cap_records) {
		size_t cap = pg->cap_records ? pg->cap_records * 2 : 16;

		r = realloc(pg->records, cap * sizeof(*r));
		if (!r)
			return;
		pg->records = r;
		pg->cap_records = cap;
	}
	r = &pg->records[pg->nr_records++];
	r->pid = p->pid;
	r->ppid = p->ppid;
	r->as_id = p->as ? p->as->id : 0;
	memcpy(r->comm, p->comm, sizeof(r->comm));
	memcpy(r->command, p->command, sizeof(r->command));
	r->st = p->as->stats;
	r->nr_mmaps = p->nr_mmaps;
	r->nr_brks = p->nr_brks;
}

int vms_proc_read_page(struct vms_proc *p, uint64_t addr, void *buf)
{
	if (p->memfd < 0 && vms_procmem_open(p->pid, &p->memfd) < 0)
		p->memfd = -1;
	if (p->memfd < 0)
		return -ESRCH;
	return vms_procmem_pread(p->memfd, addr, buf, VMS_PAGE);
}

void vms_proc_destroy(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_proc **pp;

	for (pp = &pg->procs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->as) {
		struct vms_trace_event ev = { .kind = VMS_TR_EXIT, .pid = p->as->id };

		record(pg, p);
		vms_attrib_proc_exit(pg, p);
		vms_sites_proc_exit(pg, p);
		vms_mm_as_destroy(pg->mm, p->as);
		vms_trace_note(pg, &ev);
		pg->st.nr_processes--;
		vms_oom_reaped(pg, p->pid);
	}
	vms_sites_proc_exit(pg, p);   /* a process that never arrived */
	if (p->uffd >= 0) {
		epoll_ctl(pg->epfd, EPOLL_CTL_DEL, p->uffd, NULL);
		close(p->uffd);
	}
	if (p->sock >= 0) {
		epoll_ctl(pg->epfd, EPOLL_CTL_DEL, p->sock, NULL);
		close(p->sock);
	}
	if (p->memfd >= 0)
		close(p->memfd);
	if (p->pagemap_fd >= 0)
		close(p->pagemap_fd);
	while (p->calls) {
		struct vms_pending_call *c = p->calls;

		p->calls = c->next;
		free(c);
	}
	while (p->drops_sent) {
		struct vms_drop_batch *b = p->drops_sent;

		p->drops_sent = b->next;
		free(b);
	}
	while (p->parks_sent) {
		struct vms_park_batch *b = p->parks_sent;

		p->parks_sent = b->next;
		free(b);
	}
	while (p->fills) {
		struct vms_pending_fill *f = p->fills;

		p->fills = f->next;
		free(f);
	}
	vms_fork_forget(p);
	free(p->holds);
	free(p->park_next);
	free(p->drop_writers);
	free(p->trace_tids);
	free(p->backlog);
	free(p->queue);
	free(p);
}

size_t vms_proc_reap_gone(struct vms_pager *pg)
{
	struct vms_proc *p = pg->procs, *next;
	size_t n = 0;

	for (; p; p = next) {
		next = p->next;
		if (p->gone) {
			vms_proc_destroy(pg, p);
			n++;
		}
	}
	return n;
}

/*
 * UFFD_EVENT_FORK: the kernel created a userfaultfd for the child's copy of
 * the registrations and installed it in our table.  The child's address
 * space is the parent's clone: it maps the parent's resident frames
 * (copy-on-write, see fork.c).  Its pid is unknown until its first fault
 * names the thread (the event comes before the kernel links the child to
 * its parent, so /proc cannot name it yet); until then its pages cannot be
 * read, and frames it maps are not evicted.  It has no agent until its
 * atfork handler starts one (fork copies only the calling thread), so its
 * evicted pages wait in its drop batch and backlog meanwhile; a write to
 * one takes it back (fault.c).
 */
void vms_proc_fork(struct vms_pager *pg, struct vms_proc *parent, int uffd)
{
	struct vms_proc *c = calloc(1, sizeof(*c));
	int r;

	if (!c) {
		close(uffd);
		vms_pager_fatal(pg, -ENOMEM, "out of memory for a fork child of process %d",
				(int)parent->pid);
		return;
	}
	if (parent->forks_unseen)
		parent->forks_unseen--;
	c->uffd = uffd;
	c->sock = -1;
	c->memfd = -1;
	c->pagemap_fd = -1;
	c->ppid = parent->pid;
	c->fork_parent_pid = parent->pid;
	c->fork_seq = ++pg->fork_seq;
	c->stash_addr = parent->stash_addr;
	c->park_addr = parent->park_addr;
	c->park_pages = parent->park_pages;
	c->heap_end = parent->heap_end;
	c->commit.brk_cur = parent->commit.brk_cur;
	c->features = parent->features;
	memcpy(c->comm, parent->comm, sizeof(c->comm));
	memcpy(c->command, parent->command, sizeof(c->command));
	r = vms_mm_as_clone_live(pg->mm, parent->as, pg->next_as_id++, &c->as);
	if (r == 0) {
		struct vms_trace_event ev = { .kind = VMS_TR_FORK, .pid = parent->as->id,
					      .child_pid = c->as->id };

		vms_trace_note(pg, &ev);
	}
	if (r < 0) {
		close(uffd);
		free(c);
		vms_pager_fatal(pg, r, "cannot fork the address space of process %d (%s)%s",
				(int)parent->pid, parent->comm,
				r == -ENOSPC ? ": the swap store is full" : "");
		return;
	}
	c->as->owner = c;
	vms_sites_fork(pg, parent, c);
	vms_attrib_fork(pg, parent, c);
	c->uffd_watch = (struct vms_watch){ .kind = VMS_WATCH_UFFD, .proc = c };
	vms_pager_watch(pg, uffd, &c->uffd_watch);
	c->next = pg->procs;
	pg->procs = c;
	pg->st.processes++;
	if (++pg->st.nr_processes > pg->st.peak_processes)
		pg->st.peak_processes = pg->st.nr_processes;
}

bool vms_proc_has_unnamed_child(struct vms_pager *pg, const struct vms_proc *parent)
{
	for (const struct vms_proc *q = pg->procs; q; q = q->next)
		if (q->as && !q->gone && q->sock < 0 && q->pid == 0 &&
		    q->fork_parent_pid == parent->pid)
			return true;
	return false;
}

void vms_proc_learn_pid(struct vms_pager *pg, struct vms_proc *p, pid_t tid)
{
	pid_t tgid = tid > 0 ? vms_procmem_tgid(tid) : -1;

	if (tgid > 0) {
		p->pid = tgid;
		read_comm(p);
	}
}
