/* SPDX-License-Identifier: MIT */
/*
 * Soft unmaps: what gives a live run the MMU's reference bits, a TLB model
 * that sees every miss, and working-set samples.
 *
 * A resident page is "parked": its process's agent moves it (UFFDIO_MOVE,
 * no copy, no uffd event) into a slot of its park area, slot number = the
 * page's frame number.  The page stays resident in the budget, its bytes
 * safe in the slot; the program's next touch is a missing fault, which the
 * pager serves by reading the slot (/proc/PID/mem) and copying the page
 * back (UFFDIO_COPY): a soft fault, one engine reference, no swap.  The
 * stale copy in the slot is emptied by the agent with its next request.
 *
 * Who parks what:
 *  - a policy that reads reference bits (Clock, Enhanced Clock, WSClock):
 *    the page whose bit its hand clears (frame hook `unreferenced`);
 *  - a policy that wants every hit (LRU, LFU, ARC): under memory pressure,
 *    pages leave a FIFO window of the most recently mapped pages, so that a
 *    page's position in the policy's order is the time of its last touch
 *    as seen through the window (error bounded by the window's size);
 *  - the TLB model (--tlb): exactly the pages its first level holds stay
 *    mapped; a page pushed out is parked, so each later touch is a miss;
 *  - working-set samples (--wss-interval): every resident page at the start
 *    of an interval, so that the pages touched in it are counted;
 *  - the locality profile (--profile): the same FIFO window as for LRU, of
 *    --profile-window pages (64), from the first fault on, budget or not,
 *    so that every touch of a page outside it is seen (profile.c).
 *
 * The rules that keep it exact:
 *  - a request may be in flight (SENT) while the program runs: a missing
 *    fault on such a page waits for the agent's reply (the fault may be
 *    older than the move); eviction of such a page write-protects and reads
 *    it where it is, or from the slot if the move has happened;
 *  - every state change bumps the frame's generation: a reply to an older
 *    request finds another generation and only empties the slot it filled,
 *    and only when no newer park of the same frame in that process may be
 *    using the slot (the agent empties a slot still full before moving a
 *    page in, so an emptying request must never overtake a newer park);
 *  - frames shared after a fork are not parked (the kernel refuses to move
 *    a page mapped twice), and a process about to fork gets its parked
 *    pages back first, so that the child inherits them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pager.h"
#include "uffd.h"

/* Pages in the hit window of LRU-like policies: a fraction of the budget. */
#define VMS_PARK_WINDOW_DIVISOR 4u
#define VMS_PARK_WINDOW_MIN 16u
/* Pages leave a full window this many at a time: a fault that soft-unmaps
 * waits for the agent (hold.c), so one fault in 16 waits instead of every
 * one (hotcold under lru: 397,000 waits took 17 s instead of 8.5). */
#define VMS_PARK_WINDOW_BATCH 16u

static struct vms_proc *proc_of(struct vms_pager *pg, uint32_t as_id)
{
	struct vms_as *as = vms_mm_as_find(pg->mm, as_id);

	return as ? as->owner : NULL;
}

static uint64_t slot_addr(const struct vms_proc *p, vms_frame_t f)
{
	return p->park_addr + (uint64_t)f * VMS_PAGE;
}

static bool can_send(const struct vms_proc *p)
{
	/* Not before the welcome: a fork child's agent empties its whole park
	 * area then (its copy of the parent's slots). */
	return p && !p->gone && p->sock >= 0 && p->park_addr && p->pid > 0 && p->welcomed;
}

