/* SPDX-License-Identifier: MIT */
/*
 * The live pager: the supervisor's event loop and its state.  One pager
 * serves the whole process tree with one engine (src/core): one frame
 * budget, one policy, one swap store.  Single-threaded by design: every
 * decision happens in one order, so a deterministic program gives a
 * deterministic report.
 *
 * Files: loop.c (launch, epoll loop, signals, end), proc.c (a process's
 * arrival, registration of its memory, exit), fault.c (userfaultfd messages:
 * faults and events), backend.c (the engine's backend: eviction through the
 * stash, restore, peek), syscall.c (seccomp notifications, agent replies),
 * fork.c (a process about to fork: write-protect for copy-on-write), peek.c
 * (reading a process's memory through the page table), sites.c (allocation
 * sites: sites.h).
 * The summary and JSON report are the front end's (tools/run_report.c).
 */
#ifndef VMSANDBOX_PAGER_H
#define VMSANDBOX_PAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "channel.h"
#include "peek.h"
#include "uffd.h"
#include "vmsandbox/mm.h"
#include "vmsandbox/trace.h"
#include "oom.h"

#define VMS_PAGE 4096u
#define VMS_FAULT_AROUND_PAGES 16u
/* DROP requests a process's agent may have unanswered: bounds the pages
 * evicted but still in the process, and makes batches grow when the agent
 * is behind. */
#define VMS_DROPS_IN_FLIGHT 2u
/* A batch of evicted pages is sent to the agent when it is full, when a
 * fault waits for one of its pages, or this long after its first page: every
 * DROP costs two wakeups across CPUs, which a batch of one page per fault
 * made the largest cost of thrashing.  The pages wait resident in the
 * process meanwhile, outside the budget, as pages the kernel has decided to
 * reclaim wait for writeback. */
#define VMS_DROP_DELAY_NS 2000000u

struct vms_pager_config {
	uint64_t frames;              /* the budget */
	bool observe_only;            /* no --frames: frames is the machine's RAM */
	bool ref_tracking;            /* soft unmaps for the policy's reference bits / hits */
	bool fault_around;            /* --fault-around on (off: every first touch is a fault) */
	struct vms_tlb_geom tlb;      /* nr_levels 0: no TLB model */
	uint64_t wss_interval_ns;     /* 0: no working-set samples */
	uint64_t thrash_window_ns;    /* thrashing windows of wall time (0: the default) */
	uint64_t thrash_window_refs;  /* or of engine references (virtual time); 0: wall time */
	bool deterministic;           /* --deterministic: see docs/design.md */
	FILE *trace_file;             /* --trace, opened by the caller; NULL: no trace */
	const char *policy;
	uint64_t seed;
	uint64_t swap_bytes;          /* UINT64_MAX: unlimited; 0: no swap */
	const char *compress;
	char **argv;                  /* argv[0] as the user gave it */
	const char *program_path;     /* resolved */
	const char *shim_path;
	enum vms_overcommit overcommit;
	uint64_t commit_limit_bytes;  /* 0: the default (never mode) */
	bool oom_pause;               /* --oom-policy pause */
	bool profile;                 /* --profile: locality profile (profile.c, attrib.c) */
	uint32_t profile_window;      /* pages kept mapped while profiling */
	uint32_t stack_period;        /* unwind every Nth fault's stack (attrib.c); 0: none */
	bool progress;                /* --progress: status line (progress.c) */
	struct vms_statusline *status_line;  /* its terminal, opened by the caller (NULL:
					      * none); the pager closes it */
};

/* What made the engine reference a page (fault.c sets it before each
 * reference, for the profile's attribution). */
enum vms_ref_kind {
	VMS_REFK_MISSING = 0,         /* a missing fault: first touch, swap-in, or a hit */
	VMS_REFK_SOFT,                /* a touch of a soft-unmapped page */
	VMS_REFK_WP,                  /* a write to a page mapped write-protected */
	VMS_REFK_ADOPT,               /* a page present at arrival, taken over: no fault */
};

