/* SPDX-License-Identifier: MIT */
#ifndef VMS_TRACESIM_H
#define VMS_TRACESIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsandbox/mm.h"
#include "vmsandbox/mrc.h"
#include "vmsandbox/trace.h"

/* One trace event in 16 bytes; the rare non-reference events keep their
 * full record in `extra` and point at it through `arg`. */
struct vms_tsim_op {
	uint64_t arg;       /* REF: vpn; others: index into extra[] */
	uint32_t pid;
	uint8_t kind;       /* enum vms_trace_kind */
	uint8_t write;
};

struct vms_tsim_trace {
	struct vms_tsim_op *ops;
	size_t nr_ops;
	size_t cap_ops;
	struct vms_trace_event *extra;
	size_t nr_extra;
	size_t cap_extra;
	uint64_t nr_refs;
	uint64_t nr_writes;
	uint64_t nr_pages;        /* distinct (pid, vpn) referenced */
	uint32_t nr_procs;
	bool keep_times;          /* set before loading: times[i] = ops[i]'s time_ns */
	uint64_t *times;
};

struct vms_tsim_result {
	const char *policy;
	struct vms_mm_stats st;
	uint32_t peak_resident;
	bool oom;
	uint64_t oom_at_ref;      /* index of the reference that could not be served */
	bool has_tlb;
	struct vms_tlb_stats tlb;
	struct vms_swap_stats swap;
};

/* How a policy is run over a trace. */
struct vms_tsim_cfg {
	const char *who;          /* prefix of error messages ("vmsandbox replay") */
	const char *path;         /* the trace, for messages */
	uint64_t frames;
	uint64_t seed;
	uint64_t ws_window;
	uint64_t lfu_decay;
	uint64_t swap_pages;      /* 0: unlimited */
};

/* Reads the trace at path ("-": stdin) into t (zeroed by the caller).
 * 0, or -1 after a message on stderr naming who and path. */
int vms_tsim_load(const char *who, const char *path, struct vms_tsim_trace *t);
void vms_tsim_free(struct vms_tsim_trace *t);
/* Distinct (pid, vpn) referenced. */
uint64_t vms_tsim_distinct_pages(const struct vms_tsim_trace *t);
/* OPT's oracle: per op, the op index of the page's next reference. */
uint64_t *vms_tsim_next_use(const struct vms_tsim_trace *t);
/* Runs one policy (with TLB model geom, nr_levels 0: none); 0 or -1 after
 * a message. */
int vms_tsim_run_policy(const struct vms_tsim_trace *t, const struct vms_tsim_cfg *o,
			const struct vms_tlb_geom *geom, const struct vms_policy_ops *ops,
			const uint64_t *next_use, struct vms_tsim_result *res);
/* The exact LRU miss-ratio curve of the stream; NULL when out of memory. */
struct vms_mrc *vms_tsim_mrc(const struct vms_tsim_trace *t);
/* The frame counts a curve reports, ascending (every count up to 1024, then
 * ~64 per doubling, plus `frames` and `max`): malloc'd in *ret, count. */
size_t vms_tsim_mrc_points(uint64_t max, uint64_t frames, uint64_t **ret);

#endif
