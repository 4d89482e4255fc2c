/* SPDX-License-Identifier: MIT */
/*
 * vmsandbox: one executable, subcommands by first argument.
 *   vmsandbox replay [OPTIONS] TRACE     the core over a trace
 *   vmsandbox [OPTIONS] PROGRAM [ARGS]   the live sandbox (issue "Live sandbox")
 */
#include <stdio.h>
#include <string.h>

#include "replay.h"

#define EXIT_USAGE 2

static void usage(FILE *out)
{
	fputs("usage: vmsandbox replay [OPTIONS] TRACE\n"
	      "       vmsandbox --help | --version\n"
	      "\n"
	      "Runs page reference traces through vmsandbox's memory model: a frame\n"
	      "budget, a replacement policy, a TLB model and a compressed swap store.\n"
	      "'vmsandbox replay --help' lists the replay options.\n"
	      "\n"
	      "Running a live program ('vmsandbox --frames N PROGRAM ARGS...') is not\n"
	      "in this build yet: it arrives with the live pager.\n", out);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "replay") == 0)
		return vms_replay_main(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("vmsandbox %s\n", VMS_VERSION);
		return 0;
	}
	if (argc < 2)
		fputs("vmsandbox: missing a subcommand or a program to run\n", stderr);
	else
		fprintf(stderr, "vmsandbox: '%s': running live programs is not in this build yet; "
			"only 'vmsandbox replay' is\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