enum vms_watch_kind {
	VMS_WATCH_LISTEN = 1,
	VMS_WATCH_SECCOMP,
	VMS_WATCH_SIGNAL,
	VMS_WATCH_UFFD,
	VMS_WATCH_AGENT,
};

struct vms_proc;
struct vms_fork_wait;
struct vms_thrash_monitor;
struct vms_profile;
struct vms_attrib;
struct vms_progress;
struct vms_statusline;

struct vms_watch {
	enum vms_watch_kind kind;
	struct vms_proc *proc;        /* UFFD, AGENT */
};

/* A fault (or a page to take over at arrival) that must wait: an event is
 * in flight, or the stash is full until the agent empties it. */
struct vms_queued_fault {
	uint64_t addr;
	uint32_t flags;               /* UFFD_PAGEFAULT_FLAG_*, or VMS_QF_ADOPT */
	uint32_t tid;
};
#define VMS_QF_ADOPT 0x80000000u  /* present at arrival: take into the page table, no fill */

/* A fill the kernel refused with EAGAIN (an event in flight): its bytes,
 * kept until the events are read. */
struct vms_pending_fill {
	struct vms_pending_fill *next;
	uint64_t vpn;
	bool wp;                      /* map write-protected (clean, swap cache) */
	bool zero;
	bool agent_work;              /* its fault gave the agent work: hold.c */
	uint8_t data[VMS_PAGE];
};

/* A request to a process's agent, waiting for its reply. */
enum vms_call_purpose {
	VMS_CALL_SYSCALL = 1,         /* a syscall stopped by seccomp: notif_id */
};

struct vms_pending_call {
	struct vms_pending_call *next;
	uint32_t seq;                 /* 0 while not sent (the agent's socket was full) */
	uint32_t op;                  /* VMS_AGENT_* */
	enum vms_call_purpose purpose;
	uint64_t notif_id;
	uint64_t args[6];
	uint64_t commit_pages;        /* charged by --overcommit until the call completes */
	uint32_t site;                /* allocation site of an mmap/brk (sites.h), 0 */
};

/* Evicted pages the agent is to drop (backend.c). */
struct vms_drop_batch {
	struct vms_drop_batch *next;
	uint32_t seq;                 /* of the DROP request, once sent */
	uint32_t nr;
	uint64_t first_ns;            /* when its first page was added */
	uint64_t addr[VMS_AGENT_MAX_DROP];
};

/*
 * Soft unmaps (park.c): a resident page taken out of the process by its
 * agent (UFFDIO_MOVE into the park area, slot = frame number) so that its
 * next touch is seen, as a missing fault served from the slot.
 */
enum vms_park_state {
	VMS_PARK_NONE = 0,            /* mapped in the process (or not resident) */
	VMS_PARK_QUEUED,              /* to be sent to the agent */
	VMS_PARK_SENT,                /* sent; the agent may or may not have moved it */
	VMS_PARK_PARKED,              /* in its slot */
};

enum vms_park_reason {
	VMS_PARK_FOR_REF = 0,         /* the policy cleared its reference bit / hit window */
	VMS_PARK_FOR_TLB,             /* left the modelled TLB's first level */
	VMS_PARK_FOR_WSS,             /* a working-set sample began */
	VMS_PARK_FOR_PROFILE,         /* left the profile's window (--profile) */
	VMS_PARK_NR_REASONS,
};

struct vms_park_rec {                 /* one per frame */
	uint8_t state;                /* enum vms_park_state */
	uint8_t reason;               /* enum vms_park_reason */
	uint32_t as_id;               /* whose slot, while state != NONE */
	uint32_t gen;                 /* bumped whenever the state is reset: a reply
				       * for an older park is stale */
	uint32_t wss_epoch;           /* the last sample the page was seen in */
};

struct vms_park_entry {
	uint32_t frame;
	uint32_t gen;
	bool clear;                   /* empty the slot (its copy is stale) */
	uint64_t addr;                /* the page's address, filled in when sent */
};

struct vms_park_batch {
	struct vms_park_batch *next;
	uint32_t seq;
	uint32_t nr;
	struct vms_park_entry e[VMS_AGENT_MAX_PARK];
};

