/* SPDX-License-Identifier: MIT */
/*
 * The agent: a thread inside every sandboxed process that executes the few
 * operations only the process itself can do (mmap and brk on behalf of a
 * thread stopped by seccomp, MADV_DONTNEED of the eviction stash), on the
 * supervisor's request.
 *
 * Restricted context, everything in this file: the agent shares the
 * program's address space but must never touch registered memory (the
 * supervisor may be waiting for this very agent to make room, so a fault
 * here could never be served), so it runs on its own MAP_SHARED stack (never
 * registered), keeps its state there, makes system calls with inline
 * assembly (glibc's wrappers write errno, which is thread-local storage of
 * the thread that created us) and is compiled without stack protector (the
 * canary lives in TLS too).  It holds its own file descriptor table (no
 * CLONE_FILES), so a program that closes all its descriptors cannot take its
 * socket or the userfaultfd away; and it keeps the userfaultfd open so that
 * the registration outlives the supervisor: if vmsandbox dies, the program's
 * faults block instead of reading zeros, and the agent, seeing the socket
 * close, kills the program.
 */
#include <linux/close_range.h>
#include <stdbool.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "vmsandbox/compat/uffd.h"
#include <stddef.h>
#include <sys/syscall.h>

#include "agent.h"
#include "channel.h"

static inline long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define sys3(nr, a, b, c) sys6(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* Closes every descriptor of the agent's private table but its own three
 * (keep[], ascending; a negative one is not open yet): the copy of the
 * program's table made at clone time would otherwise keep the program's
 * pipes open after the program closed them. */
static void close_all_but(int keep[3])
{
	long next = 0;

	for (int i = 0; i < 3; i++) {
		if (keep[i] < 0)
			continue;
		if (keep[i] > next)
			sys3(SYS_close_range, next, keep[i] - 1, 0);
		next = keep[i] + 1;
	}
	sys3(SYS_close_range, next, ~0U, 0);
}

static void sort3(int v[3])
{
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2 - i; j++)
			if (v[j] > v[j + 1]) {
				int t = v[j];

				v[j] = v[j + 1];
				v[j + 1] = t;
			}
}

/*
 * DROP: each page leaves the process by UFFDIO_MOVE into the stash (no uffd
 * event, unlike MADV_DONTNEED on the page itself), then the stash is emptied
 * at once (no event either: the stash has its own uffd, see shim.c).  A page MOVE refuses (shared copy-on-write after fork: EBUSY; not
 * writable: EINVAL) is discarded with MADV_DONTNEED instead; a page already
 * gone (unmapped: ENOENT) needs nothing.  UFFDIO_MOVE must be called from
 * inside the process: the kernel refuses it (EINVAL) from another mm.
 */
static long drop(struct vms_agent_ctx *ctx, const struct vms_agent_req *q)
{
	uint64_t used = 0;
	long failed = 0;

	for (uint32_t i = 0; i < q->nr && i < VMS_AGENT_MAX_DROP; i++) {
		struct uffdio_move mv = { .dst = ctx->stash + used * 4096, .src = q->addr[i],
					  .len = 4096, .mode = 0 };
		long r = -11;

		for (int tries = 0; r == -11 /* EAGAIN */ && tries < 1000; tries++) {
			r = sys3(SYS_ioctl, ctx->stash_uffd, UFFDIO_MOVE, &mv);
			if (r == -11)
				sys3(SYS_sched_yield, 0, 0, 0);
		}
		if (r == 0) {
			used++;
		} else if (r != -2 /* ENOENT */ &&
			   sys3(SYS_madvise, q->addr[i], 4096, MADV_DONTNEED) < 0) {
			failed++;
		}
	}
	if (used)
		sys3(SYS_madvise, ctx->stash, used * 4096, MADV_DONTNEED);
	return failed;
}

static bool in_park(const struct vms_agent_ctx *ctx, uint64_t addr)
{
	return ctx->park && addr >= ctx->park && addr < ctx->park + ctx->park_pages * 4096;
}

