/* SPDX-License-Identifier: MIT */
/*
 * ARC, the Adaptive Replacement Cache of Megiddo & Modha (FAST 2003), the
 * algorithm of the paper's Figure 4 with c = nr_frames.
 *
 * T1 (seen once recently) and T2 (seen at least twice) hold resident frames;
 * B1 and B2 remember the keys of pages recently evicted from T1 and T2.  p is
 * the target size of T1; a hit in B1 grows it, a hit in B2 shrinks it.  p is
 * an integer and the paper's delta is rounded down (|B2|/|B1| resp.
 * |B1|/|B2| when that is more than 1, else 1).
 *
 * The paper's steps, mapped onto the call protocol of policy.h:
 *   case I (hit)               accessed(): move to the MRU end of T2.
 *   cases II-IV (miss)         missed(): adapt p on a ghost hit and take the
 *                              key out of its ghost list; in case IV delete
 *                              the LRU ghost of B1 (IV.A, |T1| < c) or of B2
 *                              (IV.B, directory = 2c).  Remembers what the
 *                              victim and the insert must do.
 *   REPLACE(x, p)              victim(): evict the LRU of T1 into B1 or the
 *                              LRU of T2 into B2 -- except in case IV.A with
 *                              |T1| = c, where the LRU of T1 goes without a
 *                              ghost.
 *   "fetch x, move to MRU"     inserted(): MRU of T2 after a ghost hit, else
 *                              MRU of T1.
 *   unmap                      removed(): the page leaves T1/T2, no ghost.
 * The engine calls victim() exactly when no frame is free.  Without unmaps
 * that is exactly when the paper calls REPLACE (the cache fills before the
 * first ghost exists and stays full).  After an unmap a frame may be free
 * while the paper's conditions ask for REPLACE: then nothing is evicted.
 * missed() must be called for every miss (the engine does).
 *
 * Invariants: |T1|+|T2| <= c, |T1|+|B1| <= c, |T1|+|T2|+|B1|+|B2| <= 2c.
 * Ghosts are only made by REPLACE, with |T1|+|T2| = c before it, and the
 * miss that calls it inserts a page right after; so |B1|+|B2| <= c always,
 * and the ghost pool holds c nodes.
 *
 * Ghost lookup is a private open-addressing table (linear probing,
 * backward-shift deletion, so no tombstones) with at least 2c slots; the
 * ghost lists are vms_flist lists threaded through the node pool.  Every
 * operation is O(1) (expected, for the table).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "framelist.h"
#include "vmsandbox/policy.h"

enum arc_list {
	ARC_NONE = 0,
	ARC_T1 = 1,
	ARC_T2 = 2,
	ARC_B1 = 3,
	ARC_B2 = 4,
};

#define ARC_SLOT_EMPTY UINT32_MAX

struct arc {
	uint32_t c;                 /* nr_frames */
	uint32_t p;                 /* target size of T1, 0 .. c */

	struct vms_flist t1, t2;    /* resident frames, head = LRU */
	struct vms_flink *flink;    /* per frame */
	vms_key_t *fkey;            /* per frame: the page it holds */
	uint8_t *flist;             /* per frame: ARC_T1, ARC_T2 or ARC_NONE */

	struct vms_flist b1, b2;    /* ghost nodes, head = LRU */
	struct vms_flink *glink;    /* per ghost node */
	vms_key_t *gkey;            /* per ghost node */
	uint8_t *glist;             /* per ghost node: ARC_B1 or ARC_B2 */
	uint32_t gfree;             /* free nodes, chained through glink[].next */

	uint32_t *slot;             /* hash table: ghost node or ARC_SLOT_EMPTY */
	uint32_t slot_mask;         /* nr of slots - 1, a power of two - 1 */
	unsigned slot_shift;        /* 64 - log2(nr of slots) */

	/* Set by missed() for the victim() and inserted() of the same miss. */
	bool drop_t1;               /* case IV.A with |T1| = c: evict, no ghost */
	bool x_in_b2;               /* x was a B2 ghost (REPLACE's condition) */
	bool x_to_t2;               /* x was a ghost: it enters T2 */
};

/* ---- ghost directory -------------------------------------------------- */

static inline uint32_t slot_home(const struct arc *s, vms_key_t key)
{
	return (uint32_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> s->slot_shift);
}

