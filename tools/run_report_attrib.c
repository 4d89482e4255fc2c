/* SPDX-License-Identifier: MIT */
/*
 * The profile's attribution in the report (run_report_attrib.h): regions
 * and code locations with their counters, allocation sites and sampled
 * stacks.  Schema in docs/profiling.md ("Attribution").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "attrib.h"
#include "json.h"
#include "run_report_attrib.h"
#include "run_report_sites.h"
#include "sites.h"

/* Rows and locations written; the rest are summed in *_omitted. */
#define MAX_REGIONS 500
#define MAX_LOCATIONS VMS_ATTRIB_MAX_LOCATIONS

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static void string_or_null(struct vms_json *j, const char *key, const char *s)
{
	vms_json_key(j, key);
	if (s)
		vms_json_string(j, s);
	else
		vms_json_null(j);
}

static void line_or_null(struct vms_json *j, uint32_t line)
{
	vms_json_key(j, "line");
	if (line)
		vms_json_u64(j, line);
	else
		vms_json_null(j);
}

static void hex(struct vms_json *j, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	vms_json_kv_string(j, key, buf);
}

static int size_text(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= 1024 * 1024)
		return snprintf(buf, len, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
	return snprintf(buf, len, "%.0f KiB", (double)bytes / 1024.0);
}

/* "[heap]", "stack of thread 2", "mmap 4.0 MiB by build_table (hash.c:31)". */
static void row_label(const struct vms_pager *pg, const struct vms_region_row *r, char *buf,
		      size_t len)
{
	char size[32], where[256];

	size_text(size, sizeof(size), r->bytes);
	switch ((enum vms_region_kind)r->key.kind) {
	case VMS_REGION_HEAP:
		snprintf(buf, len, "[heap]");
		break;
	case VMS_REGION_STACK:
		snprintf(buf, len, "[stack]");
		break;
	case VMS_REGION_THREAD_STACK:
		snprintf(buf, len, "stack of thread %u", r->key.ident);
		break;
	case VMS_REGION_DATA:
		snprintf(buf, len, "data of %s", r->key.ident ?
			 base_name(vms_sites_string(pg, r->key.ident)) : "?");
		break;
	case VMS_REGION_MMAP:
		where[0] = 0;
		if (r->key.site)
			vms_sites_describe(pg, r->key.site, where, sizeof(where));
		if (r->mappings > 1)
			snprintf(buf, len, "%u mmaps, %s%s%s", r->mappings, size,
				 where[0] ? ", by " : "", where);
		else
			snprintf(buf, len, "mmap %s%s%s", size, where[0] ? " by " : "", where);
		break;
	default:
		snprintf(buf, len, "other");
		break;
	}
}

static void counts_json(struct vms_json *j, const struct vms_region_counts *c, bool region)
{
	if (region)
		vms_json_kv_u64(j, "pages_touched", c->pages_touched);
	vms_json_kv_u64(j, "faults", c->faults);
	vms_json_kv_u64(j, "zero_fills", c->zero_fills);
	vms_json_kv_u64(j, "swap_ins", c->swap_ins);
	vms_json_kv_u64(j, "evictions", c->evictions);
	vms_json_kv_u64(j, "soft_faults", c->soft_faults);
	vms_json_kv_u64(j, "wp_faults", c->wp_faults);
	if (region)
		vms_json_kv_u64(j, "adopted", c->adopted);
}

/* The OS pid of address space as_id, or 0 if no process had it. */
static pid_t pid_of_as(const struct vms_pager *pg, uint32_t as_id)
{
	for (size_t i = 0; i < pg->nr_records; i++)
		if (pg->records[i].as_id == as_id)
			return pg->records[i].pid;
	for (const struct vms_proc *p = pg->procs; p; p = p->next)
		if (p->as && p->as->id == as_id)
			return p->pid;
	return 0;
}

