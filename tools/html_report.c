/* SPDX-License-Identifier: MIT */
/*
 * The HTML report's page: the run's header, the four pictures of the
 * profile (html_plots.c) each with a paragraph on how to read it, and the
 * tables of regions and faulting code locations.  What the page says is
 * documented in docs/profiling.md, "The HTML report".
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <seccomp.h>

#include "html_json.h"
#include "html_out.h"
#include "html_plots.h"
#include "html_report.h"

/* The tables show the first this many rows (the report lists them most
 * faults first). */
#define TOP_ROWS 30
/* Deep enough for any report (its deepest value is a frame of a stack of a
 * code location of the profile: depth 8), shallow enough to refuse a
 * pathological file before json-c recurses far. */
#define PARSE_DEPTH 64

static const char css[] =
	"body{font:14px/1.4 system-ui,\"DejaVu Sans\",sans-serif;margin:0;color:#222;"
	"background:#fff}\n"
	"main{max-width:1120px;margin:0 auto;padding:8px 16px 40px}\n"
	"h1{font-size:20px;margin:12px 0}h2{font-size:17px;margin:28px 0 6px;"
	"border-bottom:1px solid #ddd}\n"
	"table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;"
	"vertical-align:top}\n"
	"table.vms-summary th{color:#555;font-weight:normal;white-space:nowrap}\n"
	"table.data{font-size:13px;width:100%}table.data th{border-bottom:1px solid #bbb}\n"
	"table.data .n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"table.data tbody tr:nth-child(even){background:#f5f5f5}\n"
	"table.data td.mono{overflow-wrap:anywhere}div.wide{overflow-x:auto}\n"
	"td.addr{font:12px/1.35 \"DejaVu Sans Mono\",monospace;white-space:nowrap}\n"
	"code,pre,.mono{font:12px/1.35 \"DejaVu Sans Mono\",monospace}\n"
	"pre{margin:4px 0;white-space:pre-wrap}details summary{cursor:pointer}\n"
	"svg.vms-plot{display:block;max-width:100%;height:auto}\n"
	"svg .tick{font:11px sans-serif;fill:#333}svg .axis-title{font:12px sans-serif;fill:#222}\n"
	"svg .grid{stroke:#e6e6e6}svg .tickmark{stroke:#555}svg .frame{fill:none;stroke:#888}\n"
	"svg .heat-bg{fill:#ececec}svg .row-label{font-family:\"DejaVu Sans Mono\",monospace;"
	"fill:#333}\n"
	"svg .legend-box{fill:#fff;fill-opacity:.9;stroke:#ccc}svg .legend-text{font:11px "
	"sans-serif;fill:#222}\n"
	"svg .ref-label{font:11px sans-serif}\n"
	"p.how{color:#444;max-width:60em}p.missing,p.no-profile{color:#a33;font-weight:bold}\n"
	".thrashing{color:#b00;font-weight:bold}\n";

/* ---- reading the text ---- */

/* "line L, column C (byte N)" of offset in text. */
static void position(const char *text, size_t len, size_t offset, char *buf, size_t buflen)
{
	size_t line = 1, col = 1;

	for (size_t i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	snprintf(buf, buflen, "line %zu, column %zu (byte %zu)", line, col, offset);
}

static int parse(const char *text, size_t len, struct json_object **ret, char *why,
		 size_t whylen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error err;
	size_t end;
	char where[96];

	if (len > INT_MAX) {
		snprintf(why, whylen, "too large for a report (%zu bytes)", len);
		return -EINVAL;
	}
	tok = json_tokener_new_ex(PARSE_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	o = json_tokener_parse_ex(tok, text, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (err == json_tokener_continue) {
		/* The text ended inside a value (or is a bare number): a NUL
		 * tells json-c that nothing more comes. */
		o = json_tokener_parse_ex(tok, "", 1);
		err = json_tokener_get_error(tok);
		end = len;
	}
	if (err != json_tokener_success) {
		json_tokener_free(tok);
		position(text, len, end, where, sizeof(where));
		if (len == 0 || strspn(text, " \t\r\n") == len)
			snprintf(why, whylen, "empty: no JSON in it");
		else if (end >= len)
			snprintf(why, whylen, "invalid JSON: the text ends inside a value at %s "
				 "(truncated?): %s", where, json_tokener_error_desc(err));
		else
			snprintf(why, whylen, "invalid JSON at %s: %s", where,
				 json_tokener_error_desc(err));
		return -EINVAL;
	}
	json_tokener_free(tok);
	for (size_t i = end; i < len; i++)
		if (!strchr(" \t\r\n", text[i]) || !text[i]) {
			json_object_put(o);
			position(text, len, i, where, sizeof(where));
			snprintf(why, whylen, "invalid JSON: more after the report's closing brace, "
				 "at %s", where);
			return -EINVAL;
		}
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(why, whylen, "not a vmsandbox report: the JSON is %s, not an object",
			 o ? json_type_to_name(json_object_get_type(o)) : "null");
		json_object_put(o);
		return -EINVAL;
	}
	if (!vms_hj_str(o, "/vmsandbox_version")) {
		snprintf(why, whylen, "not a vmsandbox report: no \"vmsandbox_version\" field");
		json_object_put(o);
		return -EINVAL;
	}
	*ret = o;
	return 0;
}

/* ---- small writers ---- */

static void num_cell(FILE *out, struct json_object *o, const char *ptr)
{
	char buf[40];
	double v;

	fputs("<td class=\"n\">", out);
	if (vms_hj_num(o, ptr, &v))
		fputs(vms_html_count(buf, sizeof(buf), v), out);
	fputs("</td>", out);
}

static void text_cell(FILE *out, const char *cls, const char *s)
{
	fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	vms_html_text(out, s);
	fputs("</td>", out);
}

static const char *count_of(struct json_object *o, const char *ptr, char *buf, size_t len)
{
	double v;

	return vms_hj_num(o, ptr, &v) ? vms_html_count(buf, len, v) : "?";
}

static void row_open(FILE *out, const char *name)
{
	fputs("<tr><th>", out);
	vms_html_text(out, name);
	fputs("</th><td>", out);
}

static void row_close(FILE *out)
{
	fputs("</td></tr>\n", out);
}

/* ---- header ---- */

static void header_command(FILE *out, struct json_object *r)
{
	size_t n;
	struct json_object *argv = vms_hj_array(r, "/argv", &n);
	char buf[32];

	row_open(out, "command");
	fputs("<code>", out);
	if (argv)
		for (size_t i = 0; i < n; i++) {
			const char *a = json_object_get_string(json_object_array_get_idx(argv, i));

			if (i)
				fputc(' ', out);
			vms_html_text(out, a ? a : "");
		}
	else
		vms_html_text(out, vms_hj_str(r, "/program"));
	fputs("</code>", out);
	if (vms_hj_get(r, "/pid"))
		vms_html_textf(out, " (pid %s)", count_of(r, "/pid", buf, sizeof(buf)));
	row_close(out);
}

static void header_outcome(FILE *out, struct json_object *r)
{
	const char *outcome = vms_hj_str(r, "/outcome"), *error = vms_hj_str(r, "/error");
	double status, sig;

	row_open(out, "outcome");
	vms_html_text(out, outcome ? outcome : "?");
	if (vms_hj_num(r, "/signal", &sig)) {
		const char *abbrev = sigabbrev_np((int)sig);

		vms_html_textf(out, ", signal %.0f%s%s", sig, abbrev ? " SIG" : "",
			       abbrev ? abbrev : "");
	}
	if (vms_hj_num(r, "/exit_status", &status))
		vms_html_textf(out, ", exit status %.0f", status);
	if (error)
		vms_html_textf(out, ": %s", error);
	row_close(out);
}

static void header_budget(FILE *out, struct json_object *r)
{
	double frames, page = vms_hj_num_or(r, "/page_size", 4096), swap;
	char a[40], b[40];

	row_open(out, "budget");
	if (vms_hj_num(r, "/frames", &frames))
		vms_html_textf(out, "%s frames (%s)", vms_html_count(a, sizeof(a), frames),
			       vms_html_bytes(b, sizeof(b), frames * page));
	else
		vms_html_text(out, "none: the program was only observed");
	vms_html_textf(out, "; policy %s, swap compressor %s",
		       vms_hj_str(r, "/policy") ? vms_hj_str(r, "/policy") : "?",
		       vms_hj_str(r, "/compress") ? vms_hj_str(r, "/compress") : "?");
	if (vms_hj_num(r, "/swap_limit_bytes", &swap))
		vms_html_textf(out, ", swap limited to %s", vms_html_bytes(a, sizeof(a), swap));
	row_close(out);
}

static void header_counts(FILE *out, struct json_object *r)
{
	char a[40], b[40], c[40], d[40], e[40];
	double wall, fault;

	row_open(out, "faults");
	vms_html_textf(out, "%s (%s zero-fill, %s swap-in, %s same-filled), +%s pages by "
		       "fault-around", count_of(r, "/faults/total", a, sizeof(a)),
		       count_of(r, "/faults/zero_fill", b, sizeof(b)),
		       count_of(r, "/faults/swap_in", c, sizeof(c)),
		       count_of(r, "/faults/same_fill", d, sizeof(d)),
		       count_of(r, "/faults/fault_around_pages", e, sizeof(e)));
	row_close(out);
	row_open(out, "swap-ins, evictions");
	vms_html_textf(out, "%s swap-ins; %s evictions (%s written to swap, %s clean drops)",
		       count_of(r, "/faults/swap_in", a, sizeof(a)),
		       count_of(r, "/evictions", b, sizeof(b)),
		       count_of(r, "/eviction_kinds/written", c, sizeof(c)),
		       count_of(r, "/eviction_kinds/clean_drops", d, sizeof(d)));
	row_close(out);
	row_open(out, "soft faults");
	vms_html_textf(out, "%s (touches of pages the pager had unmapped to see them)",
		       count_of(r, "/soft_faults/total", a, sizeof(a)));
	row_close(out);
	row_open(out, "peak resident");
	vms_html_textf(out, "%s frames", count_of(r, "/peak_resident_frames", a, sizeof(a)));
	row_close(out);
	if (vms_hj_num(r, "/time/wall_s", &wall)) {
		row_open(out, "time");
		vms_html_textf(out, "%.2f s wall", wall);
		if (vms_hj_num(r, "/time/in_fault_s", &fault))
			vms_html_textf(out, ", %.3f s of it serving faults (%.0f%%)", fault,
				       wall > 0 ? 100 * fault / wall : 0.0);
		row_close(out);
	}
}

static void header_thrashing(FILE *out, struct json_object *r)
{
	struct json_object *t = vms_hj_object(r, "/thrashing");
	const char *verdict = vms_hj_str(t, "/verdict");
	double since, stall, refault, ws;
	bool lower = false;
	char a[40];

	if (!verdict)
		return;
	row_open(out, "thrashing");
	if (strcmp(verdict, "thrashing") == 0) {
		fputs("<span class=\"thrashing\">thrashing</span>", out);
		if (vms_hj_num(t, "/since_s", &since))
			vms_html_textf(out, " since %.2f s", since);
	} else {
		vms_html_text(out, verdict);
	}
	if (vms_hj_num(t, "/stall_fraction", &stall))
		vms_html_textf(out, "; %.0f%% of the time waiting on faults", 100 * stall);
	if (vms_hj_num(t, "/refault_fraction", &refault))
		vms_html_textf(out, ", %.0f%% of faults refaults", 100 * refault);
	if (vms_hj_num(t, "/working_set_pages", &ws)) {
		vms_hj_bool(t, "/working_set_lower_bound", &lower);
		vms_html_textf(out, ", working set %s%s pages", lower ? "more than " : "~",
			       vms_html_count(a, sizeof(a), ws));
	}
	row_close(out);
}

static void header_oom(FILE *out, struct json_object *r)
{
	size_t n;
	struct json_object *ev = vms_hj_array(r, "/oom/events", &n);
	double refusals = vms_hj_num_or(r, "/oom/refusals", 0);
	char a[40];

	if (!ev || n == 0) {
		if (refusals > 0) {
			row_open(out, "out of memory");
			vms_html_textf(out, "no OOM kill; %s allocations refused (overcommit %s)",
				       vms_html_count(a, sizeof(a), refusals),
				       vms_hj_str(r, "/oom/overcommit") ?
				       vms_hj_str(r, "/oom/overcommit") : "?");
			row_close(out);
		}
		return;
	}
	row_open(out, "out of memory");
	vms_html_textf(out, "%zu OOM event%s", n, n == 1 ? "" : "s");
	fputs("<ul>", out);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(ev, i);
		const char *comm = vms_hj_str(e, "/victim/comm");

		fputs("<li>", out);
		vms_html_textf(out, "at %.2f s: %s", vms_hj_num_or(e, "/time_s", NAN),
			       vms_hj_str(e, "/action") ? vms_hj_str(e, "/action") : "?");
		if (vms_hj_get(e, "/victim/pid"))
			vms_html_textf(out, " pid %.0f (%s)", vms_hj_num_or(e, "/victim/pid", 0),
				       comm ? comm : "?");
		if (vms_hj_str(e, "/reason"))
			vms_html_textf(out, ": %s", vms_hj_str(e, "/reason"));
		fputs("</li>", out);
	}
	fputs("</ul>", out);
	row_close(out);
}

static void header_tlb(FILE *out, struct json_object *r)
{
	struct json_object *t = vms_hj_object(r, "/tlb");
	char a[40], b[40], c[40];

	if (!t)
		return;
	row_open(out, "TLB model");
	vms_html_textf(out, "%s: %s accesses, %s misses, %s walks",
		       vms_hj_str(t, "/geometry") ? vms_hj_str(t, "/geometry") : "?",
		       count_of(t, "/accesses", a, sizeof(a)), count_of(t, "/misses", b, sizeof(b)),
		       count_of(t, "/walks", c, sizeof(c)));
	row_close(out);
}

static void header_profile(FILE *out, struct json_object *p)
{
	const char *tu = vms_hj_str(p, "/time_unit");
	double kf, budget, sp, below;
	char a[40], b[40], c[40], d[40];
	const char *error = vms_hj_str(p, "/error");

	row_open(out, "profile");
	vms_html_textf(out, "%s references seen, window %s pages, ",
		       count_of(p, "/references", a, sizeof(a)),
		       count_of(p, "/window_pages", b, sizeof(b)));
	if (vms_hj_num(p, "/stack_period", &sp) && sp > 0)
		vms_html_textf(out, "every %s%s fault's stack sampled, ",
			       vms_html_count(c, sizeof(c), sp), sp == 1 ? "" : "th");
	else
		vms_html_text(out, "no stacks sampled, ");
	vms_html_text(out, tu && strcmp(tu, "refs") == 0 ? "virtual time (references)"
							: "wall time");
	if (error)
		vms_html_textf(out, "; no curves or heatmap: %s", error);
	row_close(out);
	if (vms_hj_num(p, "/mrc/knee/frames", &kf)) {
		row_open(out, "knee");
		vms_html_textf(out, "%s frames (%s faults there", vms_html_count(a, sizeof(a), kf),
			       count_of(p, "/mrc/knee/faults", b, sizeof(b)));
		if (vms_hj_num(p, "/mrc/knee/below_frames", &below))
			vms_html_textf(out, ", %s at %s frames",
				       count_of(p, "/mrc/knee/below_faults", c, sizeof(c)),
				       vms_html_count(d, sizeof(d), below));
		vms_html_text(out, ")");
		if (vms_hj_num(p, "/mrc/budget_frames", &budget))
			vms_html_textf(out, ": the budget of %s frames is %s",
				       vms_html_count(c, sizeof(c), budget),
				       budget < kf ? "below it, the working set does not fit" :
				       "at or above it");
		row_close(out);
	}
}

static void header(FILE *out, struct json_object *r, struct json_object *profile)
{
	bool det = false;

	fputs("<table class=\"vms-summary\">\n", out);
	header_command(out, r);
	header_outcome(out, r);
	header_budget(out, r);
	header_counts(out, r);
	header_thrashing(out, r);
	header_oom(out, r);
	header_tlb(out, r);
	if (profile)
		header_profile(out, profile);
	row_open(out, "report");
	vms_html_textf(out, "written by vmsandbox %s", vms_hj_str(r, "/vmsandbox_version"));
	if (vms_hj_bool(r, "/deterministic", &det) && det)
		vms_html_text(out, ", --deterministic");
	row_close(out);
	fputs("</table>\n", out);
}

/* ---- pictures ---- */

struct picture {
	const char *id, *title, *how;
	int (*draw)(FILE *out, struct json_object *report, char *why, size_t whylen);
};

static const struct picture pictures[] = {
	{ "heatmap", "Page heatmap",
	  "Each row is a band of one process's address space (pid, what the memory is, "
	  "its address range; bands without references are left out), each column a stretch "
	  "of time; the colour says how many references the band saw then, on a log scale "
	  "(pale: a few, dark red: the most). A horizontal streak is memory used all along "
	  "(a hot set), a diagonal is a sweep through an array, a block that lights up once "
	  "is a phase. Hover over a cell for its numbers.",
	  vms_html_plot_heatmap },
	{ "wss", "Working set over time",
	  "The distinct pages referenced in each time bucket (Denning's W(t, bucket)) "
	  "against the run's budget. Where the line stays above the budget line, the pages "
	  "the program needs at that moment do not fit and it faults; buckets get wider as "
	  "the run gets longer, and a wider bucket sees more pages.",
	  vms_html_plot_wss },
	{ "faultrate", "Fault rate over time",
	  "Faults (first touches and swap-ins), swap-ins alone and evictions per unit of "
	  "time (per second, or per reference in virtual time). First touches make the early "
	  "peak of most programs; swap-ins that stay high while evictions track them are "
	  "thrashing: pages go out and come straight back.",
	  vms_html_plot_faultrate },
	{ "mrc", "Miss-ratio curve",
	  "Faults the run would have taken with each number of frames: exactly for LRU "
	  "(the line), by simulation of the same reference stream for the other policies "
	  "(points; opt is Belady's lower bound). The dashed vertical line is this run's "
	  "budget, the circle the knee: the fewest frames that avoid 95% of the avoidable "
	  "faults. A budget left of the knee is on the steep part: a few more frames save "
	  "many faults.",
	  vms_html_plot_mrc },
};

static int draw_pictures(FILE *out, struct json_object *r)
{
	char why[512];

	for (size_t i = 0; i < sizeof(pictures) / sizeof(pictures[0]); i++) {
		const struct picture *pi = &pictures[i];
		int rc;

		fprintf(out, "<section id=\"%s\">\n<h2>%s</h2>\n<p class=\"how\">%s</p>\n", pi->id,
			pi->title, pi->how);
		rc = pi->draw(out, r, why, sizeof(why));
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			fputs("<p class=\"missing\">Not drawn: ", out);
			vms_html_text(out, why);
			fputs(".</p>\n", out);
		}
		fputs("</section>\n", out);
	}
	return 0;
}

/* ---- tables ---- */

static const char *basename_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* One frame as perf report names it: "function (file:line) module+0xoff",
 * "file:line function [python]" for a Python frame. */
static void frame_text(FILE *out, struct json_object *f)
{
	const char *fn = vms_hj_str(f, "/function"), *file = vms_hj_str(f, "/file");
	const char *module = basename_of(vms_hj_str(f, "/module"));
	bool py = false;
	double line, off;

	vms_hj_bool(f, "/python", &py);
	if (py) {
		vms_html_textf(out, "%s (%s:%.0f) [python]", fn ? fn : "?", file ? file : "?",
			       vms_hj_num_or(f, "/line", 0));
		return;
	}
	if (fn)
		vms_html_text(out, fn);
	else if (vms_hj_num(f, "/offset", &off))
		vms_html_textf(out, "0x%llx", (unsigned long long)off);
	else
		vms_html_text(out, "[unknown]");
	if (file) {
		if (vms_hj_num(f, "/line", &line))
			vms_html_textf(out, " (%s:%.0f)", file, line);
		else
			vms_html_textf(out, " (%s)", file);
	}
	if (module) {
		if (vms_hj_num(f, "/offset", &off))
			vms_html_textf(out, "  %s+0x%llx", module, (unsigned long long)off);
		else
			vms_html_textf(out, "  %s", module);
	}
}

static void more_rows(FILE *out, size_t shown, size_t total, const char *what)
{
	if (total > shown)
		vms_html_textf(out, "%zu more %s are in the JSON report.", total - shown, what);
}

/* " (in read)": the system call inside which the kernel took the fault
 * (x86-64 numbers, the only programs vmsandbox runs; libseccomp names them). */
static void syscall_note(FILE *out, struct json_object *loc)
{
	struct json_object *v = vms_hj_get(loc, "/syscall");
	char *name;

	if (!v)
		return;
	if (json_object_is_type(v, json_type_string)) {
		vms_html_textf(out, " (in %s)", json_object_get_string(v));
		return;
	}
	if (!json_object_is_type(v, json_type_int))
		return;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, json_object_get_int(v));
	if (name)
		vms_html_textf(out, " (in %s)", name);
	else
		vms_html_textf(out, " (in system call %d)", json_object_get_int(v));
	free(name);
}

