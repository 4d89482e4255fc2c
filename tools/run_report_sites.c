/* SPDX-License-Identifier: MIT */
/*
 * The report's allocation sites (src/pager/sites.h): the sites that mapped
 * the most memory over the run, with their stacks, and what capturing them
 * cost.  Schema in docs/report.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "run.h"
#include "run_report_sites.h"
#include "sites.h"

#define TOP_SITES 10

static int by_bytes_desc(const void *a, const void *b)
{
	const struct vms_site *x = *(const struct vms_site *const *)a;
	const struct vms_site *y = *(const struct vms_site *const *)b;

	if (x->bytes_mapped != y->bytes_mapped)
		return x->bytes_mapped < y->bytes_mapped ? 1 : -1;
	return (x->id > y->id) - (x->id < y->id);
}

/* The sites that were charged with a mapping, most bytes first; their
 * number in *ret_nr (the caller frees the array). */
static const struct vms_site **ranked(const struct vms_pager *pg, size_t *ret_nr)
{
	uint32_t nr = vms_sites_count(pg);
	const struct vms_site **a = calloc(nr ? nr : 1, sizeof(*a));
	size_t n = 0;

	if (!a)
		return NULL;
	for (uint32_t id = 1; id <= nr; id++) {
		const struct vms_site *s = vms_sites_get(pg, id);

		if (s && s->bytes_mapped)
			a[n++] = s;
	}
	qsort(a, n, sizeof(*a), by_bytes_desc);
	*ret_nr = n;
	return a;
}

static void string_or_null(struct vms_json *j, const char *key, const char *s)
{
	vms_json_key(j, key);
	if (s)
		vms_json_string(j, s);
	else
		vms_json_null(j);
}

void vms_report_site_json(struct vms_json *j, const struct vms_pager *pg, const struct vms_site *s)
{
	char where[512];

	vms_sites_describe(pg, s->id, where, sizeof(where));
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "id", s->id);
	vms_json_kv_string(j, "location", where);
	vms_json_kv_u64(j, "bytes_mapped", s->bytes_mapped);
	vms_json_kv_u64(j, "regions", s->nr_regions);
	vms_json_kv_u64(j, "pages_held_at_exit", s->pages_at_exit);
	vms_json_kv_u64(j, "first_user_frame", vms_sites_first_user_frame(pg, s));
	vms_json_key(j, "frames");
	vms_json_begin_array(j);
	for (uint32_t i = 0; i < s->nr_frames; i++) {
		const struct vms_site_frame *f = &s->frames[i];

		vms_json_begin_object(j);
		string_or_null(j, "function", vms_sites_string(pg, f->function));
		string_or_null(j, "file", vms_sites_string(pg, f->file));
		vms_json_key(j, "line");
		if (f->line)
			vms_json_u64(j, f->line);
		else
			vms_json_null(j);
		string_or_null(j, "module", vms_sites_string(pg, f->module));
		vms_json_kv_u64(j, "offset", f->offset);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	vms_json_key(j, "python_frames");
	vms_json_begin_array(j);
	for (uint32_t i = 0; i < s->nr_pyframes; i++) {
		const struct vms_site_pyframe *f = &s->pyframes[i];

		vms_json_begin_object(j);
		string_or_null(j, "file", vms_sites_string(pg, f->file));
		string_or_null(j, "function", vms_sites_string(pg, f->function));
		vms_json_key(j, "line");
		if (f->line)
			vms_json_u64(j, f->line);
		else
			vms_json_null(j);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	string_or_null(j, "python_note", vms_sites_string(pg, s->py_note));
	vms_json_end_object(j);
}

static double us(uint64_t ns, uint64_t n)
{
	return n ? (double)ns / (double)n / 1000.0 : 0.0;
}

void vms_report_sites_json(struct vms_json *j, const struct vms_pager *pg)
{
	const struct vms_sites_stats *st = vms_sites_stats(pg);
	const struct vms_site **top;
	size_t nr = 0;

	vms_json_key(j, "allocation_sites");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "min_mmap_bytes", vms_sites_mmap_min_bytes(pg));
	vms_json_kv_u64(j, "brk_sample_bytes", VMS_SITES_BRK_SAMPLE_BYTES);
	vms_json_kv_u64(j, "captures", st->captures);
	vms_json_kv_u64(j, "capture_failures", st->failures);
	vms_json_kv_u64(j, "python_captures", st->python_captures);
	vms_json_kv_u64(j, "frame_pointer_recoveries", st->fp_recoveries);
	vms_json_kv_double(j, "capture_us_mean", us(st->capture_ns, st->captures));
	vms_json_kv_double(j, "capture_us_max", us(st->capture_max_ns, 1));
	vms_json_kv_u64(j, "symbolized_sites", st->symbolized);
	vms_json_kv_double(j, "symbolize_ms_total", (double)st->symbolize_ns / 1e6);
	vms_json_kv_u64(j, "process_setups", st->setups);
	vms_json_kv_double(j, "process_setup_us_mean", us(st->setup_ns, st->setups));
	/* Not the profile's sampled fault stacks (attrib.c), also sites. */
	vms_json_kv_u64(j, "distinct_sites", vms_sites_count(pg) - st->fault_stacks);
	vms_json_kv_u64(j, "mmaps_attributed", st->mmaps);
	vms_json_kv_u64(j, "brk_samples_attributed", st->brks);
	vms_json_key(j, "peeks");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "process", pg->peek.pages[VMS_PEEK_PROCESS]);
	vms_json_kv_u64(j, "swap", pg->peek.pages[VMS_PEEK_SWAP]);
	vms_json_kv_u64(j, "park", pg->peek.pages[VMS_PEEK_PARK]);
	vms_json_kv_u64(j, "pending_fill", pg->peek.pages[VMS_PEEK_FILL]);
	vms_json_kv_u64(j, "zero", pg->peek.pages[VMS_PEEK_ZERO]);
	vms_json_kv_u64(j, "failed", pg->peek.failed);
	vms_json_end_object(j);
	vms_json_key(j, "top");
	vms_json_begin_array(j);
	top = ranked(pg, &nr);
	for (size_t i = 0; top && i < nr && i < TOP_SITES; i++)
		vms_report_site_json(j, pg, top[i]);
	free(top);
	vms_json_end_array(j);
	vms_json_end_object(j);
}

void vms_report_sites_summary(FILE *out, const struct vms_pager *pg)
{
	const struct vms_sites_stats *st = vms_sites_stats(pg);
	const struct vms_site **top;
	size_t nr = 0;
	char where[256];

	if (!st->captures)
		return;
	top = ranked(pg, &nr);
	if (!top)
		return;
	fprintf(out, "  allocation sites: %llu from %llu stacks captured (%.0f us each)%s\n",
		(unsigned long long)(vms_sites_count(pg) - st->fault_stacks),
		(unsigned long long)st->captures,
		us(st->capture_ns, st->captures), nr ? "; most mapped:" : "");
	for (size_t i = 0; i < nr && i < 3; i++) {
		vms_sites_describe(pg, top[i]->id, where, sizeof(where));
		fprintf(out, "    %8.1f MiB in %llu regions, %.1f MiB held at exit: %s\n",
			(double)top[i]->bytes_mapped / (1024.0 * 1024.0),
			(unsigned long long)top[i]->nr_regions,
			(double)top[i]->pages_at_exit * VMS_PAGE / (1024.0 * 1024.0), where);
	}
	free(top);
}
