/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "html_json.h"
#include "html_out.h"
#include "html_plots.h"
#include "html_svg.h"

/* The pictures' common geometry, in the SVG's own pixels: they scale to
 * the page's width together. */
#define WIDTH 1100
#define PLOT_LEFT 90.0
#define PLOT_RIGHT 1075.0
#define PLOT_TOP 20.0
#define PLOT_HEIGHT 260.0
#define AXIS_ROOM 50.0

/* Heatmap: row labels on the left, cells on the right. */
#define HEAT_LEFT 380.0
#define HEAT_ROW_MAX 16.0
#define HEAT_ROW_MIN 1.5
#define HEAT_HEIGHT_AIM 720.0
#define HEAT_LABEL_CHARS 64
/* Past this many drawn cells, cells have no tooltip of their own (about
 * 90 bytes each): the page stays under a few MiB. */
#define HEAT_TITLED_CELLS 40000u
/* Beyond this, the page would be too large to open (about 70 bytes a
 * cell: 512 x 512 cells make a 19 MB page, rendered in 0.9 s). */
#define HEAT_MAX_CELLS (4u << 20)
/* More cells than this are drawn with neighbouring columns merged. */
#define HEAT_DRAWN_CELLS (256u << 10)
#define HEAT_MIN_COLUMNS 16

static int absent(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s is not in this report", what);
	return -ENODATA;
}

static int malformed(char *why, size_t whylen, const char *what, const char *how)
{
	snprintf(why, whylen, "%s %s", what, how);
	return -EINVAL;
}

/* profile.time_unit: "s" or "refs". */
static int time_unit(struct json_object *report, bool *ret_refs, char *why, size_t whylen)
{
	const char *tu = vms_hj_str(report, "/profile/time_unit");

	if (!tu)
		return absent(why, whylen, "profile.time_unit");
	if (strcmp(tu, "s") && strcmp(tu, "refs"))
		return malformed(why, whylen, "profile.time_unit", "is neither \"s\" nor \"refs\"");
	*ret_refs = strcmp(tu, "refs") == 0;
	return 0;
}

static const char *time_title(bool refs)
{
	return refs ? "time (references: virtual time)" : "time (s since the program's start)";
}

/* The run's budget: mrc.budget_frames, else the report's frames; < 0: none. */
static double budget_frames(struct json_object *report)
{
	double b;

	if (vms_hj_num(report, "/profile/mrc/budget_frames", &b) && b > 0)
		return b;
	if (vms_hj_num(report, "/frames", &b) && b > 0)
		return b;
	return -1;
}

/* ---- time series ---- */

struct timeline {
	double bucket;          /* in the time unit */
	bool refs_time;
	size_t n;               /* buckets */
	double *wss, *faults, *swap_ins, *evictions, *refs;
};

static void timeline_free(struct timeline *t)
{
	free(t->wss);
	free(t->faults);
	free(t->swap_ins);
	free(t->evictions);
	free(t->refs);
}

/* profile.timeline.KEY into *ret, of the same length as the others. */
static int timeline_series(struct json_object *report, struct timeline *t, const char *key,
			   bool *have_n, double **ret, char *why, size_t whylen)
{
	char ptr[64], name[64];
	size_t n;
	int r;

	snprintf(ptr, sizeof(ptr), "/profile/timeline/%s", key);
	snprintf(name, sizeof(name), "profile.timeline.%s", key);
	if (!vms_hj_get(report, ptr))
		return absent(why, whylen, name);
	r = vms_hj_numbers(report, ptr, name, ret, &n, why, whylen);
	if (r < 0)
		return r;
	if (*have_n && n != t->n) {
		snprintf(why, whylen, "%s has %zu buckets, the other series %zu", name, n, t->n);
		return -EINVAL;
	}
	t->n = n;
	*have_n = true;
	return 0;
}

