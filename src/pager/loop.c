/* SPDX-License-Identifier: MIT */
/*
 * The supervisor: starts the program under the seccomp filter with the shim
 * preloaded, then runs one epoll loop over the listening socket (agents
 * arriving), the seccomp listener, every process's userfaultfd and agent
 * socket, and a signalfd, until the program exits.
 *
 * The program is the supervisor's child.  PR_SET_PDEATHSIG kills it if the
 * supervisor dies; every other process of the tree is killed by its own
 * agent when the agent's socket closes, and until then its faults wait,
 * because the agent holds the userfaultfd open (shim/agent.c): no process
 * ever runs on with zero pages where its data was.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "filter.h"
#include "pager.h"
#include "perfcount.h"
#include "thrash.h"
#include "attrib.h"
#include "profile.h"
#include "progress.h"
#include "sites.h"
#include "vmsandbox/policy.h"

uint64_t vms_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum vms_uffd_errclass vms_pager_classify(struct vms_pager *pg, int err)
{
	enum vms_uffd_errclass c = vms_uffd_classify(err);

	if (c == VMS_UFFD_RETRY)
		pg->uffd_busy = true;
	return c;
}

void vms_pager_fatal(struct vms_pager *pg, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (pg->fatal)
		return;   /* the first cause is the one worth reporting */
	pg->fatal = err < 0 ? err : -EIO;
	va_start(ap, fmt);
	n = vsnprintf(pg->fatal_msg, sizeof(pg->fatal_msg), fmt, ap);
	va_end(ap);
	if (err < 0 && n > 0 && (size_t)n < sizeof(pg->fatal_msg))
		snprintf(pg->fatal_msg + n, sizeof(pg->fatal_msg) - (size_t)n, ": %s", strerror(-err));
}