/*
 * PARK: soft unmaps.  UFFDIO_MOVE takes the page out of the program without
 * copying or discarding it and makes no uffd event; its next touch is a
 * missing fault that the supervisor serves from the slot.  A slot that
 * still holds an older copy (the supervisor's request to empty it may be
 * behind this one) is emptied first: MOVE wants an empty destination
 * (EEXIST).  A page MOVE refuses (shared with a fork child: EBUSY; gone:
 * ENOENT) stays where it is, and the supervisor hears of it.
 */
static long park(struct vms_agent_ctx *ctx, const struct vms_agent_req *q)
{
	long failed = 0;

	for (uint32_t i = 0; 2 * i + 1 < q->nr && i < VMS_AGENT_MAX_PARK; i++) {
		uint64_t src = q->addr[2 * i], slot = q->addr[2 * i + 1];
		struct uffdio_move mv = { .dst = slot, .src = src, .len = 4096, .mode = 0 };
		long r = -11;

		if (!in_park(ctx, slot)) {
			failed |= 1L << i;
			continue;
		}
		if (!src) {
			sys3(SYS_madvise, slot, 4096, MADV_DONTNEED);
			continue;
		}
		for (int tries = 0; (r == -11 || r == -17) && tries < 1000; tries++) {
			r = sys3(SYS_ioctl, ctx->stash_uffd, UFFDIO_MOVE, &mv);
			if (r == -17 /* EEXIST */)
				sys3(SYS_madvise, slot, 4096, MADV_DONTNEED);
			else if (r == -11 /* EAGAIN */)
				sys3(SYS_sched_yield, 0, 0, 0);
		}
		if (r != 0)
			failed |= 1L << i;
	}
	return failed;
}

/*
 * WAKE: threads whose faults the supervisor filled without waking them,
 * until the requests before this one (their soft unmaps, their drops) were
 * done.  Requests run in order, so they are done now.
 */
static long wake(struct vms_agent_ctx *ctx, const struct vms_agent_req *q)
{
	for (uint32_t i = 0; 2 * i + 1 < q->nr && i < VMS_AGENT_MAX_WAKE; i++) {
		struct uffdio_range wr = { .start = q->addr[2 * i], .len = q->addr[2 * i + 1] };

		if (ctx->uffd >= 0)
			sys3(SYS_ioctl, ctx->uffd, UFFDIO_WAKE, &wr);
	}
	return 0;
}

/* $VMSANDBOX_TEST_AGENT_DELAY_US (shim.c): a slow agent, for tests. */
static void test_delay(const struct vms_agent_ctx *ctx)
{
	struct timespec ts = { ctx->delay_ns / 1000000000L, ctx->delay_ns % 1000000000L };

	if (ctx->delay_ns)
		sys3(SYS_nanosleep, (long)&ts, 0, 0);
}

static long execute(struct vms_agent_ctx *ctx, const struct vms_agent_req *q)
{
	if (q->op == VMS_AGENT_DROP || q->op == VMS_AGENT_PARK)
		test_delay(ctx);
	switch (q->op) {
	case VMS_AGENT_DROP:
		return drop(ctx, q);
	case VMS_AGENT_PARK:
		return park(ctx, q);
	case VMS_AGENT_WAKE:
		return wake(ctx, q);
	case VMS_AGENT_MMAP:
		/* Anonymous (the filter only sends those): fd is ignored, and
		 * VMS_AGENT_MARK keeps this call from being sent back. */
		return sys6(SYS_mmap, (long)q->args[0], (long)q->args[1], (long)q->args[2],
			    (long)q->args[3], (long)VMS_AGENT_MARK, (long)q->args[5]);
	case VMS_AGENT_BRK:
		return sys3(SYS_brk, q->args[0], VMS_AGENT_MARK, 0);
	case VMS_AGENT_MADVISE:
		return sys3(SYS_madvise, q->args[0], q->args[1], q->args[2]);
	default:
		return -38; /* ENOSYS */
	}
}

