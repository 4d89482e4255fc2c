/* SPDX-License-Identifier: MIT */
/*
 * What a live run reports: the summary on stderr (like `time -v`) and the
 * JSON report, whose schema is docs/report.md.  Both read the same figures;
 * processes still alive at the end are reported with the ended ones.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "json.h"
#include "run.h"
#include "run_report_attrib.h"
#include "run_report_oom.h"
#include "run_report_refs.h"
#include "run_report_thrash.h"
#include "run_report_sites.h"
#include "run_report_profile.h"
#include "vmsandbox/compress.h"

struct figures {
	const struct vms_mm_stats *mm;
	struct vms_swap_stats swap;
	double ratio;
	double wall_s, fault_s;
	uint32_t peak_frames;
	uint64_t faults_total;
};

static void gather(const struct vms_pager *pg, struct figures *f)
{
	struct vms_swap *swap = vms_mm_swap(pg->mm);

	f->mm = vms_mm_stats(pg->mm);
	vms_swap_get_stats(swap, &f->swap);
	f->ratio = vms_swap_ratio(&f->swap);
	f->wall_s = (double)(pg->end_ns - pg->start_ns) / 1e9;
	f->fault_s = (double)pg->st.in_fault_ns / 1e9;
	f->peak_frames = vms_mm_frames(pg->mm)->peak_used;
	f->faults_total = f->mm->faults;
}

static const char *outcome(const struct vms_pager *pg)
{
	if (pg->fatal)
		return "killed_by_vmsandbox";
	if (WIFSIGNALED(pg->child_status) && vms_report_oom_killed_program(pg))
		return "killed_by_oom";
	if (WIFSIGNALED(pg->child_status))
		return "signaled";
	return "exited";
}

const char *vms_report_grouped(uint64_t n, char *buf, size_t len)
{
	char digits[24];
	int nd = snprintf(digits, sizeof(digits), "%" PRIu64, n);
	size_t k = 0;

	for (int i = 0; i < nd && k + 2 < len; i++) {
		if (i && (nd - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = 0;
	return buf;
}

static double mib(uint64_t pages)
{
	return (double)pages * VMS_PAGE / (1024.0 * 1024.0);
}

static const char *unmanaged_reason(const struct vms_unmanaged_proc *up)
{
	return up->is_static ? "statically linked: no shim can be preloaded into it, so the "
			       "kernel pages its memory, outside the budget"
			     : "no shim (LD_PRELOAD removed, or it ended before its shim started): "
			       "its memory was not managed";
}

struct proc_line {
	pid_t pid, ppid;
	const char *comm;
	const struct vms_as_stats *st;
};

static int by_faults_desc(const void *a, const void *b)
{
	const struct proc_line *x = a, *y = b;
	uint64_t fx = x->st->faults + x->st->cow_faults, fy = y->st->faults + y->st->cow_faults;

	return fx < fy ? 1 : fx > fy ? -1 : (x->pid > y->pid) - (x->pid < y->pid);
}

/* The processes with the most faults, when there was more than one. */
static void print_busiest(FILE *out, const struct vms_pager *pg)
{
	size_t n = pg->nr_records, k = 0, shown;
	struct proc_line *lines;

	for (const struct vms_proc *p = pg->procs; p; p = p->next)
		n += p->as != NULL;
	if (n < 2)
		return;
	lines = calloc(n, sizeof(*lines));
	if (!lines)
		return;
	for (size_t i = 0; i < pg->nr_records; i++)
		lines[k++] = (struct proc_line){ pg->records[i].pid, pg->records[i].ppid,
						 pg->records[i].comm, &pg->records[i].st };
	for (const struct vms_proc *p = pg->procs; p; p = p->next)
		if (p->as)
			lines[k++] = (struct proc_line){ p->pid, p->ppid, p->comm, &p->as->stats };
	qsort(lines, k, sizeof(*lines), by_faults_desc);
	shown = k < 5 ? k : 5;
	fprintf(out, "  busiest:         (pid, command, parent: faults, copy-on-write, evictions, "
		"peak resident)%s\n", k > shown ? ", top 5; all in the JSON report" : "");
	for (size_t i = 0; i < shown; i++)
		fprintf(out, "    %7d %-15.15s %7d: %llu, %llu, %llu, %u\n", (int)lines[i].pid,
			lines[i].comm, (int)lines[i].ppid, (unsigned long long)lines[i].st->faults,
			(unsigned long long)lines[i].st->cow_faults,
			(unsigned long long)lines[i].st->evictions, lines[i].st->peak_resident);
	free(lines);
}

