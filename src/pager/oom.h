/* SPDX-License-Identifier: MIT */
/*
 * The pager's out-of-memory state: commit accounting (commit.c) and OOM
 * kills (oom.c).  The rules are the core's (include/vmsandbox/oom.h);
 * docs/oom.md tells the user what they do.
 */
#ifndef VMS_PAGER_OOM_H
#define VMS_PAGER_OOM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmsandbox/oom.h"

struct vms_pager;
struct vms_proc;

/* Per process. */
struct vms_proc_commit {
	uint64_t pages;               /* private writable memory, as last read */
	bool known;                   /* pages is current (no call since that changes it) */
	uint64_t brk_cur;             /* the program break, as brk last returned (0: unknown) */
	uint64_t inflight;            /* allowed mmap/brk the agent has not done yet: charged
				       * so that two threads cannot both take the last room */
};

/* One process of the tree at the moment of an OOM decision. */
struct vms_oom_proc {
	pid_t pid;
	pid_t ppid;
	char comm[64];
	uint64_t resident, swapped, same_filled, pt_bytes;
	uint64_t committed_pages;
	int oom_score_adj;
	int64_t badness;
	bool victim;
};

/* The allocation sites an OOM report names (sites.h). */
#define VMS_OOM_MAX_SITES 5
#define VMS_OOM_SITE_TEXT 512

struct vms_oom_site {
	uint32_t site;                /* sites.h id */
	uint64_t resident_pages, swapped_pages;   /* held in the tree at the OOM */
	char where[VMS_OOM_SITE_TEXT];           /* vms_sites_describe() */
};

/* One OOM: who asked for a page, what the tree held, whom it cost. */
struct vms_oom_event {
	double t_s;                   /* since the start */
	pid_t trigger_pid;
	char trigger_comm[64];
	uint64_t trigger_addr;
	uint64_t frames;
	uint64_t swap_used_bytes, swap_capacity_bytes;
	bool paused;                  /* --oom-policy pause: the tree was stopped */
	pid_t victim_pid;             /* 0: none killable */
	char victim_comm[64];
	int64_t victim_badness;
	struct vms_oom_proc *procs;
	size_t nr_procs;
	/* The allocation sites holding the most memory in the tree. */
	struct vms_oom_site sites[VMS_OOM_MAX_SITES];
	size_t nr_sites;
};

struct vms_oom_state {
	struct vms_commit_rules rules;
	bool pause;                   /* --oom-policy pause */
	/* Refusals of --overcommit. */
	uint64_t refusals;
	uint64_t refused_pages;
	struct {
		pid_t pid;
		char comm[64];
		int nr;                       /* the system call */
		uint64_t pages, committed_pages;
	} first_refusal;
	/* Kills. */
	pid_t victim_pending;         /* killed, not yet reaped: no second kill meanwhile */
	bool paused;                  /* the tree is stopped, waiting for the user */
	struct vms_oom_event *events;
	size_t nr_events, cap_events;
};

/* commit.c */
/* The stopped call (mmap, brk, mremap, mprotect) of p would break the
 * overcommit rules: the caller answers it with the kernel's error. */
bool vms_commit_refuses(struct vms_pager *pg, struct vms_proc *p, int nr, const uint64_t *args,
			uint64_t *ret_pages);
bool vms_commit_refuses_fork(struct vms_pager *pg, struct vms_proc *p);
/* p made a call that may change its committed memory. */
void vms_commit_changed(struct vms_proc *p);
/* Re-reads p's committed memory if it may have changed; 0 or -errno. */
int vms_commit_refresh(struct vms_proc *p);

/* oom.c */
/*
 * p's fault at addr found no free frame and no room in swap.  Chooses a
 * victim in the tree and kills it (or stops the tree with --oom-policy
 * pause), once: until the victim is reaped, further calls only wait.
 * Returns -EAGAIN (the fault waits for memory to be freed) or a fatal
 * -errno when nothing can be killed.
 */
int vms_oom(struct vms_pager *pg, struct vms_proc *p, uint64_t addr);
/* A process was reaped: an OOM victim's memory is free now. */
void vms_oom_reaped(struct vms_pager *pg, pid_t pid);
void vms_oom_fini(struct vms_pager *pg);

#endif