/* A faulting thread's range, filled without waking (DONTWAKE) and woken
 * once the agent has done the work its fault asked for (hold.c). */
struct vms_hold {
	uint64_t addr;                /* the filled range, woken with UFFDIO_WAKE */
	uint64_t len;                 /* bytes */
	uint32_t seq;                 /* woken by the reply to this request; 0 while
				       * the work is unsent (then a WAKE follows it) */
};

struct vms_proc {
	struct vms_proc *next;
	pid_t pid;                    /* 0 until known (a fork child before its hello) */
	pid_t ppid;
	pid_t agent_tid;
	int uffd;                     /* -1 once gone */
	int sock;                     /* the agent's channel, -1 without an agent */
	int memfd;                    /* /proc/PID/mem, opened on demand */
	int pagemap_fd;               /* /proc/PID/pagemap, opened on demand */
	struct vms_watch uffd_watch;
	struct vms_watch agent_watch;
	struct vms_as *as;
	uint64_t features;
	bool welcomed;                /* the agent was told to let the program run */
	bool send_uffd;               /* a fork child: the welcome carries its uffd */
	pid_t fork_parent_pid;        /* a fork child: who forked it */
	uint64_t fork_seq;
	bool refused_agentless;       /* the last eviction refused a victim without agent */            /* a fork child: order of its FORK event */
	bool gone;                    /* exited or exec'ed: to be destroyed */
	char comm[64];
	char command[256];

	uint64_t stash_addr;          /* the agent's stash (VMS_STASH_PAGES pages) */
	uint64_t park_addr;           /* the agent's park area (slot f at + f pages), 0 if none */
	uint64_t park_pages;
	/* Soft unmaps and slot clears to send, in order; sent VMS_AGENT_MAX_PARK
	 * at a time, as many as the agent's socket takes (never dropped for
	 * want of room: a soft unmap skipped is a reference bit left set, at
	 * random). */
	struct vms_park_entry *park_next;
	uint32_t nr_park_next, cap_park_next;
	struct vms_park_batch *parks_sent;   /* waiting for the agent's reply */
	uint32_t nr_parks_sent;
	uint64_t nr_parked;           /* frames of this process in state != NONE */
	struct vms_drop_batch drop_next;     /* being filled, not sent */
	uint64_t *backlog;            /* a fork child before its agent: evicted pages
				       * beyond drop_next, sent once the agent is there */
	size_t nr_backlog, cap_backlog;
	bool drop_waited;             /* a fault waits for a page of drop_next */
	uint64_t *drop_writers;       /* pages whose writers wait for their drop */
	size_t nr_drop_writers, cap_drop_writers;
	struct vms_drop_batch *drops_sent;   /* waiting for the agent's reply */
	uint32_t nr_drops_sent;

	struct vms_hold *holds;       /* threads asleep until the agent catches up */
	size_t nr_holds, cap_holds;
	uint32_t *trace_tids;         /* --deterministic: its threads' kernel ids in the
				       * order of their first event; the trace says i + 1 */
	size_t nr_trace_tids, cap_trace_tids;

	uint64_t heap_end;            /* bytes: the brk heap is registered up to here */
	uint32_t next_seq;
	struct vms_pending_call *calls;
	struct vms_pending_fill *fills;
	struct vms_queued_fault *queue;
	size_t nr_queued, cap_queued;
	struct vms_fork_wait *forks_waiting;   /* fork/clone stopped until the fills are done
						* and the previous child is named */
	uint64_t fork_wait_since_ns;
	uint32_t forks_unseen;        /* forks let through whose FORK event is not read yet */

	uint64_t last_hit_addr;       /* loop detection: a fault the page table calls a hit */
	uint32_t nr_same_hits;

	/* For the report. */
	uint64_t nr_mmaps;            /* anonymous mmaps registered */
	uint64_t nr_brks;
	uint64_t managed_bytes_at_start;
	struct vms_proc_commit commit;  /* --overcommit accounting (commit.c) */
	struct vms_proc_sites *sites; /* allocation sites (sites.c), NULL until used */
};

