/* SPDX-License-Identifier: MIT */
/*
 * libvmsandbox-shim.so: loaded into every sandboxed process with LD_PRELOAD.
 * Its constructor hands the process's memory to the supervisor and starts the
 * agent; it decides nothing (every paging decision is the supervisor's).
 *
 * Order matters:
 *  1. the stash and the agent's stack are mapped first, while the supervisor
 *     still answers this process's mmap calls with "continue" (it does not
 *     know the process yet), so they are plain mappings;
 *  2. the userfaultfd is created and handed over with HELLO; the supervisor
 *     registers every anonymous private mapping from /proc/PID/maps (it can:
 *     UFFDIO_REGISTER acts on the fd's mm, whoever calls it), takes the pages
 *     already present into its page table, and answers;
 *  3. the agent is cloned with its own descriptor table (see agent.c), and
 *     only then are the uffd and the socket closed in the program's table,
 *     so the program never sees a vmsandbox descriptor after its
 *     constructors have run.
 * All signals are blocked meanwhile, so that the agent starts with every
 * signal blocked (it must never run a program's handler).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/futex.h>
#include <unistd.h>

#include "agent.h"
#include "channel.h"
#include "uffd.h"

#define AGENT_STACK_BYTES (64 * 1024)

static void die(const char *what, int err)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg),
			 "vmsandbox: process %d cannot be sandboxed: %s: %s\n",
			 (int)getpid(), what, strerror(err));

	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(125);
}

static int connect_supervisor(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd;

	if (len + 1 > sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* An abstract address: a leading NUL, no file to clean up, reachable
	 * after a chdir or chroot-less exec of anything. */
	memcpy(sa.sun_path + 1, name, len);
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/*
 * The stash's own userfaultfd.  UFFDIO_MOVE needs its destination registered
 * with the uffd it is called on, so the stash must be registered somewhere;
 * with the program's uffd, every emptying of the stash (MADV_DONTNEED) would
 * be a REMOVE event, and until the supervisor has read it and the agent has
 * run again, the kernel refuses every fill of this process with EAGAIN
 * (mmap_changing): one eviction batch stalled the faults of all threads.  A
 * second uffd without EVENT_REMOVE has no events at all.  Registered in WP
 * mode like the program's memory, because MOVE requires both mappings to
 * have the same page protection and WP mode makes a mapping write-notify.
 * Fork does not copy the registration (no EVENT_FORK): a child makes its own.
 */
/* A userfaultfd with the API handshake done; dies with `what` on failure. */
static int open_uffd(uint64_t wanted, uint64_t required, uint64_t *ret_features,
		     const char *what)
{
	enum vms_uffd_source how;
	uint64_t ioctls;
	int fd = -1, r;

	r = vms_uffd_open(0, &fd, &how);
	if (r == 0)
		r = vms_uffd_handshake(fd, wanted, required, ret_features, &ioctls);
	if (r < 0)
		die(what, -r);
	return fd;
}

static int open_stash_uffd(void *stash, void *park, uint64_t park_pages)
{
	uint64_t features;
	int fd = open_uffd(UFFD_FEATURE_MOVE, 0, &features, "userfaultfd for the stash");
	int r = vms_uffd_register(fd, (uintptr_t)stash, (uint64_t)VMS_STASH_PAGES * 4096,
				  UFFDIO_REGISTER_MODE_WP, NULL);

	if (r < 0)
		die("cannot register the stash with userfaultfd", -r);
	/* The park area (channel.h) too: UFFDIO_MOVE wants its destination
	 * registered with the fd it is called on, in the source's WP mode. */
	if (park) {
		r = vms_uffd_register(fd, (uintptr_t)park, park_pages * 4096,
				      UFFDIO_REGISTER_MODE_WP, NULL);
		if (r < 0)
			die("cannot register the park area with userfaultfd", -r);
	}
	return fd;
}

static void *shim_park;
static uint64_t shim_park_pages;

/*
 * Fault injection for tests: $VMSANDBOX_TEST_AGENT_DELAY_US (at most one
 * second) makes the agent sleep that long before each drop and soft unmap,
 * as an agent thread starved of CPU on a loaded machine would.  What must
 * not depend on the agent's speed (the program's output, and with
 * --deterministic its trace) is then tested where races are wide open
 * (tests/integration/test_determinism.sh, case slow_agent).
 */
static long shim_agent_delay_ns;

static void read_test_knobs(void)
{
	const char *v = getenv("VMSANDBOX_TEST_AGENT_DELAY_US");
	unsigned long us = v ? strtoul(v, NULL, 10) : 0;

	shim_agent_delay_ns = us <= 1000000 ? (long)us * 1000 : 0;
}