int vms_park_init(struct vms_pager *pg)
{
	const struct vms_policy_ops *ops = vms_policy_find(pg->cfg.policy);
	uint32_t nr_frames = vms_mm_frames(pg->mm)->nr_frames;
	bool budget = pg->cfg.frames != 0;
	bool tlb = pg->cfg.tlb.nr_levels != 0;

	bool profile = pg->cfg.profile && !tlb;

	/* Every first touch must be seen by the TLB model, a working-set
	 * sample and the profile: fault-around would map pages untouched. */
	pg->fault_around = pg->cfg.fault_around && !tlb && !pg->cfg.wss_interval_ns &&
			   !pg->cfg.profile;
	/* With the TLB model the mapped pages are the TLB's, and every other
	 * touch is seen anyway: the policy's own parking would only unmap
	 * pages the TLB holds. */
	pg->park_for_refbits = budget && pg->cfg.ref_tracking && !tlb && ops &&
			       (ops->flags & VMS_POLICY_REFBITS);
	pg->park_window = budget && pg->cfg.ref_tracking && !tlb && ops &&
			  (ops->flags & VMS_POLICY_HITS);
	if (!pg->park_for_refbits && !pg->park_window && !tlb && !pg->cfg.wss_interval_ns &&
	    !profile)
		return 0;
	pg->park = calloc(nr_frames, sizeof(*pg->park));
	if (!pg->park)
		return -ENOMEM;
	if (pg->park_window) {
		pg->window.cap = nr_frames / VMS_PARK_WINDOW_DIVISOR;
		if (pg->window.cap < VMS_PARK_WINDOW_MIN)
			pg->window.cap = VMS_PARK_WINDOW_MIN;
	}
	if (profile) {
		/* The profile's window is the smaller one: both the policy
		 * and the profile then see every touch they need. */
		uint32_t cap = pg->cfg.profile_window ? pg->cfg.profile_window : 64;

		if (!pg->park_window || cap < pg->window.cap)
			pg->window.cap = cap;
		pg->park_window = true;
	}
	if (pg->park_window) {
		pg->window.e = calloc(pg->window.cap, sizeof(*pg->window.e));
		if (!pg->window.e)
			return -ENOMEM;
	}
	pg->wss_epoch = 1;
	return 0;
}

void vms_park_fini(struct vms_pager *pg)
{
	free(pg->park);
	pg->park = NULL;
	free(pg->window.e);
	pg->window.e = NULL;
	free(pg->wss);
	pg->wss = NULL;
}

static void reset(struct vms_pager *pg, struct vms_park_rec *rec)
{
	if (rec->state != VMS_PARK_NONE) {
		struct vms_proc *p = proc_of(pg, rec->as_id);

		if (p && p->nr_parked)
			p->nr_parked--;
	}
	rec->state = VMS_PARK_NONE;
	rec->gen++;
}

/* Appends an entry to p's unsent requests; false only without memory. */
static bool queue_entry(struct vms_proc *p, vms_frame_t f, uint32_t gen, bool clear)
{
	if (p->nr_park_next == p->cap_park_next) {
		uint32_t cap = p->cap_park_next ? p->cap_park_next * 2 : VMS_AGENT_MAX_PARK;
		struct vms_park_entry *e = realloc(p->park_next, cap * sizeof(*e));

		if (!e)
			return false;
		p->park_next = e;
		p->cap_park_next = cap;
	}
	p->park_next[p->nr_park_next++] = (struct vms_park_entry){ .frame = f, .gen = gen,
								    .clear = clear };
	return true;
}

/* The slot of frame f in p holds a stale copy: empty it (memory only: a
 * slot still full when a page is parked there is emptied by the agent). */
static void queue_clear(struct vms_proc *p, vms_frame_t f)
{
	if (can_send(p))
		queue_entry(p, f, 0, true);
}

static void unqueue(struct vms_proc *p, vms_frame_t f)
{
	for (uint32_t i = 0; i < p->nr_park_next; i++)
		if (!p->park_next[i].clear && p->park_next[i].frame == f) {
			memmove(&p->park_next[i], &p->park_next[i + 1],
				(p->nr_park_next - i - 1) * sizeof(p->park_next[0]));
			p->nr_park_next--;
			return;
		}
}

