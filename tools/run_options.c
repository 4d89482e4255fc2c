/* SPDX-License-Identifier: MIT */
/*
 * `vmsandbox [OPTIONS] [--] PROGRAM [ARGS...]`: option parsing and usage.
 * The checks of PROGRAM itself are in run_check.c.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "run_options.h"
#include "vmsandbox/compress.h"
#include "vmsandbox/policy.h"

#define PAGE_BYTES 4096u

/* Long-only options get values outside the range of short option characters. */
enum {
	OPT_MEMORY = 0x100,
	OPT_SWAP,
	OPT_COMPRESS,
	OPT_REPORT,
	OPT_SEED,
	OPT_CPUS,
	OPT_REF_TRACKING,
	OPT_WSS_INTERVAL,
	OPT_TRACE,
	OPT_OVERCOMMIT,
	OPT_COMMIT_LIMIT,
	OPT_OOM_POLICY,
	OPT_THRASH_WINDOW,
	OPT_DETERMINISTIC,
	OPT_PROFILE,
	OPT_HTML,
	OPT_PROFILE_WINDOW,
	OPT_STACK_PERIOD,
	OPT_PROGRESS,
	OPT_FAULT_AROUND,
};

static const struct option long_options[] = {
	{ "frames",   required_argument, NULL, 'f' },
	{ "memory",   required_argument, NULL, OPT_MEMORY },
	{ "policy",   required_argument, NULL, 'p' },
	{ "swap",     required_argument, NULL, OPT_SWAP },
	{ "compress", required_argument, NULL, OPT_COMPRESS },
	{ "report",   required_argument, NULL, OPT_REPORT },
	{ "output",   required_argument, NULL, 'o' },
	{ "quiet",    no_argument,       NULL, 'q' },
	{ "seed",     required_argument, NULL, OPT_SEED },
	{ "cpus",     required_argument, NULL, OPT_CPUS },
	{ "tlb",      required_argument, NULL, 't' },
	{ "ref-tracking", required_argument, NULL, OPT_REF_TRACKING },
	{ "wss-interval", required_argument, NULL, OPT_WSS_INTERVAL },
	{ "trace",    required_argument, NULL, OPT_TRACE },
	{ "overcommit", required_argument, NULL, OPT_OVERCOMMIT },
	{ "commit-limit", required_argument, NULL, OPT_COMMIT_LIMIT },
	{ "oom-policy", required_argument, NULL, OPT_OOM_POLICY },
	{ "thrash-window", required_argument, NULL, OPT_THRASH_WINDOW },
	{ "deterministic", no_argument,  NULL, OPT_DETERMINISTIC },
	{ "profile",  no_argument,       NULL, OPT_PROFILE },
	{ "html",     required_argument, NULL, OPT_HTML },
	{ "profile-window", required_argument, NULL, OPT_PROFILE_WINDOW },
	{ "stack-period", required_argument, NULL, OPT_STACK_PERIOD },
	{ "progress", no_argument,       NULL, OPT_PROGRESS },
	{ "fault-around", required_argument, NULL, OPT_FAULT_AROUND },
	{ "help",     no_argument,       NULL, 'h' },
	{ "version",  no_argument,       NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* '+': stop at the first non-option, which is PROGRAM; ':': report a
 * missing argument as ':' so that we print every message ourselves. */
static const char short_options[] = "+:f:p:o:t:qhV";

static void print_live_policies(FILE *out)
{
	for (size_t i = 0; vms_policies[i]; i++)
		if (!(vms_policies[i]->flags & VMS_POLICY_OFFLINE))
			fprintf(out, " %s", vms_policies[i]->name);
}

void vms_run_usage(FILE *out)
{
	fputs("usage: vmsandbox [OPTIONS] [--] PROGRAM [ARGS...]\n"
	      "       vmsandbox replay [OPTIONS] TRACE\n"
	      "       vmsandbox report FILE.json --html OUT\n"
	      "       vmsandbox --help | --version\n"
	      "\n"
	      "Runs PROGRAM (dynamically linked, x86-64) with its anonymous memory paged\n"
	      "by vmsandbox: at most N frames of 4 KiB resident, the rest evicted to a\n"
	      "compressed swap store by the chosen policy.  Without --frames or --memory\n"
	      "the program is only observed.  Options end at PROGRAM: what follows it is\n"
	      "the program's.  A summary is printed on stderr when the program exits.\n"
	      "\n"
	      "  -f, --frames N         frame budget, in 4 KiB frames (N >= 1)\n"
	      "      --memory SIZE      the budget as a size (64M, 512K, 1G): SIZE/4096\n"
	      "                         frames; SIZE must be a multiple of 4K, not with --frames\n"
	      "  -p, --policy NAME      replacement policy (default: clock)\n"
	      "      --swap SIZE|none   swap capacity in bytes of stored (compressed) data\n"
	      "                         (default: unlimited); none: no swap\n"
	      "      --compress ALGO    lz4 (default), zstd or none\n"
	      "      --report FILE      write a JSON report to FILE (docs/report.md)\n"
	      "  -o, --output FILE      write the summary to FILE instead of stderr\n"
	      "  -q, --quiet            no summary (--report is still written)\n"
	      "      --seed N           seed of the random policy (default 1)\n"
	      "      --cpus LIST        run the program and vmsandbox on these CPUs only\n"
	      "                         (0, 0-3, 0,2): with one CPU, no fault needs a\n"
	      "                         wakeup across CPUs (much faster when paging hard)\n"
	      "  -t, --tlb GEOM         TLB model ENTRIESxWAYS[,ENTRIESxWAYS] (64x4,1536x12):\n"
	      "                         only the pages its first level holds stay mapped,\n"
	      "                         every other touch is a soft fault = a TLB miss\n"
	      "      --ref-tracking on|off  soft unmaps that give the policy real reference\n"
	      "                         bits (clock family) or hits (lru, lfu, arc) under\n"
	      "                         memory pressure (default: on)\n"
	      "      --fault-around on|off  map up to 16 untouched neighbours of a page\n"
	      "                         faulted in, while frames are free, as the kernel's\n"
	      "                         fault-around does (default: on; off with --tlb,\n"
	      "                         --wss-interval and --profile, which must see every\n"
	      "                         first touch)\n"
	      "      --wss-interval T   working-set size W(t,T) every T (100ms, 1s) in the\n"
	      "                         report, by soft-unmapping every page each interval\n"
	      "      --trace FILE       record the references the pager saw (binary trace,\n"
	      "                         for 'vmsandbox replay')\n"
	      "      --overcommit MODE  heuristic (default): refuse one allocation larger\n"
	      "                         than frames + swap; always: refuse nothing; never:\n"
	      "                         anonymous mmap, brk, mremap, mprotect and fork fail\n"
	      "                         with ENOMEM beyond the commit limit\n"
	      "      --commit-limit SIZE  the tree's commit limit with --overcommit never\n"
	      "                         (default: half the frames + the swap size)\n"
	      "      --oom-policy P     when frames and swap are full: kill (default: SIGKILL\n"
	      "                         the process with the highest badness) or pause (stop\n"
	      "                         the tree and say how to attach a debugger)\n"
	      "      --thrash-window T|Nrefs  the windows of the thrashing verdict: T of wall\n"
	      "                         time (default 100ms) or N references (virtual time)\n"
	      "      --deterministic    same program and options, same counts and trace:\n"
	      "                         no address randomisation, no wall-clock times in\n"
	      "                         the trace, threads numbered, the agent's work\n"
	      "                         waited for (slower; not with --wss-interval)\n"
	      "      --profile          locality profile: miss-ratio curve of every budget\n"
	      "                         from this one run, faults by region and by code\n"
	      "                         location with call stacks, heatmap, working set\n"
	      "                         and fault rate over time (docs/profiling.md)\n"
	      "      --html FILE        write the profile as a self-contained HTML report\n"
	      "                         (implies --profile; 'vmsandbox report' renders a\n"
	      "                         saved --report the same way)\n"
	      "      --profile-window N  while profiling, only the N pages touched last\n"
	      "                         stay mapped, every other touch is seen (default\n"
	      "                         64: the curve is exact above about N frames)\n"
	      "      --stack-period N   while profiling, unwind the call stack of every\n"
	      "                         Nth fault (default 16; 1: every fault; 0: none)\n"
	      "      --progress         a live status line on the terminal (resident,\n"
	      "                         swapped, fault rate, elapsed)\n"
	      "  -h, --help             this text\n"
	      "  -V, --version          the version\n"
	      "\n"
	      "policies:", out);
	print_live_policies(out);
	fputs(" (opt is for 'vmsandbox replay' only)\n"
	      "exit status: the program's; 128+N if killed by signal N; 2 usage error;\n"
	      "125 vmsandbox failed; 126 PROGRAM cannot be run or sandboxed; 127 not found.\n"
	      "'vmsandbox replay --help' lists the replay options; see vmsandbox(1).\n", out);
}

__attribute__((format(printf, 2, 3)))
static int usage_error(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fputs("vmsandbox: ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputs("\n", err);
	vms_run_usage(err);
	return VMS_EXIT_USAGE;
}

/* The option getopt just stopped at, as the user wrote it.  `word` is the
 * argument getopt was examining: a long option is named by it (up to any
 * '='); a short one may sit inside a cluster ("-qx") and is named by optopt. */
static const char *option_name(const char *word, char *buf, size_t len)
{
	if (strncmp(word, "--", 2) == 0)
		snprintf(buf, len, "%.*s", (int)strcspn(word, "="), word);
	else
		snprintf(buf, len, "-%c", optopt);
	return buf;
}

static int parse_policy(const char *name, struct vms_run_options *opts, FILE *err)
{
	const struct vms_policy_ops *ops = vms_policy_find(name);

	if (!ops) {
		fprintf(err, "vmsandbox: unknown policy '%s'; live policies are:", name);
		print_live_policies(err);
		fputs("\n", err);
		vms_run_usage(err);
		return VMS_EXIT_USAGE;
	}
	if (ops->flags & VMS_POLICY_OFFLINE)
		return usage_error(err, "policy '%s' needs the future (when each page is used next), "
				   "which a running program cannot tell; it is only for replay: "
				   "record a trace and run 'vmsandbox replay --policy %s TRACE'",
				   name, name);
	opts->policy = ops->name;
	return 0;
}

static int parse_memory(const char *arg, uint64_t *ret_frames, FILE *err)
{
	uint64_t bytes;

	if (!vms_parse_size(arg, &bytes))
		return usage_error(err, "--memory '%s': not a size (examples: 64M, 512K, 1G)", arg);
	if (bytes < PAGE_BYTES)
		return usage_error(err, "--memory '%s': less than one 4 KiB frame", arg);
	if (bytes % PAGE_BYTES)
		return usage_error(err, "--memory '%s': not a multiple of 4 KiB (4096 bytes); "
				   "the nearest budgets below and above are %" PRIu64 " and %"
				   PRIu64 " bytes, or use --frames", arg,
				   bytes / PAGE_BYTES * PAGE_BYTES, (bytes / PAGE_BYTES + 1) * PAGE_BYTES);
	*ret_frames = bytes / PAGE_BYTES;
	return 0;
}

/*
 * --cpus LIST: CPU numbers and ranges separated by commas, as taskset -c and
 * cgroup cpusets write them.  Every CPU must be one vmsandbox may run on now.
 */
static int parse_cpus(const char *list, struct vms_run_options *opts, FILE *err)
{
	cpu_set_t allowed;
	const char *s = list;

	CPU_ZERO(&opts->cpu_set);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		CPU_ZERO(&allowed);
	do {
		char *end;
		unsigned long lo, hi;

		if (*s < '0' || *s > '9')
			return usage_error(err, "--cpus needs CPU numbers like 0, 0-3 or 0,2, "
					   "not '%s'", list);
		lo = hi = strtoul(s, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return usage_error(err, "--cpus '%s': a range needs an end", list);
			hi = strtoul(end + 1, &end, 10);
		}
		if (hi < lo || hi >= CPU_SETSIZE)
			return usage_error(err, "--cpus '%s': bad range %lu-%lu", list, lo, hi);
		for (unsigned long c = lo; c <= hi; c++) {
			if (!CPU_ISSET(c, &allowed))
				return usage_error(err, "--cpus '%s': CPU %lu is not one this process "
						   "may run on (see taskset -p $$ or nproc)", list, c);
			CPU_SET(c, &opts->cpu_set);
		}
		s = end;
		if (*s == ',' && s[1])
			s++;
		else if (*s)
			return usage_error(err, "--cpus needs CPU numbers like 0, 0-3 or 0,2, "
					   "not '%s'", list);
	} while (*s);
	opts->cpus = list;
	return 0;
}

/* --thrash-window: a duration (100ms, 1s), or a number of references with
 * the suffix "refs" (the engine's virtual time: the same windows on every
 * run of a deterministic program). */
static int parse_thrash_window(const char *arg, struct vms_run_options *opts, FILE *err)
{
	size_t n = strlen(arg);
	char num[32];

	opts->thrash_window_ns = opts->thrash_window_refs = 0;
	if (n > 4 && n - 4 < sizeof(num) && strcmp(arg + n - 4, "refs") == 0) {
		memcpy(num, arg, n - 4);
		num[n - 4] = 0;
		if (!vms_parse_u64(num, &opts->thrash_window_refs) ||
		    opts->thrash_window_refs < 100 || opts->thrash_window_refs > 1000000000000ull)
			return usage_error(err, "--thrash-window: a number of references from 100 to "
					   "10^12 (20000refs), not '%s'", arg);
		return 0;
	}
	if (!vms_parse_duration_ns(arg, &opts->thrash_window_ns) ||
	    opts->thrash_window_ns < 1000000 || opts->thrash_window_ns > 3600000000000ull)
		return usage_error(err, "--thrash-window needs a duration from 1ms to 1h with its "
				   "unit (100ms, 2s) or a number of references (20000refs), not '%s'",
				   arg);
	return 0;
}

static int parse_option(int c, const char *word, struct vms_run_options *opts,
			bool *ret_done, FILE *err)
{
	enum vms_compressor compressor;
	char buf[64];
	uint64_t u;

	switch (c) {
	case 'f':
		if (!vms_parse_u64(optarg, &opts->frames) || opts->frames == 0)
			return usage_error(err, "--frames needs a number of frames >= 1, not '%s'", optarg);
		break;
	case OPT_MEMORY:
		return parse_memory(optarg, &opts->frames, err);
	case 'p':
		return parse_policy(optarg, opts, err);
	case OPT_SWAP:
		if (strcmp(optarg, "none") == 0)
			opts->swap_bytes = 0;
		else if (strcmp(optarg, "unlimited") == 0)
			opts->swap_bytes = VMS_RUN_SWAP_UNLIMITED;
		else if (!vms_parse_size(optarg, &opts->swap_bytes))
			return usage_error(err, "--swap needs a size (e.g. 256M), 'none' or "
					   "'unlimited', not '%s'", optarg);
		break;
	case OPT_COMPRESS:
		if (vms_compressor_parse(optarg, &compressor) < 0)
			return usage_error(err, "--compress needs lz4, zstd or none, not '%s'", optarg);
		opts->compress = vms_compressor_name(compressor);
		break;
	case OPT_REPORT:
		opts->report_path = optarg;
		break;
	case 'o':
		opts->output_path = optarg;
		break;
	case 'q':
		opts->quiet = true;
		break;
	case OPT_CPUS:
		return parse_cpus(optarg, opts, err);
	case 't': {
		char why[160];

		if (vms_tlb_parse(optarg, &opts->tlb_geom, why, sizeof(why)) < 0)
			return usage_error(err, "--tlb: %s", why);
		opts->tlb = optarg;
		break;
	}
	case OPT_REF_TRACKING:
		if (strcmp(optarg, "on") == 0)
			opts->ref_tracking = true;
		else if (strcmp(optarg, "off") == 0)
			opts->ref_tracking = false;
		else
			return usage_error(err, "--ref-tracking needs on or off, not '%s'", optarg);
		break;
	case OPT_WSS_INTERVAL:
		if (!vms_parse_duration_ns(optarg, &opts->wss_interval_ns) ||
		    opts->wss_interval_ns < 1000000 || opts->wss_interval_ns > 3600000000000ull)
			return usage_error(err, "--wss-interval needs a duration from 1ms to 1h with "
					   "its unit (100ms, 2s), not '%s'", optarg);
		break;
	case OPT_TRACE:
		opts->trace_path = optarg;
		break;
	case OPT_OVERCOMMIT:
		if (strcmp(optarg, "heuristic") == 0)
			opts->overcommit = VMS_OVERCOMMIT_HEURISTIC;
		else if (strcmp(optarg, "always") == 0)
			opts->overcommit = VMS_OVERCOMMIT_ALWAYS;
		else if (strcmp(optarg, "never") == 0)
			opts->overcommit = VMS_OVERCOMMIT_NEVER;
		else
			return usage_error(err, "--overcommit needs heuristic, always or never "
					   "(vm.overcommit_memory 0, 1, 2), not '%s'", optarg);
		break;
	case OPT_COMMIT_LIMIT:
		if (!vms_parse_size(optarg, &opts->commit_limit_bytes) ||
		    opts->commit_limit_bytes < PAGE_BYTES)
			return usage_error(err, "--commit-limit needs a size of at least 4K "
					   "(e.g. 256M), not '%s'", optarg);
		break;
	case OPT_OOM_POLICY:
		if (strcmp(optarg, "kill") == 0)
			opts->oom_pause = false;
		else if (strcmp(optarg, "pause") == 0)
			opts->oom_pause = true;
		else
			return usage_error(err, "--oom-policy needs kill or pause, not '%s'", optarg);
		break;
	case OPT_THRASH_WINDOW:
		return parse_thrash_window(optarg, opts, err);
	case OPT_DETERMINISTIC:
		opts->deterministic = true;
		break;
	case OPT_PROFILE:
		opts->profile = true;
		break;
	case OPT_HTML:
		opts->html_path = optarg;
		opts->profile = true;
		break;
	case OPT_PROFILE_WINDOW:
		if (!vms_parse_u64(optarg, &u) || u < 1 || u > 65536)
			return usage_error(err, "--profile-window needs a number of pages from 1 "
					   "to 65536, not '%s'", optarg);
		opts->profile_window = (uint32_t)u;
		break;
	case OPT_STACK_PERIOD:
		if (!vms_parse_u64(optarg, &u) || u > UINT32_MAX)
			return usage_error(err, "--stack-period needs a number of faults (1: every "
					   "fault's stack, 0: none), not '%s'", optarg);
		opts->stack_period = (uint32_t)u;
		break;
	case OPT_PROGRESS:
		opts->progress = true;
		break;
	case OPT_FAULT_AROUND:
		if (strcmp(optarg, "on") == 0)
			opts->fault_around = true;
		else if (strcmp(optarg, "off") == 0)
			opts->fault_around = false;
		else
			return usage_error(err, "--fault-around needs on or off, not '%s'", optarg);
		break;
	case OPT_SEED:
		if (!vms_parse_u64(optarg, &opts->seed))
			return usage_error(err, "--seed needs an unsigned number, not '%s'", optarg);
		break;
	case 'h':
		vms_run_usage(stdout);
		*ret_done = true;
		break;
	case 'V':
		printf("vmsandbox %s\n", VMS_VERSION);
		*ret_done = true;
		break;
	case ':':
		return usage_error(err, "option '%s' needs a value", option_name(word, buf, sizeof(buf)));
	default:
		/* A known long option with a value it does not take ("--quiet=1")
		 * comes back as '?' with its own value in optopt. */
		if (optopt && strncmp(word, "--", 2) == 0)
			return usage_error(err, "option '%s' takes no value",
					   option_name(word, buf, sizeof(buf)));
		return usage_error(err, "unknown option '%s'", option_name(word, buf, sizeof(buf)));
	}
	return 0;
}

int vms_run_parse(int argc, char **argv, struct vms_run_options *opts, bool *ret_done, FILE *err)
{
	bool has_frames = false, has_memory = false;
	const char *word;
	int c, r;

	*opts = (struct vms_run_options){
		.policy = "clock",
		.swap_bytes = VMS_RUN_SWAP_UNLIMITED,
		.compress = "lz4",
		.seed = 1,
		.ref_tracking = true,
		.fault_around = true,
		.profile_window = 64,
		.stack_period = 16,
	};
	*ret_done = false;
	opterr = 0;
	/* 0, not 1: glibc then re-reads the '+' of short_options even if
	 * getopt ran before in this process. */
	optind = 0;
	for (;;) {
		/* getopt examines argv[optind] (optind 0 stands for 1), and only
		 * moves on once a cluster of short options is used up. */
		word = argv[optind ? optind : 1];
		c = getopt_long(argc, argv, short_options, long_options, NULL);
		if (c == -1)
			break;
		r = parse_option(c, word, opts, ret_done, err);
		if (r)
			return r;
		if (*ret_done)
			return 0;
		has_frames |= c == 'f';
		has_memory |= c == OPT_MEMORY;
		if (has_frames && has_memory)
			return usage_error(err, "--frames and --memory both set the budget; give one");
	}
	if (opts->frames > UINT32_MAX)
		return usage_error(err, "a budget of %" PRIu64 " frames is more than the %" PRIu32
				   " frames (16 TiB) vmsandbox can manage", opts->frames, UINT32_MAX);
	if (opts->commit_limit_bytes && opts->overcommit != VMS_OVERCOMMIT_NEVER)
		return usage_error(err, "--commit-limit applies to --overcommit never only (as "
				   "vm.overcommit_kbytes does to vm.overcommit_memory=2)");
	if (opts->overcommit == VMS_OVERCOMMIT_NEVER && !opts->commit_limit_bytes &&
	    (opts->swap_bytes == VMS_RUN_SWAP_UNLIMITED || !opts->frames))
		return usage_error(err, "--overcommit never needs a commit limit: give "
				   "--commit-limit SIZE, or --frames and a finite --swap SIZE|none "
				   "(the default limit is half the frames plus the swap, as the "
				   "kernel's with vm.overcommit_ratio=50)");
	if (opts->deterministic && opts->wss_interval_ns)
		return usage_error(err, "--wss-interval samples the working set by wall-clock time, "
				   "which differs from run to run, so it cannot be --deterministic; "
				   "leave one of them out (replay of a --trace gives the LRU "
				   "miss-ratio curve deterministically: vmsandbox replay --mrc)");
	if (optind >= argc)
		return usage_error(err, "missing a subcommand or a program to run");
	opts->argv = argv + optind;
	return 0;
}

void vms_run_options_free(struct vms_run_options *opts)
{
	if (!opts)
		return;
	free(opts->program_path);
	opts->program_path = NULL;
}
