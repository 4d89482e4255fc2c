/* SPDX-License-Identifier: MIT */
/*
 * The live sandbox's front end: checks that userfaultfd is usable before
 * anything starts (a clear explanation instead of a program dying in its
 * loader), finds the shim, runs the pager, prints the summary, writes the
 * report, and exits as the program did.
 */
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "locality.h"
#include "profile.h"
#include "run.h"
#include "statusline.h"
#include "uffd.h"

#define SHIM_NAME "libvmsandbox-shim.so"

static bool readable_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* $VMSANDBOX_SHIM, else next to the binary in a build tree (build/tools/ ->
 * build/shim/), else the installed library directory. */
static int find_shim(char *buf, size_t len)
{
	const char *env = getenv("VMSANDBOX_SHIM");
	char exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		if (realpath(env, buf) && readable_file(buf))
			return 0;
		return -ENOENT;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			if (snprintf(buf, len, "%.*s/../shim/" SHIM_NAME, (int)(len - 64), exe) <
				    (int)len && readable_file(buf))
				return 0;
		}
	}
	snprintf(buf, len, "%s/" SHIM_NAME, VMS_SHIM_INSTALL_DIR);
	return readable_file(buf) ? 0 : -ENOENT;
}

/* Can this user have a userfaultfd with the events the pager needs? */
static int preflight_uffd(void)
{
	enum vms_uffd_source how;
	uint64_t features, ioctls;
	char why[2048];
	int fd, r;

	r = vms_uffd_open(0, &fd, &how);
	if (r == 0) {
		r = vms_uffd_handshake(fd, VMS_UFFD_FEATURES_WANTED, VMS_UFFD_FEATURES_REQUIRED,
				       &features, &ioctls);
		close(fd);
	}
	if (r < 0) {
		vms_uffd_diagnose(why, sizeof(why));
		fprintf(stderr, "vmsandbox: cannot use userfaultfd (%s), which the pager needs to "
			"serve the program's page faults.\n%s", strerror(-r), why);
		return r;
	}
	if (!(features & UFFD_FEATURE_EVENT_FORK))
		fprintf(stderr, "vmsandbox: warning: userfaultfd fork events are not available "
			"(they need CAP_SYS_PTRACE); a child the program forks keeps its memory "
			"but is not paged\n");
	return 0;
}

int vms_run_exit_status(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return VMS_EXIT_INTERNAL;
}

static uint64_t observe_only_frames(void)
{
	long pages = sysconf(_SC_PHYS_PAGES);
	uint64_t f = pages > 0 ? (uint64_t)pages : (1u << 20);

	return f > 0xfffffff0u ? 0xfffffff0u : f;
}

/*
 * --profile: the analysis of the stream the pager recorded (locality.c),
 * for the summary and the report.  Read back through /proc/self/fd, so an
 * unlinked temporary file works as well as --trace's.
 */
static void analyze_profile(const struct vms_pager *pg, struct vms_run_options *opts,
			    const struct vms_pager_config *cfg, struct vms_locality *loc)
{
	struct vms_locality_input in = {
		.budget_frames = opts->frames,
		.run_policy = opts->policy,
		.seed = opts->seed,
	};
	char path[64];

	if (!pg->profile || !cfg->trace_file)
		return;
	in.virtual_time = pg->profile->virtual_time;
	in.bucket = pg->profile->width;
	in.nr_buckets = pg->profile->nr;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fileno(cfg->trace_file));
	in.trace_path = path;
	if (pg->trace_err) {
		snprintf(loc->error, sizeof(loc->error), "the reference stream is incomplete: %s",
			 strerror(-pg->trace_err));
	} else if (vms_locality_analyze(&in, loc) < 0) {
		fprintf(stderr, "vmsandbox: --profile: %s\n", loc->error);
	}
	opts->locality = loc;
}

/* --progress: the terminal for the status line, or a note saying once why
 * there is none (the run goes on without it).  No escape sequence is ever
 * written where stderr is not a terminal: a log file gets only the note. */
static void open_status_line(struct vms_statusline **ret)
{
	int r = vms_statusline_open(STDERR_FILENO, ret);

	if (r == -ENOTTY)
		fprintf(stderr, "vmsandbox: --progress: stderr is not a terminal, no status line\n");
	else if (r == -EOPNOTSUPP)
		fprintf(stderr, "vmsandbox: --progress: the terminal cannot move its cursor "
			"(TERM=%s), no status line\n", getenv("TERM") ? getenv("TERM") : "");
	else if (r < 0)
		fprintf(stderr, "vmsandbox: --progress: cannot open the terminal: %s; "
			"no status line\n", strerror(-r));
	if (r < 0)
		*ret = NULL;
}

