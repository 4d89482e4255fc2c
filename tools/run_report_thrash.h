/* SPDX-License-Identifier: MIT */
#ifndef VMS_RUN_REPORT_THRASH_H
#define VMS_RUN_REPORT_THRASH_H

#include <stdio.h>

#include "json.h"
#include "run.h"

/* The thrashing verdict: the summary's line and the report's `thrashing`. */
void vms_report_thrash_summary(FILE *out, const struct vms_pager *pg,
			       const struct vms_run_options *opts);
void vms_report_thrash_json(struct vms_json *j, const struct vms_pager *pg,
			    const struct vms_run_options *opts);

#endif
