/* SPDX-License-Identifier: MIT */
/*
 * The report's sections on what soft unmaps measured (issue 5): reference
 * tracking and its cost, the live TLB model, working-set samples.  Schema
 * in docs/report.md.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "run.h"
#include "run_report_refs.h"

static uint64_t soft_total(const struct vms_pager *pg)
{
	uint64_t n = 0;

	for (int i = 0; i < VMS_PARK_NR_REASONS; i++)
		n += pg->st.soft_faults[i];
	return n;
}

const char *vms_report_ref_mode(const struct vms_pager *pg)
{
	if (pg->cfg.tlb.nr_levels)
		return "tlb";
	if (pg->park_for_refbits)
		return "reference-bits";
	if (pg->park_window)
		return "hit-window";
	return "off";
}

static double per_s(uint64_t n, double wall_s)
{
	return wall_s > 0 ? (double)n / wall_s : 0;
}

static void tlb_json(struct vms_json *j, const struct vms_pager *pg, const struct vms_run_options *opts,
		     double wall_s)
{
	const struct vms_tlb *tlb = vms_mm_tlb(pg->mm);
	struct vms_tlb_stats st;
	char why[160];

	vms_json_key(j, "tlb");
	if (!tlb) {
		vms_json_null(j);
		return;
	}
	vms_tlb_get_stats(tlb, &st);
	vms_json_begin_object(j);
	vms_json_kv_string(j, "geometry", opts->tlb);
	vms_json_kv_u64(j, "accesses", st.accesses);
	vms_json_kv_u64(j, "misses", st.level[0].misses);
	vms_json_kv_u64(j, "walks", st.walks);
	vms_json_key(j, "levels");
	vms_json_begin_array(j);
	for (unsigned i = 0; i < st.nr_levels; i++) {
		vms_json_begin_object(j);
		vms_json_kv_u64(j, "entries", pg->cfg.tlb.level[i].entries);
		vms_json_kv_u64(j, "ways", pg->cfg.tlb.level[i].ways);
		vms_json_kv_u64(j, "hits", st.level[i].hits);
		vms_json_kv_u64(j, "misses", st.level[i].misses);
		vms_json_kv_u64(j, "evictions", st.level[i].evictions);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	vms_json_kv_u64(j, "shootdowns", st.shootdowns);
	vms_json_kv_double(j, "misses_per_s", per_s(st.level[0].misses, wall_s));
	vms_json_kv_double(j, "walks_per_s", per_s(st.walks, wall_s));
	vms_json_key(j, "instructions");
	if (pg->have_instructions)
		vms_json_u64(j, pg->instructions);
	else
		vms_json_null(j);
	vms_json_key(j, "misses_per_minstr");
	if (pg->have_instructions && pg->instructions)
		vms_json_double(j, (double)st.level[0].misses * 1e6 / (double)pg->instructions);
	else
		vms_json_null(j);
	vms_json_key(j, "walks_per_minstr");
	if (pg->have_instructions && pg->instructions)
		vms_json_double(j, (double)st.walks * 1e6 / (double)pg->instructions);
	else
		vms_json_null(j);
	vms_report_counters_why(pg, why, sizeof(why));
	vms_json_kv_string(j, "counters", why);
	vms_json_end_object(j);
}

void vms_report_counters_why(const struct vms_pager *pg, char *buf, size_t len)
{
	if (pg->have_instructions)
		snprintf(buf, len, "instructions counted by perf_event_open (user space)");
	else
		snprintf(buf, len, "CPU counters unavailable: perf_event_open(PERF_COUNT_HW_"
			 "INSTRUCTIONS): %s%s", strerror(-pg->perf_err),
			 pg->perf_err == -2 ? " (no hardware PMU: a virtual machine without a "
					      "virtual PMU)" : "");
}

/* The largest and the mean of the working-set samples. */
static void wss_stats(const struct vms_pager *pg, uint64_t *ret_peak, double *ret_mean)
{
	uint64_t peak = 0;
	double sum = 0;

	for (size_t i = 0; i < pg->nr_wss; i++) {
		if (pg->wss[i].pages > peak)
			peak = pg->wss[i].pages;
		sum += (double)pg->wss[i].pages;
	}
	*ret_peak = peak;
	*ret_mean = pg->nr_wss ? sum / (double)pg->nr_wss : 0;
}

