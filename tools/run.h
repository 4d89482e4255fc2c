/* SPDX-License-Identifier: MIT */
#ifndef VMS_RUN_H
#define VMS_RUN_H

#include "pager.h"
#include "run_options.h"

/* `vmsandbox [OPTIONS] PROGRAM [ARGS]` after parsing and the program checks:
 * runs it and returns vmsandbox's exit status. */
int vms_run_main(struct vms_run_options *opts);

/* The summary (like time -v) and the JSON report (docs/report.md). */
void vms_run_report_summary(const struct vms_pager *pg, const struct vms_run_options *opts,
			    FILE *out);
int vms_run_report_json(const struct vms_pager *pg, const struct vms_run_options *opts,
			const char *path);
/* The same report on an open stream (e.g. a memstream for --html). */
int vms_run_report_json_file(const struct vms_pager *pg, const struct vms_run_options *opts,
			     FILE *out);
/* --html: the report rendered as the HTML page; 0 or -errno, with why. */
int vms_run_report_html(const struct vms_pager *pg, const struct vms_run_options *opts,
			const char *path, char *why, size_t whylen);
/* n with thousands separated by commas, as the summary prints counts. */
const char *vms_report_grouped(uint64_t n, char *buf, size_t len);
/* The program's wait status as a shell's $?: the exit code, or 128+signal. */
int vms_run_exit_status(int wait_status);

#endif
