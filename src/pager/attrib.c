/* SPDX-License-Identifier: MIT */
/* Attribution by region and code location: attrib.h.  (Not written yet.) */
#include "attrib.h"

int vms_attrib_init(struct vms_pager *pg)
{
	(void)pg;
	return 0;
}

void vms_attrib_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
			  const struct vms_ref_result *res)
{
	(void)pg; (void)p; (void)vpn; (void)write; (void)res;
}

void vms_attrib_finish(struct vms_pager *pg)
{
	(void)pg;
}

void vms_attrib_fini(struct vms_pager *pg)
{
	(void)pg;
}