bool vms_report_region_label(const struct vms_pager *pg, uint32_t as_id, uint64_t start,
			     uint64_t end, char *buf, size_t len)
{
	const struct vms_attrib_result *res = vms_attrib_result(pg);
	const struct vms_attrib_row *best = NULL;
	uint64_t best_overlap = 0;
	unsigned others = 0;
	pid_t pid = pid_of_as(pg, as_id);
	char label[384];

	if (!res || !pid)
		return false;
	for (size_t i = 0; i < res->nr_rows; i++) {
		const struct vms_attrib_row *row = &res->rows[i];
		uint64_t lo = row->r.start > start ? row->r.start : start;
		uint64_t hi = row->r.end < end ? row->r.end : end;

		if (row->pid != pid || hi <= lo)
			continue;
		if (best)
			others++;
		if (hi - lo > best_overlap) {
			best = row;
			best_overlap = hi - lo;
		}
	}
	if (!best)
		return false;
	row_label(pg, &best->r, label, sizeof(label));
	if (others)
		snprintf(buf, len, "%s: %s (+%u more)", best->process, label, others);
	else
		snprintf(buf, len, "%s: %s", best->process, label);
	return true;
}

static void region_json(struct vms_json *j, const struct vms_pager *pg,
			const struct vms_attrib_row *row)
{
	const struct vms_region_row *r = &row->r;
	const struct vms_site *site = r->key.site ? vms_sites_get(pg, r->key.site) : NULL;
	char label[512];

	row_label(pg, r, label, sizeof(label));
	vms_json_begin_object(j);
	vms_json_key(j, "pid");
	vms_json_i64(j, row->pid);
	vms_json_kv_string(j, "process", row->process);
	hex(j, "start", r->start);
	hex(j, "end", r->end);
	vms_json_kv_string(j, "kind", vms_region_kind_name((enum vms_region_kind)r->key.kind));
	vms_json_kv_string(j, "label", label);
	vms_json_kv_u64(j, "mappings", r->mappings);
	vms_json_kv_u64(j, "open", r->open);
	vms_json_kv_u64(j, "bytes", r->bytes);
	vms_json_key(j, "site");
	if (site)
		vms_report_site_json(j, pg, site);
	else
		vms_json_null(j);
	counts_json(j, &r->c, true);
	vms_json_end_object(j);
}

static void native_frame(struct vms_json *j, const struct vms_pager *pg,
			 const struct vms_site_frame *f)
{
	vms_json_begin_object(j);
	string_or_null(j, "function", vms_sites_string(pg, f->function));
	string_or_null(j, "file", vms_sites_string(pg, f->file));
	line_or_null(j, f->line);
	string_or_null(j, "module", vms_sites_string(pg, f->module));
	vms_json_kv_u64(j, "offset", f->offset);
	vms_json_end_object(j);
}

static void python_frame(struct vms_json *j, const struct vms_pager *pg,
			 const struct vms_site_pyframe *f)
{
	vms_json_begin_object(j);
	vms_json_kv_bool(j, "python", true);
	string_or_null(j, "function", vms_sites_string(pg, f->function));
	string_or_null(j, "file", vms_sites_string(pg, f->file));
	line_or_null(j, f->line);
	vms_json_end_object(j);
}

/* Where the interpreter runs the innermost Python frame: the Python frames
 * go after it (they are what that C frame executes). */
static uint32_t python_insert_point(const struct vms_pager *pg, const struct vms_site *s)
{
	for (uint32_t i = 0; i < s->nr_frames; i++) {
		const char *fn = vms_sites_string(pg, s->frames[i].function);

		if (fn && strcmp(fn, "_PyEval_EvalFrameDefault") == 0)
			return i + 1;
	}
	return s->nr_frames;
}

/* A sampled stack, innermost first: native frames (frame 0 is the faulting
 * instruction), with the Python frames where the interpreter runs them. */
static void stack_frames(struct vms_json *j, const struct vms_pager *pg, const struct vms_site *s)
{
	uint32_t at = python_insert_point(pg, s);

	vms_json_key(j, "frames");
	vms_json_begin_array(j);
	for (uint32_t i = 0; i < at; i++)
		native_frame(j, pg, &s->frames[i]);
	for (uint32_t i = 0; i < s->nr_pyframes; i++)
		python_frame(j, pg, &s->pyframes[i]);
	for (uint32_t i = at; i < s->nr_frames; i++)
		native_frame(j, pg, &s->frames[i]);
	vms_json_end_array(j);
}