static int timeline_load(struct json_object *report, struct timeline *t, bool rates, char *why,
			 size_t whylen)
{
	bool have_n = false;
	int r;

	memset(t, 0, sizeof(*t));
	if (!vms_hj_object(report, "/profile/timeline"))
		return absent(why, whylen, "profile.timeline");
	r = time_unit(report, &t->refs_time, why, whylen);
	if (r < 0)
		return r;
	if (!vms_hj_num(report, "/profile/timeline/bucket", &t->bucket))
		return absent(why, whylen, "profile.timeline.bucket");
	if (!(t->bucket > 0) || !isfinite(t->bucket))
		return malformed(why, whylen, "profile.timeline.bucket", "is not a positive number");
	if (!rates)
		return timeline_series(report, t, "wss_pages", &have_n, &t->wss, why, whylen);
	r = timeline_series(report, t, "faults", &have_n, &t->faults, why, whylen);
	if (!r)
		r = timeline_series(report, t, "swap_ins", &have_n, &t->swap_ins, why, whylen);
	if (!r)
		r = timeline_series(report, t, "evictions", &have_n, &t->evictions, why, whylen);
	/* refs is optional: it only tells how long the last bucket of virtual
	 * time was. */
	if (!r && vms_hj_get(report, "/profile/timeline/refs") &&
	    timeline_series(report, t, "refs", &have_n, &t->refs, why, whylen) < 0) {
		free(t->refs);
		t->refs = NULL;
	}
	return r;
}

static int timeline_check(const struct timeline *t, char *why, size_t whylen)
{
	if (t->n == 0)
		return malformed(why, whylen, "profile.timeline", "has no buckets");
	return 0;
}

/* Bucket i's midpoint. */
static double bucket_mid(const struct timeline *t, size_t i)
{
	return ((double)i + 0.5) * t->bucket;
}

/* How long bucket i lasted: a full bucket, but the last one only up to the
 * end of the run (wall time; or references in virtual time). */
static double bucket_width(const struct timeline *t, struct json_object *report, size_t i)
{
	double total = -1, w;

	if (i + 1 < t->n)
		return t->bucket;
	if (t->refs_time && t->refs) {
		total = 0;
		for (size_t k = 0; k < t->n; k++)
			total += t->refs[k];
	} else if (!t->refs_time) {
		total = vms_hj_num_or(report, "/time/wall_s", -1);
	}
	w = total - (double)(t->n - 1) * t->bucket;
	if (!(w > 0) || w > t->bucket)
		return t->bucket;
	/* A last bucket a hundredth of the others' width would turn a couple
	 * of faults into a spike; no shorter than that. */
	return w < t->bucket / 100 ? t->bucket / 100 : w;
}