static uint32_t ghost_find(const struct arc *s, vms_key_t key)
{
	for (uint32_t i = slot_home(s, key);; i = (i + 1) & s->slot_mask) {
		uint32_t n = s->slot[i];

		if (n == ARC_SLOT_EMPTY || s->gkey[n] == key)
			return n;
	}
}

/* Adds key at the MRU end of B1 or B2.  The key is in no ghost list. */
static void ghost_add(struct arc *s, enum arc_list list, vms_key_t key)
{
	uint32_t n = s->gfree;
	uint32_t i;

	assert(n != VMS_FRAME_NONE);
	s->gfree = s->glink[n].next;
	s->gkey[n] = key;
	s->glist[n] = (uint8_t)list;
	vms_flist_push_tail(list == ARC_B1 ? &s->b1 : &s->b2, s->glink, n);
	for (i = slot_home(s, key); s->slot[i] != ARC_SLOT_EMPTY; i = (i + 1) & s->slot_mask)
		;
	s->slot[i] = n;
}

static void ghost_del(struct arc *s, uint32_t n)
{
	uint32_t i = slot_home(s, s->gkey[n]);

	while (s->slot[i] != n)
		i = (i + 1) & s->slot_mask;
	/* Backward shift: pull later members of the probe run into the hole
	 * unless their home lies cyclically in (hole, their slot]. */
	for (uint32_t j = (i + 1) & s->slot_mask; s->slot[j] != ARC_SLOT_EMPTY;
	     j = (j + 1) & s->slot_mask) {
		uint32_t home = slot_home(s, s->gkey[s->slot[j]]);

		if (((j - home) & s->slot_mask) >= ((j - i) & s->slot_mask)) {
			s->slot[i] = s->slot[j];
			i = j;
		}
	}
	s->slot[i] = ARC_SLOT_EMPTY;

	vms_flist_remove(s->glist[n] == ARC_B1 ? &s->b1 : &s->b2, s->glink, n);
	s->glist[n] = ARC_NONE;
	s->glink[n].next = s->gfree;
	s->gfree = n;
}

/* ---- ops -------------------------------------------------------------- */

static void arc_destroy(void *state)
{
	struct arc *s = state;

	if (!s)
		return;
	free(s->flink);
	free(s->fkey);
	free(s->flist);
	free(s->glink);
	free(s->gkey);
	free(s->glist);
	free(s->slot);
	free(s);
}

