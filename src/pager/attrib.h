/* SPDX-License-Identifier: MIT */
/*
 * Attribution of the profile (--profile): faults, swap-ins, evictions and
 * soft faults by region (heap, each thread's stack, each mapping with the
 * call stack that created it) and by faulting code location (the faulting
 * instruction of each fault, and the call stack of every --stack-period'th
 * fault, symbolized with libdw).  docs/profiling.md ("Attribution") is the
 * report's schema; docs/design.md ("Attribution") the decisions and costs.
 *
 * Regions.  Every anonymous mmap is one region from the moment the agent
 * maps it (kind and allocation site from syscall.c: a MAP_STACK mapping or
 * one made by pthread_create is a thread's stack, numbered in creation
 * order from 2, the main thread being 1); brk growth extends the process's
 * heap region; memory the process had at its arrival (and anything else
 * not known yet) is classified at its first reference from /proc/PID/maps:
 * [heap], [stack], a module's .bss (anonymous, right after the module's
 * writable segment), an anonymous mapping, or other.  munmap shrinks or
 * closes a region, mremap moves it, fork copies them with counters at 0;
 * a closed region keeps its counters.  Per process, a sorted array of
 * address ranges (sitetab.h's range map) finds a page's region.
 *
 * Code locations.  At every fault (missing, soft, write-protect; not the
 * pages taken over at arrival) the faulting thread's user pc and sp are
 * read from /proc/TID/syscall (pg->fault_tid: the thread is blocked in the
 * fault while the pager serves it; one fd per thread, kept open), the pc
 * is named by module and ELF address, and every stack_period'th fault's
 * stack is unwound through sites.c (libdw, CPython frames) with the page
 * being brought in pinned in the peek cache, since the process does not
 * have it yet.  Symbols are looked up once, at the end.
 *
 * Runs in the pager's loop (after each reference), never on the program's
 * fault path; the program's memory is read through peek.c only.
 */
#ifndef VMSANDBOX_PAGER_ATTRIB_H
#define VMSANDBOX_PAGER_ATTRIB_H

#include "attribtab.h"
#include "pager.h"
#include "sitetab.h"

/* At setup, with cfg.profile: 0 or -errno. */
int vms_attrib_init(struct vms_pager *pg);
/* After each reference the engine saw (fault.c: pg->ref_kind says which). */
void vms_attrib_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
			  const struct vms_ref_result *res);
/* At the end of the run, before the report (symbolization, rows). */
void vms_attrib_finish(struct vms_pager *pg);
void vms_attrib_fini(struct vms_pager *pg);

/* ---- The address space changes (each a no-op without --profile) ---- */

/* syscall.c: the agent mapped [start, start + len) for an mmap with these
 * flags, whose stack is site (0: not captured). */
void vms_attrib_mapped(struct vms_pager *pg, struct vms_proc *p, uint32_t site, uint64_t start,
		       uint64_t len, uint64_t flags);
/* syscall.c: brk moved the heap's end from `from` to `end` (bytes). */
void vms_attrib_brk(struct vms_pager *pg, struct vms_proc *p, uint64_t from, uint64_t end);
/* fault.c: munmap, mremap of registered memory. */
void vms_attrib_unmapped(struct vms_pager *pg, struct vms_proc *p, uint64_t start, uint64_t end);
void vms_attrib_remapped(struct vms_pager *pg, struct vms_proc *p, uint64_t from, uint64_t to,
			 uint64_t len);
/* backend.c: page vpn of as left it (delta 1), or an eviction was undone
 * (-1): charged to the page's region.  Called inside the engine's
 * reference, once per process that mapped the page. */
void vms_attrib_evicted(struct vms_pager *pg, struct vms_as *as, vms_vpn_t vpn, int delta);
/* proc.c: a fork child gets copies of its parent's regions; a process
 * ends (exit, exec), closing its regions. */
void vms_attrib_fork(struct vms_pager *pg, struct vms_proc *parent, struct vms_proc *child);
void vms_attrib_proc_exit(struct vms_pager *pg, struct vms_proc *p);

/* ---- The results, after vms_attrib_finish (tools/run_report_attrib.c) ---- */

/* What the report shows: the locations with the most faults, symbolized,
 * and the most sampled stacks of each. */
#define VMS_ATTRIB_MAX_LOCATIONS 100
#define VMS_ATTRIB_MAX_STACKS 16

struct vms_attrib_row {
	struct vms_region_row r;      /* merged regions, counters, extent */
	pid_t pid;
	const char *process;          /* its command name */
};

struct vms_attrib_stack {
	uint32_t site;                /* the sampled stack (sites.h), frame 0 the fault's pc */
	uint64_t samples;
};

struct vms_attrib_location {
	uint32_t module;              /* string id (vms_sites_string), 0: none (JIT) */
	uint64_t offset;              /* ELF address in the module; the pc without one */
	long syscall;                 /* the fault was taken in this syscall's kernel
				       * access to user memory (pc: its user pc), -1 */
	struct vms_site_sym sym;      /* function, file, line (string ids; 0: unknown) */
	struct vms_region_counts c;   /* faults, zero_fills, swap_ins, evictions (caused
				       * by these faults), soft_faults, wp_faults */
	struct vms_attrib_stack *stacks;   /* most samples first */
	size_t nr_stacks;
};

struct vms_attrib_stats {
	uint64_t references;          /* engine references accounted */
	uint64_t account_ns;          /* their cost: region lookup and counters */
	uint64_t faults_seen;         /* faults whose location was looked for */
	uint64_t in_syscall;          /* of them, taken inside a syscall */
	uint64_t ip_reads, ip_read_ns;     /* /proc/TID/syscall reads and their cost */
	uint64_t ip_failures;         /* no registers: thread unknown, gone, running */
	uint64_t unwinds, unwind_ns;  /* sampled stacks and their cost */
	uint64_t unwind_failures;
	uint64_t maps_reads;          /* /proc/PID/maps reads to classify memory */
	uint64_t symbolize_ns;        /* at the end */
	struct vms_region_counts unlocated;   /* faults whose pc could not be read */
};

struct vms_attrib_result {
	const struct vms_attrib_row *rows;    /* most faults first */
	size_t nr_rows;
	const struct vms_attrib_location *locations;   /* most faults first; only the
							* first VMS_ATTRIB_MAX_LOCATIONS
							* are symbolized */
	size_t nr_locations;
	uint32_t stack_period;
	struct vms_attrib_stats st;
};

/* NULL without --profile, or before vms_attrib_finish. */
const struct vms_attrib_result *vms_attrib_result(const struct vms_pager *pg);

#endif
