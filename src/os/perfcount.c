/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "perfcount.h"

int vms_perf_open_instructions(pid_t pid)
{
	struct perf_event_attr a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_INSTRUCTIONS;
	a.inherit = 1;          /* threads and children made from now on */
	a.exclude_kernel = 1;   /* allowed at perf_event_paranoid 2 */
	a.exclude_hv = 1;
	fd = syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}

int vms_perf_read(int fd, uint64_t *ret)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -errno ? -errno : -EIO;
	*ret = v;
	return 0;
}