static double max_of(const double *v, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

int vms_html_plot_wss(FILE *out, struct json_object *report, char *why, size_t whylen)
{
	struct timeline t;
	double budget = budget_frames(report), ymax, *x;
	struct vms_svg_plot p;
	struct vms_svg_key keys[2];
	char label[160], n1[32];
	size_t nk = 0;
	int r;

	r = timeline_load(report, &t, false, why, whylen);
	if (!r)
		r = timeline_check(&t, why, whylen);
	if (r < 0) {
		timeline_free(&t);
		return r;
	}
	x = calloc(t.n, sizeof(*x));
	if (!x) {
		timeline_free(&t);
		return -ENOMEM;
	}
	for (size_t i = 0; i < t.n; i++)
		x[i] = bucket_mid(&t, i);
	ymax = max_of(t.wss, t.n);
	if (budget > ymax)
		ymax = budget;
	p = (struct vms_svg_plot){
		.out = out,
		.x = { 0, (double)t.n * t.bucket, PLOT_LEFT, PLOT_RIGHT },
		.y = { 0, ymax > 0 ? ymax * 1.08 : 1, PLOT_TOP + PLOT_HEIGHT, PLOT_TOP },
	};
	snprintf(label, sizeof(label), "Working set over time: distinct pages referenced per "
		 "bucket of %g %s, at most %s pages", t.bucket, t.refs_time ? "references" : "s",
		 vms_html_count(n1, sizeof(n1), max_of(t.wss, t.n)));
	vms_svg_open(out, "vms-wss", WIDTH, (int)(PLOT_TOP + PLOT_HEIGHT + AXIS_ROOM),
		     "Working set over time", label);
	vms_svg_axes(&p, time_title(t.refs_time), "pages");
	keys[nk++] = (struct vms_svg_key){ "working set W(t, bucket)", vms_svg_colours[0], NULL,
					   false };
	if (budget > 0) {
		snprintf(label, sizeof(label), "budget: %s frames",
			 vms_html_count(n1, sizeof(n1), budget));
		vms_svg_hline(&p, budget, vms_svg_colours[2], "6 4", label, "budget");
		keys[nk++] = (struct vms_svg_key){ "budget (frames)", vms_svg_colours[2], "6 4",
						   false };
	}
	vms_svg_polyline(&p, x, t.wss, t.n, vms_svg_colours[0], 2, NULL, "series wss");
	vms_svg_legend(out, PLOT_RIGHT - 8, PLOT_TOP + 24, keys, nk);
	vms_svg_close(out);
	free(x);
	timeline_free(&t);
	return 0;
}

int vms_html_plot_faultrate(FILE *out, struct json_object *report, char *why, size_t whylen)
{
	struct timeline t;
	struct vms_svg_plot p;
	double *x, *rate[3], ymax = 0;
	const double *counts[3];
	static const char *const names[3] = { "faults", "swap-ins", "evictions" };
	static const char *const dashes[3] = { NULL, NULL, "5 3" };
	struct vms_svg_key keys[3];
	char label[200];
	int r;

	r = timeline_load(report, &t, true, why, whylen);
	if (!r)
		r = timeline_check(&t, why, whylen);
	if (r < 0) {
		timeline_free(&t);
		return r;
	}
	counts[0] = t.faults;
	counts[1] = t.swap_ins;
	counts[2] = t.evictions;
	x = calloc(t.n, sizeof(*x));
	rate[0] = calloc(t.n, sizeof(double));
	rate[1] = calloc(t.n, sizeof(double));
	rate[2] = calloc(t.n, sizeof(double));
	if (!x || !rate[0] || !rate[1] || !rate[2]) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < t.n; i++) {
		double w = bucket_width(&t, report, i);

		x[i] = bucket_mid(&t, i);
		for (int s = 0; s < 3; s++) {
			rate[s][i] = counts[s][i] / w;
			if (rate[s][i] > ymax)
				ymax = rate[s][i];
		}
	}
	p = (struct vms_svg_plot){
		.out = out,
		.x = { 0, (double)t.n * t.bucket, PLOT_LEFT, PLOT_RIGHT },
		.y = { 0, ymax > 0 ? ymax * 1.08 : 1, PLOT_TOP + PLOT_HEIGHT, PLOT_TOP },
	};
	snprintf(label, sizeof(label), "Fault rate over time: faults, swap-ins and evictions "
		 "per %s, in buckets of %g %s", t.refs_time ? "reference" : "second", t.bucket,
		 t.refs_time ? "references" : "s");
	vms_svg_open(out, "vms-faultrate", WIDTH, (int)(PLOT_TOP + PLOT_HEIGHT + AXIS_ROOM),
		     "Fault rate over time", label);
	vms_svg_axes(&p, time_title(t.refs_time), t.refs_time ? "per reference" : "per second");
	/* Evictions last and dashed: at a full budget they track the faults
	 * exactly, and both lines must stay visible. */
	for (int s = 0; s < 3; s++)
		vms_svg_polyline(&p, x, rate[s], t.n, vms_svg_colours[s], s == 0 ? 2 : 1.5,
				 dashes[s], s == 0 ? "series faults" : s == 1 ? "series swap-ins"
									: "series evictions");
	for (int s = 0; s < 3; s++)
		keys[s] = (struct vms_svg_key){ names[s], vms_svg_colours[s], dashes[s], false };
	vms_svg_legend(out, PLOT_RIGHT - 8, PLOT_TOP + 8, keys, 3);
	vms_svg_close(out);
out:
	free(x);
	for (int s = 0; s < 3; s++)
		free(rate[s]);
	timeline_free(&t);
	return r;
}

