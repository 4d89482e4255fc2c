/* SPDX-License-Identifier: MIT */
/*
 * --progress: a live status line (resident, swapped, fault rate, elapsed)
 * on the terminal, out of the way of the program's own output.
 *
 * The front end opens the terminal (vms_statusline_open() on stderr; it
 * says why there is no line when it cannot) and hands it to the pager in
 * cfg.status_line; the pager then owns it.  Every VMS_PROGRESS_PERIOD_NS the
 * loop wakes (vms_progress_deadline) and the line is redrawn with the
 * engine's figures; rates are over the last second or so.  The line's
 * drawing, and why it cannot disturb the program's output, is
 * statusline.h's.
 */
#ifndef VMSANDBOX_PAGER_PROGRESS_H
#define VMSANDBOX_PAGER_PROGRESS_H

#include <stddef.h>

#include "pager.h"
#include "statusline.h"

/* A redraw every 250 ms (the first one 250 ms after the start: a short run
 * shows no line at all). */
#define VMS_PROGRESS_PERIOD_NS 250000000u
/* Rates are over at least this much of the recent past (once the run is
 * that old). */
#define VMS_PROGRESS_RATE_NS 1000000000u
/* Samples kept for the rates: one per redraw, enough to span
 * VMS_PROGRESS_RATE_NS with a few extra redraws (SIGWINCH, SIGCONT). */
#define VMS_PROGRESS_SAMPLES 8u

struct vms_progress_sample {
	uint64_t t_ns;                /* since the start */
	uint64_t faults;              /* the engine's counters then */
	uint64_t swap_ins;
	uint64_t evictions;
};

struct vms_progress {
	struct vms_statusline *line;  /* NULL once the program has ended */
	uint64_t next_ns;             /* the next redraw (monotonic); 0: start + period */
	struct vms_progress_sample ring[VMS_PROGRESS_SAMPLES];
	uint32_t nr;                  /* samples in ring (at most VMS_PROGRESS_SAMPLES) */
	uint32_t head;                /* where the next one goes */
};

/* What the line says (vms_progress_format). */
struct vms_progress_figures {
	uint64_t elapsed_ns;
	bool thrashing;               /* the thrash monitor's rule holds for the last windows */
	uint64_t resident;            /* frames in use */
	uint64_t budget;              /* frames; 0: observed only (no --frames) */
	double faults_per_s;          /* references that needed a frame */
	double swap_ins_per_s;
	double evictions_per_s;
	uint64_t swapped_pages;       /* swap slots in use */
	uint64_t swapped_bytes;       /* the bytes they hold (compressed) */
	uint32_t processes;           /* managed processes alive */
};

int vms_progress_init(struct vms_pager *pg);
/* When the line is next due (monotonic ns), 0: never. */
uint64_t vms_progress_deadline(const struct vms_pager *pg);
/* Redraws the line if it is due. */
void vms_progress_tick(struct vms_pager *pg, uint64_t now_ns);
/* A signal the loop reads for the line (pg->progress set): SIGWINCH redraws
 * at the new size; SIGTSTP gives the terminal back, then stops vmsandbox
 * (by SIGTSTP: ^Z stops the job, as without --progress); SIGCONT redraws. */
void vms_progress_signal(struct vms_pager *pg, int signo);
/* The program has ended: the line is erased and the terminal restored. */
void vms_progress_finish(struct vms_pager *pg);
void vms_progress_fini(struct vms_pager *pg);

/*
 * The line's text in buf (always NUL-terminated, cap >= 1): the fields in
 * order of importance (elapsed, THRASHING, resident, the rates, swapped,
 * processes), each separated by two spaces, as many whole fields as fit
 * in width columns (the first one cut if even it does not).  Returns the
 * length.  Pure.
 */
size_t vms_progress_format(const struct vms_progress_figures *f, char *buf, size_t cap,
			   unsigned width);

#endif