void vms_park_page(struct vms_pager *pg, vms_frame_t f, enum vms_park_reason why)
{
	const struct vms_frame *fr;
	struct vms_park_rec *rec;
	struct vms_proc *p;

	if (!pg->park)
		return;
	fr = &vms_mm_frames(pg->mm)->frames[f];
	rec = &pg->park[f];
	if (!fr->pte || rec->state != VMS_PARK_NONE)
		return;
	p = fr->as->owner;
	/* Not a frame shared since a fork (the kernel refuses to move a page
	 * mapped twice), nor one of a process whose fork is under way (the
	 * child must inherit the page where it is). */
	if (fr->more || !can_send(p) || f >= p->park_pages || p->forks_unseen ||
	    p->forks_waiting || vms_fill_pending(p, fr->vpn)) {
		pg->st.soft_unmaps_skipped++;
		return;
	}
	if (!queue_entry(p, f, rec->gen, false)) {
		pg->st.soft_unmaps_skipped++;
		return;
	}
	rec->state = VMS_PARK_QUEUED;
	rec->reason = (uint8_t)why;
	rec->as_id = p->as->id;
	p->nr_parked++;
	vms_hold_note_work(pg, p, false);
}

/* Sends the first entries of p's queue (up to VMS_AGENT_MAX_PARK) as one
 * request.  Returns how many entries it took off the queue, 0 if the agent
 * cannot take it now (the entries wait), or -1 if it cannot be sent. */