int vms_pager_watch(struct vms_pager *pg, int fd, struct vms_watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	return epoll_ctl(pg->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int open_listener(struct vms_pager *pg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec ts;
	size_t len;
	int fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* Fixed width: the program's environment, and with it where its
	 * stack begins, has the same size in every run (--deterministic). */
	snprintf(pg->sock_name, sizeof(pg->sock_name), "vmsandbox-%010d-%016lx", (int)getpid(),
		 (unsigned long)(ts.tv_nsec ^ ts.tv_sec));
	len = strlen(pg->sock_name);
	memcpy(sa.sun_path + 1, pg->sock_name, len);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) < 0 ||
	    listen(fd, 64) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	pg->listen_fd = fd;
	return 0;
}

/* LD_PRELOAD with the shim first, keeping what the user preloads. */
static int set_preload(const char *shim)
{
	const char *old = getenv("LD_PRELOAD");
	char *v;
	int r;

	if (old && *old) {
		if (asprintf(&v, "%s:%s", shim, old) < 0)
			return -ENOMEM;
		r = setenv("LD_PRELOAD", v, 1);
		free(v);
	} else {
		r = setenv("LD_PRELOAD", shim, 1);
	}
	return r < 0 ? -errno : 0;
}

struct launch_error {
	int stage;   /* 1: filter, 2: exec */
	int err;     /* errno */
};

static void child_fail(int pipe_fd, int stage, int err)
{
	struct launch_error e = { .stage = stage, .err = err };

	(void)!write(pipe_fd, &e, sizeof(e));
	_exit(stage == 2 && err == ENOENT ? 127 : 126);
}

/*
 * --deterministic, in the child before exec: the randomness that exists only
 * to make runs differ is switched off for the whole tree.
 *  - Address space layout (as setarch -R does): the personality is inherited
 *    across fork and exec.  The trace records page numbers, so every run
 *    would differ from its first mmap on.
 *  - The hash seeds of the interpreters, which change where a table's
 *    entries land, hence which pages are touched (python3 and perl traces
 *    differed from the 3,300th and the 473rd event on without them), unless
 *    the user has set them: their value wins (PYTHONHASHSEED=random brings
 *    the randomness back).  The program sees these variables.
 */
static void derandomize(int pipe_fd)
{
	static const char *const seeds[][2] = {
		{ "PYTHONHASHSEED", "0" },
		{ "PERL_HASH_SEED", "0" },
		{ "PERL_PERTURB_KEYS", "0" },
	};
	int persona = personality(0xffffffff);

	if (persona < 0 || personality((unsigned long)persona | ADDR_NO_RANDOMIZE) < 0)
		child_fail(pipe_fd, 1, errno);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		if (setenv(seeds[i][0], seeds[i][1], 0) < 0)
			child_fail(pipe_fd, 1, ENOMEM);
}

/* In the child, between fork and exec.  The filter is installed last: every
 * mmap after it is a notification that the (single-threaded, waiting)
 * supervisor must answer, and it only starts answering after this exec. */
static void child_main(struct vms_pager *pg, const sigset_t *mask, pid_t parent, int sock_fd,
		       int pipe_fd)
{
	int lfd, r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(125);
	sigprocmask(SIG_SETMASK, mask, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (set_preload(pg->cfg.shim_path) < 0 || setenv(VMS_CHANNEL_ENV, pg->sock_name, 1) < 0)
		child_fail(pipe_fd, 1, ENOMEM);
	if (pg->park) {
		char pages[32];

		snprintf(pages, sizeof(pages), "%u", vms_mm_frames(pg->mm)->nr_frames);
		if (setenv(VMS_PARK_ENV, pages, 1) < 0)
			child_fail(pipe_fd, 1, ENOMEM);
	}
	if (pg->cfg.deterministic)
		derandomize(pipe_fd);
	r = vms_seccomp_install(&lfd, pg->cfg.overcommit == VMS_OVERCOMMIT_NEVER);
	if (r < 0)
		child_fail(pipe_fd, 1, -r);
	r = (int)vms_fdpass_send(sock_fd, "", 1, lfd);
	if (r != 1)
		child_fail(pipe_fd, 1, r < 0 ? -r : EPROTO);
	close(lfd);
	close(sock_fd);
	execv(pg->cfg.program_path, pg->cfg.argv);
	child_fail(pipe_fd, 2, errno);
}

static int recv_fd(int sock)
{
	char byte;
	int fd;

	if (vms_fdpass_recv(sock, &byte, 1, &fd) != 1) {
		if (fd >= 0)
			close(fd);
		return -EPIPE;
	}
	return fd >= 0 ? fd : -EPROTO;
}

static int launch(struct vms_pager *pg, const sigset_t *orig_mask)
{
	struct launch_error e;
	int sp[2], ep[2];
	pid_t parent = getpid(), pid;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(sp[0]);
		close(ep[0]);
		child_main(pg, orig_mask, parent, sp[1], ep[1]);
	}
	pg->child = pid;
	close(sp[1]);
	close(ep[1]);
	pg->seccomp_fd = recv_fd(sp[0]);
	close(sp[0]);
	/* EOF on the pipe: the exec happened (it is close-on-exec). */
	n = read(ep[0], &e, sizeof(e));
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		int status;

		waitpid(pid, &status, 0);
		pg->child_done = true;
		pg->child_status = status;
		if (pg->seccomp_fd >= 0)
			close(pg->seccomp_fd);
		pg->seccomp_fd = -1;
		return e.stage == 1 ? -e.err : -(1000 + e.err);
	}
	if (pg->seccomp_fd < 0)
		return pg->seccomp_fd;
	return 0;
}

static void kill_tree(struct vms_pager *pg)
{
	for (struct vms_proc *p = pg->procs; p; p = p->next)
		if (p->pid > 0 && !p->gone)
			kill(p->pid, SIGKILL);
	if (!pg->child_done)
		kill(pg->child, SIGKILL);
}

static void handle_signals(struct vms_pager *pg)
{
	struct signalfd_siginfo si;

	while (read(pg->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			for (;;) {
				int status;
				pid_t pid = waitpid(-1, &status, WNOHANG);

				if (pid <= 0)
					break;
				if (pid == pg->child) {
					pg->child_done = true;
					pg->child_status = status;
				}
			}
			break;
		case SIGTERM:
		case SIGHUP:
			/* Meant for the program: vmsandbox ends when it does. */
			if (!pg->child_done)
				kill(pg->child, (int)si.ssi_signo);
			break;
		case SIGWINCH:
		case SIGTSTP:
		case SIGCONT:
			vms_progress_signal(pg, (int)si.ssi_signo);   /* --progress only */
			break;
		default:
			/* SIGINT and SIGQUIT come from the terminal to the whole
			 * process group: the program has them already. */
			break;
		}
	}
}