/* "N more, summed in the report's OMITTED (F faults)." */
static void omitted(FILE *out, struct json_object *p, const char *ptr, const char *count_key,
		    const char *what)
{
	struct json_object *o = vms_hj_object(p, ptr);
	double k;
	char a[40], b[40];

	if (!o || !vms_hj_num(o, count_key, &k) || k <= 0)
		return;
	vms_html_textf(out, " %s more %s were too many to list: the report sums them in %s "
		       "(%s faults).", vms_html_count(a, sizeof(a), k), what, ptr + 1,
		       count_of(o, "/faults", b, sizeof(b)));
}

static double sum_of(struct json_object *a, size_t n, const char *ptr)
{
	double s = 0;

	for (size_t i = 0; i < n; i++)
		s += vms_hj_num_or(json_object_array_get_idx(a, i), ptr, 0);
	return s;
}

static void percent_cell(FILE *out, double part, double whole)
{
	if (whole > 0)
		fprintf(out, "<td class=\"n\">%.2f%%</td>", 100 * part / whole);
	else
		fputs("<td class=\"n\"></td>", out);
}

static void regions_table(FILE *out, struct json_object *p)
{
	size_t n, shown;
	struct json_object *regs = vms_hj_array(p, "/regions", &n);
	double total;

	fputs("<section id=\"regions\">\n<h2>Regions</h2>\n<p class=\"how\">Where the faults "
	      "landed: the program's memory by region (the heap, each thread's stack, each "
	      "anonymous mapping with the code that created it: hover over a region for its "
	      "allocation site), most faults first. Evictions are charged to the region of the "
	      "page evicted.</p>\n", out);
	if (!regs) {
		fputs("<p class=\"missing\">Not shown: profile.regions is not in this report.</p>\n"
		      "</section>\n", out);
		return;
	}
	total = sum_of(regs, n, "/faults");
	shown = n < TOP_ROWS ? n : TOP_ROWS;
	fputs("<div class=\"wide\"><table class=\"data vms-regions\">\n<thead><tr><th class=\"n\">faults %</th>"
	      "<th class=\"n\">pid</th><th>region</th><th>kind</th><th>addresses</th>"
	      "<th class=\"n\">pages touched</th><th class=\"n\">faults</th>"
	      "<th class=\"n\">zero fills</th><th class=\"n\">swap-ins</th>"
	      "<th class=\"n\">evictions</th><th class=\"n\">soft faults</th>"
	      "<th class=\"n\">wp faults</th></tr></thead>\n<tbody>\n", out);
	for (size_t i = 0; i < shown; i++) {
		struct json_object *g = json_object_array_get_idx(regs, i);
		const char *start = vms_hj_str(g, "/start"), *end = vms_hj_str(g, "/end");

		fputs("<tr>", out);
		percent_cell(out, vms_hj_num_or(g, "/faults", 0), total);
		num_cell(out, g, "/pid");
		fputs("<td", out);
		if (vms_hj_str(g, "/site/location")) {
			fputs(" title=\"allocated by ", out);
			vms_html_text(out, vms_hj_str(g, "/site/location"));
			fputc('"', out);
		}
		fputc('>', out);
		vms_html_text(out, vms_hj_str(g, "/label"));
		fputs("</td>", out);
		text_cell(out, NULL, vms_hj_str(g, "/kind"));
		/* One address a line: a range does not fit the column on one. */
		fputs("<td class=\"addr\">", out);
		vms_html_textf(out, "%s-", start ? start : "?");
		fputs("<br>", out);
		vms_html_text(out, end ? end : "?");
		fputs("</td>", out);
		num_cell(out, g, "/pages_touched");
		num_cell(out, g, "/faults");
		num_cell(out, g, "/zero_fills");
		num_cell(out, g, "/swap_ins");
		num_cell(out, g, "/evictions");
		num_cell(out, g, "/soft_faults");
		num_cell(out, g, "/wp_faults");
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table></div>\n<p>", out);
	if (n == 0)
		vms_html_text(out, "No region had a fault.");
	more_rows(out, shown, n, "regions");
	omitted(out, p, "/regions_omitted", "/rows", "regions");
	fputs("</p>\n</section>\n", out);
}

static void stacks_details(FILE *out, struct json_object *loc, const char *symbol)
{
	size_t n;
	struct json_object *stacks = vms_hj_array(loc, "/stacks", &n);
	double samples = stacks ? sum_of(stacks, n, "/samples") : 0;

	if (!stacks || n == 0) {
		vms_html_text(out, symbol);
		return;
	}
	fputs("<details><summary>", out);
	vms_html_text(out, symbol);
	vms_html_textf(out, " (%zu stack%s)", n, n == 1 ? "" : "s");
	fputs("</summary><pre>", out);
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(stacks, i);
		size_t nf;
		struct json_object *frames = vms_hj_array(s, "/frames", &nf);
		double k = vms_hj_num_or(s, "/samples", 0);

		vms_html_textf(out, "%s%.1f%% (%.0f sample%s)\n", i ? "\n" : "",
			       samples > 0 ? 100 * k / samples : 0.0, k, k == 1 ? "" : "s");
		for (size_t f = 0; f < nf; f++) {
			fputs("    ", out);
			frame_text(out, json_object_array_get_idx(frames, f));
			fputc('\n', out);
		}
	}
	fputs("</pre></details>", out);
}