static int send_parks(struct vms_pager *pg, struct vms_proc *p)
{
	const struct vms_frame_table *ft = vms_mm_frames(pg->mm);
	struct vms_agent_req q = { .op = VMS_AGENT_PARK };
	struct vms_park_batch *b = malloc(sizeof(*b));
	uint32_t n = 0, used = 0;

	if (!b) {
		vms_pager_fatal(pg, -ENOMEM, "out of memory");
		return -1;
	}
	for (; used < p->nr_park_next && n < VMS_AGENT_MAX_PARK; used++) {
		struct vms_park_entry e = p->park_next[used];
		const struct vms_park_rec *rec = &pg->park[e.frame];

		if (!e.clear) {
			if (rec->state != VMS_PARK_QUEUED || rec->gen != e.gen)
				continue;   /* cancelled since */
			e.addr = (uint64_t)ft->frames[e.frame].vpn * VMS_PAGE;
		}
		q.addr[2 * n] = e.clear ? 0 : e.addr;
		q.addr[2 * n + 1] = slot_addr(p, e.frame);
		b->e[n++] = e;
	}
	b->nr = n;
	if (n == 0) {
		/* Every soft unmap was cancelled since (its page evicted or
		 * freed): nothing to wait for. */
		free(b);
		return (int)used;
	}
	q.seq = ++p->next_seq;
	q.nr = 2 * n;
	if (send(p->sock, &q, VMS_AGENT_REQ_BYTES(q.nr), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		free(b);
		p->next_seq--;
		if (errno == EAGAIN || errno == ENOBUFS)
			return 0;   /* the agent is behind: the entries wait */
		if (errno == EPIPE || errno == ECONNRESET)
			p->gone = true;
		else
			vms_pager_fatal(pg, -errno, "cannot ask process %d (%s) to soft-unmap pages",
					(int)p->pid, p->comm);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++)
		if (!b->e[i].clear)
			pg->park[b->e[i].frame].state = VMS_PARK_SENT;
	b->seq = q.seq;
	b->next = p->parks_sent;
	p->parks_sent = b;
	p->nr_parks_sent++;
	pg->st.agent_calls++;
	return (int)used;
}

void vms_park_flush(struct vms_pager *pg, struct vms_proc *p)
{
	while (p->nr_park_next && can_send(p)) {
		int r = send_parks(pg, p);

		if (r <= 0)
			break;
		memmove(p->park_next, p->park_next + r,
			(p->nr_park_next - (uint32_t)r) * sizeof(p->park_next[0]));
		p->nr_park_next -= (uint32_t)r;
	}
}

bool vms_park_inflight(const struct vms_proc *p, uint64_t addr)
{
	for (const struct vms_park_batch *b = p->parks_sent; b; b = b->next)
		for (uint32_t i = 0; i < b->nr; i++)
			if (!b->e[i].clear && b->e[i].addr == addr)
				return true;
	return false;
}

bool vms_park_done(struct vms_pager *pg, struct vms_proc *p, uint32_t seq, int64_t failed)
{
	for (struct vms_park_batch **bb = &p->parks_sent; *bb; bb = &(*bb)->next) {
		struct vms_park_batch *b = *bb;

		if (b->seq != seq)
			continue;
		*bb = b->next;
		p->nr_parks_sent--;
		for (uint32_t i = 0; i < b->nr; i++) {
			const struct vms_park_entry *e = &b->e[i];
			struct vms_park_rec *rec = &pg->park[e->frame];
			bool ok = failed >= 0 && !(failed & (1LL << i));

			if (e->clear)
				continue;
			if (rec->gen == e->gen && rec->state == VMS_PARK_SENT) {
				if (ok) {
					rec->state = VMS_PARK_PARKED;
					pg->st.soft_unmaps++;
				} else {
					reset(pg, rec);
					pg->st.soft_unmap_refused++;
				}
			} else if (ok && (rec->state == VMS_PARK_NONE || rec->as_id != p->as->id)) {
				/* Moved after the page was taken back or
				 * evicted: the copy in the slot is stale, and no
				 * newer park of this frame uses the slot. */
				queue_clear(p, e->frame);
			}
		}
		free(b);
		return true;
	}
	return false;
}

int vms_park_claim(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, vms_frame_t f,
		   void *buf, enum vms_park_reason *ret_reason)
{
	struct vms_park_rec *rec;
	int r;

	if (!pg->park)
		return 0;
	rec = &pg->park[f];
	if (rec->as_id != p->as->id || rec->state == VMS_PARK_NONE || rec->state == VMS_PARK_QUEUED)
		return 0;
	if (rec->state == VMS_PARK_SENT)
		return -EAGAIN;   /* the fault may be older than the move: the reply says */
	r = vms_park_read_slot(pg, p, f, buf);
	if (r < 0) {
		vms_pager_fatal(pg, r, "cannot read back soft-unmapped page 0x%llx of process %d (%s)",
				(unsigned long long)vpn * VMS_PAGE, (int)p->pid, p->comm);
		return r;
	}
	*ret_reason = (enum vms_park_reason)rec->reason;
	reset(pg, rec);
	queue_clear(p, f);
	return 1;
}

int vms_park_evicting(struct vms_pager *pg, struct vms_proc *p, vms_frame_t f, void *buf)
{
	struct vms_park_rec *rec;
	int r;

	if (!pg->park)
		return 0;
	rec = &pg->park[f];
	switch (rec->state) {
	case VMS_PARK_QUEUED:
		unqueue(p, f);
		reset(pg, rec);
		return 0;
	case VMS_PARK_SENT:
		/* Where it is, or in the slot if the agent has moved it: the
		 * caller reads the page and falls back on the slot. */
		return 2;
	case VMS_PARK_PARKED:
		if (!buf)
			return 1;
		r = vms_park_read_slot(pg, p, f, buf);
		/* A process exiting has no mm to read: as for a page in the
		 * process (backend.c), the fault is retried once it is gone. */
		if (r == -EIO || r == -ESRCH)
			return -EAGAIN;
		return r < 0 ? r : 1;
	default:
		return 0;
	}
}

/* The slot of frame f of p, for a page the agent may have moved there. */
int vms_park_read_slot(struct vms_pager *pg, struct vms_proc *p, vms_frame_t f, void *buf)
{
	(void)pg;
	if (!p->park_addr)
		return -EIO;
	return vms_proc_read_page(p, slot_addr(p, f), buf);
}

void vms_park_frame_freed(void *ctx, vms_frame_t f)
{
	struct vms_pager *pg = ctx;
	struct vms_park_rec *rec;
	struct vms_proc *p;

	if (!pg->park)
		return;
	rec = &pg->park[f];
	rec->wss_epoch = 0;
	if (rec->state == VMS_PARK_NONE)
		return;
	p = proc_of(pg, rec->as_id);
	if (p && rec->state == VMS_PARK_QUEUED)
		unqueue(p, f);
	else if (p && rec->state == VMS_PARK_PARKED)
		queue_clear(p, f);
	/* SENT: the reply finds another generation and empties the slot. */
	reset(pg, rec);
}

void vms_park_unreferenced(void *ctx, vms_frame_t f)
{
	struct vms_pager *pg = ctx;

	if (pg->park_for_refbits)
		vms_park_page(pg, f, VMS_PARK_FOR_REF);
}

/* LRU-like policies: the page just mapped enters the window, the oldest
 * leaves it and is parked, so its next touch is a hit the policy sees. */
static void window_push(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, vms_frame_t f)
{
	struct vms_park_window *w = &pg->window;
	const struct vms_frame_table *ft = vms_mm_frames(pg->mm);
	uint32_t tail;

	uint32_t batch = w->cap < 4 * VMS_PARK_WINDOW_BATCH ? (w->cap + 3) / 4 : VMS_PARK_WINDOW_BATCH;
	enum vms_park_reason why = pg->cfg.profile ? VMS_PARK_FOR_PROFILE : VMS_PARK_FOR_REF;

	for (uint32_t i = 0, nr = w->nr == w->cap ? batch : 0; i < nr && w->nr; i++) {
		uint32_t old = w->e[w->head].frame;
		const struct vms_frame *fr = &ft->frames[old];

		if (fr->pte && fr->as->id == w->e[w->head].as_id && fr->vpn == w->e[w->head].vpn)
			vms_park_page(pg, old, why);
		w->head = (w->head + 1) % w->cap;
		w->nr--;
	}
	tail = (w->head + w->nr) % w->cap;
	w->e[tail].frame = f;
	w->e[tail].as_id = p->as->id;
	w->e[tail].vpn = vpn;
	w->nr++;
}

void vms_park_tlb_displaced(struct vms_pager *pg, const struct vms_ref_result *res)
{
	struct vms_as *as;
	const struct vms_pte *pte;

	if (!pg->park || !res->tlb_displaced)
		return;
	as = vms_mm_as_find(pg->mm, vms_key_asid(res->tlb_displaced_key));
	pte = as ? vms_pt_lookup(&as->pt, vms_key_vpn(res->tlb_displaced_key)) : NULL;
	if (pte && vms_pte_state(pte) == VMS_PTE_RESIDENT)
		vms_park_page(pg, (vms_frame_t)pte->payload, VMS_PARK_FOR_TLB);
}

void vms_park_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
			const struct vms_ref_result *res)
{
	if (pg->trace) {
		struct vms_trace_event ev = { .kind = VMS_TR_REF, .write = write,
					      .pid = p->as->id, .vpn = vpn };

		vms_trace_note(pg, &ev);
	}
	if (!pg->park)
		return;
	if (pg->cfg.wss_interval_ns && pg->park[res->frame].wss_epoch != pg->wss_epoch) {
		pg->park[res->frame].wss_epoch = pg->wss_epoch;
		pg->wss_seen++;
	}
	vms_park_tlb_displaced(pg, res);
	/* LRU-like policies need the window only once pages are evicted; the
	 * profile, from the first touch. */
	if (pg->park_window && (pg->cfg.profile || vms_mm_stats(pg->mm)->evictions))
		window_push(pg, p, vpn, res->frame);
}