void vms_run_report_summary(const struct vms_pager *pg, const struct vms_run_options *opts,
			    FILE *out)
{
	struct figures f;
	const struct vms_unmanaged *u = &pg->unmanaged;

	gather(pg, &f);
	fprintf(out, "vmsandbox: %s ", opts->argv[0]);
	if (pg->fatal)
		fprintf(out, "was killed by vmsandbox (%s)", pg->fatal_msg);
	else if (WIFSIGNALED(pg->child_status))
		fprintf(out, "was killed by signal %d (%s)%s", WTERMSIG(pg->child_status),
			strsignal(WTERMSIG(pg->child_status)),
			vms_report_oom_killed_program(pg) ? " by vmsandbox's OOM killer" : "");
	else
		fprintf(out, "exited with status %d", WEXITSTATUS(pg->child_status));
	fprintf(out, " after %.2f s\n", f.wall_s);
	if (opts->frames)
		fprintf(out, "  budget:          %llu frames (%.1f MiB), policy %s\n",
			(unsigned long long)opts->frames, mib(opts->frames), opts->policy);
	else
		fprintf(out, "  budget:          none (observed only), policy %s\n", opts->policy);
	if (opts->cpus)
		fprintf(out, "  cpus:            %s\n", opts->cpus);
	fprintf(out, "  peak resident:   %u frames (%.1f MiB)\n", f.peak_frames, mib(f.peak_frames));
	fprintf(out, "  faults:          %llu (%llu zero-fill, %llu swap-in, %llu same-filled), "
		"+%llu pages by fault-around\n",
		(unsigned long long)f.faults_total, (unsigned long long)f.mm->faults_zero,
		(unsigned long long)f.mm->faults_swapin, (unsigned long long)f.mm->faults_same,
		(unsigned long long)f.mm->faults_around);
	fprintf(out, "  evictions:       %llu (%llu written to swap, %llu clean drops, "
		"%llu same-filled)\n",
		(unsigned long long)f.mm->evictions, (unsigned long long)f.mm->writebacks,
		(unsigned long long)f.mm->clean_drops, (unsigned long long)f.mm->same_evictions);
	fprintf(out, "  swap (%s):       %llu pages out, %llu in, at most %llu held in %.1f MiB",
		opts->compress, (unsigned long long)f.swap.pages_out,
		(unsigned long long)f.swap.pages_in, (unsigned long long)f.swap.peak_stored_pages,
		(double)f.swap.peak_bytes_stored / (1024.0 * 1024.0));
	if (isfinite(f.ratio))
		fprintf(out, ", ratio %.2f\n", f.ratio);
	else
		fprintf(out, ", all same-filled\n");
	vms_report_refs_summary(out, pg, opts, f.wall_s);
	vms_report_oom_summary(out, pg);
	fprintf(out, "  time in faults:  %.3f s of %.2f s wall (%.0f%%)\n", f.fault_s, f.wall_s,
		f.wall_s > 0 ? 100.0 * f.fault_s / f.wall_s : 0.0);
	vms_report_thrash_summary(out, pg, opts);
	fprintf(out, "  processes:       %llu (at most %u at once)",
		(unsigned long long)pg->st.processes, pg->st.peak_processes);
	if (pg->st.forks)
		fprintf(out, ", %llu forks, %llu copy-on-write faults",
			(unsigned long long)pg->st.forks, (unsigned long long)f.mm->cow_faults);
	fputc('\n', out);
	print_busiest(out, pg);
	vms_report_sites_summary(out, pg);
	vms_report_attrib_summary(out, pg);
	vms_report_profile_summary(out, pg, opts->locality);
	for (size_t i = 0; i < pg->nr_unmanaged_procs; i++) {
		const struct vms_unmanaged_proc *up = &pg->unmanaged_procs[i];

		fprintf(out, "  unmanaged:       pid %d (%s, parent %d): %s\n", (int)up->pid,
			up->comm, (int)up->ppid, unmanaged_reason(up));
	}
	fprintf(out, "  not managed:     %llu file-backed mappings (%.1f MiB), %llu shared "
		"mappings (%.1f MiB)",
		(unsigned long long)u->file_mappings, (double)u->file_bytes / (1024.0 * 1024.0),
		(unsigned long long)u->shared_mappings, (double)u->shared_bytes / (1024.0 * 1024.0));
	if (u->hugetlb_mmaps)
		fprintf(out, ", %llu hugetlb mmaps", (unsigned long long)u->hugetlb_mmaps);
	if (u->unmanaged_syscalls)
		fprintf(out, ", %llu mmap/brk of processes without the shim",
			(unsigned long long)u->unmanaged_syscalls);
	if (u->unregistrable)
		fprintf(out, ", %llu ranges userfaultfd refused", (unsigned long long)u->unregistrable);
	fputc('\n', out);
}

