/* SPDX-License-Identifier: MIT */
/*
 * The HTML report: one self-contained page (no network, no script, inline
 * SVG and a little CSS) rendered from the JSON report (docs/report.md,
 * docs/profiling.md).  `vmsandbox report FILE --html OUT` and the live
 * run's --html both use it.
 */
#ifndef VMS_HTML_REPORT_H
#define VMS_HTML_REPORT_H

#include <stddef.h>
#include <stdio.h>

/* Renders the report json_text (len bytes, no terminating NUL needed) as
 * HTML on out.  Returns 0, or -EINVAL when the text is not JSON (why: what
 * json-c found wrong and where, "line L, column C (byte N)") or not a
 * vmsandbox report, -EIO when writing failed, -ENOMEM.  Nothing is written
 * to out unless the report could be read. */
int vms_html_render(const char *json_text, size_t len, FILE *out, char *why, size_t whylen);

#endif