static void after_batch(struct vms_pager *pg)
{
	uint64_t now;

again:
	for (struct vms_proc *p = pg->procs; p && !pg->fatal; p = p->next) {
		if (p->gone)
			continue;
		if (p->nr_queued || p->fills) {
			uint64_t t0 = vms_now_ns();

			vms_fault_retry(pg, p);
			pg->st.in_fault_ns += vms_now_ns() - t0;
		}
		if (p->forks_waiting)
			vms_fork_retry(pg, p);
	}
	/* Drops last: the retries above may have evicted more. */
	now = vms_now_ns();
	vms_wss_maybe_sample(pg, now);
	for (struct vms_proc *p = pg->procs; p && !pg->fatal; p = p->next) {
		if (!p->gone) {
			vms_agent_send_queued(pg, p);
			vms_drop_maybe_flush(pg, p, now);
			/* Soft unmaps go at once: until the agent has moved a
			 * page, its touches are not seen. */
			vms_park_flush(pg, p);
			vms_hold_send(pg, p);
		}
	}
	/* A fault refused because its victim's process turned out to be gone
	 * (exited, the shared frames of a fork child) is served once that
	 * process has been destroyed: no event would wake it otherwise. */
	if (vms_proc_reap_gone(pg) && !pg->fatal)
		goto again;
	vms_thrash_batch_done(pg);
}

/*
 * The wait for the next event.  Fills and faults that wait for something the
 * loop will be told about (an agent's reply, the next event) wait without a
 * timeout.  But an ioctl refused with EAGAIN because the kernel's
 * mmap_changing count is still raised is not: the count drops when the
 * thread whose munmap, mremap or MADV_DONTNEED raised it runs again, after we
 * read its event, and nothing tells us.  Waiting without a timeout then hangs
 * the faulting thread for good (seen with zstd -T2: one fill pending, every
 * thread asleep).  So after such a refusal the wait is short at first (the
 * other thread usually runs within microseconds), doubling to 1 ms.
 */
static long retry_backoff(bool pending, long *backoff_ns)
{
	if (!pending) {
		*backoff_ns = 0;
		return -1;
	}
	*backoff_ns = *backoff_ns ? *backoff_ns * 2 : 20000;
	if (*backoff_ns > 1000000)
		*backoff_ns = 1000000;
	return *backoff_ns;
}

/* The wait for the next event: none (NULL) unless a refused ioctl is to be
 * retried or a batch of drops falls due. */
static const struct timespec *next_wait(struct vms_pager *pg, struct timespec *ts,
					long *backoff_ns)
{
	long wait_ns = retry_backoff(pg->uffd_busy, backoff_ns);
	uint64_t now = 0, wss = vms_wss_deadline(pg), progress = vms_progress_deadline(pg);

	if (progress && (!wss || progress < wss))
		wss = progress;   /* whichever comes first */
	if (wss) {
		now = vms_now_ns();
		wait_ns = wss > now ? (long)(wss - now) : 0;
		if (wait_ns > 999999999)
			wait_ns = 999999999;
		if (pg->uffd_busy && *backoff_ns < wait_ns)
			wait_ns = *backoff_ns;
	}

	for (const struct vms_proc *p = pg->procs; p; p = p->next) {
		uint64_t due = vms_drop_deadline(pg, p);
		long left;

		if (!due)
			continue;
		if (!now)
			now = vms_now_ns();
		left = due > now ? (long)(due - now) : 0;
		if (wait_ns < 0 || left < wait_ns)
			wait_ns = left;
	}
	if (wait_ns < 0)
		return NULL;
	ts->tv_sec = 0;
	ts->tv_nsec = wait_ns;
	return ts;
}

/*
 * Waits for events, polling for a moment first while they come fast.
 *
 * Every fault is two wakeups across CPUs: the faulting thread wakes the
 * supervisor, the fill wakes the thread.  A vCPU woken from idle costs
 * 30-50 µs on these virtual machines (an interprocessor interrupt and a VM
 * entry), far more than serving the fault: the thrash benchmark took 15 s
 * sleeping in epoll_wait between faults, 6.6 s polling for up to 50 µs, and
 * 4.2 s with the program and vmsandbox pinned to one CPU (nothing sleeps).
 * The poll is adaptive, like a mutex's spinning: only when the previous
 * event came within VMS_SPIN_WINDOW_NS of the loop going idle, so a program
 * that rarely faults does not have a CPU burnt for it.
 */
#define VMS_SPIN_NS 50000u
#define VMS_SPIN_WINDOW_NS 500000u