/* ---- miss-ratio curve ---- */

struct curve {
	const char *name;
	double *frames, *faults;
	size_t n;
};

static int curve_load(struct json_object *o, const char *name, struct curve *c, char *why,
		      size_t whylen)
{
	char n1[96], n2[96];
	size_t nf;
	int r;

	snprintf(n1, sizeof(n1), "%s.frames", name);
	snprintf(n2, sizeof(n2), "%s.faults", name);
	r = vms_hj_numbers(o, "/frames", n1, &c->frames, &c->n, why, whylen);
	if (r < 0)
		return r;
	r = vms_hj_numbers(o, "/faults", n2, &c->faults, &nf, why, whylen);
	if (r < 0)
		return r;
	if (nf != c->n) {
		snprintf(why, whylen, "%s has %zu frame counts but %zu fault counts", name, c->n, nf);
		return -EINVAL;
	}
	for (size_t i = 1; i < c->n; i++)
		if (!(c->frames[i] > c->frames[i - 1])) {
			snprintf(why, whylen, "%s.frames is not ascending at [%zu]", name, i);
			return -EINVAL;
		}
	return 0;
}

static void curves_free(struct curve *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].frames);
		free(c[i].faults);
	}
	free(c);
}

int vms_html_plot_mrc(FILE *out, struct json_object *report, char *why, size_t whylen)
{
	struct json_object *mrc = vms_hj_object(report, "/profile/mrc"), *lru, *pols, *knee;
	size_t npol = 0, nc, nk = 0;
	struct curve *c;
	struct vms_svg_plot p;
	struct vms_svg_key keys[VMS_SVG_NR_COLOURS + 4];
	double xmax = 1, ymax = 1, budget, cold, kf = 0, kn = 0;
	char label[256], a[32], b[32], names[VMS_SVG_NR_COLOURS][80];
	const char *run_policy;
	int r = 0;

	if (!mrc)
		return absent(why, whylen, "profile.mrc");
	lru = vms_hj_object(mrc, "/lru");
	if (!lru)
		return absent(why, whylen, "profile.mrc.lru");
	pols = vms_hj_array(mrc, "/policies", &npol);
	/* Colour 0 is LRU's; the policies take the others, as many as there
	 * are colours left (the report lists fewer). */
	if (npol > VMS_SVG_NR_COLOURS - 1)
		npol = VMS_SVG_NR_COLOURS - 1;
	c = calloc(1 + npol, sizeof(*c));
	if (!c)
		return -ENOMEM;
	nc = 1 + npol;
	c[0].name = "LRU (exact)";
	r = curve_load(lru, "profile.mrc.lru", &c[0], why, whylen);
	if (!r && c[0].n == 0)
		r = malformed(why, whylen, "profile.mrc.lru", "has no points");
	for (size_t i = 0; !r && i < npol; i++) {
		struct json_object *po = json_object_array_get_idx(pols, i);
		char name[64];

		snprintf(name, sizeof(name), "profile.mrc.policies[%zu]", i);
		c[1 + i].name = vms_hj_str(po, "/policy");
		if (!c[1 + i].name) {
			r = malformed(why, whylen, name, "has no policy name");
			break;
		}
		r = curve_load(po, name, &c[1 + i], why, whylen);
	}
	if (r < 0) {
		curves_free(c, nc);
		return r;
	}
	budget = vms_hj_num_or(mrc, "/budget_frames", -1);
	cold = vms_hj_num_or(mrc, "/cold_misses", -1);
	knee = vms_hj_object(mrc, "/knee");
	if (knee && !(vms_hj_num(knee, "/frames", &kf) && vms_hj_num(knee, "/faults", &kn)))
		knee = NULL;
	for (size_t i = 0; i < nc; i++) {
		xmax = fmax(xmax, max_of(c[i].frames, c[i].n));
		ymax = fmax(ymax, max_of(c[i].faults, c[i].n));
	}
	if (budget > 0 && budget > xmax)
		xmax = budget;
	p = (struct vms_svg_plot){
		.out = out,
		.x = { 0, xmax * 1.02, PLOT_LEFT, PLOT_RIGHT },
		.y = { 0, ymax * 1.08, PLOT_TOP + PLOT_HEIGHT + 60, PLOT_TOP },
	};
	snprintf(label, sizeof(label), "Miss-ratio curve: faults against frames for LRU (%zu "
		 "points)%s%s", c[0].n, npol ? " and " : "", npol ? "other policies" : "");
	if (knee)
		snprintf(label + strlen(label), sizeof(label) - strlen(label), "; knee at %s frames",
			 vms_html_count(a, sizeof(a), kf));
	vms_svg_open(out, "vms-mrc", WIDTH, (int)(PLOT_TOP + PLOT_HEIGHT + 60 + AXIS_ROOM),
		     "Miss-ratio curve", label);
	vms_svg_axes(&p, "frames (budget)", "faults");
	if (cold >= 0) {
		snprintf(label, sizeof(label), "cold misses: %s", vms_html_count(a, sizeof(a), cold));
		vms_svg_hline(&p, cold, "#777777", "2 3", label, "cold");
	}
	if (budget > 0) {
		snprintf(label, sizeof(label), "budget: %s frames",
			 vms_html_count(a, sizeof(a), budget));
		vms_svg_vline(&p, budget, vms_svg_colours[2], "6 4", label, "budget");
	}
	vms_svg_polyline(&p, c[0].frames, c[0].faults, c[0].n, vms_svg_colours[0], 2, NULL,
			 "series lru");
	keys[nk++] = (struct vms_svg_key){ c[0].name, vms_svg_colours[0], NULL, false };
	run_policy = vms_hj_str(mrc, "/run_policy");
	for (size_t i = 1; i < nc; i++) {
		/* Colour 2 is the budget's. */
		const char *colour = vms_svg_colours[i < 2 ? i : i + 1 < VMS_SVG_NR_COLOURS
								     ? i + 1 : i];

		vms_svg_polyline(&p, c[i].frames, c[i].faults, c[i].n, colour, 1.2, "4 3",
				 "series policy");
		vms_svg_points(&p, c[i].frames, c[i].faults, c[i].n, colour, c[i].name, "frames",
			       "faults");
		if (run_policy && strcmp(run_policy, c[i].name) == 0) {
			snprintf(names[i], sizeof(names[i]), "%s (this run's policy)", c[i].name);
			keys[nk++] = (struct vms_svg_key){ names[i], colour, NULL, true };
		} else {
			keys[nk++] = (struct vms_svg_key){ c[i].name, colour, NULL, true };
		}
	}
	if (budget > 0)
		keys[nk++] = (struct vms_svg_key){ "the run's budget", vms_svg_colours[2], "6 4",
						   false };
	if (knee) {
		fprintf(out, "<g class=\"knee\"><circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" "
			"stroke=\"#000\" stroke-width=\"2\"><title>", vms_svg_px(&p.x, kf),
			vms_svg_px(&p.y, kn));
		vms_html_textf(out, "knee: %s frames, %s faults", vms_html_count(a, sizeof(a), kf),
			       vms_html_count(b, sizeof(b), kn));
		/* The label on the side of the plot with room for it. */
		if (vms_svg_px(&p.x, kf) > (PLOT_LEFT + PLOT_RIGHT) / 2)
			fprintf(out, "</title></circle><text class=\"ref-label\" x=\"%.1f\" "
				"y=\"%.1f\" text-anchor=\"end\">", vms_svg_px(&p.x, kf) - 10,
				vms_svg_px(&p.y, kn) - 10);
		else
			fprintf(out, "</title></circle><text class=\"ref-label\" x=\"%.1f\" "
				"y=\"%.1f\">", vms_svg_px(&p.x, kf) + 10, vms_svg_px(&p.y, kn) - 10);
		vms_html_textf(out, "knee: %s frames", vms_html_count(a, sizeof(a), kf));
		fputs("</text></g>\n", out);
		keys[nk++] = (struct vms_svg_key){ "knee", "#000000", NULL, true };
	}
	vms_svg_legend(out, PLOT_RIGHT - 8, PLOT_TOP + 24, keys, nk);
	vms_svg_close(out);
	curves_free(c, nc);
	return 0;
}

