/* SPDX-License-Identifier: MIT */
/*
 * The report's locality profile (--profile): the summary's miss-ratio curve
 * line (the knee, and the budget against it) and the JSON `profile` object
 * (schema: docs/profiling.md), from the pager's timeline (src/pager/
 * profile.c) and the analysis of the recorded stream (tools/locality.c).
 */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"
#include "locality.h"
#include "profile.h"
#include "run.h"
#include "run_report_attrib.h"
#include "run_report_profile.h"

static double mib(uint64_t pages)
{
	return (double)pages * VMS_PAGE / (1024.0 * 1024.0);
}

static void u64_array(struct vms_json *j, const char *key, const uint64_t *v, size_t n)
{
	if (key)
		vms_json_key(j, key);
	vms_json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		vms_json_u64(j, v[i]);
	vms_json_end_array(j);
}

/* One counter of the timeline's buckets as an array. */
#define BUCKET_ARRAY(j, key, pr, field)                       \
	do {                                                  \
		vms_json_key(j, key);                         \
		vms_json_begin_array(j);                      \
		for (uint32_t i_ = 0; i_ < (pr)->nr; i_++)    \
			vms_json_u64(j, (pr)->b[i_].field);   \
		vms_json_end_array(j);                        \
	} while (0)

static double time_unit(const struct vms_profile *pr, uint64_t v)
{
	return pr->virtual_time ? (double)v : (double)v / 1e9;
}

static void timeline_json(struct vms_json *j, const struct vms_profile *pr,
			  const struct vms_locality *loc)
{
	vms_json_key(j, "timeline");
	vms_json_begin_object(j);
	vms_json_kv_double(j, "bucket", time_unit(pr, pr->width));
	BUCKET_ARRAY(j, "refs", pr, refs);
	BUCKET_ARRAY(j, "faults", pr, faults);
	BUCKET_ARRAY(j, "zero_fills", pr, zero_fills);
	BUCKET_ARRAY(j, "swap_ins", pr, swap_ins);
	BUCKET_ARRAY(j, "evictions", pr, evictions);
	BUCKET_ARRAY(j, "soft_faults", pr, soft_faults);
	vms_json_kv_double(j, "wss_window",
			   time_unit(pr, pr->width * (loc && loc->wss_window_buckets ?
						      loc->wss_window_buckets : 1)));
	vms_json_key(j, "wss_pages");
	vms_json_begin_array(j);
	for (uint32_t i = 0; i < pr->nr; i++)
		vms_json_u64(j, loc && i < loc->nr_buckets ? loc->wss[i] : 0);
	vms_json_end_array(j);
	vms_json_end_object(j);
}

static void curve_json(struct vms_json *j, const struct vms_curve *c)
{
	u64_array(j, "frames", c->frames, c->n);
	u64_array(j, "faults", c->faults, c->n);
}