bool vms_park_unpark_all(struct vms_pager *pg, struct vms_proc *p)
{
	const struct vms_frame_table *ft = vms_mm_frames(pg->mm);

	if (!pg->park || !p->nr_parked)
		return true;
	vms_park_flush(pg, p);
	if (p->nr_parks_sent)
		return false;   /* the replies come first */
	for (vms_frame_t f = 0; f < ft->next_fresh && p->nr_parked; f++) {
		struct vms_park_rec *rec = &pg->park[f];
		const struct vms_frame *fr = &ft->frames[f];
		uint64_t done = 0;
		int r;

		if (rec->state == VMS_PARK_NONE || rec->as_id != p->as->id)
			continue;
		if (rec->state == VMS_PARK_QUEUED) {
			unqueue(p, f);
			reset(pg, rec);
			continue;
		}
		r = vms_park_read_slot(pg, p, f, pg->page);
		if (r == 0) {
			r = vms_uffd_copy(p->uffd, (uint64_t)fr->vpn * VMS_PAGE, pg->page, VMS_PAGE,
					  UFFDIO_COPY_MODE_WP, &done);
			if (r == -EEXIST)
				r = 0;
		}
		if (r < 0) {
			if (vms_pager_classify(pg, r) == VMS_UFFD_RETRY)
				return false;
			vms_pager_fatal(pg, r, "cannot put back soft-unmapped page 0x%llx of "
					"process %d (%s) before its fork",
					(unsigned long long)fr->vpn * VMS_PAGE, (int)p->pid, p->comm);
			return true;
		}
		reset(pg, rec);
		queue_clear(p, f);
		pg->st.unparked_for_fork++;
	}
	vms_park_flush(pg, p);
	return true;
}

