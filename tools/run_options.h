/* SPDX-License-Identifier: MIT */
/*
 * The live sandbox's command line: `vmsandbox [OPTIONS] [--] PROGRAM [ARGS...]`.
 * Parsing and the pre-flight checks of the program live here so that the
 * supervisor receives a validated configuration and the error paths (exit 2,
 * 126, 127, static binaries) can be tested without starting a pager.
 */
#ifndef VMS_RUN_OPTIONS_H
#define VMS_RUN_OPTIONS_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmsandbox/oom.h"
#include "vmsandbox/tlb.h"

#define VMS_EXIT_USAGE     2
#define VMS_EXIT_NOEXEC    126   /* found but not executable, or cannot be sandboxed */
#define VMS_EXIT_NOTFOUND  127
/* vmsandbox's own failure (the pager could not run), when no program status exists. */
#define VMS_EXIT_INTERNAL  125

#define VMS_RUN_SWAP_UNLIMITED UINT64_MAX

struct vms_locality;

struct vms_run_options {
	uint64_t frames;            /* 0: no budget, observe only */
	const char *policy;         /* a live-capable policy name; default "clock" */
	uint64_t swap_bytes;        /* capacity of the store in bytes of stored data;
	                               VMS_RUN_SWAP_UNLIMITED by default; 0 = --swap none */
	const char *compress;       /* "lz4" (default), "zstd", "none" */
	const char *report_path;    /* --report FILE: JSON report, NULL: none */
	const char *output_path;    /* -o FILE: summary goes there instead of stderr */
	bool quiet;                 /* no summary at all (the report is still written) */
	uint64_t seed;              /* --seed N for the random policy (default 1) */
	const char *cpus;           /* --cpus LIST as given, NULL: where vmsandbox may run */
	cpu_set_t cpu_set;          /* --cpus parsed (only with cpus) */
	bool ref_tracking;          /* --ref-tracking on (default) | off */
	bool fault_around;          /* --fault-around on (default) | off */
	const char *tlb;            /* --tlb GEOM as given, NULL: no TLB model */
	struct vms_tlb_geom tlb_geom;
	uint64_t wss_interval_ns;   /* --wss-interval, 0: none */
	uint64_t thrash_window_ns;  /* --thrash-window T; 0: the default (100 ms) */
	uint64_t thrash_window_refs; /* --thrash-window Nrefs; 0: windows of wall time */
	const char *trace_path;     /* --trace FILE, NULL: none */
	enum vms_overcommit overcommit; /* --overcommit (docs/oom.md) */
	uint64_t commit_limit_bytes; /* --commit-limit, 0: the default (never mode only) */
	bool oom_pause;             /* --oom-policy pause: stop the tree instead of a kill */
	bool deterministic;         /* --deterministic (docs/design.md, "Determinism") */
	bool profile;               /* --profile (or --html): locality profile (docs/profiling.md) */
	const char *html_path;      /* --html FILE: the HTML report, NULL: none */
	uint32_t profile_window;    /* --profile-window N: pages kept mapped while profiling */
	uint32_t stack_period;      /* --stack-period N: unwind every Nth fault's stack */
	bool progress;              /* --progress: a live status line on the terminal */
	const struct vms_locality *locality;  /* the profile's analysis, set by run.c after
					       * the run for the report; NULL: none */
	char **argv;                /* the program and its arguments (points into main's argv) */
	char *program_path;         /* argv[0] resolved through PATH, malloc'd */
};

/*
 * Parses argv (argv[0] is "vmsandbox").  Returns 0 and fills *opts, or an
 * exit status: 0 with *ret_done = true after --help/--version were printed
 * on stdout; VMS_EXIT_USAGE after a message and the usage were printed on
 * `err`.  Options stop at the first non-option (the program), as with env(1)
 * and nice(1), so the program's own options are never taken for ours.
 */
int vms_run_parse(int argc, char **argv, struct vms_run_options *opts, bool *ret_done, FILE *err);
void vms_run_usage(FILE *out);
void vms_run_options_free(struct vms_run_options *opts);

/*
 * Resolves opts->argv[0] like execvp (a name with '/' is used as is, else
 * PATH is searched) into opts->program_path, and checks that it can be
 * sandboxed: it exists (else 127), is executable (else 126), is not a
 * statically linked ELF (no PT_INTERP: the preload shim could never load;
 * checked with libelf; 126), and for a "#!" script, that its interpreter
 * passes the same checks.  Returns 0 or the exit status, with a message
 * naming the program, what is wrong and what the user can do in msg (no
 * "vmsandbox: " prefix, no newline).  opts->program_path is set only on
 * success.  The behaviour in every case is in docs/vmsandbox.1 (EXIT STATUS).
 */
int vms_run_check_program(struct vms_run_options *opts, char *msg, size_t msglen);

#endif
