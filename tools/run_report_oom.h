/* SPDX-License-Identifier: MIT */
/* The report's "oom" section and summary lines (docs/report.md, docs/oom.md). */
#ifndef VMS_RUN_REPORT_OOM_H
#define VMS_RUN_REPORT_OOM_H

#include <stdbool.h>
#include <stdio.h>

#include "json.h"
#include "run.h"

/* The program itself was the victim of an OOM kill. */
bool vms_report_oom_killed_program(const struct vms_pager *pg);
void vms_report_oom_summary(FILE *out, const struct vms_pager *pg);
void vms_report_oom_json(struct vms_json *j, const struct vms_pager *pg);

#endif
