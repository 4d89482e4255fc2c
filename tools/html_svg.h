/* SPDX-License-Identifier: MIT */
/*
 * The SVG drawing kit of the HTML report: linear axes with "nice" ticks,
 * polylines thinned to what a pixel can show, point markers, reference
 * lines, legends and the heatmap's colour scale.  It knows nothing about
 * reports (html_plots.c does); every text it writes is escaped.
 */
#ifndef VMS_HTML_SVG_H
#define VMS_HTML_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Line colours, distinguishable and readable on white (Tableau 10). */
#define VMS_SVG_NR_COLOURS 10
extern const char *const vms_svg_colours[VMS_SVG_NR_COLOURS];

/* A linear map from data [lo, hi] to pixels [px_lo, px_hi]; a y axis has
 * px_lo at the bottom (the larger pixel coordinate). */
struct vms_svg_axis {
	double lo, hi;
	double px_lo, px_hi;
};

struct vms_svg_plot {
	FILE *out;
	struct vms_svg_axis x, y;
};

double vms_svg_px(const struct vms_svg_axis *a, double v);

/* Up to max tick values in [lo, hi], about `want` of them, at multiples of
 * 1, 2 or 5 times a power of ten; returns how many, *ret_step their step. */
size_t vms_svg_ticks(double lo, double hi, size_t want, double *ret, size_t max,
		     double *ret_step);
/* A tick's label: as many decimals as the step needs; 12k, 1.5M past 10,000. */
const char *vms_svg_tick_label(char *buf, size_t len, double v, double step);

/* <svg class=cls role="img" aria-label=label ...><title>title</title>.
 * The size is the viewBox; the picture scales to the page's width. */
void vms_svg_open(FILE *out, const char *cls, int width, int height, const char *title,
		  const char *label);
void vms_svg_close(FILE *out);

/* The x axis alone: ticks below the plot, their labels, the title. */
void vms_svg_x_axis(const struct vms_svg_plot *p, const char *title);
/* Both axes, the y grid lines and the plot's frame. */
void vms_svg_axes(const struct vms_svg_plot *p, const char *x_title, const char *y_title);

/* A series (x ascending) as one <polyline>, keeping per half pixel column
 * only the first, lowest, highest and last points, so a curve of a million
 * points stays a few thousand.  dash: NULL or a stroke-dasharray. */
void vms_svg_polyline(const struct vms_svg_plot *p, const double *x, const double *y, size_t n,
		      const char *colour, double width, const char *dash, const char *cls);
/* A marker (circle) per point, each with a <title> "name: x, y". */
void vms_svg_points(const struct vms_svg_plot *p, const double *x, const double *y, size_t n,
		    const char *colour, const char *name, const char *x_unit, const char *y_unit);
/* A horizontal (at y = v) or vertical (x = v) line across the plot with a
 * label: at its left end, or at its top on the side with more room. */
void vms_svg_hline(const struct vms_svg_plot *p, double v, const char *colour, const char *dash,
		   const char *label, const char *cls);
void vms_svg_vline(const struct vms_svg_plot *p, double v, const char *colour, const char *dash,
		   const char *label, const char *cls);

struct vms_svg_key {
	const char *label;
	const char *colour;
	const char *dash;       /* NULL: solid */
	bool marker;            /* a circle rather than a line */
};
/* A boxed legend whose top-right corner is at (right, top). */
void vms_svg_legend(FILE *out, double right, double top, const struct vms_svg_key *keys,
		    size_t n);

/* The heatmap's colour for t in [0, 1] (pale yellow to dark red), as
 * "#rrggbb" in ret (8 bytes). */
void vms_svg_heat_colour(double t, char *ret);
/* A horizontal bar of that scale at (x, y), w x h, with labels below it:
 * "1" at the left, max at the right, and the values between on a log scale. */
void vms_svg_heat_scale(FILE *out, double x, double y, double w, double h, double max,
			const char *title);

#endif
