/* SPDX-License-Identifier: MIT */
/*
 * vmsandbox: one executable, subcommands by first argument.
 *   vmsandbox replay [OPTIONS] TRACE     the core over a trace
 *   vmsandbox report FILE.json --html OUT  a saved report as an HTML page
 *   vmsandbox [OPTIONS] PROGRAM [ARGS]   the live sandbox (issue "Live sandbox")
 * A program named "replay" or "report" is run with `vmsandbox -- NAME` or a
 * path.
 */
#include <stdio.h>
#include <string.h>

#include "replay.h"
#include "report_cmd.h"
#include "run.h"

int main(int argc, char **argv)
{
	struct vms_run_options opts;
	char msg[2048];
	bool done;
	int r;

	if (argc >= 2 && strcmp(argv[1], "replay") == 0)
		return vms_replay_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "report") == 0)
		return vms_report_main(argc - 1, argv + 1);
	r = vms_run_parse(argc, argv, &opts, &done, stderr);
	if (r || done)
		return r;
	r = vms_run_check_program(&opts, msg, sizeof(msg));
	if (r) {
		fprintf(stderr, "vmsandbox: %s\n", msg);
		vms_run_options_free(&opts);
		return r;
	}
	r = vms_run_main(&opts);
	vms_run_options_free(&opts);
	return r;
}
