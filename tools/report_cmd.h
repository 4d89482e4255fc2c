/* SPDX-License-Identifier: MIT */
#ifndef VMS_REPORT_CMD_H
#define VMS_REPORT_CMD_H

#include <stdio.h>

/* `vmsandbox report FILE.json --html OUT`: argv[0] is "report".  Returns
 * the exit status: 0, 1 (unreadable or corrupt input, output not written),
 * 2 (usage). */
int vms_report_main(int argc, char **argv);
void vms_report_usage(FILE *out);

#endif
