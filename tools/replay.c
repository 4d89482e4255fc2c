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
#include "replay.h"
#include "tracesim.h"
#include "vmsandbox/mm.h"
#include "vmsandbox/mrc.h"
#include "vmsandbox/trace.h"

#define EXIT_USAGE 2


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

/* ---- output ---- */


static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void json_policy_fields(struct vms_json *j, const struct vms_tsim_result *r, uint64_t frames)
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

static void json_policy(struct vms_json *j, const struct vms_tsim_result *r, uint64_t frames)
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

static void print_table(const struct vms_tsim_trace *t, const struct replay_opts *o,
			const struct vms_tsim_result *res, size_t n, uint64_t pages)
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
		const struct vms_tsim_result *r = &res[i];

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
		const struct vms_tsim_result *r = &res[i];
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
	struct vms_tsim_cfg sim;
	struct vms_tsim_trace t = { 0 };
	struct vms_tlb_geom geom = { 0 };
	struct vms_tsim_result *res = NULL;
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
	if (vms_tsim_load("vmsandbox replay", o.path, &t) < 0)
		goto out;
	sim = (struct vms_tsim_cfg){ .who = "vmsandbox replay", .path = o.path, .frames = o.frames,
				     .seed = o.seed, .ws_window = o.ws_window,
				     .lfu_decay = o.lfu_decay, .swap_pages = o.swap_pages };
	pages = vms_tsim_distinct_pages(&t);

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
				next_use = vms_tsim_next_use(&t);
				if (!next_use && t.nr_ops)
					goto oom;
			}
			if (vms_tsim_run_policy(&t, &sim, &geom, ops, next_use, &res[nr_res]) < 0)
				goto out;
			nr_res++;
		}
	}
	if (o.mrc) {
		uint64_t max = o.mrc_max ? o.mrc_max : (pages ? pages : 1);

		mrc = vms_tsim_mrc(&t);
		if (!mrc)
			goto oom;
		nr_pts = vms_tsim_mrc_points(max, o.frames, &pts);
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
	vms_tsim_free(&t);
	return status;
}