/* ---- page heatmap ---- */

struct heat_row {
	double pid, pages;
	const char *start, *end, *label;
};

struct heatmap {
	size_t rows, columns;
	double bucket;
	struct heat_row *row;
	double *count;          /* rows x columns */
	double max;
	size_t nonzero;
};

static void heatmap_free(struct heatmap *h)
{
	free(h->row);
	free(h->count);
}

static int heatmap_load(struct json_object *report, struct heatmap *h, char *why, size_t whylen)
{
	struct json_object *hm = vms_hj_object(report, "/profile/heatmap"), *rows, *counts;
	size_t nrows, ncounts;
	double cols;

	memset(h, 0, sizeof(*h));
	if (!hm)
		return absent(why, whylen, "profile.heatmap");
	if (!vms_hj_num(hm, "/columns", &cols) || !(cols >= 1) || cols != floor(cols) || cols > 1e6)
		return malformed(why, whylen, "profile.heatmap.columns", "is not a positive integer");
	if (!vms_hj_num(hm, "/bucket", &h->bucket) || !(h->bucket > 0) || !isfinite(h->bucket))
		return malformed(why, whylen, "profile.heatmap.bucket", "is not a positive number");
	rows = vms_hj_array(hm, "/rows", &nrows);
	counts = vms_hj_array(hm, "/counts", &ncounts);
	if (!rows)
		return malformed(why, whylen, "profile.heatmap.rows", "is not an array");
	if (!counts)
		return malformed(why, whylen, "profile.heatmap.counts", "is not an array");
	if (nrows != ncounts) {
		snprintf(why, whylen, "profile.heatmap has %zu rows but %zu rows of counts", nrows,
			 ncounts);
		return -EINVAL;
	}
	if (nrows == 0)
		return malformed(why, whylen, "profile.heatmap", "has no rows (no references)");
	h->rows = nrows;
	h->columns = (size_t)cols;
	if (h->rows * h->columns > HEAT_MAX_CELLS) {
		snprintf(why, whylen, "profile.heatmap has %zu x %zu cells, more than a page can "
			 "show (%u)", h->rows, h->columns, HEAT_MAX_CELLS);
		return -EINVAL;
	}
	h->row = calloc(h->rows, sizeof(*h->row));
	h->count = calloc(h->rows * h->columns, sizeof(*h->count));
	if (!h->row || !h->count)
		return -ENOMEM;
	for (size_t i = 0; i < h->rows; i++) {
		struct json_object *ro = json_object_array_get_idx(rows, i);
		struct heat_row *hr = &h->row[i];
		struct json_object *cr = json_object_array_get_idx(counts, i);
		char name[64];

		snprintf(name, sizeof(name), "profile.heatmap.rows[%zu]", i);
		hr->start = vms_hj_str(ro, "/start");
		hr->end = vms_hj_str(ro, "/end");
		hr->label = vms_hj_str(ro, "/label");
		if (!vms_hj_num(ro, "/pid", &hr->pid) || !hr->start || !hr->end)
			return malformed(why, whylen, name, "lacks pid, start or end");
		hr->pages = vms_hj_num_or(ro, "/pages", -1);
		if (!cr || !json_object_is_type(cr, json_type_array) ||
		    json_object_array_length(cr) != h->columns) {
			snprintf(why, whylen, "profile.heatmap.counts[%zu] is not an array of %zu "
				 "numbers (heatmap.columns)", i, h->columns);
			return -EINVAL;
		}
		for (size_t j = 0; j < h->columns; j++) {
			struct json_object *e = json_object_array_get_idx(cr, j);
			double v;

			if (!vms_hj_is_num(e) || !((v = json_object_get_double(e)) >= 0)) {
				snprintf(why, whylen, "profile.heatmap.counts[%zu][%zu] is not a "
					 "count", i, j);
				return -EINVAL;
			}
			h->count[i * h->columns + j] = v;
			if (v > h->max)
				h->max = v;
			h->nonzero += v > 0;
		}
	}
	return 0;
}

