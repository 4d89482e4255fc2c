/* SPDX-License-Identifier: MIT */
/*
 * A reference trace in memory and the core engine run over it: what
 * `vmsandbox replay` does, and what the locality profile (--profile) does
 * with the stream a live run recorded (tools/profile.c).  The trace is read
 * once (16 bytes per reference), so that every policy sees exactly the same
 * stream and OPT can know the future.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pageset.h"
#include "tracesim.h"

/* ---- loading ---- */

static ssize_t read_fd(void *ctx, void *buf, size_t len)
{
	int fd = *(int *)ctx;
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static const char *event_where(const struct vms_trace_event *ev, char *buf, size_t len)
{
	if (ev->line)
		snprintf(buf, len, "line %" PRIu64, ev->line);
	else
		snprintf(buf, len, "byte %" PRIu64, ev->offset);
	return buf;
}

static int push_op(struct vms_tsim_trace *t, const struct vms_trace_event *ev)
{
	struct vms_tsim_op *o;

	if (t->nr_ops == t->cap_ops) {
		size_t cap = t->cap_ops ? t->cap_ops * 2 : 1 << 16;
		struct vms_tsim_op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		if (t->keep_times) {
			uint64_t *times = realloc(t->times, cap * sizeof(*times));

			if (!times)
				return -ENOMEM;
			t->times = times;
		}
		t->cap_ops = cap;
	}
	if (t->keep_times)
		t->times[t->nr_ops] = ev->time_ns;
	o = &t->ops[t->nr_ops++];
	o->pid = ev->pid;
	o->kind = (uint8_t)ev->kind;
	o->write = ev->write;
	if (ev->kind == VMS_TR_REF) {
		o->arg = ev->vpn;
		t->nr_refs++;
		t->nr_writes += ev->write;
		return 0;
	}
	if (t->nr_extra == t->cap_extra) {
		size_t cap = t->cap_extra ? t->cap_extra * 2 : 64;
		struct vms_trace_event *x = realloc(t->extra, cap * sizeof(*x));

		if (!x)
			return -ENOMEM;
		t->extra = x;
		t->cap_extra = cap;
	}
	t->extra[t->nr_extra] = *ev;
	o->arg = t->nr_extra++;
	return 0;
}

int vms_tsim_load(const char *who, const char *path, struct vms_tsim_trace *t)
{
	struct vms_trace_reader *rd = NULL;
	struct vms_trace_event ev;
	int fd, r;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: cannot open trace '%s': %s\n", who, path,
				strerror(errno));
			return -1;
		}
	}
	r = vms_trace_reader_new(read_fd, &fd, &rd);
	if (r < 0) {
		fprintf(stderr, "%s: %s: %s\n", who, path, strerror(-r));
		goto out;
	}
	while ((r = vms_trace_read(rd, &ev)) > 0) {
		if (ev.pid > VMS_ASID_MAX || (ev.kind == VMS_TR_FORK && ev.child_pid > VMS_ASID_MAX)) {
			char where[48];

			fprintf(stderr, "%s: %s: %s: process id above %u, the largest"
				" the model supports\n", who, path, event_where(&ev, where, sizeof(where)),
				VMS_ASID_MAX);
			r = -1;
			goto out;
		}
		r = push_op(t, &ev);
		if (r < 0) {
			fprintf(stderr, "%s: %s: out of memory after %zu events\n", who,
				path, t->nr_ops);
			goto out;
		}
	}
	if (r < 0 && r != -1)
		fprintf(stderr, "%s: %s: %s\n", who, path, vms_trace_reader_error(rd));
out:
	vms_trace_reader_free(rd);
	if (fd != STDIN_FILENO)
		close(fd);
	return r < 0 ? -1 : 0;
}