static int wait_events(struct vms_pager *pg, struct epoll_event *evs, int max,
		       const struct timespec *wait, uint64_t *last_gap_ns)
{
	uint64_t t0 = vms_now_ns(), now = t0;
	struct timespec rest;
	int n = 0;

	/* On one CPU (--cpus 0, taskset) polling only delays the program,
	 * which needs that CPU to fault again. */
	if (pg->nr_cpus > 1 && *last_gap_ns < VMS_SPIN_WINDOW_NS) {
		while (n == 0 && now - t0 < VMS_SPIN_NS) {
			n = epoll_wait(pg->epfd, evs, max, 0);
			now = vms_now_ns();
		}
		if (n == 0 && wait) {
			/* The poll used up part of the timeout (always < 1 s). */
			long left = wait->tv_nsec - (long)(now - t0);

			rest = (struct timespec){ 0, left > 0 ? left : 0 };
			wait = &rest;
		}
	}
	if (n == 0)
		n = epoll_pwait2(pg->epfd, evs, max, wait, NULL);
	*last_gap_ns = vms_now_ns() - t0;
	return n;
}

static void loop(struct vms_pager *pg)
{
	struct epoll_event evs[64];
	struct timespec ts;
	long backoff_ns = 0;
	uint64_t last_gap_ns = UINT64_MAX;

	while (!pg->child_done && !pg->fatal) {
		const struct timespec *wait = next_wait(pg, &ts, &backoff_ns);
		int n = wait_events(pg, evs, 64, wait, &last_gap_ns);

		pg->uffd_busy = false;   /* set again by whatever is refused again */

		if (n < 0) {
			if (errno == EINTR)
				continue;
			vms_pager_fatal(pg, -errno, "epoll_wait");
			break;
		}
		if (n > 0)
			backoff_ns = 0;
		vms_thrash_woke(pg, vms_now_ns());
		if (pg->progress)
			vms_progress_tick(pg, vms_now_ns());
		for (int i = 0; i < n && !pg->fatal; i++) {
			struct vms_watch *w = evs[i].data.ptr;

			switch (w->kind) {
			case VMS_WATCH_LISTEN:
				vms_proc_accept(pg);
				break;
			case VMS_WATCH_SECCOMP:
				vms_syscall_notify(pg);
				break;
			case VMS_WATCH_SIGNAL:
				handle_signals(pg);
				break;
			case VMS_WATCH_UFFD:
				vms_fault_read_uffd(pg, w->proc);
				break;
			case VMS_WATCH_AGENT:
				vms_agent_read(pg, w->proc);
				break;
			}
		}
		after_batch(pg);
	}
}

static int trace_write(void *ctx, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, ctx) == len ? 0 : -EIO;
}

static int setup(struct vms_pager *pg, const struct vms_pager_config *cfg)
{
	struct vms_mm_config mc = { 0 };
	cpu_set_t cpus;
	int r;

	pg->cfg = *cfg;
	pg->nr_cpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
	pg->listen_fd = pg->seccomp_fd = pg->signal_fd = pg->epfd = -1;
	pg->next_as_id = 1;
	mc.nr_frames = (uint32_t)cfg->frames;
	mc.policy = vms_policy_find(cfg->policy);
	if (!mc.policy)
		return -EINVAL;
	mc.policy_cfg.seed = cfg->seed;
	mc.policy_cfg.ws_window = 4 * mc.nr_frames;
	r = vms_compressor_parse(cfg->compress, &mc.swap.compressor);
	if (r < 0)
		return r;
	if (cfg->swap_bytes != UINT64_MAX)
		mc.swap.capacity_bytes = cfg->swap_bytes ? cfg->swap_bytes : 1;
	mc.tlb = cfg->tlb;
	pg->backend = vms_pager_backend_ops;
	pg->backend.ctx = pg;
	mc.backend = &pg->backend;
	pg->oom.rules.mode = cfg->overcommit;
	pg->oom.rules.ram_pages = cfg->frames;
	pg->oom.rules.swap_pages = cfg->swap_bytes == UINT64_MAX ? UINT64_MAX
				   : cfg->swap_bytes / VMS_PAGE;
	pg->oom.rules.limit_pages = cfg->commit_limit_bytes
		? cfg->commit_limit_bytes / VMS_PAGE
		: vms_commit_default_limit(cfg->frames, pg->oom.rules.swap_pages);
	pg->oom.pause = cfg->oom_pause;
	r = vms_mm_new(&mc, &pg->mm);
	if (r < 0)
		return r;
	r = vms_park_init(pg);
	if (r < 0)
		return r;
	r = vms_sites_init(pg);
	if (r < 0)
		return r;
	r = vms_profile_init(pg);
	if (r < 0)
		return r;
	r = vms_attrib_init(pg);
	if (r < 0)
		return r;
	r = vms_progress_init(pg);
	if (r < 0)
		return r;
	if (cfg->trace_file) {
		r = vms_trace_writer_new(trace_write, cfg->trace_file, &pg->trace);
		if (r < 0)
			return r;
	}
	return 0;
}