/* Columns merged in pairs (counts added, the bucket doubled) until the
 * picture has at most HEAT_DRAWN_CELLS cells: a browser draws a few
 * hundred thousand rectangles, not millions, and a pixel column of the
 * page holds no more detail anyway. */
static void heatmap_merge_columns(struct heatmap *h)
{
	while (h->rows * h->columns > HEAT_DRAWN_CELLS && h->columns > HEAT_MIN_COLUMNS) {
		size_t cols = (h->columns + 1) / 2;

		h->max = 0;
		h->nonzero = 0;
		for (size_t i = 0; i < h->rows; i++)
			for (size_t j = 0; j < cols; j++) {
				const double *src = &h->count[i * h->columns + 2 * j];
				double v = src[0] + (2 * j + 1 < h->columns ? src[1] : 0);

				/* In place: row i's new cells end before its old ones start
				 * being read (i * cols + j <= i * columns + 2j). */
				h->count[i * cols + j] = v;
				if (v > h->max)
					h->max = v;
				h->nonzero += v > 0;
			}
		h->columns = cols;
		h->bucket *= 2;
	}
}

/* "1 [heap] 0x55d0c000-0x55d0e000", the label shortened to fit; a label
 * that already names the band's start address is not followed by it. */
static void row_label(const struct heat_row *r, char *buf, size_t len)
{
	const char *label = r->label ? r->label : "";
	int room = HEAT_LABEL_CHARS - (int)(strlen(r->start) + strlen(r->end) + 12);

	if (strstr(label, r->start)) {
		snprintf(buf, len, "%.0f %.*s", r->pid, HEAT_LABEL_CHARS - 8, label);
		return;
	}
	if (room < 8)
		room = 8;
	if ((int)strlen(label) > room)
		snprintf(buf, len, "%.0f %.*s... %s-%s", r->pid, room - 3, label, r->start, r->end);
	else
		snprintf(buf, len, "%.0f %s %s-%s", r->pid, label, r->start, r->end);
}