/* A process that made intercepted calls but never had a shim: a static
 * program, or one whose LD_PRELOAD was removed (the report lists them). */
struct vms_unmanaged_proc {
	pid_t pid;
	pid_t ppid;
	bool is_static;               /* no PT_INTERP: no shim could ever load */
	char comm[64];
};

/* What was not managed, and why (the report's "unmanaged"). */
struct vms_unmanaged {
	uint64_t file_mappings;       /* seen at arrival: file-backed, not paged by us */
	uint64_t file_bytes;
	uint64_t shared_mappings;     /* shared (anonymous or file): not ours either */
	uint64_t shared_bytes;
	uint64_t hugetlb_mmaps;
	uint64_t unmanaged_syscalls;  /* mmap/brk of processes without the shim */
	uint64_t madv_free_ignored;   /* MADV_FREE answered as a no-op (data kept) */
	uint64_t unregistrable;       /* registrations the kernel refused */
};

struct vms_pager_stats {
	uint64_t in_fault_ns;
	uint64_t uffd_faults;         /* messages */
	uint64_t wp_faults;           /* messages */
	uint64_t wp_writes;           /* of them, writes the engine was told of (a
				       * clean page made dirty): messages for a page
				       * whose drop is in flight, or repeated ones,
				       * depend on timing and do not count */
	uint64_t swapins_clean;       /* swap-ins mapped write-protected (clean) */
	uint64_t spurious_faults;     /* already served when read (another thread's) */
	uint64_t fault_retries;
	uint64_t seccomp_notifs;
	uint64_t agent_calls;
	uint64_t drop_batches;        /* DROP requests sent to agents */
	uint64_t drop_failures;       /* pages an agent could neither move nor discard */
	uint64_t forks;               /* forks of managed processes, prepared for copy-on-write */
	uint64_t soft_faults[VMS_PARK_NR_REASONS];  /* touches of soft-unmapped pages */
	uint64_t soft_unmaps;         /* pages moved out by the agents */
	uint64_t soft_unmap_refused;  /* pages the kernel would not move (shared, gone) */
	uint64_t soft_unmaps_skipped; /* pages not soft-unmapped: shared since a fork,
				       * a fill pending, no park area */
	uint64_t soft_fault_ns;       /* time serving soft faults */
	uint64_t unparked_for_fork;   /* parked pages put back before a fork */
	uint64_t fork_pages_unprotected; /* resident pages a fork could not write-protect */
	uint64_t processes;
	uint32_t peak_processes;
	uint32_t nr_processes;
};

/* A process's figures, kept when it ends (for the report). */
struct vms_proc_record {
	pid_t pid;
	pid_t ppid;
	uint32_t as_id;               /* its address space's number (the trace's pid) */
	char comm[64];
	char command[256];            /* its command line, arguments joined by spaces */
	struct vms_as_stats st;
	uint64_t nr_mmaps;
	uint64_t nr_brks;
};

struct vms_pager {
	struct vms_pager_config cfg;
	struct vms_mm *mm;
	struct vms_mm_backend backend;   /* vms_pager_backend_ops with ctx = this pager */
	int epfd;
	int listen_fd;
	int seccomp_fd;
	int signal_fd;
	struct vms_watch listen_watch, seccomp_watch, signal_watch;
	char sock_name[96];
	int nr_cpus;                  /* CPUs vmsandbox may run on */
	bool uffd_busy;               /* an ioctl was refused with EAGAIN (mmap_changing):
				       * retry on a timer, no event will say when */
	pid_t child;                  /* the program */
	int child_status;             /* wait status */
	bool child_done;
	int fatal;                    /* -errno that stopped the run, 0 */
	char fatal_msg[512];
	struct vms_proc *procs;
	uint32_t next_as_id;
	uint64_t fork_seq;
	bool refused_agentless;       /* the last eviction refused a victim without agent */
	uint8_t page[VMS_PAGE];       /* scratch: one page of bytes */
	uint8_t zeros[VMS_FAULT_AROUND_PAGES * VMS_PAGE];
	struct vms_pager_stats st;
	struct vms_unmanaged unmanaged;
	struct vms_unmanaged_proc *unmanaged_procs;   /* until they say hello */
	size_t nr_unmanaged_procs, cap_unmanaged_procs;
	struct vms_proc_record *records;
	size_t nr_records, cap_records;
	uint64_t start_ns, end_ns;

