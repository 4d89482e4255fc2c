/* SPDX-License-Identifier: MIT */
/*
 * The four pictures of a report's `profile` (docs/profiling.md, "The HTML
 * report"): the page heatmap, the working set over time, the fault rate over
 * time and the miss-ratio curve, each one inline <svg>.  A picture reads and
 * checks all its data before it writes a byte, so that a report with a
 * field missing or malformed gets a sentence saying which, never half an SVG.
 */
#ifndef VMS_HTML_PLOTS_H
#define VMS_HTML_PLOTS_H

#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

/* Each: 0 when drawn; else -ENODATA (the data are not in the report) or
 * -EINVAL (they are malformed) with why, or -ENOMEM.  report is the whole
 * report (some pictures use its budget and run time). */
int vms_html_plot_heatmap(FILE *out, struct json_object *report, char *why, size_t whylen);
int vms_html_plot_wss(FILE *out, struct json_object *report, char *why, size_t whylen);
int vms_html_plot_faultrate(FILE *out, struct json_object *report, char *why, size_t whylen);
int vms_html_plot_mrc(FILE *out, struct json_object *report, char *why, size_t whylen);

#endif
