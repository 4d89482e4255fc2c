/* SPDX-License-Identifier: MIT */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "html_out.h"
#include "html_svg.h"

const char *const vms_svg_colours[VMS_SVG_NR_COLOURS] = {
	"#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
	"#76b7b2", "#edc948", "#ff9da7", "#9c755f", "#bab0ac",
};

double vms_svg_px(const struct vms_svg_axis *a, double v)
{
	if (!(a->hi > a->lo))
		return (a->px_lo + a->px_hi) / 2;
	return a->px_lo + (v - a->lo) / (a->hi - a->lo) * (a->px_hi - a->px_lo);
}

size_t vms_svg_ticks(double lo, double hi, size_t want, double *ret, size_t max,
		     double *ret_step)
{
	double raw, mag, norm, step, first;
	size_t n = 0;

	if (!isfinite(lo) || !isfinite(hi) || want == 0 || max == 0)
		return 0;
	if (!(hi > lo)) {
		ret[0] = lo;
		*ret_step = 1;
		return 1;
	}
	raw = (hi - lo) / (double)want;
	mag = pow(10, floor(log10(raw)));
	norm = raw / mag;
	step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
	first = ceil(lo / step - 1e-9) * step;
	for (double v = first; v <= hi + step * 1e-9 && n < max; v = first + step * (double)n)
		ret[n++] = fabs(v) < step * 1e-9 ? 0 : v;
	*ret_step = step;
	return n;
}

/* Decimals that show step exactly (0.25 -> 2, 5 -> 0), at most 6. */
static int decimals_for(double step)
{
	for (int d = 0; d < 6; d++) {
		double s = step * pow(10, d);

		if (fabs(s - round(s)) < 1e-6 * s)
			return d;
	}
	return 6;
}

const char *vms_svg_tick_label(char *buf, size_t len, double v, double step)
{
	static const struct { double div; const char *suffix; } si[] = {
		{ 1e9, "G" }, { 1e6, "M" }, { 1e3, "k" },
	};

	for (size_t i = 0; i < sizeof(si) / sizeof(si[0]); i++)
		if (fabs(v) >= 1e4 && fabs(v) >= si[i].div) {
			snprintf(buf, len, "%.*f%s", decimals_for(step / si[i].div), v / si[i].div,
				 si[i].suffix);
			return buf;
		}
	snprintf(buf, len, "%.*f", decimals_for(step), v);
	return buf;
}

void vms_svg_open(FILE *out, const char *cls, int width, int height, const char *title,
		  const char *label)
{
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"vms-plot %s\" role=\"img\" "
		"viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" aria-label=\"", cls, width, height,
		width, height);
	vms_html_text(out, label);
	fputs("\">\n<title>", out);
	vms_html_text(out, title);
	fputs("</title>\n", out);
}

void vms_svg_close(FILE *out)
{
	fputs("</svg>\n", out);
}

void vms_svg_x_axis(const struct vms_svg_plot *p, const char *title)
{
	double ticks[32], step, bottom = p->y.px_lo;
	char label[32];
	size_t n = vms_svg_ticks(p->x.lo, p->x.hi, 8, ticks, 32, &step);

	fputs("<g class=\"x-axis\">\n", p->out);
	for (size_t i = 0; i < n; i++) {
		double x = vms_svg_px(&p->x, ticks[i]);

		fprintf(p->out, "<line class=\"tickmark\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\"/>", x, bottom, x, bottom + 5);
		fprintf(p->out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
			"</text>\n", x, bottom + 18, vms_svg_tick_label(label, sizeof(label),
									 ticks[i], step));
	}
	fprintf(p->out, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" "
		"text-anchor=\"middle\">", (p->x.px_lo + p->x.px_hi) / 2, bottom + 38);
	vms_html_text(p->out, title);
	fputs("</text>\n</g>\n", p->out);
}

