/* SPDX-License-Identifier: MIT */
/*
 * The locality profile's analysis (--profile), after the run, over the
 * reference stream the pager recorded (its trace): the exact LRU
 * miss-ratio curve and its knee, other policies simulated at a few budgets,
 * the working set per time bucket, and the page heatmap.  The report
 * writes it (tools/run_report_profile.c); docs/profiling.md has the schema.
 */
#ifndef VMS_LOCALITY_H
#define VMS_LOCALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMS_LOCALITY_MAX_POLICIES 10
#define VMS_HEATMAP_ROWS 96
#define VMS_HEATMAP_COLUMNS 120
/* The knee: the smallest budget at which this share of the faults LRU
 * could avoid (those above the cold misses) is avoided. */
#define VMS_KNEE_AVOIDED 0.95
/* The working set's window tau: this fraction of the run (1/32), at least
 * one bucket, so a run of any length shows its phases. */
#define VMS_WSS_WINDOW_DIVISOR 32

struct vms_curve {
	const char *policy;
	size_t n;
	uint64_t *frames;         /* ascending */
	uint64_t *faults;
};

struct vms_heatmap_row {
	uint32_t pid;             /* the trace's process number */
	uint64_t start_vpn, end_vpn;   /* first and last page referenced in the row */
	uint64_t pages;           /* distinct pages referenced in the row */
};

struct vms_locality {
	char error[256];          /* why there is no analysis ("" when there is) */
	bool virtual_time;        /* times are reference indexes, not ns */
	uint64_t references;
	uint64_t distinct_pages;
	uint64_t cold_misses;
	uint64_t budget_frames;   /* 0: none */
	struct vms_curve lru;
	struct vms_curve policies[VMS_LOCALITY_MAX_POLICIES];
	size_t nr_policies;
	bool has_knee;
	uint64_t knee_frames, knee_faults;
	uint64_t knee_prev_frames, knee_prev_faults;  /* the curve's point just below */
	uint64_t faults_at_budget;   /* LRU's, with a budget */
	/* Working set W(t, tau) at the end of each bucket of the pager's
	 * timeline, tau = wss_window_buckets buckets. */
	uint64_t bucket;          /* width: ns, or references */
	size_t nr_buckets;
	uint64_t wss_window_buckets;
	uint64_t *wss;
	/* Heatmap: rows of address space (pages referenced, in address order,
	 * gaps left out) x columns of time. */
	size_t nr_rows, nr_columns;
	uint64_t column_width;    /* ns or references */
	struct vms_heatmap_row rows[VMS_HEATMAP_ROWS];
	uint64_t *counts;         /* [row * nr_columns + column] */
	uint64_t counts_max;
	double analysis_s;        /* time this took */
};

struct vms_locality_input {
	const char *trace_path;   /* the recorded stream */
	uint64_t budget_frames;   /* 0: none */
	const char *run_policy;   /* the run's policy: simulated too */
	uint64_t seed;
	bool virtual_time;
	uint64_t bucket;          /* the timeline's bucket width */
	size_t nr_buckets;
};

/* 0, or -1 with loc->error set (the rest of the report goes on). */
int vms_locality_analyze(const struct vms_locality_input *in, struct vms_locality *loc);
void vms_locality_free(struct vms_locality *loc);

#endif