	/* Soft unmaps (park.c). */
	struct vms_park_rec *park;    /* per frame; NULL when nothing parks */
	bool park_for_refbits;        /* the policy reads reference bits: park what it clears */
	bool park_window;             /* the policy wants hits, or --profile: park pages
				       * leaving the window */
	bool fault_around;            /* off when every first touch must be seen (TLB, WSS) */
	/* The fault being served (fault.c): its process, and whether it has
	 * given that process's agent work its thread must wait for (hold.c). */
	struct vms_proc *fault_proc;
	bool fault_agent_work;
	uint32_t fault_tid;           /* its thread (UFFD_FEATURE_THREAD_ID), 0: none or unknown */
	struct vms_park_window {      /* pages mapped most recently (a FIFO ring) */
		struct { uint32_t frame, as_id; uint64_t vpn; } *e;
		uint32_t cap, head, nr;
	} window;
	/* Working-set samples (Denning's W(t, tau), tau = the interval). */
	uint32_t wss_epoch;
	uint64_t wss_seen;            /* distinct pages referenced in the current interval */
	uint64_t wss_next_ns;
	struct vms_wss_sample { double t_s; uint64_t pages; } *wss;
	size_t nr_wss, cap_wss;
	struct vms_trace_writer *trace;
	int trace_err;
	/* Retired instructions of the tree (--tlb: misses per million). */
	int perf_fd;
	int perf_err;                 /* why there is no count: -errno */
	uint64_t instructions;
	bool have_instructions;                /* first write error, reported at the end */
	struct vms_oom_state oom;     /* overcommit refusals and OOM kills (oom.h) */
	/* The thrashing verdict's windows (thrash.c). */
	struct vms_thrash_monitor *thrash;
	/* Allocation sites (sites.c) and reads of the programs' memory (peek.c). */
	struct vms_sites *sites;
	struct vms_peek_stats peek;
	/* The locality profile (--profile): the time series and the captured
	 * reference stream (profile.c), attribution by region and by code
	 * location (attrib.c); the status line (progress.c). */
	enum vms_ref_kind ref_kind;   /* of the reference being made */
	struct vms_profile *profile;
	struct vms_attrib *attrib;
	struct vms_progress *progress;
};

/* loop.c */
/*
 * Runs the program to its end.  Returns 0 when it ran (its wait status in
 * child_status; pg->fatal set if the pager had to kill it), -errno when it
 * could not be started, or -(1000 + errno) when its exec failed.
 */