static void code_table(FILE *out, struct json_object *p)
{
	size_t n, shown;
	struct json_object *locs = vms_hj_array(p, "/code/locations", &n);
	double seen, unlocated;
	char a[40], b[40];

	fputs("<section id=\"code\">\n<h2>Faulting code</h2>\n<p class=\"how\">Which "
	      "instructions took the faults, most first, as <code>perf report</code> lists "
	      "symbols: the share of all faults seen, the counts, the function with its source "
	      "line and module. Open a row for the call stacks sampled through it (every Nth "
	      "fault's stack, innermost frame first). Evictions are charged to the fault that "
	      "caused them.</p>\n", out);
	if (!locs) {
		fputs("<p class=\"missing\">Not shown: profile.code is not in this report.</p>\n"
		      "</section>\n", out);
		return;
	}
	if (!vms_hj_num(p, "/code/faults_seen", &seen))
		seen = sum_of(locs, n, "/faults");
	vms_html_textf(out, "%s faults seen, %s stacks sampled.",
		       vms_html_count(a, sizeof(a), seen),
		       count_of(p, "/code/stacks_sampled", b, sizeof(b)));
	shown = n < TOP_ROWS ? n : TOP_ROWS;
	fputs("<div class=\"wide\"><table class=\"data vms-code\">\n<thead><tr><th class=\"n\">overhead</th>"
	      "<th class=\"n\">faults</th><th class=\"n\">zero fills</th>"
	      "<th class=\"n\">swap-ins</th><th class=\"n\">evictions</th>"
	      "<th class=\"n\">soft faults</th><th class=\"n\">wp faults</th><th>symbol</th>"
	      "<th>source</th><th>module</th></tr></thead>\n<tbody>\n", out);
	for (size_t i = 0; i < shown; i++) {
		struct json_object *l = json_object_array_get_idx(locs, i);
		const char *fn = vms_hj_str(l, "/function"), *file = vms_hj_str(l, "/file");
		const char *module = basename_of(vms_hj_str(l, "/module"));
		char symbol[256];
		double off, line;

		if (fn)
			snprintf(symbol, sizeof(symbol), "%s", fn);
		else if (vms_hj_num(l, "/offset", &off))
			snprintf(symbol, sizeof(symbol), "0x%llx", (unsigned long long)off);
		else
			snprintf(symbol, sizeof(symbol), "[unknown]");
		fputs("<tr>", out);
		percent_cell(out, vms_hj_num_or(l, "/faults", 0), seen);
		num_cell(out, l, "/faults");
		num_cell(out, l, "/zero_fills");
		num_cell(out, l, "/swap_ins");
		num_cell(out, l, "/evictions");
		num_cell(out, l, "/soft_faults");
		num_cell(out, l, "/wp_faults");
		fputs("<td class=\"mono\">", out);
		stacks_details(out, l, symbol);
		fputs("</td><td class=\"mono\"", out);
		if (file) {
			fputs(" title=\"", out);
			vms_html_text(out, file);
			fputc('"', out);
		}
		fputc('>', out);
		if (file && vms_hj_num(l, "/line", &line))
			vms_html_textf(out, "%s:%.0f", basename_of(file), line);
		else
			vms_html_text(out, basename_of(file));
		syscall_note(out, l);
		fputs("</td><td class=\"mono\">", out);
		if (module && vms_hj_num(l, "/offset", &off))
			vms_html_textf(out, "%s+0x%llx", module, (unsigned long long)off);
		else
			vms_html_text(out, module);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></div>\n<p>", out);
	if (n == 0)
		vms_html_text(out, "No fault was attributed to code.");
	more_rows(out, shown, n, "locations");
	omitted(out, p, "/code/locations_omitted", "/locations", "locations");
	if (vms_hj_num(p, "/code/unlocated/faults", &unlocated) && unlocated > 0)
		vms_html_textf(out, " %s faults have no location (their thread's registers could "
			       "not be read).", vms_html_count(a, sizeof(a), unlocated));
	fputs("</p>\n</section>\n", out);
}

/* ---- the page ---- */

static int page(FILE *out, struct json_object *r)
{
	struct json_object *profile = vms_hj_object(r, "/profile");
	const char *program = vms_hj_str(r, "/program");
	int rc = 0;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"vmsandbox " VMS_VERSION "\">\n<title>", out);
	vms_html_textf(out, "vmsandbox: %s", program ? program : "report");
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>", css);
	vms_html_textf(out, "vmsandbox report: %s", basename_of(program ? program : "?"));
	fputs("</h1>\n", out);
	header(out, r, profile);
	if (profile) {
		rc = draw_pictures(out, r);
		if (!rc) {
			regions_table(out, profile);
			code_table(out, profile);
		}
	} else {
		fputs("<p class=\"no-profile\">no profile: run with --profile (or --html) to see "
		      "the page heatmap, the working set and fault rate over time, the miss-ratio "
		      "curve and where the faults come from.</p>\n", out);
	}
	fputs("</main>\n</body>\n</html>\n", out);
	return rc;
}

int vms_html_render(const char *json_text, size_t len, FILE *out, char *why, size_t whylen)
{
	struct json_object *r = NULL;
	int rc = parse(json_text, len, &r, why, whylen);

	if (rc < 0)
		return rc;
	rc = page(out, r);
	json_object_put(r);
	if (rc == -ENOMEM) {
		snprintf(why, whylen, "out of memory");
		return rc;
	}
	if (fflush(out) != 0 || ferror(out)) {
		snprintf(why, whylen, "cannot write the HTML: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}