static void location_json(struct vms_json *j, const struct vms_pager *pg,
			  const struct vms_attrib_location *l)
{
	vms_json_begin_object(j);
	string_or_null(j, "function", vms_sites_string(pg, l->sym.function));
	string_or_null(j, "file", vms_sites_string(pg, l->sym.file));
	line_or_null(j, l->sym.line);
	string_or_null(j, "module", vms_sites_string(pg, l->module));
	vms_json_kv_u64(j, "offset", l->offset);
	vms_json_key(j, "syscall");
	if (l->syscall >= 0)
		vms_json_i64(j, l->syscall);
	else
		vms_json_null(j);
	counts_json(j, &l->c, false);
	vms_json_key(j, "stacks");
	vms_json_begin_array(j);
	for (size_t i = 0; i < l->nr_stacks; i++) {
		const struct vms_site *s = vms_sites_get(pg, l->stacks[i].site);

		if (!s)
			continue;
		vms_json_begin_object(j);
		vms_json_kv_u64(j, "samples", l->stacks[i].samples);
		stack_frames(j, pg, s);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	vms_json_end_object(j);
}

static double per(uint64_t total, uint64_t n, double unit)
{
	return n ? (double)total / (double)n / unit : 0.0;
}

void vms_report_attrib_json(struct vms_json *j, const struct vms_pager *pg)
{
	const struct vms_attrib_result *res = vms_attrib_result(pg);
	struct vms_region_counts rest = { 0 };
	uint64_t samples = 0;
	size_t n;

	if (!res)
		return;
	vms_json_key(j, "regions");
	vms_json_begin_array(j);
	n = res->nr_rows < MAX_REGIONS ? res->nr_rows : MAX_REGIONS;
	for (size_t i = 0; i < n; i++)
		region_json(j, pg, &res->rows[i]);
	vms_json_end_array(j);
	vms_json_key(j, "regions_omitted");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "rows", res->nr_rows - n);
	for (size_t i = n; i < res->nr_rows; i++)
		vms_region_counts_add(&rest, &res->rows[i].r.c);
	counts_json(j, &rest, true);
	vms_json_end_object(j);

	vms_json_key(j, "code");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "faults_seen", res->st.faults_seen);
	for (size_t i = 0; i < res->nr_locations; i++)
		for (size_t k = 0; k < res->locations[i].nr_stacks; k++)
			samples += res->locations[i].stacks[k].samples;
	vms_json_kv_u64(j, "stacks_sampled", res->st.unwinds - res->st.unwind_failures);
	vms_json_kv_u64(j, "stack_samples_listed", samples);
	vms_json_kv_u64(j, "stack_period", res->stack_period);
	vms_json_kv_u64(j, "in_syscall", res->st.in_syscall);
	vms_json_kv_u64(j, "ip_read_failures", res->st.ip_failures);
	vms_json_kv_u64(j, "unwind_failures", res->st.unwind_failures);
	vms_json_kv_double(j, "ip_read_us_mean", per(res->st.ip_read_ns, res->st.ip_reads, 1e3));
	vms_json_kv_double(j, "unwind_us_mean", per(res->st.unwind_ns, res->st.unwinds, 1e3));
	vms_json_kv_double(j, "account_ns_mean", per(res->st.account_ns, res->st.references, 1));
	vms_json_kv_u64(j, "maps_reads", res->st.maps_reads);
	vms_json_kv_double(j, "symbolize_ms", (double)res->st.symbolize_ns / 1e6);
	vms_json_key(j, "unlocated");
	vms_json_begin_object(j);
	counts_json(j, &res->st.unlocated, false);
	vms_json_end_object(j);
	n = res->nr_locations < MAX_LOCATIONS ? res->nr_locations : MAX_LOCATIONS;
	memset(&rest, 0, sizeof(rest));
	for (size_t i = n; i < res->nr_locations; i++)
		vms_region_counts_add(&rest, &res->locations[i].c);
	vms_json_key(j, "locations_omitted");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "locations", res->nr_locations - n);
	counts_json(j, &rest, false);
	vms_json_end_object(j);
	vms_json_key(j, "locations");
	vms_json_begin_array(j);
	for (size_t i = 0; i < n; i++)
		location_json(j, pg, &res->locations[i]);
	vms_json_end_array(j);
	vms_json_end_object(j);
}