int vms_pager_run(struct vms_pager *pg, const struct vms_pager_config *cfg);
/* Destroys every process's state and the engine (after the report). */
void vms_pager_fini(struct vms_pager *pg);
void vms_pager_fatal(struct vms_pager *pg, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int vms_pager_watch(struct vms_pager *pg, int fd, struct vms_watch *w);
uint64_t vms_now_ns(void);
/* vms_uffd_classify() of an ioctl's error, noting a refusal (RETRY) for the
 * loop's retry timer (pg->uffd_busy).  Not for reads of the uffd, whose
 * EAGAIN only means that nothing is pending. */
enum vms_uffd_errclass vms_pager_classify(struct vms_pager *pg, int err);

/* proc.c */
void vms_proc_accept(struct vms_pager *pg);
struct vms_proc *vms_proc_by_pid(struct vms_pager *pg, pid_t pid);
struct vms_proc *vms_proc_by_as(struct vms_pager *pg, const struct vms_as *as);
void vms_proc_destroy(struct vms_pager *pg, struct vms_proc *p);
/* Destroys the processes that are gone; returns how many. */
size_t vms_proc_reap_gone(struct vms_pager *pg);
int vms_proc_register(struct vms_pager *pg, struct vms_proc *p, uint64_t start, uint64_t len);
void vms_proc_maybe_welcome(struct vms_pager *pg, struct vms_proc *p);
int vms_proc_hello(struct vms_pager *pg, struct vms_proc *p);
void vms_proc_fork(struct vms_pager *pg, struct vms_proc *parent, int uffd);
void vms_proc_learn_pid(struct vms_pager *pg, struct vms_proc *p, pid_t tid);
/* One page of p's memory at addr, through /proc/PID/mem (opened on first
 * use): 0, -ESRCH if it cannot be opened, or the read's error (-EIO for a
 * page missing in registered memory, or a process without mm). */
int vms_proc_read_page(struct vms_proc *p, uint64_t addr, void *buf);
/* parent has a fork child that has neither faulted nor said hello yet. */
bool vms_proc_has_unnamed_child(struct vms_pager *pg, const struct vms_proc *parent);
/* A thread of a process without a shim made an intercepted call. */
void vms_proc_note_unmanaged(struct vms_pager *pg, pid_t tid);

/* fault.c */
void vms_fault_read_uffd(struct vms_pager *pg, struct vms_proc *p);
void vms_fault_retry(struct vms_pager *pg, struct vms_proc *p);
int vms_fault_queue(struct vms_proc *p, uint64_t addr, uint32_t flags, uint32_t tid);
/* A fill of vpn waits to be retried (the engine counts it resident). */
bool vms_fill_pending(struct vms_proc *p, vms_vpn_t vpn);

/* fork.c */
/* fork or clone without CLONE_VM of p, stopped by seccomp: write-protects
 * p's resident pages (now, or once its pending fills are done), then lets
 * the syscall run. */
void vms_fork_stopped(struct vms_pager *pg, struct vms_proc *p, uint64_t notif_id);
void vms_fork_retry(struct vms_pager *pg, struct vms_proc *p);
void vms_fork_forget(struct vms_proc *p);

/* backend.c */
extern const struct vms_mm_backend vms_pager_backend_ops;
bool vms_stash_contains(const struct vms_proc *p, uint64_t addr);
bool vms_drop_pending(const struct vms_proc *p, uint64_t addr);
int vms_drop_wait_write(struct vms_proc *p, uint64_t addr);
bool vms_drop_cancel(struct vms_proc *p, uint64_t addr);
void vms_drop_maybe_flush(struct vms_pager *pg, struct vms_proc *p, uint64_t now_ns);
uint64_t vms_drop_deadline(const struct vms_pager *pg, const struct vms_proc *p);
int vms_drop_add(struct vms_pager *pg, struct vms_proc *p, uint64_t addr);
void vms_drop_flush(struct vms_pager *pg, struct vms_proc *p);
bool vms_drop_done(struct vms_pager *pg, struct vms_proc *p, uint32_t seq, int64_t failed);
bool vms_drop_is_ours(const struct vms_proc *p, uint64_t start, uint64_t end);
void vms_drop_forget(struct vms_proc *p, uint64_t start, uint64_t end, int64_t moved_by);

/* park.c */
int vms_park_init(struct vms_pager *pg);
void vms_park_fini(struct vms_pager *pg);
/* Soft-unmaps the page in frame f (queued until the loop's end). */
void vms_park_page(struct vms_pager *pg, vms_frame_t f, enum vms_park_reason why);
/* A missing fault at vpn of p, resident in frame f: if its page is parked, reads the slot into
 * buf, takes the page out of the park and returns 1 (the caller references
 * and fills it); 0 if it is not parked; -EAGAIN while a request for it is
 * in flight (the fault may be older than the move); < 0 fatal. */
int vms_park_claim(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, vms_frame_t f,
		   void *buf, enum vms_park_reason *ret_reason);
int vms_park_read_slot(struct vms_pager *pg, struct vms_proc *p, vms_frame_t f, void *buf);
/* After every reference the engine saw: window, TLB, working set, trace. */
void vms_park_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
			const struct vms_ref_result *res);
