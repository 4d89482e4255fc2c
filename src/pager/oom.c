/* SPDX-License-Identifier: MIT */
/*
 * The OOM killer (docs/oom.md).  A fault that finds every frame in use and
 * no room in swap for a victim page cannot be served without losing data;
 * as the kernel does, the pager then frees memory by killing the process
 * of the tree with the highest badness (the core's vms_oom_choose: resident
 * + swapped + page-table pages, adjusted by /proc/PID/oom_score_adj), with
 * SIGKILL, and lets the fault wait.  The victim's frames and swap slots
 * come back when its process is reaped (its agent's socket closes); the
 * waiting faults are retried then (loop.c's after_batch).  Until then no
 * second victim is chosen: the kernel's oom_reaper wait, which keeps one
 * OOM from killing the whole tree.
 *
 * With --oom-policy pause, the tree is stopped (SIGSTOP to every process)
 * instead, with the same report, and the user decides: attach a debugger,
 * kill the suggested victim (the faults are then retried), or end the run.
 *
 * Each OOM is recorded for the summary and the report: who needed memory,
 * the tree's memory at that moment per process, the choice and why.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "procmem.h"
#include "sites.h"

static int read_oom_score_adj(pid_t pid)
{
	char buf[32];

	return vms_procmem_read_file(pid, "oom_score_adj", buf, sizeof(buf)) ? atoi(buf) : 0;
}

static uint64_t swap_capacity_pages(const struct vms_pager *pg)
{
	return pg->oom.rules.swap_pages == UINT64_MAX ? 0 : pg->oom.rules.swap_pages;
}

/* The tree at this moment, one entry per process with an address space. */
static size_t gather(struct vms_pager *pg, struct vms_oom_proc **ret)
{
	struct vms_oom_proc *v;
	size_t n = 0, i = 0;

	for (struct vms_proc *q = pg->procs; q; q = q->next)
		n += q->as && !q->gone && q->pid > 0;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v) {
		*ret = NULL;
		return 0;
	}
	for (struct vms_proc *q = pg->procs; q && i < n; q = q->next) {
		struct vms_as_usage u;

		if (!q->as || q->gone || q->pid <= 0)
			continue;
		vms_mm_as_usage(q->as, &u);
		vms_commit_refresh(q);
		v[i].pid = q->pid;
		v[i].ppid = q->ppid;
		snprintf(v[i].comm, sizeof(v[i].comm), "%s", q->comm);
		v[i].resident = u.resident;
		v[i].swapped = u.swapped;
		v[i].same_filled = u.same_filled;
		v[i].pt_bytes = u.pt_bytes;
		v[i].committed_pages = q->commit.pages;
		v[i].oom_score_adj = read_oom_score_adj(q->pid);
		i++;
	}
	*ret = v;
	return i;
}

static long choose(struct vms_pager *pg, struct vms_oom_proc *v, size_t n)
{
	struct vms_oom_candidate *c = calloc(n ? n : 1, sizeof(*c));
	int64_t *badness = calloc(n ? n : 1, sizeof(*badness));
	struct vms_swap_stats ss;
	uint64_t total, swap_pages = swap_capacity_pages(pg);

	/* The machine's memory: the frames and what the swap holds when full
	 * (more pages than its bytes / 4096 when they compress). */
	vms_swap_get_stats(vms_mm_swap(pg->mm), &ss);
	if (ss.stored_pages > swap_pages)
		swap_pages = ss.stored_pages;
	total = pg->oom.rules.ram_pages + swap_pages;
	long victim = -1;

	if (c && badness) {
		for (size_t i = 0; i < n; i++) {
			c[i].id = (uint32_t)v[i].pid;
			c[i].resident = v[i].resident;
			/* Same-filled pages hold no swap space: not counted. */
			c[i].swapped = v[i].swapped;
			c[i].pt_pages = v[i].pt_bytes / VMS_PAGE;
			c[i].oom_score_adj = v[i].oom_score_adj;
		}
		victim = vms_oom_choose(c, n, total, badness);
		for (size_t i = 0; i < n; i++)
			v[i].badness = badness[i];
	}
	free(c);
	free(badness);
	return victim;
}

static struct vms_oom_event *new_event(struct vms_pager *pg)
{
	if (pg->oom.nr_events == pg->oom.cap_events) {
		size_t cap = pg->oom.cap_events ? 2 * pg->oom.cap_events : 4;
		struct vms_oom_event *e = realloc(pg->oom.events, cap * sizeof(*e));

		if (!e)
			return NULL;
		pg->oom.events = e;
		pg->oom.cap_events = cap;
	}
	memset(&pg->oom.events[pg->oom.nr_events], 0, sizeof(pg->oom.events[0]));
	return &pg->oom.events[pg->oom.nr_events++];
}

/* The sites holding the most pages in the tree now (symbolized at
 * capture: nothing is read from the processes here).  Stacks that differ
 * only below the line that allocates (the same Python line reaching mmap
 * through malloc or through an arena) are one entry, under the stack that
 * holds the most. */
static void name_sites(struct vms_pager *pg, struct vms_oom_event *e)
{
	struct vms_site_held top[4 * VMS_OOM_MAX_SITES];
	size_t n = vms_sites_top_held(pg, NULL, top, 4 * VMS_OOM_MAX_SITES);

	for (size_t i = 0; i < n; i++) {
		struct vms_oom_site *s = NULL;
		char where[VMS_OOM_SITE_TEXT];

		vms_sites_describe(pg, top[i].site, where, sizeof(where));
		for (size_t k = 0; k < e->nr_sites && !s; k++)
			if (strcmp(e->sites[k].where, where) == 0)
				s = &e->sites[k];
		if (!s) {
			if (e->nr_sites == VMS_OOM_MAX_SITES)
				continue;
			s = &e->sites[e->nr_sites++];
			s->site = top[i].site;
			memcpy(s->where, where, sizeof(where));
		}
		s->resident_pages += top[i].resident_pages;
		s->swapped_pages += top[i].swapped_pages;
	}
}

