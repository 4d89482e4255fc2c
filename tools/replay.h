/* SPDX-License-Identifier: MIT */
#ifndef VMS_REPLAY_H
#define VMS_REPLAY_H

/* `vmsandbox replay ...`: argv[0] is "replay".  Returns the exit status. */
int vms_replay_main(int argc, char **argv);
void vms_replay_usage(FILE *out);

#endif