/* "walk_columns (matrix.c:61)", or "module+0x1234". */
static void location_text(const struct vms_pager *pg, const struct vms_attrib_location *l,
			  char *buf, size_t len)
{
	const char *fn = vms_sites_string(pg, l->sym.function);
	const char *file = vms_sites_string(pg, l->sym.file);

	if (fn && file && l->sym.line)
		snprintf(buf, len, "%s (%s:%u)", fn, base_name(file), l->sym.line);
	else if (fn)
		snprintf(buf, len, "%s (%s)", fn, base_name(vms_sites_string(pg, l->module)));
	else if (l->module)
		snprintf(buf, len, "%s+0x%" PRIx64, base_name(vms_sites_string(pg, l->module)),
			 l->offset);
	else
		snprintf(buf, len, "0x%" PRIx64, l->offset);
}

/* The innermost Python frame of the location's most sampled stack, or "". */
static void python_text(const struct vms_pager *pg, const struct vms_attrib_location *l,
			char *buf, size_t len)
{
	const struct vms_site *s = l->nr_stacks ? vms_sites_get(pg, l->stacks[0].site) : NULL;
	const char *file, *fn;

	buf[0] = 0;
	if (!s || !s->nr_pyframes)
		return;
	file = vms_sites_string(pg, s->pyframes[0].file);
	fn = vms_sites_string(pg, s->pyframes[0].function);
	snprintf(buf, len, ", in %s:%u %s", file ? base_name(file) : "?", s->pyframes[0].line,
		 fn ? fn : "?");
}

static double share(uint64_t part, uint64_t total)
{
	return total ? 100.0 * (double)part / (double)total : 0.0;
}

void vms_report_attrib_summary(FILE *out, const struct vms_pager *pg)
{
	const struct vms_attrib_result *res = vms_attrib_result(pg);
	uint64_t faults = 0, located = res ? res->st.unlocated.faults : 0;
	char label[512], py[320];

	if (!res)
		return;
	for (size_t i = 0; i < res->nr_rows; i++)
		faults += res->rows[i].r.c.faults;
	for (size_t i = 0; i < res->nr_locations; i++)
		located += res->locations[i].c.faults;
	for (size_t i = 0; i < res->nr_rows && i < 3; i++) {
		const struct vms_attrib_row *row = &res->rows[i];

		row_label(pg, &row->r, label, sizeof(label));
		fprintf(out, "  %s %5.1f%% %s, pid %d: %" PRIu64 " faults (%" PRIu64 " swap-ins), %"
			PRIu64 " evictions, %" PRIu64 " soft\n", i ? "                " :
			"faults by region:", share(row->r.c.faults, faults), label, (int)row->pid,
			row->r.c.faults, row->r.c.swap_ins, row->r.c.evictions,
			row->r.c.soft_faults);
	}
	for (size_t i = 0; i < res->nr_locations && i < 3; i++) {
		const struct vms_attrib_location *l = &res->locations[i];

		location_text(pg, l, label, sizeof(label));
		python_text(pg, l, py, sizeof(py));
		fprintf(out, "  %s %5.1f%% %s%s: %" PRIu64 " faults (%" PRIu64 " swap-ins), %"
			PRIu64 " soft%s\n", i ? "                " : "faults by code:  ",
			share(l->c.faults, located), label, py, l->c.faults, l->c.swap_ins,
			l->c.soft_faults, l->syscall >= 0 ? ", inside a syscall" : "");
	}
}