static void heatmap_draw(FILE *out, const struct heatmap *h, bool refs_time)
{
	double rh = HEAT_HEIGHT_AIM / (double)h->rows;
	double cw = (PLOT_RIGHT - HEAT_LEFT) / (double)h->columns, height, lmax, font;
	size_t label_every;
	bool titled = h->nonzero <= HEAT_TITLED_CELLS;
	struct vms_svg_plot p;
	char label[512], n1[32], n2[32], colour[8];

	if (rh > HEAT_ROW_MAX)
		rh = HEAT_ROW_MAX;
	if (rh < HEAT_ROW_MIN)
		rh = HEAT_ROW_MIN;
	height = rh * (double)h->rows;
	/* A label needs about 11 px: with thinner rows, label every kth row
	 * (in the full font: the labels are that far apart). */
	label_every = rh >= 11 ? 1 : (size_t)ceil(11 / rh);
	font = label_every > 1 ? 10 : rh - 1;
	lmax = log1p(h->max);
	p = (struct vms_svg_plot){
		.out = out,
		.x = { 0, (double)h->columns * h->bucket, HEAT_LEFT, PLOT_RIGHT },
		.y = { 0, (double)h->rows, PLOT_TOP + height, PLOT_TOP },
	};
	snprintf(label, sizeof(label), "Page heatmap: %zu address bands by %zu time columns of "
		 "%g %s; %s cells referenced, at most %s references in one",
		 h->rows, h->columns, h->bucket, refs_time ? "references" : "s",
		 vms_html_count(n1, sizeof(n1), (double)h->nonzero),
		 vms_html_count(n2, sizeof(n2), h->max));
	vms_svg_open(out, "vms-heatmap", WIDTH, (int)(PLOT_TOP + height + AXIS_ROOM + 40),
		     "Page heatmap", label);
	fprintf(out, "<rect class=\"heat-bg\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"/>\n", HEAT_LEFT, PLOT_TOP, PLOT_RIGHT - HEAT_LEFT, height);
	fputs("<g class=\"rows\">\n", out);
	for (size_t i = 0; i < h->rows; i++) {
		if (i % label_every)
			continue;
		row_label(&h->row[i], label, sizeof(label));
		fprintf(out, "<text class=\"row-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
			"font-size=\"%.0f\">", HEAT_LEFT - 6,
			PLOT_TOP + rh * ((double)i + 0.5) + font * 0.35, font);
		vms_html_text(out, label);
		fputs("<title>", out);
		vms_html_textf(out, "pid %.0f %s %s-%s (%s pages)", h->row[i].pid,
			       h->row[i].label ? h->row[i].label : "", h->row[i].start,
			       h->row[i].end, h->row[i].pages >= 0 ?
			       vms_html_count(n1, sizeof(n1), h->row[i].pages) : "?");
		fputs("</title></text>\n", out);
	}
	fputs("</g>\n<g class=\"cells\" shape-rendering=\"crispEdges\">\n", out);
	for (size_t i = 0; i < h->rows; i++)
		for (size_t j = 0; j < h->columns; j++) {
			double v = h->count[i * h->columns + j];

			if (v <= 0)
				continue;
			vms_svg_heat_colour(lmax > 0 ? log1p(v) / lmax : 1, colour);
			fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
				"fill=\"%s\"", HEAT_LEFT + cw * (double)j, PLOT_TOP + rh * (double)i,
				cw, rh, colour);
			if (!titled) {
				fputs("/>\n", out);
				continue;
			}
			fputs("><title>", out);
			vms_html_textf(out, "%.0f %s %s: %s references in [%g, %g) %s", h->row[i].pid,
				       h->row[i].label ? h->row[i].label : "", h->row[i].start,
				       vms_html_count(n1, sizeof(n1), v), h->bucket * (double)j,
				       h->bucket * (double)(j + 1), refs_time ? "refs" : "s");
			fputs("</title></rect>\n", out);
		}
	fputs("</g>\n", out);
	fprintf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"/>\n", HEAT_LEFT, PLOT_TOP, PLOT_RIGHT - HEAT_LEFT, height);
	vms_svg_x_axis(&p, time_title(refs_time));
	vms_svg_heat_scale(out, PLOT_RIGHT - 260, PLOT_TOP + height + AXIS_ROOM + 8, 260, 10,
			   h->max, "references per cell (log scale)");
	vms_svg_close(out);
}

int vms_html_plot_heatmap(FILE *out, struct json_object *report, char *why, size_t whylen)
{
	struct heatmap h;
	bool refs_time;
	int r;

	r = time_unit(report, &refs_time, why, whylen);
	if (!r)
		r = heatmap_load(report, &h, why, whylen);
	else
		memset(&h, 0, sizeof(h));
	if (!r) {
		heatmap_merge_columns(&h);
		heatmap_draw(out, &h, refs_time);
	}
	heatmap_free(&h);
	return r;
}
