/* SPDX-License-Identifier: MIT */
#ifndef VMS_RUN_REPORT_PROFILE_H
#define VMS_RUN_REPORT_PROFILE_H

#include <stdio.h>

#include "json.h"
#include "locality.h"
#include "pager.h"

/* The JSON report's `profile` (null without --profile); loc may be NULL
 * (the analysis did not run). */
void vms_report_profile_json(struct vms_json *j, const struct vms_pager *pg,
			     const struct vms_locality *loc);
/* The summary's miss-ratio curve lines. */
void vms_report_profile_summary(FILE *out, const struct vms_pager *pg,
				const struct vms_locality *loc);

#endif