/* The page the TLB model pushed out of its first level (also when the
 * reference itself failed: the model has changed anyway). */
void vms_park_tlb_displaced(struct vms_pager *pg, const struct vms_ref_result *res);
/* Eviction of frame f's page (backend.c): 1 if it is parked (its bytes are
 * in the slot: read them into buf if not NULL), 0 if it is in the process. */
int vms_park_evicting(struct vms_pager *pg, struct vms_proc *p, vms_frame_t f, void *buf);
void vms_park_flush(struct vms_pager *pg, struct vms_proc *p);
/* A soft unmap of addr was sent and not answered: whatever is at addr when
 * the agent runs it will be moved, so nothing may be filled there until
 * the reply (even if the page it was meant for has gone since). */
bool vms_park_inflight(const struct vms_proc *p, uint64_t addr);
bool vms_park_done(struct vms_pager *pg, struct vms_proc *p, uint32_t seq, int64_t failed);
/* Before a fork: puts p's parked pages back; false while some are in flight. */
bool vms_park_unpark_all(struct vms_pager *pg, struct vms_proc *p);
void vms_park_frame_freed(void *ctx, vms_frame_t f);
void vms_park_unreferenced(void *ctx, vms_frame_t f);
/* Working-set sampling: the next sample's time (0: none) and taking it. */
uint64_t vms_wss_deadline(const struct vms_pager *pg);
void vms_wss_maybe_sample(struct vms_pager *pg, uint64_t now_ns);
void vms_wss_finish(struct vms_pager *pg, uint64_t now_ns);

/* hold.c: faulting threads asleep until the agent has done their work */
/* The fault being served starts (p) or ends (NULL). */
void vms_hold_fault_begin(struct vms_pager *pg, struct vms_proc *p);
/* Whether the fault being served gave p's agent work; and the fill of such
 * a fault deferred and done later (vms_fault_retry) as if it were served. */
bool vms_hold_fault_has_work(const struct vms_pager *pg, const struct vms_proc *p);
void vms_hold_fault_resume(struct vms_pager *pg, struct vms_proc *p, bool agent_work);
/* Work was queued for p's agent: a soft unmap, or a drop (waited for with
 * --deterministic only). */
void vms_hold_note_work(struct vms_pager *pg, struct vms_proc *p, bool drop);
/* Whether the fault being served must fill p without waking its threads
 * (UFFDIO_*_MODE_DONTWAKE) and hold them with vms_hold_add(). */
bool vms_hold_needed(const struct vms_pager *pg, const struct vms_proc *p);
/* After a DONTWAKE fill of [addr, addr+len): woken once the agent has
 * answered the work queued so far (now, if it has). */
void vms_hold_add(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, uint64_t len);
/* Wakes the threads waiting at [addr, addr+len), now or, if the fault
 * being served must hold them, once the agent has done its work. */
void vms_hold_wake(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, uint64_t len);
/* After the loop has sent p's drops and soft unmaps: a WAKE request for
 * the holds that wait for them. */
void vms_hold_send(struct vms_pager *pg, struct vms_proc *p);
/* The agent answered request seq (any op): wakes the holds it ends. */
void vms_hold_reply(struct vms_proc *p, uint32_t seq);

/* livetrace.c: --trace, the engine's input event by event, with the
 * thread of the fault being served (pg->fault_tid) and the time. */
void vms_trace_note(struct vms_pager *pg, const struct vms_trace_event *ev);

/* syscall.c */
void vms_syscall_notify(struct vms_pager *pg);
void vms_agent_read(struct vms_pager *pg, struct vms_proc *p);
/* Sends a request to p's agent (or queues it while the agent's socket is
 * full) and remembers it; 0 or -errno (no agent). */
int vms_agent_call(struct vms_pager *pg, struct vms_proc *p, uint32_t op, const uint64_t *args,
		   enum vms_call_purpose purpose, uint64_t tag);
/* Sends the requests queued by vms_agent_call, oldest first, as far as the
 * socket takes them. */
void vms_agent_send_queued(struct vms_pager *pg, struct vms_proc *p);


#endif