/* HELLO with the userfaultfd attached (SCM_RIGHTS), by hand: no libc. */
static long send_hello(struct vms_agent_ctx *ctx)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = &ctx->hello, .iov_len = sizeof(ctx->hello) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (ctx->uffd < 0)   /* a fork child: the supervisor holds its uffd */
		return sys3(SYS_sendmsg, ctx->sock, &mh, MSG_NOSIGNAL);
	for (unsigned i = 0; i < sizeof(cm.buf); i++)
		cm.buf[i] = 0;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	*(int *)CMSG_DATA(c) = ctx->uffd;
	return sys3(SYS_sendmsg, ctx->sock, &mh, MSG_NOSIGNAL);
}

/* One message; a descriptor that comes with it (the WELCOME of a fork
 * child carries the child's userfaultfd) becomes ctx->uffd. */
static long receive(struct vms_agent_ctx *ctx, void *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };
	long n = sys3(SYS_recvmsg, ctx->sock, &mh, MSG_CMSG_CLOEXEC);
	struct cmsghdr *c;

	if (n <= 0 || mh.msg_controllen < sizeof(struct cmsghdr))
		return n;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && ctx->uffd < 0)
		ctx->uffd = *(int *)CMSG_DATA(c);
	return n;
}

/* Lets the constructor, waiting on ctx->state, go on. */
static void release_constructor(struct vms_agent_ctx *ctx, int status)
{
	ctx->status = status;
	__atomic_store_n(&ctx->state, 1, __ATOMIC_RELEASE);
	sys6(SYS_futex, (long)&ctx->state, FUTEX_WAKE, 1, 0, 0, 0);
}

int vms_agent_main(void *arg)
{
	struct vms_agent_ctx *ctx = arg;
	union {
		struct vms_agent_req q;
		struct vms_welcome w;
	} in;
	struct vms_agent_req q;
	struct vms_agent_reply r;
	bool welcomed = false;
	int keep[3] = { ctx->sock, ctx->uffd, ctx->stash_uffd };
	long n;

	sort3(keep);
	close_all_but(keep);
	ctx->hello.agent_tid = (int32_t)sys3(SYS_gettid, 0, 0, 0);
	if (send_hello(ctx) != sizeof(ctx->hello)) {
		release_constructor(ctx, -71); /* EPROTO */
		goto orphaned;
	}
	/* Until the welcome arrives, the supervisor may already send requests:
	 * taking the pages already present may need room in the stash. */
	for (;;) {
		n = receive(ctx, &in, sizeof(in));
		if (n == -4) /* EINTR */
			continue;
		if (!welcomed && n == sizeof(in.w) && in.w.magic == VMS_CHANNEL_MAGIC) {
			welcomed = true;
			if (ctx->hello.flags & VMS_HELLO_FORKED) {
				/* Pages the parent's agent had in its stash at
				 * fork were copied here: empty it. */
				sys3(SYS_madvise, ctx->stash, VMS_STASH_PAGES * 4096, MADV_DONTNEED);
				/* The parent's slots: copies of pages the
				 * supervisor had brought back before the fork. */
				if (ctx->park)
					sys3(SYS_madvise, ctx->park, ctx->park_pages * 4096,
					     MADV_DONTNEED);
			}
			release_constructor(ctx, in.w.status);
			continue;
		}
		if (n < (long)VMS_AGENT_REQ_BYTES(0))
			goto orphaned;
		q = in.q;
		r.op = q.op;
		r.seq = q.seq;
		r.ret = execute(ctx, &q);
		/* WAKE has nothing to tell, and a reply would wake the
		 * supervisor once more on every fault that waited. */
		if (q.op == VMS_AGENT_WAKE)
			continue;
		if (sys6(SYS_sendto, ctx->sock, (long)&r, sizeof(r), 0, 0, 0) != sizeof(r))
			goto orphaned;
	}
orphaned:
	if (!welcomed)
		release_constructor(ctx, -71);
	/* The supervisor is gone: nobody will ever serve this process's
	 * faults again, so it must not run on. */
	sys3(SYS_kill, ctx->tgid, SIGKILL, 0);
	for (;;)
		sys3(SYS_pause, 0, 0, 0);
	return 0;
}
