/* SPDX-License-Identifier: MIT */
/*
 * Out-of-memory rules, the kernel's, as pure functions: whether a new
 * commitment of anonymous memory is allowed (vm.overcommit_memory and
 * mm/util.c __vm_enough_memory), and which process an OOM kill chooses
 * (mm/oom_kill.c oom_badness).  The live pager gathers the figures (its page
 * tables, /proc/PID/maps, /proc/PID/oom_score_adj) and acts on the answers;
 * the rules themselves live here so that they are unit-tested and
 * documented in one place (docs/oom.md).
 */
#ifndef VMSANDBOX_OOM_H
#define VMSANDBOX_OOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsandbox/mm.h"

enum vms_overcommit {
	VMS_OVERCOMMIT_HEURISTIC = 0,  /* vm.overcommit_memory=0 (the kernel's default) */
	VMS_OVERCOMMIT_ALWAYS = 1,     /* =1 */
	VMS_OVERCOMMIT_NEVER = 2,      /* =2: strict accounting against a commit limit */
};

struct vms_commit_rules {
	enum vms_overcommit mode;
	uint64_t ram_pages;    /* the frame budget; 0: none (heuristic allows all) */
	uint64_t swap_pages;   /* swap capacity in pages; UINT64_MAX: unlimited */
	uint64_t limit_pages;  /* CommitLimit, used by NEVER */
};

/* CommitLimit with vm.overcommit_ratio=50: half the RAM plus the swap. */
uint64_t vms_commit_default_limit(uint64_t ram_pages, uint64_t swap_pages);

/*
 * May `pages` more be committed when `committed` are already?  HEURISTIC
 * refuses only a single request larger than RAM + swap (an "obvious
 * overcommit"), ALWAYS nothing, NEVER anything that takes the total above
 * the limit.
 */
bool vms_commit_allows(const struct vms_commit_rules *r, uint64_t committed, uint64_t pages);

/* A process the OOM killer may choose, with what it holds. */
struct vms_oom_candidate {
	uint32_t id;            /* the caller's (pid) */
	uint64_t resident;      /* pages resident (shared frames count in each) */
	uint64_t swapped;       /* pages in swap (and same-filled pages) */
	uint64_t pt_pages;      /* page-table memory, in pages */
	int oom_score_adj;      /* -1000 .. 1000 */
};

#define VMS_OOM_UNKILLABLE INT64_MIN

/*
 * The kernel's badness: resident + swapped + page-table pages, plus
 * oom_score_adj thousandths of `total_pages` (frames + the pages swap
 * holds when full); an adj of
 * -1000 makes the process unkillable (VMS_OOM_UNKILLABLE).
 */
int64_t vms_oom_badness(const struct vms_oom_candidate *c, uint64_t total_pages);

/* The index of the victim (highest badness, the first on ties), or -1 if
 * every candidate is unkillable.  Fills badness[i] when badness is non-NULL. */
long vms_oom_choose(const struct vms_oom_candidate *c, size_t n, uint64_t total_pages,
		    int64_t *badness);

/* What an address space holds now, by walking its page table. */
struct vms_as_usage {
	uint64_t resident;
	uint64_t swapped;       /* pages whose bytes are in the swap store */
	uint64_t same_filled;   /* pages stored as one repeated word (no swap space) */
	uint64_t pt_bytes;
};
void vms_mm_as_usage(struct vms_as *as, struct vms_as_usage *u);

#endif