/*
 * Applies the range-level effect of a non-reference event to a pageset, the
 * way the engine applies it to page tables: unmap, map (over old contents),
 * remap (the pages keep their identity: moved, not new), exec and exit
 * (everything goes).  Fork needs nothing: the child's pages are its own keys.
 * Populate needs nothing either: it fills frames, the contents do not change
 * (OPT's next uses stay, and the LRU curve counts references only).
 */
typedef void (*forget_fn)(void *ctx, uint32_t pid, vms_vpn_t vpn, uint64_t value);

static void pageset_apply(struct pageset *ps, const struct vms_trace_event *ev,
			  forget_fn forget, void *ctx)
{
	switch (ev->kind) {
	case VMS_TR_MAP:
	case VMS_TR_UNMAP:
		pageset_remove_range(ps, ev->pid, ev->vpn, ev->nr_pages, forget, ctx);
		break;
	case VMS_TR_REMAP:
		pageset_remove_range(ps, ev->pid, ev->new_vpn, ev->nr_pages, forget, ctx);
		pageset_remove_range(ps, ev->pid, ev->vpn, ev->nr_pages, forget, ctx);
		break;
	case VMS_TR_EXEC:
	case VMS_TR_EXIT:
		pageset_remove_range(ps, ev->pid, 0, VMS_VPN_MAX + 1, forget, ctx);
		break;
	default:
		break;
	}
}

/*
 * OPT's oracle: for every reference, the op index of the next reference to
 * the same page (VMS_TIME_NEVER if the page is never used again or its
 * contents die first: unmap, exec, exit).  One backward pass.
 */
uint64_t *vms_tsim_next_use(const struct vms_tsim_trace *t)
{
	uint64_t *next = malloc(t->nr_ops * sizeof(*next));
	struct pageset ps;

	if (!next)
		return NULL;
	pageset_init(&ps);
	for (size_t i = t->nr_ops; i-- > 0;) {
		const struct vms_tsim_op *o = &t->ops[i];

		next[i] = VMS_TIME_NEVER;
		if (o->kind == VMS_TR_REF) {
			struct vms_pte *e = pageset_get(&ps, o->pid, o->arg);

			if (!e) {
				free(next);
				next = NULL;
				break;
			}
			if (vms_pte_state(e) != VMS_PTE_NONE)
				next[i] = e->payload;
			pageset_set(&ps, o->pid, o->arg, e, i);
		} else {
			/* Backwards, a range event cuts every page's future at this point. */
			pageset_apply(&ps, &t->extra[o->arg], NULL, NULL);
		}
	}
	pageset_fini(&ps);
	return next;
}

/* ---- running ---- */

static struct vms_as *get_as(struct vms_mm *mm, uint32_t pid)
{
	struct vms_as *as = vms_mm_as_find(mm, pid);

	if (!as && vms_mm_as_new(mm, pid, &as) < 0)
		return NULL;
	return as;
}

/*
 * Fault-around recorded by the live pager: each page of the range, in order,
 * gets a free frame if it was never touched.  Once no frame is free, none of
 * the rest can get one (populate never evicts), so the loop stops there.
 */
