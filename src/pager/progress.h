/* SPDX-License-Identifier: MIT */
/*
 * --progress: a live status line (resident, swapped, fault rate, elapsed)
 * on the terminal, out of the way of the program's own output.
 */
#ifndef VMSANDBOX_PAGER_PROGRESS_H
#define VMSANDBOX_PAGER_PROGRESS_H

#include "pager.h"

int vms_progress_init(struct vms_pager *pg);
/* When the line is next due (monotonic ns), 0: never. */
uint64_t vms_progress_deadline(const struct vms_pager *pg);
/* Redraws the line if it is due. */
void vms_progress_tick(struct vms_pager *pg, uint64_t now_ns);
/* The program has ended: the line is erased and the terminal restored. */
void vms_progress_finish(struct vms_pager *pg);
void vms_progress_fini(struct vms_pager *pg);

#endif