int vms_pager_run(struct vms_pager *pg, const struct vms_pager_config *cfg)
{
	sigset_t mask, orig;
	int r;

	r = setup(pg, cfg);
	if (r < 0)
		return r;
	r = open_listener(pg);
	if (r < 0)
		return r;
	pg->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (pg->epfd < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGQUIT);
	if (pg->progress) {
		/* The status line follows the window's size and job control. */
		sigaddset(&mask, SIGWINCH);
		sigaddset(&mask, SIGTSTP);
		sigaddset(&mask, SIGCONT);
	}
	sigprocmask(SIG_BLOCK, &mask, &orig);
	signal(SIGPIPE, SIG_IGN);
	pg->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (pg->signal_fd < 0)
		return -errno;
	pg->start_ns = vms_now_ns();
	pg->wss_next_ns = pg->start_ns + cfg->wss_interval_ns;
	r = vms_thrash_start(pg);
	if (r < 0)
		return r;
	r = launch(pg, &orig);
	if (r < 0)
		return r;
	pg->perf_fd = -1;
	if (cfg->tlb.nr_levels) {
		pg->perf_fd = vms_perf_open_instructions(pg->child);
		if (pg->perf_fd < 0) {
			pg->perf_err = pg->perf_fd;
			pg->perf_fd = -1;
		}
	}
	pg->listen_watch.kind = VMS_WATCH_LISTEN;
	pg->seccomp_watch.kind = VMS_WATCH_SECCOMP;
	pg->signal_watch.kind = VMS_WATCH_SIGNAL;
	if (vms_pager_watch(pg, pg->listen_fd, &pg->listen_watch) < 0 ||
	    vms_pager_watch(pg, pg->seccomp_fd, &pg->seccomp_watch) < 0 ||
	    vms_pager_watch(pg, pg->signal_fd, &pg->signal_watch) < 0)
		return -errno;
	loop(pg);
	if (pg->fatal || !pg->child_done) {
		kill_tree(pg);
		while (!pg->child_done) {
			int status;

			if (waitpid(pg->child, &status, 0) == pg->child) {
				pg->child_done = true;
				pg->child_status = status;
			} else if (errno != EINTR) {
				break;
			}
		}
	} else {
		/* The program is done; whatever it left running goes with it,
		 * as when a container's init exits. */
		kill_tree(pg);
	}
	pg->end_ns = vms_now_ns();
	vms_wss_finish(pg, pg->end_ns);
	vms_thrash_finish(pg, pg->end_ns);
	vms_sites_finish(pg);
	vms_progress_finish(pg);
	vms_attrib_finish(pg);
	if (pg->perf_fd >= 0) {
		int pr = vms_perf_read(pg->perf_fd, &pg->instructions);

		pg->have_instructions = pr == 0;
		pg->perf_err = pr;
		close(pg->perf_fd);
		pg->perf_fd = -1;
	}
	if (pg->trace) {
		int tr = vms_trace_writer_finish(pg->trace);

		if (tr < 0 && !pg->trace_err)
			pg->trace_err = tr;
		if (fflush(cfg->trace_file) != 0 && !pg->trace_err)
			pg->trace_err = -errno;
	}
	return 0;
}

void vms_pager_fini(struct vms_pager *pg)
{
	while (pg->procs)
		vms_proc_destroy(pg, pg->procs);
	free(pg->records);
	free(pg->unmanaged_procs);
	pg->records = NULL;
	vms_mm_free(pg->mm);
	pg->mm = NULL;
	vms_park_fini(pg);
	vms_oom_fini(pg);
	vms_thrash_fini(pg);
	vms_sites_fini(pg);
	vms_profile_fini(pg);
	vms_attrib_fini(pg);
	vms_progress_fini(pg);
	vms_trace_writer_free(pg->trace);
	pg->trace = NULL;
	if (pg->listen_fd >= 0)
		close(pg->listen_fd);
	if (pg->seccomp_fd >= 0)
		close(pg->seccomp_fd);
	if (pg->signal_fd >= 0)
		close(pg->signal_fd);
	if (pg->epfd >= 0)
		close(pg->epfd);
}