int vms_run_main(struct vms_run_options *opts)
{
	struct vms_pager_config cfg = { 0 };
	struct vms_locality loc = { 0 };
	struct vms_pager *pg;
	char shim[PATH_MAX];
	FILE *out = stderr;
	int r, status;

	if (find_shim(shim, sizeof(shim)) < 0) {
		fprintf(stderr, "vmsandbox: cannot find the preload library %s (looked at "
			"$VMSANDBOX_SHIM, next to the vmsandbox binary and in %s)\n",
			SHIM_NAME, VMS_SHIM_INSTALL_DIR);
		return VMS_EXIT_INTERNAL;
	}
	if (preflight_uffd() < 0)
		return VMS_EXIT_INTERNAL;
	/* Before the program is started: it inherits the set, as with taskset. */
	if (opts->cpus && sched_setaffinity(0, sizeof(opts->cpu_set), &opts->cpu_set) < 0) {
		fprintf(stderr, "vmsandbox: --cpus %s: %s\n", opts->cpus, strerror(errno));
		return VMS_EXIT_INTERNAL;
	}
	cfg.frames = opts->frames ? opts->frames : observe_only_frames();
	cfg.policy = opts->policy;
	cfg.seed = opts->seed;
	cfg.swap_bytes = opts->swap_bytes;
	cfg.compress = opts->compress;
	cfg.argv = opts->argv;
	cfg.program_path = opts->program_path;
	cfg.shim_path = shim;
	cfg.ref_tracking = opts->ref_tracking;
	cfg.fault_around = opts->fault_around;
	cfg.tlb = opts->tlb_geom;
	cfg.wss_interval_ns = opts->wss_interval_ns;
	cfg.overcommit = opts->overcommit;
	cfg.commit_limit_bytes = opts->commit_limit_bytes;
	cfg.oom_pause = opts->oom_pause;
	cfg.thrash_window_ns = opts->thrash_window_ns;
	cfg.thrash_window_refs = opts->thrash_window_refs;
	cfg.deterministic = opts->deterministic;
	cfg.profile = opts->profile;
	cfg.profile_window = opts->profile_window;
	cfg.stack_period = opts->stack_period;
	cfg.progress = opts->progress;
	cfg.observe_only = opts->frames == 0;
	if (opts->trace_path) {
		cfg.trace_file = fopen(opts->trace_path, "we");
		if (!cfg.trace_file) {
			fprintf(stderr, "vmsandbox: cannot write the trace to %s: %s\n",
				opts->trace_path, strerror(errno));
			return VMS_EXIT_INTERNAL;
		}
	} else if (opts->profile) {
		/* The profile analyses the reference stream after the run: an
		 * unlinked file in $TMPDIR, gone with vmsandbox. */
		cfg.trace_file = tmpfile();
		if (!cfg.trace_file) {
			fprintf(stderr, "vmsandbox: --profile: cannot create a temporary file for the "
				"reference stream (TMPDIR=%s): %s\n",
				getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
			return VMS_EXIT_INTERNAL;
		}
	}
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return VMS_EXIT_INTERNAL;
	if (opts->progress)
		open_status_line(&cfg.status_line);   /* the pager closes it */
	r = vms_pager_run(pg, &cfg);
	if (r <= -1000) {
		int err = -(r + 1000);

		fprintf(stderr, "vmsandbox: %s: %s\n", opts->argv[0], strerror(err));
		vms_pager_fini(pg);
		free(pg);
		return err == ENOENT ? VMS_EXIT_NOTFOUND : VMS_EXIT_NOEXEC;
	}
	if (r < 0) {
		fprintf(stderr, "vmsandbox: cannot start %s: %s\n", opts->argv[0], strerror(-r));
		vms_pager_fini(pg);
		free(pg);
		return VMS_EXIT_INTERNAL;
	}
	if (pg->fatal)
		fprintf(stderr, "vmsandbox: %s; %s (pid %d) was killed\n", pg->fatal_msg,
			opts->argv[0], (int)pg->child);
	if (opts->profile)
		analyze_profile(pg, opts, &cfg, &loc);
	if (opts->output_path) {
		out = fopen(opts->output_path, "we");
		if (!out) {
			fprintf(stderr, "vmsandbox: cannot write the summary to %s: %s\n",
				opts->output_path, strerror(errno));
			out = stderr;
		}
	}
	if (!opts->quiet || opts->output_path)
		vms_run_report_summary(pg, opts, out);
	if (out != stderr)
		fclose(out);
	if (opts->report_path && vms_run_report_json(pg, opts, opts->report_path) < 0)
		fprintf(stderr, "vmsandbox: cannot write the report to %s: %s\n",
			opts->report_path, strerror(errno));
	if (opts->html_path) {
		char why[1024];

		/* Like the report: a failure is said, the exit status stays the program's. */
		if (vms_run_report_html(pg, opts, opts->html_path, why, sizeof(why)) < 0)
			fprintf(stderr, "vmsandbox: cannot write the HTML report %s: %s\n",
				opts->html_path, why);
	}
	status = vms_run_exit_status(pg->child_status);
	if (pg->trace_err)
		fprintf(stderr, "vmsandbox: the trace %s is incomplete: %s\n", opts->trace_path,
			strerror(-pg->trace_err));
	vms_pager_fini(pg);
	if (cfg.trace_file)
		fclose(cfg.trace_file);
	vms_locality_free(&loc);
	opts->locality = NULL;
	free(pg);
	return status;
}
