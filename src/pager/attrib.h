/* SPDX-License-Identifier: MIT */
/*
 * Attribution of the profile (--profile): faults, swap-ins, evictions and
 * soft faults by region (heap, each thread's stack, each mapping with the
 * call stack that created it) and by faulting code location (the faulting
 * instruction of each fault, and the call stack of every --stack-period'th
 * fault, symbolized with libdw).  docs/profiling.md.
 */
#ifndef VMSANDBOX_PAGER_ATTRIB_H
#define VMSANDBOX_PAGER_ATTRIB_H

#include "pager.h"

/* At setup, with cfg.profile: 0 or -errno. */
int vms_attrib_init(struct vms_pager *pg);
/* After each reference the engine saw (fault.c: pg->ref_kind says which). */
void vms_attrib_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
			  const struct vms_ref_result *res);
/* At the end of the run, before the report (symbolization). */
void vms_attrib_finish(struct vms_pager *pg);
void vms_attrib_fini(struct vms_pager *pg);

#endif
