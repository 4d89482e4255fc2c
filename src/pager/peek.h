/* SPDX-License-Identifier: MIT */
/*
 * Reading a sandboxed process's memory from the pager without deadlocking
 * on it.
 *
 * The program's anonymous memory (heap, stacks, mmaps) is registered with
 * userfaultfd and served by this very pager, which is single-threaded: a
 * read that faults on a page the process does not have waits for a fault
 * that only the reader could serve.  (Measured on 6.18: process_vm_readv
 * waits forever; /proc/PID/mem fails with EIO, because remote reads may not
 * retry, but then the bytes are not read either.)  So a peek looks the page
 * up in the pager's own page table first and takes its bytes from where
 * they really are:
 *
 *   a fill the kernel refused and the pager will retry   the fill's bytes
 *   resident and in the process                          /proc/PID/mem
 *   resident, soft-unmapped (parked)                     its park slot
 *   evicted (swapped, or same-filled)                    the swap store, uncounted
 *   never touched (or discarded), registered             zeros
 *   not registered (file mappings, the agent's areas)    /proc/PID/mem
 *
 * A page none of these can serve safely (a page shared since a fork that
 * the process does not have yet) fails with -EIO: a caller unwinding a
 * stack stops there rather than risk a hang.
 *
 * Runs in the pager's loop (not the fault path of the program): it may
 * allocate and block on /proc reads, never on the program.
 */
#ifndef VMSANDBOX_PAGER_PEEK_H
#define VMSANDBOX_PAGER_PEEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsandbox/types.h"

struct vms_pager;
struct vms_proc;

/* Where a peeked page's bytes came from (the report counts them). */
enum vms_peek_source {
	VMS_PEEK_PROCESS = 0,         /* /proc/PID/mem: present, or not registered */
	VMS_PEEK_SWAP,                /* evicted: the swap store */
	VMS_PEEK_PARK,                /* soft-unmapped: its slot in the park area */
	VMS_PEEK_FILL,                /* a fill waiting to be retried */
	VMS_PEEK_ZERO,                /* registered, never touched (or discarded) */
	VMS_PEEK_NR_SOURCES,
};

struct vms_peek_stats {
	uint64_t pages[VMS_PEEK_NR_SOURCES];
	uint64_t failed;              /* pages no source could serve (unmapped, gone, unsafe) */
};

/*
 * The page at addr (rounded down) of p, into buf (VMS_PAGE_SIZE bytes).  Returns 0
 * with its source in *ret_src (may be NULL), or -errno: -ESRCH when p has
 * no page table or pid, -EFAULT for an address mapped nowhere, -EIO when
 * the page cannot be read safely.  Counts in pg's peek statistics.
 */
int vms_peek_page(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, void *buf,
		  enum vms_peek_source *ret_src);

/*
 * A small cache of peeked pages for one burst of reads (an unwind reads the
 * same stack page dozens of times).  Valid only while the pager does nothing
 * else: the process is stopped in a syscall, and no fault or eviction is
 * served in between.
 */
#define VMS_PEEK_CACHE_PAGES 32

struct vms_peek_cache {
	struct vms_pager *pg;
	struct vms_proc *p;
	uint32_t next;                /* round-robin replacement */
	bool pinned;                  /* pin_vpn's bytes are at pin (NULL: zeros) */
	uint64_t pin_vpn;
	const uint8_t *pin;
	struct {
		uint64_t vpn;
		int err;              /* 0, or the peek's error (cached too) */
		uint8_t valid;
	} slot[VMS_PEEK_CACHE_PAGES];
	uint8_t data[VMS_PEEK_CACHE_PAGES][VMS_PAGE_SIZE];
};

void vms_peek_cache_init(struct vms_peek_cache *c, struct vms_pager *pg, struct vms_proc *p);
/*
 * The page at addr reads as page (VMS_PAGE_SIZE bytes; NULL: zeros) until
 * the next init: the page a fault is bringing in, which the page table
 * counts resident already but the process does not have yet (attrib.c
 * unwinds the faulting thread before the fill).  page must stay valid.
 */
void vms_peek_cache_pin(struct vms_peek_cache *c, uint64_t addr, const void *page);
/* len bytes at addr (may cross pages): 0 or the first page's error. */
int vms_peek_read(struct vms_peek_cache *c, uint64_t addr, void *buf, size_t len);

#endif
