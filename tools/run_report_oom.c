/* SPDX-License-Identifier: MIT */
/*
 * Overcommit refusals and OOM kills in the summary and the JSON report:
 * for each OOM, who needed memory, what every process of the tree held at
 * that moment, the victim and the allocation sites holding the most.
 */
#include <sys/syscall.h>

#include "run_report_oom.h"
#include "run_report_sites.h"
#include "sites.h"

static const char *mode_name(enum vms_overcommit m)
{
	switch (m) {
	case VMS_OVERCOMMIT_ALWAYS:
		return "always";
	case VMS_OVERCOMMIT_NEVER:
		return "never";
	default:
		return "heuristic";
	}
}

static const char *syscall_name(int nr)
{
	switch (nr) {
	case SYS_mmap:
		return "mmap";
	case SYS_brk:
		return "brk";
	case SYS_mremap:
		return "mremap";
	case SYS_mprotect:
		return "mprotect";
	default:
		return "fork";
	}
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

bool vms_report_oom_killed_program(const struct vms_pager *pg)
{
	for (size_t i = 0; i < pg->oom.nr_events; i++)
		if (pg->oom.events[i].victim_pid == pg->child && !pg->oom.events[i].paused)
			return true;
	return false;
}

void vms_report_oom_summary(FILE *out, const struct vms_pager *pg)
{
	const struct vms_oom_state *o = &pg->oom;

	if (o->refusals) {
		fprintf(out, "  overcommit:      %s, %llu calls refused with ENOMEM (%.1f MiB); "
			"the first: %s of %.1f MiB by process %d (%s), ", mode_name(o->rules.mode),
			(unsigned long long)o->refusals, mib(o->refused_pages * VMS_PAGE),
			syscall_name(o->first_refusal.nr), mib(o->first_refusal.pages * VMS_PAGE),
			(int)o->first_refusal.pid, o->first_refusal.comm);
		if (o->rules.mode == VMS_OVERCOMMIT_NEVER)
			fprintf(out, "with %.1f MiB committed of a %.1f MiB limit\n",
				mib(o->first_refusal.committed_pages * VMS_PAGE),
				mib(o->rules.limit_pages * VMS_PAGE));
		else
			fprintf(out, "larger than frames + swap (%.1f MiB)\n",
				mib((o->rules.ram_pages + o->rules.swap_pages) * VMS_PAGE));
	}
	for (size_t i = 0; i < o->nr_events; i++) {
		const struct vms_oom_event *e = &o->events[i];

		fprintf(out, "  out of memory:   at %.3f s, process %d (%s) faulted at 0x%llx with "
			"all %llu frames in use and swap full; %s process %d (%s), badness %lld\n",
			e->t_s, (int)e->trigger_pid, e->trigger_comm,
			(unsigned long long)e->trigger_addr, (unsigned long long)e->frames,
			e->paused ? "paused the tree; suggested victim" : "killed",
			(int)e->victim_pid, e->victim_comm, (long long)e->victim_badness);
		for (size_t k = 0; k < e->nr_procs; k++) {
			const struct vms_oom_proc *q = &e->procs[k];

			fprintf(out, "    %c pid %-7d %-15s %8llu resident %8llu swapped %8.1f MiB "
				"committed  adj %5d  badness %lld\n", q->victim ? '*' : ' ',
				(int)q->pid, q->comm, (unsigned long long)q->resident,
				(unsigned long long)q->swapped, mib(q->committed_pages * VMS_PAGE),
				q->oom_score_adj, (long long)q->badness);
		}
		for (size_t k = 0; k < e->nr_sites; k++)
			fprintf(out, "    %8.1f MiB held, allocated at %s\n",
				(double)(e->sites[k].resident_pages + e->sites[k].swapped_pages) *
				VMS_PAGE / (1024.0 * 1024.0), e->sites[k].where);
	}
}

static void proc_json(struct vms_json *j, const struct vms_oom_proc *q)
{
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "pid", (uint64_t)q->pid);
	vms_json_kv_u64(j, "ppid", (uint64_t)q->ppid);
	vms_json_kv_string(j, "comm", q->comm);
	vms_json_kv_u64(j, "resident_pages", q->resident);
	vms_json_kv_u64(j, "swapped_pages", q->swapped);
	vms_json_kv_u64(j, "same_filled_pages", q->same_filled);
	vms_json_kv_u64(j, "page_table_bytes", q->pt_bytes);
	vms_json_kv_u64(j, "committed_bytes", q->committed_pages * VMS_PAGE);
	vms_json_key(j, "oom_score_adj");
	vms_json_i64(j, q->oom_score_adj);
	vms_json_key(j, "badness");
	if (q->badness == VMS_OOM_UNKILLABLE)
		vms_json_null(j);
	else
		vms_json_i64(j, q->badness);
	vms_json_kv_bool(j, "victim", q->victim);
	vms_json_end_object(j);
}

