/* SPDX-License-Identifier: MIT */
/*
 * Allocation sites: the call stack of each large anonymous mmap (and of a
 * sample of brk growth), captured while the calling thread is stopped by
 * seccomp, deduplicated, symbolized while the process is alive, and
 * charged with the memory its ranges hold.  What an OOM report names as
 * "who holds the memory", and the report's `allocation_sites`.
 *
 * Captured: every anonymous mmap of at least VMS_SITES_MMAP_MIN_BYTES;
 * for brk, the call that moves the heap's end VMS_SITES_BRK_SAMPLE_BYTES
 * or more past the part already attributed, which is charged with all the
 * growth since (malloc grows the heap 132 KiB at a time: one capture per
 * MiB instead of per call).  Native frames by libdw (unwind.h), Python
 * frames of CPython 3.11 (pyframes.h), every byte read through the pager
 * (peek.h).
 *
 * A site "holds" the pages of its ranges that are resident or in swap:
 * unmapped pages are gone from the page table, so unmaps need no
 * bookkeeping beyond dropping the ranges.
 *
 * All of it runs in the pager's loop (syscall.c at the notification and at
 * the agent's reply, fault.c at unmap and mremap events, proc.c at fork
 * and exit).
 *
 * An out-of-memory report, before it kills:
 *
 *	struct vms_site_held top[5];
 *	size_t n = vms_sites_top_held(pg, NULL, top, 5);    (or one process)
 *	for (size_t i = 0; i < n; i++) {
 *		char where[256];
 *		const struct vms_site *s = vms_sites_get(pg, top[i].site);
 *
 *		vms_sites_describe(pg, top[i].site, where, sizeof(where));
 *		... top[i].resident_pages + top[i].swapped_pages pages, at `where`;
 *		    s->frames[k].function/.file/.line/.module are string ids for
 *		    vms_sites_string(), s->pyframes[k] the Python frames ...
 *	}
 */
#ifndef VMSANDBOX_PAGER_SITES_H
#define VMSANDBOX_PAGER_SITES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sitetab.h"

#define VMS_SITES_MMAP_MIN_BYTES (256u * 1024)
#define VMS_SITES_BRK_SAMPLE_BYTES (1024u * 1024)

struct vms_pager;
struct vms_proc;

struct vms_sites_stats {
	uint64_t captures;            /* stacks captured */
	uint64_t capture_ns;          /* their total cost: reading the registers,
				       * unwinding, Python frames, deduplication */
	uint64_t capture_max_ns;
	uint64_t symbolized;          /* new sites, symbolized once each */
	uint64_t symbolize_ns;        /* their cost (loading debug information) */
	uint64_t setups;              /* processes whose modules were loaded (first
				       * capture in each) */
	uint64_t setup_ns;            /* their cost, not in capture_ns */
	uint64_t failures;            /* captures that got no stack at all */
	uint64_t fp_recoveries;       /* frame-pointer frames stepped over by
				       * finding their saved rbp (unwind.h) */
	uint64_t python_captures;     /* captures with at least one Python frame */
	uint64_t mmaps, brks;         /* mapped ranges attributed to a site */
	uint64_t fault_stacks;        /* sites that are stacks of page faults
				       * sampled by the profile (attrib.c), not
				       * of allocations */
};

/* Lifetime (loop.c). */
int vms_sites_init(struct vms_pager *pg);
void vms_sites_fini(struct vms_pager *pg);
/* The run has ended: what the processes still there hold counts as held
 * at their exit (they are destroyed after the report). */
void vms_sites_finish(struct vms_pager *pg);

/*
 * syscall.c, at the seccomp notification of thread tid of p: the site of an
 * mmap of len bytes, or of a brk to end; 0 when none is captured (below the
 * thresholds, or the stack could not be read).
 */
uint32_t vms_sites_capture_mmap(struct vms_pager *pg, struct vms_proc *p, pid_t tid,
				uint64_t len);
uint32_t vms_sites_capture_brk(struct vms_pager *pg, struct vms_proc *p, pid_t tid,
			       uint64_t end);
/* The smallest mmap whose stack is captured: VMS_SITES_MMAP_MIN_BYTES,
 * or every page with --profile. */
uint64_t vms_sites_mmap_min_bytes(const struct vms_pager *pg);