static int apply_populate(struct vms_mm *mm, const struct vms_trace_event *ev)
{
	const struct vms_frame_table *ft = vms_mm_frames(mm);
	struct vms_as *as = get_as(mm, ev->pid);

	if (!as)
		return -ENOMEM;
	for (uint64_t k = 0; k < ev->nr_pages && ft->nr_used < ft->nr_frames; k++) {
		int r = vms_mm_populate(mm, as, ev->vpn + k);

		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_event(struct vms_mm *mm, const struct vms_trace_event *ev)
{
	struct vms_as *as, *child;

	switch (ev->kind) {
	case VMS_TR_MAP:
	case VMS_TR_UNMAP:
		as = get_as(mm, ev->pid);
		if (!as)
			return -ENOMEM;
		vms_mm_unmap(mm, as, ev->vpn, ev->nr_pages);
		return 0;
	case VMS_TR_REMAP:
		as = get_as(mm, ev->pid);
		if (!as)
			return -ENOMEM;
		return vms_mm_remap(mm, as, ev->vpn, ev->nr_pages, ev->new_vpn);
	case VMS_TR_FORK:
		as = get_as(mm, ev->pid);
		if (!as)
			return -ENOMEM;
		vms_mm_as_destroy(mm, vms_mm_as_find(mm, ev->child_pid));
		return vms_mm_as_clone(mm, as, ev->child_pid, &child);
	case VMS_TR_EXEC:
		vms_mm_as_destroy(mm, vms_mm_as_find(mm, ev->pid));
		return vms_mm_as_new(mm, ev->pid, &as);
	case VMS_TR_EXIT:
		vms_mm_as_destroy(mm, vms_mm_as_find(mm, ev->pid));
		return 0;
	case VMS_TR_POPULATE:
		return apply_populate(mm, ev);
	case VMS_TR_REF:
		break;
	}
	return 0;
}

int vms_tsim_run_policy(const struct vms_tsim_trace *t, const struct vms_tsim_cfg *o,
		      const struct vms_tlb_geom *geom, const struct vms_policy_ops *ops,
		      const uint64_t *next_use, struct vms_tsim_result *res)
{
	struct vms_mm_config cfg = {
		.nr_frames = (uint32_t)o->frames,
		.policy = ops,
		.policy_cfg = { .seed = o->seed, .ws_window = o->ws_window,
				.lfu_decay_period = o->lfu_decay },
		.swap = { .compressor = VMS_COMPRESS_NONE,
			  .max_slots = (uint32_t)o->swap_pages },
		.tlb = *geom,
	};
	struct vms_mm *mm;
	uint64_t ref_index = 0;
	int r;

	memset(res, 0, sizeof(*res));
	res->policy = ops->name;
	r = vms_mm_new(&cfg, &mm);
	if (r < 0) {
		fprintf(stderr, "%s: cannot set up policy %s: %s\n", o->who, ops->name,
			strerror(-r));
		return -1;
	}
	for (size_t i = 0; i < t->nr_ops; i++) {
		const struct vms_tsim_op *op = &t->ops[i];
		struct vms_ref_result rr;
		struct vms_as *as;

		if (op->kind != VMS_TR_REF) {
			const struct vms_trace_event *ev = &t->extra[op->arg];
			char where[48];

			r = apply_event(mm, ev);
			if (r == -ENOSPC) {
				res->oom = true;
				res->oom_at_ref = ref_index;
				break;
			}
			if (r < 0) {
				fprintf(stderr, "%s: %s: %s: %s\n", o->who, o->path,
					event_where(ev, where, sizeof(where)),
					r == -EINVAL ? "invalid range (overlapping remap?)" :
					r == -EEXIST ? "process already exists" : strerror(-r));
				vms_mm_free(mm);
				return -1;
			}
			continue;
		}
		as = get_as(mm, op->pid);
		r = as ? vms_mm_ref(mm, as, op->arg, op->write,
				    next_use ? next_use[i] : VMS_TIME_NEVER, &rr) : -ENOMEM;
		if (r == -ENOSPC) {
			res->oom = true;
			res->oom_at_ref = ref_index;
			break;
		}
		if (r < 0) {
			fprintf(stderr, "%s: reference %" PRIu64 ": %s\n", o->who, ref_index,
				strerror(-r));
			vms_mm_free(mm);
			return -1;
		}
		ref_index++;
	}
	res->st = *vms_mm_stats(mm);
	res->peak_resident = vms_mm_frames(mm)->peak_used;
	vms_swap_get_stats(vms_mm_swap(mm), &res->swap);
	if (vms_mm_tlb(mm)) {
		res->has_tlb = true;
		vms_tlb_get_stats(vms_mm_tlb(mm), &res->tlb);
	}
	vms_mm_free(mm);
	return 0;
}

/* ---- miss-ratio curve ---- */

static void mrc_forget(void *ctx, uint32_t pid, vms_vpn_t vpn, uint64_t value)
{
	vms_mrc_forget(ctx, vms_key(pid, vpn));
}

/*
 * References go to the MRC engine in batches (it overlaps the cache misses of
 * consecutive references); a range event flushes the batch first, so that
 * order is kept exactly.
 */
#define MRC_BATCH 4096

struct vms_mrc *vms_tsim_mrc(const struct vms_tsim_trace *t)
{
	vms_key_t *batch = malloc(MRC_BATCH * sizeof(*batch));
	struct vms_mrc *mrc = NULL;
	struct pageset ps;
	size_t n = 0;
	int r = 0;

	if (!batch || vms_mrc_new(t->nr_refs / 4 + 16, &mrc) < 0) {
		free(batch);
		return NULL;
	}
	pageset_init(&ps);
	for (size_t i = 0; i < t->nr_ops && r == 0; i++) {
		const struct vms_tsim_op *o = &t->ops[i];

		if (o->kind == VMS_TR_REF) {
			struct vms_pte *e = pageset_get(&ps, o->pid, o->arg);

			if (!e) {
				r = -ENOMEM;
				break;
			}
			pageset_set(&ps, o->pid, o->arg, e, 1);
			batch[n++] = vms_key(o->pid, o->arg);
			if (n == MRC_BATCH) {
				r = vms_mrc_access_batch(mrc, batch, n);
				n = 0;
			}
		} else {
			if (n) {
				r = vms_mrc_access_batch(mrc, batch, n);
				n = 0;
			}
			pageset_apply(&ps, &t->extra[o->arg], mrc_forget, mrc);
		}
	}
	if (r == 0 && n)
		r = vms_mrc_access_batch(mrc, batch, n);
	pageset_fini(&ps);
	free(batch);
	if (r < 0) {
		vms_mrc_free(mrc);
		return NULL;
	}
	return mrc;
}

/*
 * The frame counts the curve reports, ascending: every count up to 1024,
 * then about 64 points per doubling; always the run's own budget and `max`
 * (where the caller puts the flat end of the curve).  Returns the count.
 */
size_t vms_tsim_mrc_points(uint64_t max, uint64_t frames, uint64_t **ret)
{
	size_t n = 0, cap = 2048;
	uint64_t *pts = malloc(cap * sizeof(*pts));

	if (!pts)
		return 0;
	for (uint64_t k = 1; k <= max; k = k < 1024 ? k + 1 : k + (k >> 6)) {
		if (n + 3 > cap) {
			uint64_t *p = realloc(pts, (cap *= 2) * sizeof(*pts));

			if (!p)
				break;
			pts = p;
		}
		if (frames && frames < k && (n == 0 || pts[n - 1] < frames))
			pts[n++] = frames;
		pts[n++] = k;
	}
	if (n && pts[n - 1] < max)
		pts[n++] = max;
	if (frames && frames <= max && (n == 0 || pts[n - 1] < frames))
		pts[n++] = frames;
	*ret = pts;
	return n;
}

uint64_t vms_tsim_distinct_pages(const struct vms_tsim_trace *t)
{
	struct pageset ps;
	uint64_t n = 0;

	pageset_init(&ps);
	for (size_t i = 0; i < t->nr_ops; i++) {
		const struct vms_tsim_op *o = &t->ops[i];

		if (o->kind != VMS_TR_REF)
			continue;
		struct vms_pte *e = pageset_get(&ps, o->pid, o->arg);

		if (e && vms_pte_state(e) == VMS_PTE_NONE) {
			pageset_set(&ps, o->pid, o->arg, e, 1);
			n++;
		}
	}
	pageset_fini(&ps);
	return n;
}

void vms_tsim_free(struct vms_tsim_trace *t)
{
	free(t->ops);
	free(t->extra);
	free(t->times);
	memset(t, 0, sizeof(*t));
}
