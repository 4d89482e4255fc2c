/* SPDX-License-Identifier: MIT */
/*
 * Writing text into the HTML report: every string that came from a report
 * (argv, labels, file names) goes through vms_html_text, which escapes
 * markup and replaces what is not valid UTF-8, so that no report can inject
 * markup or produce a page a browser refuses.
 */
#ifndef VMS_HTML_OUT_H
#define VMS_HTML_OUT_H

#include <stdint.h>
#include <stdio.h>

/* s as HTML text (also safe inside a double- or single-quoted attribute);
 * NULL writes nothing. */
void vms_html_text(FILE *out, const char *s);
/* printf, then vms_html_text of the result (at most 4 KiB). */
void vms_html_textf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* v with thousands separators ("12,345"); a non-integer v is rounded. */
const char *vms_html_count(char *buf, size_t len, double v);
/* bytes as "1.5 MiB", "512 KiB", "100 B". */
const char *vms_html_bytes(char *buf, size_t len, double bytes);

#endif