void vms_svg_axes(const struct vms_svg_plot *p, const char *x_title, const char *y_title)
{
	double ticks[32], step;
	double left = p->x.px_lo, right = p->x.px_hi, bottom = p->y.px_lo, top = p->y.px_hi;
	char label[32];
	size_t n = vms_svg_ticks(p->y.lo, p->y.hi, 6, ticks, 32, &step);

	fputs("<g class=\"y-axis\">\n", p->out);
	for (size_t i = 0; i < n; i++) {
		double y = vms_svg_px(&p->y, ticks[i]);

		fprintf(p->out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\"/>", left, y, right, y);
		fprintf(p->out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s"
			"</text>\n", left - 6, y + 4, vms_svg_tick_label(label, sizeof(label),
									  ticks[i], step));
	}
	fprintf(p->out, "<text class=\"axis-title\" transform=\"translate(%.1f %.1f) "
		"rotate(-90)\" text-anchor=\"middle\">", left - 58, (top + bottom) / 2);
	vms_html_text(p->out, y_title);
	fputs("</text>\n</g>\n", p->out);
	vms_svg_x_axis(p, x_title);
	fprintf(p->out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"%.1f\"/>\n", left, top, right - left, bottom - top);
}

static void put_point(FILE *out, const struct vms_svg_plot *p, double x, double y)
{
	fprintf(out, "%.1f,%.1f ", vms_svg_px(&p->x, x), vms_svg_px(&p->y, y));
}

void vms_svg_polyline(const struct vms_svg_plot *p, const double *x, const double *y, size_t n,
		      const char *colour, double width, const char *dash, const char *cls)
{
	size_t i = 0;

	if (n == 0)
		return;
	fprintf(p->out, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\"",
		cls, colour, width);
	if (dash)
		fprintf(p->out, " stroke-dasharray=\"%s\"", dash);
	fputs(" stroke-linejoin=\"round\" points=\"", p->out);
	/* Each half-pixel column: its first point, the lowest and highest in
	 * the order they come, its last point. */
	while (i < n) {
		double col = floor(vms_svg_px(&p->x, x[i]) * 2);
		size_t first = i, lo = i, hi = i, last = i;

		while (i < n && floor(vms_svg_px(&p->x, x[i]) * 2) == col) {
			if (y[i] < y[lo])
				lo = i;
			if (y[i] > y[hi])
				hi = i;
			last = i++;
		}
		put_point(p->out, p, x[first], y[first]);
		if (lo < hi) {
			if (lo != first)
				put_point(p->out, p, x[lo], y[lo]);
			if (hi != last)
				put_point(p->out, p, x[hi], y[hi]);
		} else if (hi < lo) {
			if (hi != first)
				put_point(p->out, p, x[hi], y[hi]);
			if (lo != last)
				put_point(p->out, p, x[lo], y[lo]);
		}
		if (last != first)
			put_point(p->out, p, x[last], y[last]);
	}
	fputs("\"/>\n", p->out);
}

void vms_svg_points(const struct vms_svg_plot *p, const double *x, const double *y, size_t n,
		    const char *colour, const char *name, const char *x_unit, const char *y_unit)
{
	char a[32], b[32];

	fprintf(p->out, "<g class=\"points\" fill=\"%s\">\n", colour);
	for (size_t i = 0; i < n; i++) {
		fprintf(p->out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\"><title>",
			vms_svg_px(&p->x, x[i]), vms_svg_px(&p->y, y[i]));
		vms_html_textf(p->out, "%s: %s %s, %s %s", name, vms_html_count(a, sizeof(a), x[i]),
			       x_unit, vms_html_count(b, sizeof(b), y[i]), y_unit);
		fputs("</title></circle>\n", p->out);
	}
	fputs("</g>\n", p->out);
}

static void ref_line(const struct vms_svg_plot *p, double x1, double y1, double x2, double y2,
		     const char *colour, const char *dash, const char *cls)
{
	fprintf(p->out, "<line class=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		"stroke=\"%s\" stroke-width=\"1.5\"", cls, x1, y1, x2, y2, colour);
	if (dash)
		fprintf(p->out, " stroke-dasharray=\"%s\"", dash);
	fputs("/>\n", p->out);
}

void vms_svg_hline(const struct vms_svg_plot *p, double v, const char *colour, const char *dash,
		   const char *label, const char *cls)
{
	double y = vms_svg_px(&p->y, v);

	ref_line(p, p->x.px_lo, y, p->x.px_hi, y, colour, dash, cls);
	/* At the left end: the legend takes the top right corner, and curves
	 * (a miss-ratio curve's knee) tend to reach such a line on the right. */
	fprintf(p->out, "<text class=\"ref-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" "
		"fill=\"%s\">", p->x.px_lo + 6, y - 4, colour);
	vms_html_text(p->out, label);
	fputs("</text>\n", p->out);
}