static void wss_json(struct vms_json *j, const struct vms_pager *pg)
{
	uint64_t peak;
	double mean;

	vms_json_key(j, "wss");
	if (!pg->cfg.wss_interval_ns) {
		vms_json_null(j);
		return;
	}
	vms_json_begin_object(j);
	vms_json_kv_double(j, "interval_s", (double)pg->cfg.wss_interval_ns / 1e9);
	vms_json_key(j, "samples");
	vms_json_begin_array(j);
	for (size_t i = 0; i < pg->nr_wss; i++) {
		vms_json_begin_object(j);
		vms_json_kv_double(j, "t_s", pg->wss[i].t_s);
		vms_json_kv_u64(j, "pages", pg->wss[i].pages);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	wss_stats(pg, &peak, &mean);
	vms_json_kv_u64(j, "peak_pages", peak);
	vms_json_kv_double(j, "mean_pages", mean);
	vms_json_end_object(j);
}

void vms_report_refs_json(struct vms_json *j, const struct vms_pager *pg,
			  const struct vms_run_options *opts, double wall_s)
{
	vms_json_key(j, "ref_tracking");
	vms_json_begin_object(j);
	vms_json_kv_string(j, "mode", vms_report_ref_mode(pg));
	vms_json_kv_bool(j, "requested", opts->ref_tracking);
	vms_json_kv_bool(j, "fault_around", pg->fault_around);
	vms_json_end_object(j);

	vms_json_key(j, "soft_faults");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "total", soft_total(pg));
	vms_json_kv_u64(j, "reference", pg->st.soft_faults[VMS_PARK_FOR_REF]);
	vms_json_kv_u64(j, "tlb", pg->st.soft_faults[VMS_PARK_FOR_TLB]);
	vms_json_kv_u64(j, "wss", pg->st.soft_faults[VMS_PARK_FOR_WSS]);
	vms_json_kv_u64(j, "profile", pg->st.soft_faults[VMS_PARK_FOR_PROFILE]);
	vms_json_kv_double(j, "time_s", (double)pg->st.soft_fault_ns / 1e9);
	vms_json_kv_u64(j, "soft_unmaps", pg->st.soft_unmaps);
	vms_json_kv_u64(j, "refused", pg->st.soft_unmap_refused);
	vms_json_kv_u64(j, "skipped", pg->st.soft_unmaps_skipped);
	vms_json_kv_u64(j, "restored_for_fork", pg->st.unparked_for_fork);
	vms_json_end_object(j);

	tlb_json(j, pg, opts, wall_s);
	wss_json(j, pg);
	vms_json_key(j, "trace");
	if (opts->trace_path)
		vms_json_string(j, opts->trace_path);
	else
		vms_json_null(j);
}

void vms_report_refs_summary(FILE *out, const struct vms_pager *pg,
			     const struct vms_run_options *opts, double wall_s)
{
	const struct vms_tlb *tlb = vms_mm_tlb(pg->mm);
	uint64_t soft = soft_total(pg);

	if (soft || pg->park)
		fprintf(out, "  soft faults:     %llu (%llu reference, %llu TLB, %llu working set, "
			"%llu profile) in %.3f s; %llu soft unmaps (%s)\n", (unsigned long long)soft,
			(unsigned long long)pg->st.soft_faults[VMS_PARK_FOR_REF],
			(unsigned long long)pg->st.soft_faults[VMS_PARK_FOR_TLB],
			(unsigned long long)pg->st.soft_faults[VMS_PARK_FOR_WSS],
			(unsigned long long)pg->st.soft_faults[VMS_PARK_FOR_PROFILE],
			(double)pg->st.soft_fault_ns / 1e9, (unsigned long long)pg->st.soft_unmaps,
			vms_report_ref_mode(pg));
	if (tlb) {
		struct vms_tlb_stats st;
		char why[160];

		vms_tlb_get_stats(tlb, &st);
		fprintf(out, "  TLB %s:  %llu accesses seen, %llu L1 misses",
			opts->tlb, (unsigned long long)st.accesses,
			(unsigned long long)st.level[0].misses);
		if (st.nr_levels > 1)
			fprintf(out, ", %llu L2 misses", (unsigned long long)st.level[1].misses);
		fprintf(out, ", %llu walks (%.0f misses/s", (unsigned long long)st.walks,
			per_s(st.level[0].misses, wall_s));
		if (pg->have_instructions && pg->instructions)
			fprintf(out, ", %.1f per million instructions)\n",
				(double)st.level[0].misses * 1e6 / (double)pg->instructions);
		else {
			vms_report_counters_why(pg, why, sizeof(why));
			fprintf(out, "; %s)\n", why);
		}
	}
	if (pg->cfg.wss_interval_ns && pg->nr_wss) {
		uint64_t peak;
		double mean;

		wss_stats(pg, &peak, &mean);
		fprintf(out, "  working set:     %zu samples every %.3f s: mean %.0f pages, peak "
			"%llu pages (%.1f MiB)\n", pg->nr_wss, (double)pg->cfg.wss_interval_ns / 1e9,
			mean, (unsigned long long)peak,
			(double)peak * 4096 / (1024.0 * 1024.0));
	}
}