/* ---- For the profile's attribution (attrib.c) ---- */

/*
 * The stack of thread tid of p, blocked in a page fault (or in a syscall
 * whose kernel access faulted) with user registers sp and pc: a site id
 * whose frame 0 is pc itself, 0 if none could be read.  The page at
 * pin_addr reads as pin_page (NULL: zeros): the page the fault is bringing
 * in, not in the process yet.  Frames are symbolized later, by
 * vms_sites_symbolize_site (the thread waits while this runs).
 */
uint32_t vms_sites_capture_fault(struct vms_pager *pg, struct vms_proc *p, pid_t tid,
				 uint64_t sp, uint64_t pc, uint64_t pin_addr, const void *pin_page);
void vms_sites_symbolize_site(struct vms_pager *pg, uint32_t site);
/* Where pc of p is: its module (a string id) and the ELF address in it.
 * 0, or -errno (-ENOENT: no module holds pc, such as JIT code). */
int vms_sites_locate(struct vms_pager *pg, struct vms_proc *p, uint64_t pc, uint32_t *ret_module,
		     uint64_t *ret_offset);
/* Function, file and line at (module, ELF address), through the symbol
 * cache and the run's symbolizer.  0, or -errno (fields 0: unknown). */
int vms_sites_symbolize_addr(struct vms_pager *pg, uint32_t module, uint64_t offset,
			     struct vms_site_sym *ret);

/* At the agent's reply: [start, start + len) was mapped (site 0: an
 * uncaptured mapping, which still replaces whatever range was there). */
void vms_sites_mapped(struct vms_pager *pg, struct vms_proc *p, uint32_t site, uint64_t start,
		      uint64_t len);
/* The heap's end is now end (bytes, page-aligned). */
void vms_sites_brk_done(struct vms_pager *pg, struct vms_proc *p, uint32_t site, uint64_t end);

/* fault.c: munmap and mremap of registered memory. */
void vms_sites_unmapped(struct vms_pager *pg, struct vms_proc *p, uint64_t start, uint64_t end);
void vms_sites_remapped(struct vms_pager *pg, struct vms_proc *p, uint64_t from, uint64_t to,
			uint64_t len);
/* proc.c: a fork child inherits its parent's ranges; a process ending
 * charges its sites with what their ranges hold, then forgets them. */
void vms_sites_fork(struct vms_pager *pg, struct vms_proc *parent, struct vms_proc *child);
void vms_sites_proc_exit(struct vms_pager *pg, struct vms_proc *p);

/* ---- Queries (the OOM report, the JSON report) ---- */

struct vms_site_held {
	uint32_t site;
	uint64_t resident_pages;      /* in frames now */
	uint64_t swapped_pages;       /* in the swap store (same-filled included) */
};

/*
 * The k sites whose ranges hold the most pages now (resident + swapped),
 * in process p, or in every process when p is NULL; sorted by pages, then
 * by site id.  Returns how many were written to out (<= k).  Sites are
 * symbolized already (at capture), so this works after the process has
 * been killed too, as long as it has not been destroyed.
 */
size_t vms_sites_top_held(struct vms_pager *pg, struct vms_proc *p, struct vms_site_held *out,
			  size_t k);

const struct vms_sites_stats *vms_sites_stats(const struct vms_pager *pg);
uint32_t vms_sites_count(const struct vms_pager *pg);
const struct vms_site *vms_sites_get(const struct vms_pager *pg, uint32_t site);
/* An interned string of the sites (module, function, file), or NULL. */
const char *vms_sites_string(const struct vms_pager *pg, uint32_t id);
/* Interns str among the sites' strings (0 for NULL or ""); 0 or -ENOMEM. */
int vms_sites_intern(struct vms_pager *pg, const char *str, uint32_t *ret_id);
/*
 * Where a site allocates, in one line: its innermost Python frame
 * ("leak.py:12 grow"), else its innermost native frame outside the C
 * library and loader ("grow_big (leak.c:34)", or "module+0x1234" without
 * symbols).  Returns the length snprintf would.
 */
int vms_sites_describe(const struct vms_pager *pg, uint32_t site, char *buf, size_t len);
/* Index of the frame vms_sites_describe() names (nr_frames if none). */
uint32_t vms_sites_first_user_frame(const struct vms_pager *pg, const struct vms_site *s);

#endif
