/* SPDX-License-Identifier: MIT */
/*
 * Replacement policies: one file each (src/core/policy_<name>.c) behind one
 * ops table.  A policy orders the resident frames of the global frame table
 * and picks the victim when a frame is needed.  It never touches page
 * contents, swap or the page table itself: the engine (mm.c) does that.
 *
 * Call protocol, as the engine follows it for every reference:
 *   hit  (page resident in frame f):  accessed(f, ref)
 *   miss (page not resident):         missed(ref) [optional], then, if no
 *                                     frame is free, victim(ref) -> f, which
 *                                     the policy has already forgotten;
 *                                     then inserted(f, ref) once the page is
 *                                     loaded into frame f.
 *   a resident page goes away without being chosen (unmap, exit, discard):
 *                                     removed(f)
 * The engine sets VMS_PTE_REFERENCED (and VMS_PTE_DIRTY on writes) on the
 * page before calling accessed() or inserted(), as an MMU would; policies
 * that use reference bits read and clear them through vms_frame_*().
 */
#ifndef VMSANDBOX_POLICY_H
#define VMSANDBOX_POLICY_H

#include "vmsandbox/frames.h"
#include "vmsandbox/types.h"

struct vms_policy_config {
	uint32_t nr_frames;         /* the budget; capacity of every structure */
	uint64_t seed;              /* Random */
	uint64_t ws_window;         /* WSClock: tau, in references (virtual time) */
	uint64_t lfu_decay_period;  /* LFU: halve every count after this many references; 0 = never */
};

#define VMS_POLICY_OFFLINE   0x1u  /* needs ref->next_use: replay only (OPT) */
#define VMS_POLICY_REFBITS   0x2u  /* reads reference bits (live: needs soft faults) */
#define VMS_POLICY_HITS      0x4u  /* orders pages by every hit (live: needs soft faults) */

struct vms_policy_ops {
	const char *name;
	const char *summary;      /* one line for --help and docs */
	unsigned flags;           /* VMS_POLICY_* */

	/* Allocates the policy's state for cfg->nr_frames frames (all of its
	 * memory: nothing is allocated after this).  Returns 0 or -errno. */
	int (*create)(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
		      void **ret_state);
	void (*destroy)(void *state);

	/* accessed and missed may be NULL when the policy ignores them. */
	void (*accessed)(void *state, vms_frame_t f, const struct vms_ref *ref);
	void (*missed)(void *state, const struct vms_ref *ref);
	/* Chooses a resident frame to evict and forgets it.  Only called while
	 * every frame is in use. */
	vms_frame_t (*victim)(void *state, const struct vms_ref *ref);
	void (*inserted)(void *state, vms_frame_t f, const struct vms_ref *ref);
	void (*removed)(void *state, vms_frame_t f);
	/* victim() chose f, but its page could not leave (the live backend
	 * refused for now): f stays resident and goes back to the policy as a
	 * page just used, and whatever victim() recorded about its eviction
	 * (a ghost) is forgotten.  NULL: inserted() does exactly that. */
	void (*reinstate)(void *state, vms_frame_t f, const struct vms_ref *ref);
	/* Optional, for tests (vms_mm_check): the policy's own invariants.
	 * Returns 0, or -EUCLEAN with what is wrong in msg. */
	int (*check)(const void *state, char *msg, size_t msglen);
};

/* A policy instance: the ops and their state. */
struct vms_policy {
	const struct vms_policy_ops *ops;
	void *state;
};

/* Every policy, in the order `--policy all` reports them; NULL-terminated. */
extern const struct vms_policy_ops *const vms_policies[];

/* The ops named `name` (case-sensitive), or NULL. */
const struct vms_policy_ops *vms_policy_find(const char *name);

int vms_policy_create(struct vms_policy *p, const struct vms_policy_ops *ops,
		      const struct vms_policy_config *cfg, struct vms_frame_table *ft);
void vms_policy_destroy(struct vms_policy *p);

extern const struct vms_policy_ops vms_policy_fifo;
extern const struct vms_policy_ops vms_policy_clock;
extern const struct vms_policy_ops vms_policy_eclock;
extern const struct vms_policy_ops vms_policy_lru;
extern const struct vms_policy_ops vms_policy_lfu;
extern const struct vms_policy_ops vms_policy_arc;
extern const struct vms_policy_ops vms_policy_wsclock;
extern const struct vms_policy_ops vms_policy_random;
extern const struct vms_policy_ops vms_policy_opt;

#endif
