/* SPDX-License-Identifier: MIT */
#ifndef VMS_RUN_REPORT_REFS_H
#define VMS_RUN_REPORT_REFS_H

#include <stddef.h>
#include <stdio.h>

#include "json.h"
#include "run.h"

const char *vms_report_ref_mode(const struct vms_pager *pg);
void vms_report_counters_why(const struct vms_pager *pg, char *buf, size_t len);
void vms_report_refs_json(struct vms_json *j, const struct vms_pager *pg,
			  const struct vms_run_options *opts, double wall_s);
void vms_report_refs_summary(FILE *out, const struct vms_pager *pg,
			     const struct vms_run_options *opts, double wall_s);

#endif
