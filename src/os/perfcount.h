/* SPDX-License-Identifier: MIT */
/*
 * The CPU's retired-instruction counter for a process tree, through
 * perf_event_open: what turns TLB misses into misses per million
 * instructions.  Virtual machines without a virtual PMU have none; the
 * caller reports why.
 */
#ifndef VMSANDBOX_OS_PERFCOUNT_H
#define VMSANDBOX_OS_PERFCOUNT_H

#include <stdint.h>
#include <sys/types.h>

/* Counts user-space instructions of pid and of the threads and processes it
 * creates from now on.  Returns an fd or -errno. */
int vms_perf_open_instructions(pid_t pid);
/* The count so far; 0 or -errno. */
int vms_perf_read(int fd, uint64_t *ret);

#endif