/* The park area: $VMSANDBOX_PARK_PAGES pages of address space, no memory
 * until pages are parked there. */
static void map_park_area(void)
{
	const char *v = getenv(VMS_PARK_ENV);
	unsigned long long pages = v ? strtoull(v, NULL, 10) : 0;
	void *p;

	if (!pages || pages > (1ull << 32))
		return;
	p = mmap(NULL, (size_t)pages * 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die("cannot map the park area", errno);
	shim_park = p;
	shim_park_pages = pages;
}

/*
 * Maps the agent's stack, connects, starts the agent and waits for the
 * supervisor's welcome.  uffd < 0 for a fork child, whose userfaultfd the
 * supervisor received with the fork event and sends back with the welcome.
 */
static void start_agent(const char *name, int uffd, uint64_t features, void *stash,
			uint32_t flags)
{
	int stash_uffd = open_stash_uffd(stash, shim_park, shim_park_pages);
	struct vms_agent_ctx *ctx;
	void *stack;
	int sock;

	stack = mmap(NULL, AGENT_STACK_BYTES, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stack == MAP_FAILED)
		die("cannot map the agent's stack", errno);
	sock = connect_supervisor(name);
	if (sock < 0)
		die("cannot reach the vmsandbox supervisor", -sock);
	ctx = stack;
	ctx->sock = sock;
	ctx->uffd = uffd;
	ctx->stash_uffd = stash_uffd;
	ctx->tgid = getpid();
	ctx->stash = (uintptr_t)stash;
	ctx->park = (uintptr_t)shim_park;
	ctx->park_pages = shim_park ? shim_park_pages : 0;
	ctx->delay_ns = shim_agent_delay_ns;
	ctx->hello.park_addr = ctx->park;
	ctx->hello.park_pages = ctx->park_pages;
	ctx->hello.magic = VMS_CHANNEL_MAGIC;
	ctx->hello.version = VMS_CHANNEL_VERSION;
	ctx->hello.pid = getpid();
	ctx->hello.ppid = getppid();
	ctx->hello.flags = flags;
	ctx->hello.features = features;
	ctx->hello.stash_addr = (uintptr_t)stash;
	ctx->hello.agent_stack = (uintptr_t)stack;
	ctx->hello.agent_stack_len = AGENT_STACK_BYTES;
	/* No CLONE_FILES: the agent's table is a private copy (agent.c).  It
	 * sends HELLO itself, so that the supervisor can use it while taking
	 * this process's pages, and wakes us when the welcome arrives. */
	if (clone(vms_agent_main, (char *)stack + AGENT_STACK_BYTES,
		  CLONE_VM | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, ctx) < 0)
		die("cannot start the vmsandbox agent thread", errno);
	while (__atomic_load_n(&ctx->state, __ATOMIC_ACQUIRE) == 0)
		syscall(SYS_futex, &ctx->state, FUTEX_WAIT, 0, NULL, NULL, 0);
	if (ctx->status < 0)
		die("the vmsandbox supervisor refused this process", -ctx->status);
	if (uffd >= 0)
		close(uffd);
	close(stash_uffd);
	close(sock);
}

/* What a fork child needs to start its own agent (fork copies only the
 * calling thread). */
static char shim_socket_name[108];
static uint64_t shim_features;
static void *shim_stash;

/*
 * pthread_atfork child handler: the child's memory is still registered (the
 * kernel gave the supervisor a userfaultfd for it with the fork event), but
 * it has no agent to drop evicted pages.  Runs before fork() returns in the
 * child, so the child has not run any program code yet.
 */
static void vms_shim_atfork_child(void)
{
	sigset_t all, saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	start_agent(shim_socket_name, -1, shim_features, shim_stash, VMS_HELLO_FORKED);
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

__attribute__((constructor)) static void vms_shim_init(void)
{
	const char *name = getenv(VMS_CHANNEL_ENV);
	sigset_t all, saved;
	uint64_t features;
	void *stash;
	int uffd;

	if (!name || !*name)
		return;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	stash = mmap(NULL, (size_t)VMS_STASH_PAGES * 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (stash == MAP_FAILED)
		die("cannot map the stash", errno);
	map_park_area();
	read_test_knobs();
	uffd = open_uffd(VMS_UFFD_FEATURES_WANTED, VMS_UFFD_FEATURES_REQUIRED, &features,
			 "userfaultfd");
	/* Kept for fork children, in the library's own data: the program
	 * may change its environment. */
	snprintf(shim_socket_name, sizeof(shim_socket_name), "%s", name);
	shim_features = features;
	shim_stash = stash;
	start_agent(name, uffd, features, stash, 0);
	pthread_atfork(NULL, NULL, vms_shim_atfork_child);
	sigprocmask(SIG_SETMASK, &saved, NULL);
}
