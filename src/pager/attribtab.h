/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of the profile's attribution (attrib.h): no syscalls, no
 * pager state (unit-tested in tests/unit/test_attribtab.c).
 *
 *  - a hash map from a pair of 64-bit keys to a 32-bit value: the pages
 *    touched (region, vpn), the code locations (module, offset) and the
 *    sampled stacks (location, site);
 *  - the parser of /proc/TID/syscall, which gives the user stack pointer
 *    and program counter of a thread blocked in a page fault or a syscall;
 *  - the classification of an anonymous mapping by its neighbour (a
 *    module's .bss) and of an allocation stack (a thread's stack);
 *  - counters per region and the merge of regions into report rows.
 */
#ifndef VMSANDBOX_PAGER_ATTRIBTAB_H
#define VMSANDBOX_PAGER_ATTRIBTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- pair map ---- */

struct vms_pairmap {
	struct vms_pairmap_slot {
		uint64_t a, b;
		uint32_t value;
		bool used;
	} *slot;
	size_t cap;                   /* a power of two, or 0 */
	size_t nr;
};

/*
 * The value of (a, b); if absent, adds it with value `value` and sets
 * *ret_new.  Returns 0, or -ENOMEM (the map is unchanged).
 */
int vms_pairmap_get_or_add(struct vms_pairmap *m, uint64_t a, uint64_t b, uint32_t value,
			   uint32_t *ret_value, bool *ret_new);
/* The value of (a, b) into *ret_value: true if present. */
bool vms_pairmap_find(const struct vms_pairmap *m, uint64_t a, uint64_t b, uint32_t *ret_value);
void vms_pairmap_fini(struct vms_pairmap *m);

/* ---- /proc/TID/syscall ---- */

struct vms_thread_regs {
	long nr;                      /* the syscall, or -1: blocked outside one (a page fault) */
	uint64_t sp, pc;              /* user registers (for a syscall: at its entry) */
};

/*
 * Parses the text of /proc/TID/syscall (proc(5)): "NR A1 .. A6 SP PC" in a
 * syscall, "-1 SP PC" blocked outside one (a page fault: the program
 * counter is the faulting instruction), "running".  Returns 0, -EAGAIN
 * for "running" (the thread is not blocked: its registers are not shown),
 * -EINVAL for anything else.
 */
int vms_thread_regs_parse(const char *text, struct vms_thread_regs *ret);

/* ---- classification ---- */

enum vms_region_kind {
	VMS_REGION_HEAP = 0,          /* the brk heap */
	VMS_REGION_STACK,             /* the main thread's stack */
	VMS_REGION_THREAD_STACK,      /* a thread's stack (pthread) */
	VMS_REGION_MMAP,              /* an anonymous mapping */
	VMS_REGION_DATA,              /* a module's .data/.bss continuation */
	VMS_REGION_OTHER,
	VMS_REGION_NR_KINDS,
};

/* "heap", "stack", "thread_stack", "mmap", "data", "other". */
const char *vms_region_kind_name(enum vms_region_kind kind);

/*
 * Is an anonymous private mapping starting at `start` the zero-filled
 * continuation of a module (its .bss past the file's end)?  It is when the
 * mapping before it (prev_*) is file-backed, writable and ends exactly at
 * `start`: that is how the loader maps a segment whose memory size exceeds
 * its file size.
 */
bool vms_region_is_data(uint64_t start, uint64_t prev_end, uint64_t prev_inode,
			const char *prev_perms);

/*
 * Is an allocation stack (its functions, innermost first, NULL where
 * unknown) that of a thread's stack?  glibc maps stacks in allocate_stack,
 * called by pthread_create; other libcs and runtimes name similar
 * functions.
 */
bool vms_region_is_thread_stack(const char *const *functions, size_t nr);

/* ---- counters and rows ---- */

struct vms_region_counts {
	uint64_t pages_touched;       /* distinct pages referenced */
	uint64_t faults;              /* missing pages: zero_fills + swap_ins */
	uint64_t zero_fills;          /* first touches (and same-filled pages) */
	uint64_t swap_ins;
	uint64_t evictions;           /* of the region's pages */
	uint64_t soft_faults;         /* touches of soft-unmapped pages */
	uint64_t wp_faults;           /* first writes to clean pages */
	uint64_t adopted;             /* present at the process's arrival: no fault */
};

void vms_region_counts_add(struct vms_region_counts *to, const struct vms_region_counts *c);
bool vms_region_counts_zero(const struct vms_region_counts *c);

/* What makes two regions one row of the report. */
struct vms_region_key {
	uint32_t as_id;               /* the process (its address space) */
	uint32_t kind;                /* enum vms_region_kind */
	uint32_t site;                /* allocation site, 0: none */
	uint32_t ident;               /* thread number of a thread stack, module of
				       * a data region (string id), else 0 */
};

struct vms_region_row {
	struct vms_region_key key;
	uint64_t start, end;          /* bytes: lowest start, highest end */
	uint64_t bytes;               /* the mappings' sizes, summed */
	uint32_t mappings;            /* regions merged */
	uint32_t open;                /* of them, still mapped at the end */
	uint32_t first;               /* index of the first region merged */
	struct vms_region_counts c;
};

/*
 * Merges rows with equal keys (summing counters, bytes and mappings,
 * taking the widest extent, the smallest `first`), drops rows whose
 * counters are all zero, and sorts the rest: most faults first, then
 * evictions, soft faults, pages touched, then by `first`.  In place;
 * returns the number of rows kept.
 */
size_t vms_region_rows_merge(struct vms_region_row *rows, size_t nr);

#endif
