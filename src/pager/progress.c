/* SPDX-License-Identifier: MIT */
/*
 * --progress: what the status line says and when (progress.h); the
 * terminal side is statusline.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"
#include "thrash.h"
#include "vmsandbox/swap.h"

/* How long a terminal stopped by ^S may hold up a ^Z. */
#define SUSPEND_WAIT_MS 200u

int vms_progress_init(struct vms_pager *pg)
{
	struct vms_progress *pr;

	if (!pg->cfg.progress || !pg->cfg.status_line)
		return 0;
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	/* Ours from now on, also when the run fails to start (fini). */
	pr->line = pg->cfg.status_line;
	pg->cfg.status_line = NULL;
	pg->progress = pr;
	return 0;
}

uint64_t vms_progress_deadline(const struct vms_pager *pg)
{
	const struct vms_progress *pr = pg->progress;

	if (!pr || !pr->line)
		return 0;
	return pr->next_ns ? pr->next_ns : pg->start_ns + VMS_PROGRESS_PERIOD_NS;
}

/* Appends one field if it fits in width (after a separator); false once
 * one has not (the later ones are left out too, so that the fields do not
 * move about as their widths change). */
static bool add_field(char *buf, size_t cap, size_t *len, unsigned width, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static bool add_field(char *buf, size_t cap, size_t *len, unsigned width, const char *fmt, ...)
{
	char field[96];
	size_t sep = *len ? 2 : 0, n;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(field, sizeof(field), fmt, ap);
	va_end(ap);
	if (r < 0)
		return false;
	n = (size_t)r < sizeof(field) ? (size_t)r : sizeof(field) - 1;
	if (*len == 0 && n > width)
		n = width;   /* the first field, cut: something is shown */
	if (*len + sep + n > width || *len + sep + n >= cap)
		return false;
	memcpy(buf + *len, "  ", sep);
	memcpy(buf + *len + sep, field, n);
	*len += sep + n;
	buf[*len] = 0;
	return true;
}

/* 950, 9.5k, 95k, 9.5M */
static void fmt_rate(char *buf, size_t cap, double per_s)
{
	if (per_s < 999.5)
		snprintf(buf, cap, "%.0f", per_s);
	else if (per_s < 9999.5)
		snprintf(buf, cap, "%.1fk", per_s / 1e3);
	else if (per_s < 999999.5)
		snprintf(buf, cap, "%.0fk", per_s / 1e3);
	else
		snprintf(buf, cap, "%.1fM", per_s / 1e6);
}

/* 9.5s, 2m05s, 1h02m */
static void fmt_elapsed(char *buf, size_t cap, uint64_t ns)
{
	uint64_t s = ns / 1000000000u;

	if (s < 60)
		snprintf(buf, cap, "%.1fs", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(buf, cap, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
	else
		snprintf(buf, cap, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s / 60 % 60));
}

size_t vms_progress_format(const struct vms_progress_figures *f, char *buf, size_t cap,
			   unsigned width)
{
	char t[32], a[16], b[16], c[16];
	size_t len = 0;
	bool fits;

	buf[0] = 0;
	fmt_elapsed(t, sizeof(t), f->elapsed_ns);
	fmt_rate(a, sizeof(a), f->faults_per_s);
	fmt_rate(b, sizeof(b), f->swap_ins_per_s);
	fmt_rate(c, sizeof(c), f->evictions_per_s);
	fits = add_field(buf, cap, &len, width, "vmsandbox %s", t);
	if (fits && f->thrashing)
		fits = add_field(buf, cap, &len, width, "THRASHING");
	if (fits && f->budget)
		fits = add_field(buf, cap, &len, width, "resident %llu/%llu",
				 (unsigned long long)f->resident, (unsigned long long)f->budget);
	else if (fits)
		fits = add_field(buf, cap, &len, width, "resident %llu (observed)",
				 (unsigned long long)f->resident);
	fits = fits && add_field(buf, cap, &len, width, "faults %s/s", a);
	fits = fits && add_field(buf, cap, &len, width, "swap-in %s/s", b);
	fits = fits && add_field(buf, cap, &len, width, "evict %s/s", c);
	fits = fits && add_field(buf, cap, &len, width, "swapped %llu pg %.1f MiB",
				 (unsigned long long)f->swapped_pages,
				 (double)f->swapped_bytes / (1024.0 * 1024.0));
	if (fits)
		add_field(buf, cap, &len, width, "%u proc%s", f->processes,
			  f->processes == 1 ? "" : "s");
	return len;
}

/* Whether the thrash monitor's rule holds now: its last min_windows closed
 * windows all thrashed (the verdict's "sustained" test, applied to the
 * present rather than to the run). */
static bool thrashing_now(const struct vms_pager *pg)
{
	const struct vms_thrash_window *w;
	uint32_t nr, need;

	if (!pg->thrash)
		return false;
	w = vms_thrash_windows(pg->thrash->series, &nr);
	need = vms_thrash_config(pg->thrash->series)->rule.min_windows;
	if (nr < need)
		return false;
	for (uint32_t i = 1; i <= need; i++)
		if (!w[nr - i].thrashing)
			return false;
	return true;
}

/* Records the counters now; returns the sample the rates are taken from:
 * the newest one at least VMS_PROGRESS_RATE_NS old, else the oldest (the
 * start of the run, counters 0, until the ring fills). */
static struct vms_progress_sample sample(struct vms_progress *pr, const struct vms_mm_stats *st,
					 uint64_t t_ns, struct vms_progress_sample *ret_now)
{
	struct vms_progress_sample from = { 0 };
	struct vms_progress_sample now = {
		.t_ns = t_ns,
		.faults = st->faults,
		.swap_ins = st->faults_swapin,
		.evictions = st->evictions,
	};

	if (pr->nr == VMS_PROGRESS_SAMPLES)
		from = pr->ring[pr->head];   /* the oldest */
	for (uint32_t i = 1; i <= pr->nr; i++) {
		const struct vms_progress_sample *s =
			&pr->ring[(pr->head + VMS_PROGRESS_SAMPLES - i) % VMS_PROGRESS_SAMPLES];

		if (s->t_ns + VMS_PROGRESS_RATE_NS <= t_ns) {
			from = *s;
			break;
		}
	}
	pr->ring[pr->head] = now;
	pr->head = (pr->head + 1) % VMS_PROGRESS_SAMPLES;
	if (pr->nr < VMS_PROGRESS_SAMPLES)
		pr->nr++;
	*ret_now = now;
	return from;
}

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n * 1e9 / (double)ns : 0.0;
}

static void redraw(struct vms_pager *pg, struct vms_progress *pr, uint64_t now_ns)
{
	const struct vms_frame_table *ft = vms_mm_frames(pg->mm);
	struct vms_progress_sample from, now;
	struct vms_progress_figures f = { 0 };
	struct vms_swap_stats sw;
	char text[VMS_STATUSLINE_MAX_COLS + 1];
	unsigned cols;

	from = sample(pr, vms_mm_stats(pg->mm), now_ns - pg->start_ns, &now);
	if (!vms_statusline_ready(pr->line, &cols))
		return;
	vms_swap_get_stats(vms_mm_swap(pg->mm), &sw);
	f.elapsed_ns = now.t_ns;
	f.thrashing = thrashing_now(pg);
	f.resident = ft->nr_used;
	f.budget = pg->cfg.observe_only ? 0 : ft->nr_frames;
	f.faults_per_s = per_s(now.faults - from.faults, now.t_ns - from.t_ns);
	f.swap_ins_per_s = per_s(now.swap_ins - from.swap_ins, now.t_ns - from.t_ns);
	f.evictions_per_s = per_s(now.evictions - from.evictions, now.t_ns - from.t_ns);
	f.swapped_pages = sw.stored_pages;
	f.swapped_bytes = sw.bytes_stored;
	f.processes = pg->st.nr_processes;
	vms_progress_format(&f, text, sizeof(text), cols - 1);
	vms_statusline_draw(pr->line, text);
}

void vms_progress_tick(struct vms_pager *pg, uint64_t now_ns)
{
	struct vms_progress *pr = pg->progress;

	if (!pr || !pr->line || now_ns < vms_progress_deadline(pg))
		return;
	redraw(pg, pr, now_ns);
	/* From now, not from when it was due: a loop that was busy for a
	 * while does not catch up with a burst of redraws. */
	pr->next_ns = now_ns + VMS_PROGRESS_PERIOD_NS;
}

/* Stops vmsandbox by SIGTSTP itself, so that the shell reports the job
 * stopped by it (as without --progress), not by SIGSTOP.  SIGTSTP is
 * blocked for the loop's signalfd: raised, it stays pending until
 * unblocked, and is then delivered with its default action; the process
 * runs on from here after SIGCONT. */
static void stop_by_sigtstp(void)
{
	sigset_t tstp;

	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	raise(SIGTSTP);
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	sigprocmask(SIG_BLOCK, &tstp, NULL);
}

void vms_progress_signal(struct vms_pager *pg, int signo)
{
	struct vms_progress *pr = pg->progress;
	uint64_t now = vms_now_ns();

	if (!pr || !pr->line)
		return;
	switch (signo) {
	case SIGWINCH:
		vms_statusline_resized(pr->line);
		if (now >= pg->start_ns + VMS_PROGRESS_PERIOD_NS)
			redraw(pg, pr, now);
		break;
	case SIGTSTP:
		/* As a full-screen program does: the shell gets its terminal
		 * back whole, then the job stops (the program got the ^Z from
		 * the terminal too; a SIGTSTP sent to vmsandbox alone stops
		 * only vmsandbox, as it did without --progress). */
		vms_statusline_hide(pr->line, SUSPEND_WAIT_MS);
		stop_by_sigtstp();
		break;
	case SIGCONT:
		/* fg: take the row again (in the background nothing is drawn:
		 * vms_statusline_ready).  Not before the first redraw. */
		if (pr->next_ns)
			redraw(pg, pr, now);
		break;
	default:
		break;
	}
}

void vms_progress_finish(struct vms_pager *pg)
{
	struct vms_progress *pr = pg->progress;

	if (!pr)
		return;
	vms_statusline_close(pr->line);
	pr->line = NULL;
}

void vms_progress_fini(struct vms_pager *pg)
{
	vms_progress_finish(pg);
	free(pg->progress);
	pg->progress = NULL;
	vms_statusline_close(pg->cfg.status_line);   /* never taken: setup failed first */
	pg->cfg.status_line = NULL;
}