static void event_json(struct vms_json *j, const struct vms_pager *pg,
		       const struct vms_oom_event *e)
{
	vms_json_begin_object(j);
	vms_json_kv_double(j, "time_s", e->t_s);
	vms_json_kv_string(j, "action", e->paused ? "paused" : "killed");
	vms_json_kv_string(j, "reason", "no free frame and the swap store is full");
	vms_json_key(j, "trigger");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "pid", (uint64_t)e->trigger_pid);
	vms_json_kv_string(j, "comm", e->trigger_comm);
	vms_json_kv_u64(j, "address", e->trigger_addr);
	vms_json_end_object(j);
	vms_json_kv_u64(j, "frames", e->frames);
	vms_json_kv_u64(j, "swap_used_bytes", e->swap_used_bytes);
	vms_json_kv_u64(j, "swap_capacity_bytes", e->swap_capacity_bytes);
	vms_json_key(j, "victim");
	vms_json_begin_object(j);
	vms_json_kv_u64(j, "pid", (uint64_t)e->victim_pid);
	vms_json_kv_string(j, "comm", e->victim_comm);
	vms_json_key(j, "badness");
	vms_json_i64(j, e->victim_badness);
	vms_json_kv_string(j, "signal", e->paused ? "SIGSTOP (tree)" : "SIGKILL");
	vms_json_end_object(j);
	vms_json_key(j, "processes");
	vms_json_begin_array(j);
	for (size_t k = 0; k < e->nr_procs; k++)
		proc_json(j, &e->procs[k]);
	vms_json_end_array(j);
	vms_json_key(j, "allocation_sites");
	vms_json_begin_array(j);
	for (size_t k = 0; k < e->nr_sites; k++) {
		const struct vms_oom_site *s = &e->sites[k];
		const struct vms_site *site = vms_sites_get(pg, s->site);

		vms_json_begin_object(j);
		vms_json_kv_u64(j, "held_bytes", (s->resident_pages + s->swapped_pages) * VMS_PAGE);
		vms_json_kv_u64(j, "resident_pages", s->resident_pages);
		vms_json_kv_u64(j, "swapped_pages", s->swapped_pages);
		vms_json_kv_string(j, "location", s->where);
		vms_json_key(j, "site");
		if (site)
			vms_report_site_json(j, pg, site);
		else
			vms_json_null(j);
		vms_json_end_object(j);
	}
	vms_json_end_array(j);
	vms_json_end_object(j);
}

void vms_report_oom_json(struct vms_json *j, const struct vms_pager *pg)
{
	const struct vms_oom_state *o = &pg->oom;

	vms_json_key(j, "oom");
	vms_json_begin_object(j);
	vms_json_kv_string(j, "overcommit", mode_name(o->rules.mode));
	vms_json_key(j, "commit_limit_bytes");
	if (o->rules.mode == VMS_OVERCOMMIT_NEVER && o->rules.limit_pages != UINT64_MAX)
		vms_json_u64(j, o->rules.limit_pages * VMS_PAGE);
	else
		vms_json_null(j);
	vms_json_kv_u64(j, "refusals", o->refusals);
	vms_json_kv_u64(j, "refused_bytes", o->refused_pages * VMS_PAGE);
	vms_json_key(j, "first_refusal");
	if (o->first_refusal.pid) {
		vms_json_begin_object(j);
		vms_json_kv_u64(j, "pid", (uint64_t)o->first_refusal.pid);
		vms_json_kv_string(j, "comm", o->first_refusal.comm);
		vms_json_kv_string(j, "syscall", syscall_name(o->first_refusal.nr));
		vms_json_kv_u64(j, "bytes", o->first_refusal.pages * VMS_PAGE);
		vms_json_kv_u64(j, "committed_bytes", o->first_refusal.committed_pages * VMS_PAGE);
		vms_json_end_object(j);
	} else {
		vms_json_null(j);
	}
	vms_json_kv_string(j, "policy", o->pause ? "pause" : "kill");
	vms_json_key(j, "events");
	vms_json_begin_array(j);
	for (size_t i = 0; i < o->nr_events; i++)
		event_json(j, pg, &o->events[i]);
	vms_json_end_array(j);
	vms_json_end_object(j);
}
