/* SPDX-License-Identifier: MIT */
/*
 * `vmsandbox replay`: runs a recorded or hand-written reference trace through
 * the core engine with one policy or all of them, optionally a TLB model and
 * the LRU miss-ratio curve.  The trace is read into memory once (compactly),
 * so that every policy sees exactly the same stream and OPT can know the
 * future.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "options.h"
#include "pageset.h"
#include "replay.h"
#include "vmsandbox/mm.h"
#include "vmsandbox/mrc.h"
#include "vmsandbox/trace.h"

#define EXIT_USAGE 2

/* One trace event in 16 bytes; the rare non-reference events keep their
 * full record in `extra` and point at it through `arg`. */
struct op {
	uint64_t arg;       /* REF: vpn; others: index into extra[] */
	uint32_t pid;
	uint8_t kind;       /* enum vms_trace_kind */
	uint8_t write;
};

struct trace_data {
	struct op *ops;
	size_t nr_ops;
	size_t cap_ops;
	struct vms_trace_event *extra;
	size_t nr_extra;
	size_t cap_extra;
	uint64_t nr_refs;
	uint64_t nr_writes;
	uint64_t nr_pages;        /* distinct (pid, vpn) referenced */
	uint32_t nr_procs;
};

struct replay_opts {
	uint64_t frames;          /* 0: not given */
	const char *policy;
	const char *tlb;
	bool mrc;
	uint64_t mrc_max;         /* 0: up to the number of distinct pages */
	bool json;
	uint64_t seed;
	uint64_t ws_window;
	uint64_t lfu_decay;
	uint64_t swap_pages;      /* 0: unlimited */
	const char *path;
};

struct policy_result {
	const char *policy;
	struct vms_mm_stats st;
	uint32_t peak_resident;
	bool oom;
	uint64_t oom_at_ref;      /* index of the reference that could not be served */
	bool has_tlb;
	struct vms_tlb_stats tlb;
	struct vms_swap_stats swap;
};