static void stop_tree(struct vms_pager *pg)
{
	for (struct vms_proc *q = pg->procs; q; q = q->next)
		if (q->pid > 0 && !q->gone)
			kill(q->pid, SIGSTOP);
}

static void print_event(const struct vms_pager *pg, const struct vms_oom_event *e, FILE *out)
{
	fprintf(out, "vmsandbox: out of memory at %.3f s: process %d (%s) needed a frame for "
		"0x%llx; all %llu frames are in use and the swap store is full (%llu of %llu "
		"bytes)\n", e->t_s, (int)e->trigger_pid, e->trigger_comm,
		(unsigned long long)e->trigger_addr, (unsigned long long)e->frames,
		(unsigned long long)e->swap_used_bytes, (unsigned long long)e->swap_capacity_bytes);
	for (size_t i = 0; i < e->nr_procs; i++) {
		const struct vms_oom_proc *q = &e->procs[i];

		if (!q->victim)
			continue;
		fprintf(out, "vmsandbox: %s process %d (%s): badness %lld (%llu resident + %llu "
			"swapped pages, oom_score_adj %d)\n",
			e->paused ? "suggested victim" : "killed with SIGKILL:",
			(int)q->pid, q->comm, (long long)q->badness,
			(unsigned long long)q->resident, (unsigned long long)q->swapped,
			q->oom_score_adj);
	}
	for (size_t i = 0; i < e->nr_sites; i++)
		fprintf(out, "vmsandbox:   %.1f MiB held (%llu resident + %llu swapped pages) "
			"allocated at %s\n",
			(double)(e->sites[i].resident_pages + e->sites[i].swapped_pages) * VMS_PAGE /
			(1024.0 * 1024.0), (unsigned long long)e->sites[i].resident_pages,
			(unsigned long long)e->sites[i].swapped_pages, e->sites[i].where);
	if (e->paused) {
		fprintf(out, "vmsandbox: --oom-policy pause: the tree is stopped (SIGSTOP). "
			"Attach a debugger with: gdb -p %d\n"
			"vmsandbox: then free memory by killing a process (kill -KILL %d) and "
			"resume the others (kill -CONT PID), or end the run with kill -KILL %d\n",
			(int)e->trigger_pid, (int)e->victim_pid, (int)pg->child);
		fprintf(out, "vmsandbox: a debugger reads what is resident; pages in "
			"vmsandbox's swap cannot be read while the tree is stopped (gdb says "
			"\"Cannot access memory\")\n");
	}
}

int vms_oom(struct vms_pager *pg, struct vms_proc *p, uint64_t addr)
{
	struct vms_swap_stats ss;
	struct vms_oom_event *e;
	long victim;

	if (pg->oom.victim_pending || pg->oom.paused)
		return -EAGAIN;   /* memory is on its way back, or the user decides */
	e = new_event(pg);
	if (!e)
		return -ENOMEM;
	vms_swap_get_stats(vms_mm_swap(pg->mm), &ss);
	e->t_s = (double)(vms_now_ns() - pg->start_ns) / 1e9;
	e->trigger_pid = p->pid;
	snprintf(e->trigger_comm, sizeof(e->trigger_comm), "%s", p->comm);
	e->trigger_addr = addr & ~(uint64_t)(VMS_PAGE - 1);
	e->frames = pg->oom.rules.ram_pages;
	e->swap_used_bytes = ss.bytes_stored;
	e->swap_capacity_bytes = pg->cfg.swap_bytes == UINT64_MAX ? 0 : pg->cfg.swap_bytes;
	e->nr_procs = gather(pg, &e->procs);
	victim = choose(pg, e->procs, e->nr_procs);
	if (victim < 0) {
		print_event(pg, e, stderr);
		vms_pager_fatal(pg, -ENOMEM, "out of memory, and no process of the tree may be "
				"killed (oom_score_adj -1000)");
		return -ENOMEM;
	}
	e->procs[victim].victim = true;
	e->victim_pid = e->procs[victim].pid;
	e->victim_badness = e->procs[victim].badness;
	snprintf(e->victim_comm, sizeof(e->victim_comm), "%s", e->procs[victim].comm);
	name_sites(pg, e);
	if (pg->oom.pause) {
		e->paused = true;
		pg->oom.paused = true;
		stop_tree(pg);
	} else {
		pg->oom.victim_pending = e->victim_pid;
		kill(e->victim_pid, SIGKILL);
	}
	print_event(pg, e, stderr);
	return -EAGAIN;
}

void vms_oom_reaped(struct vms_pager *pg, pid_t pid)
{
	if (pid == pg->oom.victim_pending)
		pg->oom.victim_pending = 0;
	/* Memory came back while paused: the next OOM is a new decision. */
	pg->oom.paused = false;
}

void vms_oom_fini(struct vms_pager *pg)
{
	for (size_t i = 0; i < pg->oom.nr_events; i++)
		free(pg->oom.events[i].procs);
	free(pg->oom.events);
	pg->oom.events = NULL;
	pg->oom.nr_events = pg->oom.cap_events = 0;
}