static void unmanaged_entry(struct vms_json *j, const char *what, uint64_t count, int64_t bytes,
			    const char *why)
{
	vms_json_begin_object(j);
	vms_json_kv_string(j, "what", what);
	vms_json_kv_u64(j, "count", count);
	if (bytes >= 0)
		vms_json_kv_u64(j, "bytes", (uint64_t)bytes);
	vms_json_kv_string(j, "why", why);
	vms_json_end_object(j);
}

static void process_entry(struct vms_json *j, pid_t pid, pid_t ppid, const char *comm,
			  const char *command, const struct vms_as_stats *st, uint64_t mmaps,
			  uint64_t brks)
{
	vms_json_begin_object(j);
	vms_json_key(j, "pid");
	vms_json_i64(j, pid);
	vms_json_key(j, "ppid");
	vms_json_i64(j, ppid);
	vms_json_kv_string(j, "comm", comm);
	vms_json_kv_string(j, "command", command);
	vms_json_kv_u64(j, "references", st->references);
	vms_json_kv_u64(j, "faults", st->faults);
	vms_json_kv_u64(j, "swap_in", st->faults_swapin);
	vms_json_kv_u64(j, "cow_faults", st->cow_faults);
	vms_json_kv_u64(j, "evictions", st->evictions);
	vms_json_kv_u64(j, "peak_resident_frames", st->peak_resident);
	vms_json_kv_u64(j, "mmaps_registered", mmaps);
	vms_json_kv_u64(j, "brk_calls", brks);
	vms_json_end_object(j);
}

int vms_run_report_json(const struct vms_pager *pg, const struct vms_run_options *opts,
			const char *path)
{
	FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "we");
	int r;

	if (!out)
		return -errno;
	r = vms_run_report_json_file(pg, opts, out);
	if (out != stdout)
		return fclose(out) == 0 ? r : -errno;
	return fflush(out) == 0 ? r : -errno;
}