void vms_replay_usage(FILE *out)
{
	fputs("usage: vmsandbox replay [OPTIONS] TRACE\n"
	      "Replays a page reference trace (text or binary; - for stdin) through the\n"
	      "memory model and reports faults for a frame budget and policy.\n"
	      "\n"
	      "  -f, --frames N        frame budget (pages); needed unless only --mrc\n"
	      "  -p, --policy NAME     replacement policy, or 'all' (default: lru)\n"
	      "  -t, --tlb GEOM        TLB model, ENTRIESxWAYS[,ENTRIESxWAYS], e.g. 64x4,1536x12\n"
	      "  -m, --mrc             LRU miss-ratio curve (faults for every frame count)\n"
	      "      --mrc-max N       largest frame count in the curve\n"
	      "  -j, --json            one JSON object on stdout instead of a table\n"
	      "      --swap-pages N    swap capacity in pages (default: unlimited);\n"
	      "                        a full swap stops the run as out of memory\n"
	      "      --seed N          seed for the random policy (default 1)\n"
	      "      --ws-window N     WSClock window tau, in references\n"
	      "      --lfu-decay N     LFU halves its counts every N references\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "policies:", out);
	for (size_t i = 0; vms_policies[i]; i++)
		fprintf(out, " %s", vms_policies[i]->name);
	fputs("\n", out);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmsandbox replay: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	vms_replay_usage(stderr);
	return EXIT_USAGE;
}

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

static int push_op(struct trace_data *t, const struct vms_trace_event *ev)
{
	struct op *o;

	if (t->nr_ops == t->cap_ops) {
		size_t cap = t->cap_ops ? t->cap_ops * 2 : 1 << 16;
		struct op *ops = realloc(t->ops, cap * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		t->ops = ops;
		t->cap_ops = cap;
	}
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

static int load_trace(const char *path, struct trace_data *t)
{
	struct vms_trace_reader *rd = NULL;
	struct vms_trace_event ev;
	int fd, r;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "vmsandbox replay: cannot open trace '%s': %s\n", path,
				strerror(errno));
			return -1;
		}
	}
	r = vms_trace_reader_new(read_fd, &fd, &rd);
	if (r < 0) {
		fprintf(stderr, "vmsandbox replay: %s: %s\n", path, strerror(-r));
		goto out;
	}
	while ((r = vms_trace_read(rd, &ev)) > 0) {
		if (ev.pid > VMS_ASID_MAX || (ev.kind == VMS_TR_FORK && ev.child_pid > VMS_ASID_MAX)) {
			char where[48];

			fprintf(stderr, "vmsandbox replay: %s: %s: process id above %u, the largest"
				" the model supports\n", path, event_where(&ev, where, sizeof(where)),
				VMS_ASID_MAX);
			r = -1;
			goto out;
		}
		r = push_op(t, &ev);
		if (r < 0) {
			fprintf(stderr, "vmsandbox replay: %s: out of memory after %zu events\n",
				path, t->nr_ops);
			goto out;
		}
	}
	if (r < 0 && r != -1)
		fprintf(stderr, "vmsandbox replay: %s: %s\n", path, vms_trace_reader_error(rd));
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
static uint64_t *compute_next_use(const struct trace_data *t)
{
	uint64_t *next = malloc(t->nr_ops * sizeof(*next));
	struct pageset ps;

	if (!next)
		return NULL;
	pageset_init(&ps);
	for (size_t i = t->nr_ops; i-- > 0;) {
		const struct op *o = &t->ops[i];

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

static int run_policy(const struct trace_data *t, const struct replay_opts *o,
		      const struct vms_tlb_geom *geom, const struct vms_policy_ops *ops,
		      const uint64_t *next_use, struct policy_result *res)
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
		fprintf(stderr, "vmsandbox replay: cannot set up policy %s: %s\n", ops->name,
			strerror(-r));
		return -1;
	}
	for (size_t i = 0; i < t->nr_ops; i++) {
		const struct op *op = &t->ops[i];
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
				fprintf(stderr, "vmsandbox replay: %s: %s: %s\n", o->path,
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
			fprintf(stderr, "vmsandbox replay: reference %" PRIu64 ": %s\n", ref_index,
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

static struct vms_mrc *compute_mrc(const struct trace_data *t)
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
		const struct op *o = &t->ops[i];

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
static size_t mrc_points(uint64_t max, uint64_t frames, uint64_t **ret)
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

/* ---- output ---- */

static uint64_t distinct_pages(const struct trace_data *t)
{
	struct pageset ps;
	uint64_t n = 0;

	pageset_init(&ps);
	for (size_t i = 0; i < t->nr_ops; i++) {
		const struct op *o = &t->ops[i];

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

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void json_policy_fields(struct vms_json *j, const struct policy_result *r, uint64_t frames)
{
	vms_json_kv_string(j, "policy", r->policy);
	vms_json_kv_u64(j, "frames", frames);
	vms_json_kv_u64(j, "references", r->st.references);
	vms_json_kv_u64(j, "faults", r->st.faults);
	vms_json_kv_u64(j, "hits", r->st.hits);
	vms_json_kv_u64(j, "evictions", r->st.evictions);
	vms_json_kv_double(j, "fault_ratio", ratio(r->st.faults, r->st.references));
	for (const struct vms_stat_desc *d = vms_mm_stat_descs; d->name; d++) {
		if (strcmp(d->name, "references") && strcmp(d->name, "faults") &&
		    strcmp(d->name, "hits") && strcmp(d->name, "evictions"))
			vms_json_kv_u64(j, d->name, vms_stat_value(&r->st, d));
	}
	vms_json_kv_u64(j, "peak_resident", r->peak_resident);
	vms_json_kv_u64(j, "peak_swap_pages", r->swap.peak_stored_pages);
	vms_json_kv_bool(j, "oom", r->oom);
	if (r->oom)
		vms_json_kv_u64(j, "oom_at_reference", r->oom_at_ref);
	if (r->has_tlb) {
		vms_json_key(j, "tlb");
		vms_json_begin_object(j);
		vms_json_kv_u64(j, "accesses", r->tlb.accesses);
		vms_json_kv_u64(j, "walks", r->tlb.walks);
		vms_json_kv_u64(j, "shootdowns", r->tlb.shootdowns);
		vms_json_key(j, "levels");
		vms_json_begin_array(j);
		for (unsigned l = 0; l < r->tlb.nr_levels; l++) {
			vms_json_begin_object(j);
			vms_json_kv_u64(j, "hits", r->tlb.level[l].hits);
			vms_json_kv_u64(j, "misses", r->tlb.level[l].misses);
			vms_json_kv_u64(j, "evictions", r->tlb.level[l].evictions);
			vms_json_end_object(j);
		}
		vms_json_end_array(j);
		vms_json_end_object(j);
	}
}

static void json_policy(struct vms_json *j, const struct policy_result *r, uint64_t frames)
{
	vms_json_begin_object(j);
	json_policy_fields(j, r, frames);
	vms_json_end_object(j);
}

static void json_mrc(struct vms_json *j, const struct vms_mrc *mrc, const uint64_t *pts,
		     size_t n)
{
	vms_json_key(j, "mrc");
	vms_json_begin_array(j);
	for (size_t i = 0; i < n; i++) {
		vms_json_begin_object(j);
		vms_json_kv_u64(j, "frames", pts[i]);
		vms_json_kv_u64(j, "faults", vms_mrc_faults(mrc, pts[i]));
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
}

static void print_table(const struct trace_data *t, const struct replay_opts *o,
			const struct policy_result *res, size_t n, uint64_t pages)
{
	printf("trace %s: %" PRIu64 " references (%" PRIu64 " writes), %" PRIu64
	       " distinct pages, %zu other events\n",
	       o->path, t->nr_refs, t->nr_writes, pages, t->nr_extra);
	if (!n)
		return;
	printf("frames %" PRIu64 "%s\n\n", o->frames,
	       o->swap_pages ? "" : ", swap unlimited");
	printf("%-8s %12s %12s %8s %12s %12s %12s %10s\n", "policy", "references", "faults",
	       "fault%", "hits", "evictions", "writebacks", "peak");
	for (size_t i = 0; i < n; i++) {
		const struct policy_result *r = &res[i];

		printf("%-8s %12" PRIu64 " %12" PRIu64 " %7.2f%% %12" PRIu64 " %12" PRIu64
		       " %12" PRIu64 " %10u%s\n",
		       r->policy, r->st.references, r->st.faults,
		       100.0 * ratio(r->st.faults, r->st.references), r->st.hits,
		       r->st.evictions, r->st.writebacks, r->peak_resident,
		       r->oom ? "  OUT OF MEMORY (swap full)" : "");
	}
	if (!res[0].has_tlb)
		return;
	printf("\n%-8s %12s %12s %12s %12s %12s\n", "TLB", "accesses", "L1 hits", "L1 misses",
	       "L2 misses", "page walks");
	for (size_t i = 0; i < n; i++) {
		const struct policy_result *r = &res[i];
		char l2[32] = "-";

		if (r->tlb.nr_levels > 1)
			snprintf(l2, sizeof(l2), "%" PRIu64, r->tlb.level[1].misses);
		printf("%-8s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12s %12" PRIu64 "\n",
		       r->policy, r->tlb.accesses, r->tlb.level[0].hits, r->tlb.level[0].misses,
		       l2, r->tlb.walks);
	}
}

static void print_mrc(const struct vms_mrc *mrc, const uint64_t *pts, size_t n, uint64_t frames)
{
	uint64_t refs = vms_mrc_references(mrc);

	printf("\nLRU miss-ratio curve (%" PRIu64 " references, %" PRIu64 " cold misses)\n",
	       refs, vms_mrc_cold_misses(mrc));
	printf("%12s %12s %8s\n", "frames", "faults", "fault%");
	for (size_t i = 0; i < n; i++) {
		uint64_t f = vms_mrc_faults(mrc, pts[i]);

		printf("%12" PRIu64 " %12" PRIu64 " %7.2f%%%s\n", pts[i], f, 100.0 * ratio(f, refs),
		       pts[i] == frames ? "  <- --frames" : "");
	}
}

/* ---- main ---- */

static int parse_args(int argc, char **argv, struct replay_opts *o)
{
	enum { OPT_MRC_MAX = 256, OPT_SWAP_PAGES, OPT_SEED, OPT_WS, OPT_LFU };
	static const struct option longopts[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ "tlb", required_argument, NULL, 't' },
		{ "mrc", no_argument, NULL, 'm' },
		{ "mrc-max", required_argument, NULL, OPT_MRC_MAX },
		{ "json", no_argument, NULL, 'j' },
		{ "swap-pages", required_argument, NULL, OPT_SWAP_PAGES },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "ws-window", required_argument, NULL, OPT_WS },
		{ "lfu-decay", required_argument, NULL, OPT_LFU },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct replay_opts){ .policy = "lru", .seed = 1 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+f:p:t:mjh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!vms_parse_u64(optarg, &o->frames) || o->frames == 0 ||
			    o->frames >= VMS_FRAME_NONE)
				return usage_error("--frames needs a number of frames from 1 to 4294967294, got '%s'", optarg);
			break;
		case 'p':
			if (strcmp(optarg, "all") != 0 && !vms_policy_find(optarg))
				return usage_error("unknown policy '%s' (see the list below)", optarg);
			o->policy = optarg;
			break;
		case 't':
			o->tlb = optarg;
			break;
		case 'm':
			o->mrc = true;
			break;
		case OPT_MRC_MAX:
			if (!vms_parse_u64(optarg, &o->mrc_max) || o->mrc_max == 0)
				return usage_error("--mrc-max needs a positive number, got '%s'", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_SWAP_PAGES:
			if (!vms_parse_u64(optarg, &o->swap_pages) || o->swap_pages == 0 ||
			    o->swap_pages >= UINT32_MAX)
				return usage_error("--swap-pages needs a positive number of pages, got '%s'", optarg);
			break;
		case OPT_SEED:
			if (!vms_parse_u64(optarg, &o->seed))
				return usage_error("--seed needs a number, got '%s'", optarg);
			break;
		case OPT_WS:
			if (!vms_parse_u64(optarg, &o->ws_window) || o->ws_window == 0)
				return usage_error("--ws-window needs a positive number of references, got '%s'", optarg);
			break;
		case OPT_LFU:
			if (!vms_parse_u64(optarg, &o->lfu_decay))
				return usage_error("--lfu-decay needs a number of references, got '%s'", optarg);
			break;
		case 'h':
			vms_replay_usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return usage_error("%s", optind >= argc ? "missing TRACE (a file, or - for stdin)"
							: "more than one TRACE given");
	o->path = argv[optind];
	if (!o->frames && !o->mrc)
		return usage_error("%s", "replay needs --frames N (or --mrc for the miss-ratio curve alone)");
	return -1;   /* go on */
}

int vms_replay_main(int argc, char **argv)
{
	struct replay_opts o;
	struct trace_data t = { 0 };
	struct vms_tlb_geom geom = { 0 };
	struct policy_result *res = NULL;
	struct vms_mrc *mrc = NULL;
	uint64_t *next_use = NULL, *pts = NULL;
	size_t nr_res = 0, nr_pts = 0;
	uint64_t pages;
	int status = 1, r;

	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	if (o.tlb) {
		char err[256];

		if (vms_tlb_parse(o.tlb, &geom, err, sizeof(err)) < 0)
			return usage_error("%s", err);
	}
	if (load_trace(o.path, &t) < 0)
		goto out;
	pages = distinct_pages(&t);

	if (o.frames) {
		bool all = strcmp(o.policy, "all") == 0;
		size_t n = 0;

		while (vms_policies[n])
			n++;
		res = calloc(all ? n : 1, sizeof(*res));
		if (!res)
			goto oom;
		for (size_t i = 0; i < n; i++) {
			const struct vms_policy_ops *ops = vms_policies[i];

			if (!all && strcmp(ops->name, o.policy) != 0)
				continue;
			if ((ops->flags & VMS_POLICY_OFFLINE) && !next_use) {
				next_use = compute_next_use(&t);
				if (!next_use && t.nr_ops)
					goto oom;
			}
			if (run_policy(&t, &o, &geom, ops, next_use, &res[nr_res]) < 0)
				goto out;
			nr_res++;
		}
	}
	if (o.mrc) {
		uint64_t max = o.mrc_max ? o.mrc_max : (pages ? pages : 1);

		mrc = compute_mrc(&t);
		if (!mrc)
			goto oom;
		nr_pts = mrc_points(max, o.frames, &pts);
	}

	if (o.json) {
		struct vms_json j;

		vms_json_init(&j, stdout, true);
		vms_json_begin_object(&j);
		vms_json_kv_string(&j, "trace", o.path);
		if (nr_res != 1 || strcmp(o.policy, "all") == 0)
			vms_json_kv_u64(&j, "references", t.nr_refs);
		vms_json_kv_u64(&j, "distinct_pages", pages);
		if (o.tlb) {
			char g[64];

			vms_tlb_format(&geom, g, sizeof(g));
			vms_json_kv_string(&j, "tlb_geometry", g);
		}
		if (nr_res == 1 && strcmp(o.policy, "all") != 0) {
			/* One policy: its fields at the top level. */
			json_policy_fields(&j, &res[0], o.frames);
		} else if (nr_res) {
			vms_json_kv_u64(&j, "frames", o.frames);
			vms_json_key(&j, "policies");
			vms_json_begin_array(&j);
			for (size_t i = 0; i < nr_res; i++)
				json_policy(&j, &res[i], o.frames);
			vms_json_end_array(&j);
		}
		if (mrc) {
			vms_json_kv_u64(&j, "cold_misses", vms_mrc_cold_misses(mrc));
			json_mrc(&j, mrc, pts, nr_pts);
		}
		vms_json_end_object(&j);
	} else {
		print_table(&t, &o, res, nr_res, pages);
		if (mrc)
			print_mrc(mrc, pts, nr_pts, o.frames);
	}
	status = 0;
	for (size_t i = 0; i < nr_res; i++)
		if (res[i].oom)
			status = 3;
	if (fflush(stdout) != 0) {
		fprintf(stderr, "vmsandbox replay: writing output: %s\n", strerror(errno));
		status = 1;
	}
	goto out;
oom:
	fprintf(stderr, "vmsandbox replay: out of memory\n");
out:
	free(pts);
	vms_mrc_free(mrc);
	free(next_use);
	free(res);
	free(t.ops);
	free(t.extra);
	return status;
}
