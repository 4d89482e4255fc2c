/* SPDX-License-Identifier: MIT */
#ifndef VMS_RUN_REPORT_ATTRIB_H
#define VMS_RUN_REPORT_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "run.h"

/*
 * The profile's attribution (src/pager/attrib.h), written inside the
 * report's `profile` object: the keys `regions`, `regions_omitted` and
 * `code` (docs/profiling.md, "Attribution").  Nothing without --profile.
 */
void vms_report_attrib_json(struct vms_json *j, const struct vms_pager *pg);
/* The label of the region of process as_id (the trace's numbering) that
 * overlaps [start, end) the most, as in `regions[]`, with its command name
 * and how many other regions the range touches; false if none does. */
bool vms_report_region_label(const struct vms_pager *pg, uint32_t as_id, uint64_t start,
			     uint64_t end, char *buf, size_t len);
/* The summary's lines: the top 3 regions and code locations by faults. */
void vms_report_attrib_summary(FILE *out, const struct vms_pager *pg);

#endif
