/* SPDX-License-Identifier: MIT */
#ifndef VMS_RUN_REPORT_ATTRIB_H
#define VMS_RUN_REPORT_ATTRIB_H

#include <stdio.h>

#include "json.h"
#include "run.h"

/*
 * The profile's attribution (src/pager/attrib.h), written inside the
 * report's `profile` object: the keys `regions`, `regions_omitted` and
 * `code` (docs/profiling.md, "Attribution").  Nothing without --profile.
 */
void vms_report_attrib_json(struct vms_json *j, const struct vms_pager *pg);
/* The summary's lines: the top 3 regions and code locations by faults. */
void vms_report_attrib_summary(FILE *out, const struct vms_pager *pg);

#endif