static int arc_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
		      void **ret_state)
{
	uint32_t c = cfg->nr_frames;
	uint64_t nr_slots = 2;
	unsigned bits = 1;
	struct arc *s;

	if (c > UINT32_MAX / 2)  /* slot indices are 32 bits */
		return -EINVAL;
	while (nr_slots < 2 * (uint64_t)c) {
		nr_slots <<= 1;
		bits++;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->flink = calloc(c, sizeof(*s->flink));
	s->fkey = calloc(c, sizeof(*s->fkey));
	s->flist = calloc(c, sizeof(*s->flist));
	s->glink = calloc(c, sizeof(*s->glink));
	s->gkey = calloc(c, sizeof(*s->gkey));
	s->glist = calloc(c, sizeof(*s->glist));
	s->slot = malloc(nr_slots * sizeof(*s->slot));
	if (!s->flink || !s->fkey || !s->flist || !s->glink || !s->gkey || !s->glist ||
	    !s->slot) {
		arc_destroy(s);
		return -ENOMEM;
	}
	for (uint64_t i = 0; i < nr_slots; i++)
		s->slot[i] = ARC_SLOT_EMPTY;
	s->slot_mask = (uint32_t)(nr_slots - 1);
	s->slot_shift = 64 - bits;
	for (uint32_t n = 0; n < c; n++)
		s->glink[n].next = n + 1 < c ? n + 1 : VMS_FRAME_NONE;
	s->gfree = 0;
	s->c = c;
	vms_flist_init(&s->t1);
	vms_flist_init(&s->t2);
	vms_flist_init(&s->b1);
	vms_flist_init(&s->b2);
	*ret_state = s;
	return 0;
}

/* Case I. */
static void arc_accessed(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct arc *s = state;

	if (s->flist[f] == ARC_T2) {
		vms_flist_move_to_tail(&s->t2, s->flink, f);
		return;
	}
	vms_flist_remove(&s->t1, s->flink, f);
	vms_flist_push_tail(&s->t2, s->flink, f);
	s->flist[f] = ARC_T2;
}

/* Cases II, III and IV up to REPLACE. */
static void arc_missed(void *state, const struct vms_ref *ref)
{
	struct arc *s = state;
	uint32_t n = ghost_find(s, ref->key);

	s->drop_t1 = false;
	s->x_in_b2 = false;
	s->x_to_t2 = false;
	if (n != ARC_SLOT_EMPTY) {
		uint32_t b1 = s->b1.len, b2 = s->b2.len, delta;

		if (s->glist[n] == ARC_B1) {
			delta = b1 >= b2 ? 1 : b2 / b1;
			s->p = s->p + delta < s->c ? s->p + delta : s->c;
		} else {
			delta = b2 >= b1 ? 1 : b1 / b2;
			s->p = s->p > delta ? s->p - delta : 0;
			s->x_in_b2 = true;
		}
		ghost_del(s, n);
		s->x_to_t2 = true;
		return;
	}
	if (s->t1.len + s->b1.len == s->c) {
		/* IV.A */
		if (s->t1.len < s->c)
			ghost_del(s, s->b1.head);
		else
			s->drop_t1 = true;
	} else if (s->t1.len + s->t2.len + s->b1.len + s->b2.len == 2 * s->c) {
		/* IV.B with a full directory. */
		ghost_del(s, s->b2.head);
	}
}

/* REPLACE(x, p), or case IV.A's eviction without a ghost. */
static vms_frame_t arc_victim(void *state, const struct vms_ref *ref)
{
	struct arc *s = state;
	vms_frame_t f;

	if (s->drop_t1) {
		s->drop_t1 = false;
		f = vms_flist_pop_head(&s->t1, s->flink);
		s->flist[f] = ARC_NONE;
		return f;
	}
	/* T2 is never empty when T1 is not chosen: a full cache with
	 * |T1| = c <= p only happens on a B2 hit, which takes T1's branch. */
	if (s->t1.len > 0 &&
	    (s->t1.len > s->p || (s->x_in_b2 && s->t1.len == s->p) || s->t2.len == 0)) {
		f = vms_flist_pop_head(&s->t1, s->flink);
		ghost_add(s, ARC_B1, s->fkey[f]);
	} else {
		f = vms_flist_pop_head(&s->t2, s->flink);
		ghost_add(s, ARC_B2, s->fkey[f]);
	}
	s->flist[f] = ARC_NONE;
	return f;
}

static void arc_inserted(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct arc *s = state;

	s->fkey[f] = ref->key;
	if (s->x_to_t2) {
		vms_flist_push_tail(&s->t2, s->flink, f);
		s->flist[f] = ARC_T2;
	} else {
		vms_flist_push_tail(&s->t1, s->flink, f);
		s->flist[f] = ARC_T1;
	}
	s->drop_t1 = false;
	s->x_in_b2 = false;
	s->x_to_t2 = false;
}

/*
 * The backend refused to evict f after victim(): f goes back to the MRU end
 * of the list it came from (a page just used), and the ghost victim() made
 * for it is deleted, so that the key is not resident and a ghost at once.
 * What missed() did for the faulting page stands: the retried fault calls
 * it again and finds the ghost gone, as after any other miss.
 */
static void arc_reinstate(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct arc *s = state;
	uint32_t n = ghost_find(s, s->fkey[f]);
	enum arc_list to = ARC_T1;

	(void)ref;
	if (n != ARC_SLOT_EMPTY) {
		to = s->glist[n] == ARC_B2 ? ARC_T2 : ARC_T1;
		ghost_del(s, n);
	}
	vms_flist_push_tail(to == ARC_T2 ? &s->t2 : &s->t1, s->flink, f);
	s->flist[f] = (uint8_t)to;
}

static int arc_fail(char *msg, size_t msglen, const char *what, uint32_t a, uint32_t b)
{
	snprintf(msg, msglen, "arc: %s (%u, %u)", what, a, b);
	return -EUCLEAN;
}

/* Walks one list: every member carries the list's tag; returns the count. */
static uint32_t arc_walk(const struct vms_flist *l, const struct vms_flink *k,
			 const uint8_t *tag, uint8_t want, uint32_t limit, bool *ok)
{
	uint32_t count = 0;
	vms_frame_t x = l->head;

	if (x == VMS_FRAME_NONE)
		return 0;
	do {
		if (tag[x] != want || ++count > limit) {
			*ok = false;
			return count;
		}
		x = k[x].next;
	} while (x != l->head);
	return count;
}

/*
 * The paper's invariants, and the structures agreeing with each other.  Not
 * checked: that no resident key is also a ghost, nor two ghosts one key.  A
 * discarded page's ghost outlives it (the policy is not told about unmaps of
 * evicted pages), and mremap moves keys without a miss; such a stale ghost
 * only costs a wrong adaptation of p once, never a bound.
 */
static int arc_check(const void *state, char *msg, size_t msglen)
{
	const struct arc *s = state;
	uint32_t t1 = s->t1.len, t2 = s->t2.len, b1 = s->b1.len, b2 = s->b2.len, nfree = 0;
	bool ok = true;

	if (t1 + t2 > s->c)
		return arc_fail(msg, msglen, "|T1|+|T2| > c", t1 + t2, s->c);
	if (t1 + b1 > s->c)
		return arc_fail(msg, msglen, "|T1|+|B1| > c", t1 + b1, s->c);
	if (t1 + t2 + b1 + b2 > 2 * s->c)
		return arc_fail(msg, msglen, "directory larger than 2c", t1 + t2 + b1 + b2, s->c);
	if (arc_walk(&s->t1, s->flink, s->flist, ARC_T1, s->c, &ok) != t1 || !ok ||
	    arc_walk(&s->t2, s->flink, s->flist, ARC_T2, s->c, &ok) != t2 || !ok)
		return arc_fail(msg, msglen, "T1/T2 lists and lengths disagree", t1, t2);
	if (arc_walk(&s->b1, s->glink, s->glist, ARC_B1, s->c, &ok) != b1 || !ok ||
	    arc_walk(&s->b2, s->glink, s->glist, ARC_B2, s->c, &ok) != b2 || !ok)
		return arc_fail(msg, msglen, "B1/B2 lists and lengths disagree", b1, b2);
	for (uint32_t n = s->gfree; n != VMS_FRAME_NONE && nfree <= s->c; n = s->glink[n].next)
		nfree++;
	if (nfree + b1 + b2 != s->c)
		return arc_fail(msg, msglen, "ghost nodes free + used != c", nfree, b1 + b2);
	for (uint32_t n = 0; n < s->c; n++) {
		uint32_t i = slot_home(s, s->gkey[n]);

		if (s->glist[n] == ARC_NONE)
			continue;
		/* In the probe run of its key (two ghosts may share a key). */
		while (s->slot[i] != n && s->slot[i] != ARC_SLOT_EMPTY)
			i = (i + 1) & s->slot_mask;
		if (s->slot[i] != n)
			return arc_fail(msg, msglen, "a ghost the table does not find", n, 0);
	}
	return 0;
}

static void arc_removed(void *state, vms_frame_t f)
{
	struct arc *s = state;

	vms_flist_remove(s->flist[f] == ARC_T1 ? &s->t1 : &s->t2, s->flink, f);
	s->flist[f] = ARC_NONE;
}

/*
 * Test-only views of the state (declared by the unit test, not in a header):
 * p and the four list lengths; where a key is (ARC_B1/ARC_B2 or ARC_NONE);
 * which list a resident frame is on (ARC_T1/ARC_T2).
 */
void vms_arc_debug(const void *state, uint32_t *ret_p, uint32_t ret_len[4]);
int vms_arc_debug_ghost(const void *state, vms_key_t key);
int vms_arc_debug_frame(const void *state, vms_frame_t f);

void vms_arc_debug(const void *state, uint32_t *ret_p, uint32_t ret_len[4])
{
	const struct arc *s = state;

	*ret_p = s->p;
	ret_len[0] = s->t1.len;
	ret_len[1] = s->t2.len;
	ret_len[2] = s->b1.len;
	ret_len[3] = s->b2.len;
}

int vms_arc_debug_ghost(const void *state, vms_key_t key)
{
	const struct arc *s = state;
	uint32_t n = ghost_find(s, key);

	return n == ARC_SLOT_EMPTY ? ARC_NONE : s->glist[n];
}

int vms_arc_debug_frame(const void *state, vms_frame_t f)
{
	const struct arc *s = state;

	return s->flist[f];
}

const struct vms_policy_ops vms_policy_arc = {
	.name = "arc",
	.summary = "adaptive replacement cache: recency and frequency lists sized by ghost hits",
	.flags = VMS_POLICY_HITS,
	.create = arc_create,
	.destroy = arc_destroy,
	.accessed = arc_accessed,
	.missed = arc_missed,
	.victim = arc_victim,
	.inserted = arc_inserted,
	.reinstate = arc_reinstate,
	.check = arc_check,
	.removed = arc_removed,
};
