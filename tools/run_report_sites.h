/* SPDX-License-Identifier: MIT */
#ifndef VMS_RUN_REPORT_SITES_H
#define VMS_RUN_REPORT_SITES_H

#include <stdio.h>

#include "json.h"
#include "run.h"

/* The report's `allocation_sites` object (docs/report.md). */
void vms_report_sites_json(struct vms_json *j, const struct vms_pager *pg);
/* One site as an object: location, accounting, native and Python frames. */
struct vms_site;
void vms_report_site_json(struct vms_json *j, const struct vms_pager *pg, const struct vms_site *s);
/* The summary's lines on allocation sites (none when nothing was captured). */
void vms_report_sites_summary(FILE *out, const struct vms_pager *pg);

#endif