int vms_run_report_json_file(const struct vms_pager *pg, const struct vms_run_options *opts,
			     FILE *out)
{
	const struct vms_unmanaged *u = &pg->unmanaged;
	struct vms_json j;
	struct figures f;

	gather(pg, &f);
	vms_json_init(&j, out, true);
	vms_json_begin_object(&j);
	vms_json_kv_string(&j, "vmsandbox_version", VMS_VERSION);
	vms_json_kv_string(&j, "program", opts->argv[0]);
	vms_json_key(&j, "argv");
	vms_json_begin_array(&j);
	for (char **a = opts->argv; *a; a++)
		vms_json_string(&j, *a);
	vms_json_end_array(&j);
	vms_json_key(&j, "pid");
	vms_json_i64(&j, pg->child);
	vms_json_kv_string(&j, "outcome", outcome(pg));
	vms_json_key(&j, "exit_status");
	vms_json_i64(&j, vms_run_exit_status(pg->child_status));
	vms_json_key(&j, "signal");
	if (WIFSIGNALED(pg->child_status))
		vms_json_i64(&j, WTERMSIG(pg->child_status));
	else
		vms_json_null(&j);
	vms_json_key(&j, "error");
	if (pg->fatal)
		vms_json_string(&j, pg->fatal_msg);
	else
		vms_json_null(&j);
	vms_json_key(&j, "frames");
	if (opts->frames)
		vms_json_u64(&j, opts->frames);
	else
		vms_json_null(&j);
	vms_json_kv_u64(&j, "page_size", VMS_PAGE);
	vms_json_kv_string(&j, "policy", opts->policy);
	vms_json_kv_string(&j, "compress", opts->compress);
	vms_json_key(&j, "cpus");
	if (opts->cpus)
		vms_json_string(&j, opts->cpus);
	else
		vms_json_null(&j);
	vms_json_key(&j, "swap_limit_bytes");
	if (opts->swap_bytes == VMS_RUN_SWAP_UNLIMITED)
		vms_json_null(&j);
	else
		vms_json_u64(&j, opts->swap_bytes);
	vms_json_kv_bool(&j, "deterministic", opts->deterministic);
	vms_json_kv_u64(&j, "peak_resident_frames", f.peak_frames);

	vms_json_key(&j, "faults");
	vms_json_begin_object(&j);
	vms_json_kv_u64(&j, "total", f.faults_total);
	vms_json_kv_u64(&j, "zero_fill", f.mm->faults_zero);
	vms_json_kv_u64(&j, "swap_in", f.mm->faults_swapin);
	vms_json_kv_u64(&j, "same_fill", f.mm->faults_same);
	vms_json_kv_u64(&j, "fault_around_pages", f.mm->faults_around);
	vms_json_kv_u64(&j, "write_protect", pg->st.wp_faults);
	vms_json_kv_u64(&j, "already_served", pg->st.spurious_faults);
	vms_json_kv_u64(&j, "uffd_messages", pg->st.uffd_faults);
	vms_json_kv_u64(&j, "retried", pg->st.fault_retries);
	vms_json_end_object(&j);

	vms_json_kv_u64(&j, "evictions", f.mm->evictions);
	vms_json_key(&j, "eviction_kinds");
	vms_json_begin_object(&j);
	vms_json_kv_u64(&j, "written", f.mm->writebacks);
	vms_json_kv_u64(&j, "clean_drops", f.mm->clean_drops);
	vms_json_kv_u64(&j, "same_filled", f.mm->same_evictions);

	vms_json_end_object(&j);

	vms_json_key(&j, "swap");
	vms_json_begin_object(&j);
	vms_json_kv_u64(&j, "pages_out", f.swap.pages_out);
	vms_json_kv_u64(&j, "pages_in", f.swap.pages_in);
	vms_json_kv_u64(&j, "stored_pages", f.swap.peak_stored_pages);
	vms_json_kv_u64(&j, "compressed_bytes", f.swap.compressed_bytes_total);
	vms_json_kv_u64(&j, "peak_bytes_stored", f.swap.peak_bytes_stored);
	vms_json_kv_u64(&j, "same_filled", f.swap.same_filled);
	vms_json_kv_u64(&j, "rejects", f.swap.rejects);
	/* Clean evictions whose swap copy was still valid: nothing written. */
	vms_json_kv_u64(&j, "writes_saved", f.mm->clean_drops);
	vms_json_key(&j, "ratio");
	if (isfinite(f.ratio))
		vms_json_double(&j, f.ratio);
	else
		vms_json_null(&j);
	vms_json_end_object(&j);

	vms_json_key(&j, "time");
	vms_json_begin_object(&j);
	vms_json_kv_double(&j, "wall_s", f.wall_s);
	vms_json_kv_double(&j, "in_fault_s", f.fault_s);
	vms_json_end_object(&j);

	vms_report_refs_json(&j, pg, opts, f.wall_s);
	vms_report_oom_json(&j, pg);
	vms_report_thrash_json(&j, pg, opts);
	vms_report_sites_json(&j, pg);
	vms_report_profile_json(&j, pg, opts->locality);

	vms_json_key(&j, "interception");
	vms_json_begin_object(&j);
	vms_json_kv_u64(&j, "seccomp_notifications", pg->st.seccomp_notifs);
	vms_json_kv_u64(&j, "agent_calls", pg->st.agent_calls);
	vms_json_kv_u64(&j, "drop_batches", pg->st.drop_batches);
	vms_json_kv_u64(&j, "drop_failures", pg->st.drop_failures);
	vms_json_end_object(&j);

	vms_json_key(&j, "processes");
	vms_json_begin_array(&j);
	for (size_t i = 0; i < pg->nr_records; i++) {
		const struct vms_proc_record *r = &pg->records[i];

		process_entry(&j, r->pid, r->ppid, r->comm, r->command, &r->st, r->nr_mmaps,
			      r->nr_brks);
	}
	for (const struct vms_proc *p = pg->procs; p; p = p->next)
		if (p->as)
			process_entry(&j, p->pid, p->ppid, p->comm, p->command, &p->as->stats,
				      p->nr_mmaps, p->nr_brks);
	vms_json_end_array(&j);

	vms_json_key(&j, "process_tree");
	vms_json_begin_object(&j);
	vms_json_kv_u64(&j, "processes", pg->st.processes);
	vms_json_kv_u64(&j, "peak_live_processes", pg->st.peak_processes);
	vms_json_kv_u64(&j, "forks", pg->st.forks);
	vms_json_kv_u64(&j, "cow_faults", f.mm->cow_faults);
	vms_json_kv_u64(&j, "diverged_copies", f.mm->diverged_copies);
	vms_json_kv_u64(&j, "fork_pages_unprotected", pg->st.fork_pages_unprotected);
	vms_json_end_object(&j);

	vms_json_key(&j, "unmanaged_processes");
	vms_json_begin_array(&j);
	for (size_t i = 0; i < pg->nr_unmanaged_procs; i++) {
		const struct vms_unmanaged_proc *up = &pg->unmanaged_procs[i];

		vms_json_begin_object(&j);
		vms_json_key(&j, "pid");
		vms_json_i64(&j, up->pid);
		vms_json_key(&j, "ppid");
		vms_json_i64(&j, up->ppid);
		vms_json_kv_string(&j, "command", up->comm);
		vms_json_kv_string(&j, "reason", up->is_static ? "static" : "no-shim");
		vms_json_kv_string(&j, "explanation", unmanaged_reason(up));
		vms_json_end_object(&j);
	}
	vms_json_end_array(&j);

	vms_json_key(&j, "unmanaged");
	vms_json_begin_array(&j);
	unmanaged_entry(&j, "file-backed mappings", u->file_mappings, (int64_t)u->file_bytes,
			"their pages have a file to come back from; the kernel pages them");
	unmanaged_entry(&j, "shared mappings", u->shared_mappings, (int64_t)u->shared_bytes,
			"shared memory is not private to one address space; not paged by vmsandbox");
	unmanaged_entry(&j, "hugetlb mmaps", u->hugetlb_mmaps, -1,
			"huge pages are not 4 KiB frames");
	unmanaged_entry(&j, "mmap/brk of unmanaged processes", u->unmanaged_syscalls, -1,
			"processes without the shim (loader phase, static binaries, LD_PRELOAD "
			"removed) run unmanaged");
	unmanaged_entry(&j, "MADV_FREE calls kept", u->madv_free_ignored, -1,
			"the kernel would drop those pages silently; keeping them is a valid outcome");
	unmanaged_entry(&j, "ranges userfaultfd refused", u->unregistrable, -1,
			"UFFDIO_REGISTER failed for them");
	vms_json_end_array(&j);
	vms_json_end_object(&j);
	fputc('\n', out);
	return ferror(out) ? -EIO : 0;
}