static void mrc_json(struct vms_json *j, const struct vms_pager *pg, const struct vms_locality *loc)
{
	vms_json_key(j, "mrc");
	vms_json_begin_object(j);
	vms_json_key(j, "budget_frames");
	if (loc->budget_frames)
		vms_json_u64(j, loc->budget_frames);
	else
		vms_json_null(j);
	vms_json_kv_string(j, "run_policy", pg->cfg.policy);
	vms_json_kv_u64(j, "references", loc->references);
	vms_json_kv_u64(j, "distinct_pages", loc->distinct_pages);
	vms_json_kv_u64(j, "cold_misses", loc->cold_misses);
	vms_json_key(j, "lru");
	vms_json_begin_object(j);
	curve_json(j, &loc->lru);
	vms_json_end_object(j);
	vms_json_key(j, "policies");
	vms_json_begin_array(j);
	for (size_t i = 0; i < loc->nr_policies; i++) {
		vms_json_begin_object(j);
		vms_json_kv_string(j, "policy", loc->policies[i].policy);
		curve_json(j, &loc->policies[i]);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	vms_json_key(j, "knee");
	if (loc->has_knee) {
		vms_json_begin_object(j);
		vms_json_kv_u64(j, "frames", loc->knee_frames);
		vms_json_kv_u64(j, "faults", loc->knee_faults);
		vms_json_kv_u64(j, "below_frames", loc->knee_prev_frames);
		vms_json_kv_u64(j, "below_faults", loc->knee_prev_faults);
		vms_json_end_object(j);
	} else {
		vms_json_null(j);
	}
	vms_json_kv_double(j, "analysis_s", loc->analysis_s);
	vms_json_end_object(j);
}

static void hex(struct vms_json *j, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	vms_json_kv_string(j, key, buf);
}

static void heatmap_json(struct vms_json *j, const struct vms_pager *pg,
			 const struct vms_profile *pr, const struct vms_locality *loc)
{
	vms_json_key(j, "heatmap");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "columns", loc->nr_columns);
	vms_json_kv_double(j, "bucket", time_unit(pr, loc->column_width));
	vms_json_key(j, "rows");
	vms_json_begin_array(j);
	for (size_t r = 0; r < loc->nr_rows; r++) {
		const struct vms_heatmap_row *rw = &loc->rows[r];
		uint64_t start = rw->start_vpn * VMS_PAGE, end = (rw->end_vpn + 1) * VMS_PAGE;
		char label[512];

		vms_json_begin_object(j);
		vms_json_kv_u64(j, "pid", rw->pid);
		hex(j, "start", rw->start_vpn * VMS_PAGE);
		hex(j, "end", (rw->end_vpn + 1) * VMS_PAGE);
		vms_json_kv_u64(j, "pages", rw->pages);
		/* Named by the region it shows (attribution), else by where
		 * it is. */
		if (!vms_report_region_label(pg, rw->pid, start, end, label, sizeof(label)))
			snprintf(label, sizeof(label), "process %u 0x%" PRIx64 "..0x%" PRIx64,
				 rw->pid, start, end);
		vms_json_kv_string(j, "label", label);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	vms_json_key(j, "counts");
	vms_json_begin_array(j);
	for (size_t r = 0; r < loc->nr_rows; r++)
		u64_array(j, NULL, &loc->counts[r * loc->nr_columns], loc->nr_columns);
	vms_json_end_array(j);
	vms_json_kv_u64(j, "max", loc->counts_max);
	vms_json_end_object(j);
}

void vms_report_profile_json(struct vms_json *j, const struct vms_pager *pg,
			     const struct vms_locality *loc)
{
	const struct vms_profile *pr = pg->profile;

	vms_json_key(j, "profile");
	if (!pr) {
		vms_json_null(j);
		return;
	}
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "window_pages", pg->park_window ? pg->window.cap : 0);
	vms_json_kv_u64(j, "stack_period", pg->cfg.stack_period);
	vms_json_kv_string(j, "time_unit", pr->virtual_time ? "refs" : "s");
	vms_json_kv_u64(j, "references", loc ? loc->references : pr->refs);
	vms_json_key(j, "error");
	if (loc && loc->error[0])
		vms_json_string(j, loc->error);
	else
		vms_json_null(j);
	timeline_json(j, pr, loc);
	vms_report_attrib_json(j, pg);
	if (loc && !loc->error[0]) {
		mrc_json(j, pg, loc);
		heatmap_json(j, pg, pr, loc);
	} else {
		vms_json_key(j, "mrc");
		vms_json_null(j);
		vms_json_key(j, "heatmap");
		vms_json_null(j);
	}
	vms_json_end_object(j);
}

void vms_report_profile_summary(FILE *out, const struct vms_pager *pg,
				const struct vms_locality *loc)
{
	char a[32], b[32], c[32], d[32];

	if (!pg->profile)
		return;
	if (!loc || loc->error[0]) {
		fprintf(out, "  profile:         no miss-ratio curve: %s\n",
			loc ? loc->error : "no analysis");
		return;
	}
	fprintf(out, "  miss-ratio:      %s references seen (window of %u pages), %s pages, "
		"%s cold misses\n", vms_report_grouped(loc->references, a, sizeof(a)),
		pg->park_window ? pg->window.cap : 0, vms_report_grouped(loc->distinct_pages, b, sizeof(b)),
		vms_report_grouped(loc->cold_misses, c, sizeof(c)));
	if (loc->has_knee)
		fprintf(out, "  knee:            %s frames (%.1f MiB): LRU %s faults there, %s at "
			"%" PRIu64 " frames\n", vms_report_grouped(loc->knee_frames, a, sizeof(a)),
			mib(loc->knee_frames), vms_report_grouped(loc->knee_faults, b, sizeof(b)),
			vms_report_grouped(loc->knee_prev_faults, c, sizeof(c)), loc->knee_prev_frames);
	else
		fputs("  knee:            none (every page is used once: only cold misses)\n", out);
	if (loc->budget_frames && loc->has_knee)
		fprintf(out, "  budget:          %s frames is %s the knee: LRU would take %s faults "
			"(%.1fx the cold misses)\n", vms_report_grouped(loc->budget_frames, a, sizeof(a)),
			loc->budget_frames >= loc->knee_frames ? "above" : "below",
			vms_report_grouped(loc->faults_at_budget, d, sizeof(d)),
			loc->cold_misses ? (double)loc->faults_at_budget / (double)loc->cold_misses : 0);
}