void vms_svg_vline(const struct vms_svg_plot *p, double v, const char *colour, const char *dash,
		   const char *label, const char *cls)
{
	double x = vms_svg_px(&p->x, v);
	bool right_half = x > (p->x.px_lo + p->x.px_hi) / 2;

	ref_line(p, x, p->y.px_lo, x, p->y.px_hi, colour, dash, cls);
	fprintf(p->out, "<text class=\"ref-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" "
		"fill=\"%s\">", right_half ? x - 4 : x + 4, p->y.px_hi + 14,
		right_half ? "end" : "start", colour);
	vms_html_text(p->out, label);
	fputs("</text>\n", p->out);
}

void vms_svg_legend(FILE *out, double right, double top, const struct vms_svg_key *keys,
		    size_t n)
{
	size_t longest = 0;
	double w, h = 8 + 18.0 * (double)n;

	for (size_t i = 0; i < n; i++)
		if (strlen(keys[i].label) > longest)
			longest = strlen(keys[i].label);
	/* About 6.5 px per character at the legend's 11 px font. */
	w = 40 + 6.5 * (double)longest;
	fprintf(out, "<g class=\"legend\" transform=\"translate(%.1f %.1f)\">\n"
		"<rect class=\"legend-box\" x=\"0\" y=\"0\" width=\"%.1f\" height=\"%.1f\"/>\n",
		right - w, top, w, h);
	for (size_t i = 0; i < n; i++) {
		double y = 16 + 18.0 * (double)i;

		if (keys[i].marker)
			fprintf(out, "<circle cx=\"18\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>", y - 4,
				keys[i].colour);
		else
			fprintf(out, "<line x1=\"6\" y1=\"%.1f\" x2=\"30\" y2=\"%.1f\" stroke=\"%s\" "
				"stroke-width=\"2\"%s%s%s/>", y - 4, y - 4, keys[i].colour,
				keys[i].dash ? " stroke-dasharray=\"" : "",
				keys[i].dash ? keys[i].dash : "", keys[i].dash ? "\"" : "");
		fprintf(out, "<text class=\"legend-text\" x=\"36\" y=\"%.1f\">", y);
		vms_html_text(out, keys[i].label);
		fputs("</text>\n", out);
	}
	fputs("</g>\n", out);
}

/* ColorBrewer YlOrRd, light to dark, without its palest step (which a
 * screen hardly tells from the plot's grey background): a low count stays
 * pale, a hot band stands out. */
static const uint8_t heat[][3] = {
	{ 0xff, 0xed, 0xa0 }, { 0xfe, 0xd9, 0x76 },
	{ 0xfe, 0xb2, 0x4c }, { 0xfd, 0x8d, 0x3c }, { 0xfc, 0x4e, 0x2a },
	{ 0xe3, 0x1a, 0x1c }, { 0xbd, 0x00, 0x26 }, { 0x80, 0x00, 0x26 },
};

void vms_svg_heat_colour(double t, char *ret)
{
	const size_t n = sizeof(heat) / sizeof(heat[0]);
	double pos;
	size_t i;
	uint8_t c[3];

	if (!(t > 0))
		t = 0;
	if (t > 1)
		t = 1;
	pos = t * (double)(n - 1);
	i = (size_t)pos;
	if (i >= n - 1)
		i = n - 2;
	for (int k = 0; k < 3; k++)
		c[k] = (uint8_t)lround(heat[i][k] + (pos - (double)i) *
				       (heat[i + 1][k] - heat[i][k]));
	snprintf(ret, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

void vms_svg_heat_scale(FILE *out, double x, double y, double w, double h, double max,
			const char *title)
{
	const int steps = 64;
	double lmax = log1p(max > 1 ? max : 1);
	char colour[8], label[32];

	fputs("<g class=\"heat-scale\">\n", out);
	for (int i = 0; i < steps; i++) {
		vms_svg_heat_colour((i + 0.5) / steps, colour);
		fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
			"fill=\"%s\"/>", x + w * i / steps, y, w / steps + 0.3, h, colour);
	}
	fputc('\n', out);
	/* 1, 10, 100, ... and the maximum, where the log scale puts them. */
	for (double v = 1; v < max * 0.999; v *= 10) {
		double px = x + w * log1p(v) / lmax;

		if (px > x + w - 40)
			break;
		fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s"
			"</text>", px, y + h + 13, vms_html_count(label, sizeof(label), v));
	}
	fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
		x + w, y + h + 13, vms_html_count(label, sizeof(label), max));
	fprintf(out, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x - 8,
		y + h - 1);
	vms_html_text(out, title);
	fputs("</text>\n</g>\n", out);
}
