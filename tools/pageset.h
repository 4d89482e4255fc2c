/* SPDX-License-Identifier: MIT */
/*
 * Sets of pages per process with a value per page and range removal, built
 * on the core's radix page table (the payload holds the value).  The
 * replayer uses it for OPT's next-use pass and for the MRC pass, both of
 * which must forget whole ranges on unmap, exec and exit.
 */
#ifndef VMS_PAGESET_H
#define VMS_PAGESET_H

#include "vmsandbox/pagetable.h"

struct pageset_proc {
	uint32_t pid;
	struct vms_pagetable pt;
};

struct pageset {
	struct pageset_proc *procs;
	size_t nr;
	size_t cap;
};

void pageset_init(struct pageset *s);
void pageset_fini(struct pageset *s);
/* The value slot for (pid, vpn), created (state NONE, value 0) if absent. */
struct vms_pte *pageset_get(struct pageset *s, uint32_t pid, vms_vpn_t vpn);
/* Marks an entry from pageset_get as present / absent. */
void pageset_set(struct pageset *s, uint32_t pid, vms_vpn_t vpn, struct vms_pte *e, uint64_t value);
/* Calls fn on each present entry in the range, then removes them. */
void pageset_remove_range(struct pageset *s, uint32_t pid, vms_vpn_t start, uint64_t nr_pages,
			  void (*fn)(void *ctx, uint32_t pid, vms_vpn_t vpn, uint64_t value), void *ctx);

#endif
