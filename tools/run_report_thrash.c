/* SPDX-License-Identifier: MIT */
/*
 * The report's thrashing verdict (issue 6): one line of the summary and the
 * JSON report's `thrashing` object, both from the pager's series of windows
 * (src/pager/thrash.c).  Schema in docs/report.md, the rule and how to read
 * it in docs/thrashing.md.
 */
#include <inttypes.h>
#include <stdio.h>

#include "json.h"
#include "run.h"
#include "run_report_thrash.h"
#include "thrash.h"

static double fraction(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0;
}

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0;
}

/* The figures the verdict quotes: over the windows that thrashed when the
 * run did, else over the whole run. */
static const struct vms_thrash_totals *quoted(const struct vms_thrash_verdict *v)
{
	return v->thrashing ? &v->thrashed : &v->all;
}

void vms_report_thrash_summary(FILE *out, const struct vms_pager *pg,
			       const struct vms_run_options *opts)
{
	struct vms_thrash_verdict v;
	const struct vms_thrash_totals *q;
	char a[32], b[32];

	if (!pg->thrash)
		return;
	vms_thrash_get_verdict(pg->thrash->series, &v);
	q = quoted(&v);
	fputs("  verdict:         ", out);
	if (v.thrashing)
		fprintf(out, "thrashing since %.2f s (%.2f s of it): ", (double)v.since_ns / 1e9,
			(double)q->dur_ns / 1e9);
	else
		fputs("not thrashing: ", out);
	fprintf(out, "%.0f%% of wall time waiting on faults, %s swap-ins/s, %.0f%% of faults "
		"refaults", 100 * fraction(q->stall_ns, q->dur_ns),
		vms_report_grouped((uint64_t)(per_s(q->swap_ins, q->dur_ns) + 0.5), a, sizeof(a)),
		100 * fraction(q->refaults, q->faults));
	if (q->wss_pages && q->wss_beyond)
		fprintf(out, ", working set more than %s pages (%s frames)",
			vms_report_grouped(q->wss_pages - 1, a, sizeof(a)), vms_report_grouped(opts->frames, b, sizeof(b)));
	else if (q->wss_pages && opts->frames)
		fprintf(out, ", working set ~%s pages %s %s frames", vms_report_grouped(q->wss_pages, a, sizeof(a)),
			q->wss_pages > opts->frames ? ">" : "<=", vms_report_grouped(opts->frames, b, sizeof(b)));
	else if (!opts->frames)
		fputs(" (no budget: nothing is evicted)", out);
	fputc('\n', out);
}

static void totals_json(struct vms_json *j, const struct vms_thrash_totals *t)
{
	vms_json_kv_double(j, "duration_s", (double)t->dur_ns / 1e9);
	vms_json_kv_u64(j, "windows", t->nr_windows);
	vms_json_kv_double(j, "stall_fraction", fraction(t->stall_ns, t->dur_ns));
	vms_json_kv_double(j, "fault_rate", per_s(t->faults, t->dur_ns));
	vms_json_kv_double(j, "swapin_rate", per_s(t->swap_ins, t->dur_ns));
	vms_json_kv_double(j, "eviction_rate", per_s(t->evictions, t->dur_ns));
	vms_json_kv_double(j, "refault_fraction", fraction(t->refaults, t->faults));
	vms_json_kv_u64(j, "faults", t->faults);
	vms_json_kv_u64(j, "refaults", t->refaults);
	vms_json_key(j, "working_set_pages");
	if (t->wss_pages)
		vms_json_u64(j, t->wss_pages);
	else
		vms_json_null(j);
	vms_json_kv_bool(j, "working_set_lower_bound", t->wss_beyond);
}

static void window_json(struct vms_json *j, const struct vms_thrash_window *w)
{
	vms_json_begin_object(j);
	vms_json_kv_double(j, "t_s", (double)w->s.start_ns / 1e9);
	vms_json_kv_double(j, "dur_s", (double)w->s.dur_ns / 1e9);
	vms_json_kv_u64(j, "references_at_end", w->s.refs);
	vms_json_kv_u64(j, "faults", w->s.faults);
	vms_json_kv_u64(j, "swap_ins", w->s.swap_ins);
	vms_json_kv_u64(j, "evictions", w->s.evictions);
	vms_json_kv_u64(j, "refaults", w->refaults);
	vms_json_kv_double(j, "stall_fraction", fraction(w->s.stall_ns, w->s.dur_ns));
	vms_json_kv_u64(j, "resident", w->s.resident);
	vms_json_key(j, "working_set_pages");
	if (w->wss_pages)
		vms_json_u64(j, w->wss_pages);
	else
		vms_json_null(j);
	vms_json_kv_bool(j, "working_set_lower_bound", w->wss_beyond);
	vms_json_kv_bool(j, "thrashing", w->thrashing);
	vms_json_end_object(j);
}

void vms_report_thrash_json(struct vms_json *j, const struct vms_pager *pg,
			    const struct vms_run_options *opts)
{
	const struct vms_thrash_monitor *m = pg->thrash;
	const struct vms_thrash_config *cfg;
	const struct vms_thrash_window *w;
	struct vms_thrash_verdict v;
	uint32_t nr;

	vms_json_key(j, "thrashing");
	if (!m) {
		vms_json_null(j);
		return;
	}
	cfg = vms_thrash_config(m->series);
	vms_thrash_get_verdict(m->series, &v);
	vms_json_begin_object(j);
	vms_json_kv_string(j, "verdict", v.thrashing ? "thrashing" : "not_thrashing");
	vms_json_key(j, "since_s");
	if (v.thrashing)
		vms_json_double(j, (double)v.since_ns / 1e9);
	else
		vms_json_null(j);
	/* The headline figures: what the summary quotes. */
	totals_json(j, quoted(&v));
	vms_json_key(j, "frames");
	if (opts->frames)
		vms_json_u64(j, opts->frames);
	else
		vms_json_null(j);
	vms_json_key(j, "run");
	vms_json_begin_object(j);
	totals_json(j, &v.all);
	vms_json_end_object(j);
	vms_json_key(j, "thrashing_windows");
	vms_json_begin_object(j);
	totals_json(j, &v.thrashed);
	vms_json_end_object(j);

	vms_json_key(j, "rule");
	vms_json_begin_object(j);
	vms_json_kv_double(j, "min_stall_fraction", cfg->rule.min_stall_fraction);
	vms_json_kv_double(j, "min_refault_fraction", cfg->rule.min_refault_fraction);
	vms_json_kv_u64(j, "min_refaults", cfg->rule.min_refaults);
	vms_json_kv_u64(j, "min_windows", cfg->rule.min_windows);
	vms_json_end_object(j);
	vms_json_kv_string(j, "window_unit", m->by_refs ? "references" : "s");
	if (m->by_refs)
		vms_json_kv_u64(j, "window", cfg->window_len);
	else
		vms_json_kv_double(j, "window", (double)cfg->window_len / 1e9);
	vms_json_kv_u64(j, "shadow_capacity", m->shadow_capacity);

	vms_json_key(j, "windows");
	vms_json_begin_array(j);
	w = vms_thrash_windows(m->series, &nr);
	for (uint32_t i = 0; i < nr; i++)
		window_json(j, &w[i]);
	vms_json_end_array(j);
	vms_json_end_object(j);
}
