/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "vmsandbox/stats.h"

const struct vms_stat_desc vms_mm_stat_descs[] = {
#define VMS_X_DESC(n, d) { #n, d, offsetof(struct vms_mm_stats, n) },
	VMS_MM_STATS(VMS_X_DESC)
#undef VMS_X_DESC
	{ NULL, NULL, 0 },
};
