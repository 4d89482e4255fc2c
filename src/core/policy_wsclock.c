/* SPDX-License-Identifier: MIT */
/*
 * WSClock (Carr & Hennessy, 1981): Clock's ring and hand, plus the working
 * set's window tau in virtual time (struct vms_ref.time).  Each frame keeps
 * the time of its page's last use: set on load and whenever the hand finds
 * the page referenced.  A page is "old" when now - last_use > tau.
 *
 * Hits need no call: a hit sets the reference bit, and the hand, the only
 * reader of last_use, sets last_use = now on a referenced page before it
 * looks at its age.  Setting last_use on every hit as well would change no
 * decision (the unit test's model does it, and agrees), and it would make
 * the live pager take a soft fault on every hit (VMS_POLICY_HITS).
 *
 * Victim search, now = the faulting reference's time, one turn from the hand:
 *   referenced            -> clear the bit, last_use = now, advance;
 *   unreferenced, young   -> advance;
 *   unreferenced, old, clean -> the victim; stop;
 *   unreferenced, old, dirty -> advance (a real system schedules its
 *                               write-back here); remember the first one.
 * After a full turn without an old clean page:
 *   - the first old dirty page met is the victim (its write-back has
 *     completed: a simulator has no asynchronous I/O to wait for);
 *   - otherwise no page is old: the victim is the page with the smallest
 *     last_use, ties going to the first one met from the hand.  If every
 *     page was referenced, all now have last_use = now, so that is the page
 *     at the hand where the search started.
 * The hand ends one past the victim; new pages go just behind the hand, as in
 * Clock (policy_clock.c).
 *
 * tau = cfg->ws_window, or 2 * nr_frames references when it is 0.  Time must
 * not go backwards; a last_use in the future counts as young.
 *
 * Cost: nothing per hit; a victim search looks at up to nr_frames pages and a
 * search that finds no old page always goes all the way round, so the worst
 * case is O(nr_frames) per fault.
 */
#include <errno.h>
#include <stdlib.h>

#include "framelist.h"
#include "vmsandbox/policy.h"

struct wsclock {
	struct vms_flist ring;        /* head = the hand */
	struct vms_flink *link;       /* per frame */
	uint64_t *last_use;           /* per frame, virtual time */
	uint64_t tau;                 /* references */
	struct vms_frame_table *ft;   /* for the reference and dirty bits */
};

static int wsclock_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
			  void **ret_state)
{
	struct wsclock *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->link = calloc(cfg->nr_frames, sizeof(*s->link));
	if (!s->link)
		goto err_free_state;
	s->last_use = calloc(cfg->nr_frames, sizeof(*s->last_use));
	if (!s->last_use)
		goto err_free_link;
	vms_flist_init(&s->ring);
	s->tau = cfg->ws_window ? cfg->ws_window : 2 * (uint64_t)cfg->nr_frames;
	s->ft = ft;
	*ret_state = s;
	return 0;

err_free_link:
	free(s->link);
err_free_state:
	free(s);
	return -ENOMEM;
}

static void wsclock_destroy(void *state)
{
	struct wsclock *s = state;

	if (!s)
		return;
	free(s->last_use);
	free(s->link);
	free(s);
}

static vms_frame_t wsclock_victim(void *state, const struct vms_ref *ref)
{
	struct wsclock *s = state;
	const uint64_t now = ref->time;
	vms_frame_t f = s->ring.head;
	vms_frame_t victim = VMS_FRAME_NONE;
	vms_frame_t old_dirty = VMS_FRAME_NONE;
	vms_frame_t oldest = VMS_FRAME_NONE;

	for (uint32_t i = 0; i < s->ring.len; i++, f = s->link[f].next) {
		if (vms_frame_referenced(s->ft, f)) {
			vms_frame_clear_referenced(s->ft, f);
			s->last_use[f] = now;
		} else if (s->last_use[f] < now && now - s->last_use[f] > s->tau) {
			if (!vms_frame_dirty(s->ft, f)) {
				victim = f;
				break;
			}
			if (old_dirty == VMS_FRAME_NONE)
				old_dirty = f;
		}
		if (oldest == VMS_FRAME_NONE || s->last_use[f] < s->last_use[oldest])
			oldest = f;
	}
	if (victim == VMS_FRAME_NONE)
		victim = old_dirty != VMS_FRAME_NONE ? old_dirty : oldest;
	/* The hand stops on the victim; popping it moves the hand one past. */
	s->ring.head = victim;
	return vms_flist_pop_head(&s->ring, s->link);
}

static void wsclock_inserted(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct wsclock *s = state;

	s->last_use[f] = ref->time;
	vms_flist_push_tail(&s->ring, s->link, f);
}

static void wsclock_removed(void *state, vms_frame_t f)
{
	struct wsclock *s = state;

	vms_flist_remove(&s->ring, s->link, f);
}

const struct vms_policy_ops vms_policy_wsclock = {
	.name = "wsclock",
	.summary = "working-set clock: evict a clean page unused for more than tau references",
	.flags = VMS_POLICY_REFBITS,
	.create = wsclock_create,
	.destroy = wsclock_destroy,
	.victim = wsclock_victim,
	.inserted = wsclock_inserted,
	.removed = wsclock_removed,
};