uint64_t vms_wss_deadline(const struct vms_pager *pg)
{
	return pg->cfg.wss_interval_ns && pg->park ? pg->wss_next_ns : 0;
}

static int wss_append(struct vms_pager *pg, double t_s, uint64_t pages)
{
	if (pg->nr_wss == pg->cap_wss) {
		size_t cap = pg->cap_wss ? pg->cap_wss * 2 : 256;
		struct vms_wss_sample *s = realloc(pg->wss, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		pg->wss = s;
		pg->cap_wss = cap;
	}
	pg->wss[pg->nr_wss++] = (struct vms_wss_sample){ t_s, pages };
	return 0;
}

/*
 * At the end of each interval: W(t, tau) is the number of distinct pages
 * referenced since the previous sample; then every resident page is parked
 * again, so that the next interval sees each page's first touch.
 */
void vms_wss_maybe_sample(struct vms_pager *pg, uint64_t now_ns)
{
	const struct vms_frame_table *ft = vms_mm_frames(pg->mm);

	if (!vms_wss_deadline(pg) || now_ns < pg->wss_next_ns)
		return;
	if (wss_append(pg, (double)(now_ns - pg->start_ns) / 1e9, pg->wss_seen) < 0) {
		vms_pager_fatal(pg, -ENOMEM, "out of memory");
		return;
	}
	pg->wss_seen = 0;
	pg->wss_epoch++;
	pg->wss_next_ns += pg->cfg.wss_interval_ns;
	if (pg->wss_next_ns <= now_ns)
		pg->wss_next_ns = now_ns + pg->cfg.wss_interval_ns;
	for (vms_frame_t f = 0; f < ft->next_fresh; f++)
		if (ft->frames[f].pte)
			vms_park_page(pg, f, VMS_PARK_FOR_WSS);
}

/* The final, partial interval: its pages so far, if it lasted. */
void vms_wss_finish(struct vms_pager *pg, uint64_t now_ns)
{
	if (vms_wss_deadline(pg) && pg->wss_seen)
		wss_append(pg, (double)(now_ns - pg->start_ns) / 1e9, pg->wss_seen);
}
