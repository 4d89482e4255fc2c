/* SPDX-License-Identifier: MIT */
/* --progress: progress.h.  (Not written yet.) */
#include "progress.h"

int vms_progress_init(struct vms_pager *pg)
{
	(void)pg;
	return 0;
}

uint64_t vms_progress_deadline(const struct vms_pager *pg)
{
	(void)pg;
	return 0;
}

void vms_progress_tick(struct vms_pager *pg, uint64_t now_ns)
{
	(void)pg; (void)now_ns;
}

void vms_progress_finish(struct vms_pager *pg)
{
	(void)pg;
}

void vms_progress_fini(struct vms_pager *pg)
{
	(void)pg;
}
