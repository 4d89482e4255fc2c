/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "channel.h"
#include "filter.h"
#include "procmem.h"

static int has_cap_sys_admin(void)
{
	/* CAP_SYS_ADMIN is bit 21 of CapEff in /proc/self/status; read it
	 * without libcap. */
	char buf[4096];
	char *p;

	if (!vms_procmem_read_file(0, "status", buf, sizeof(buf)))
		return 0;
	p = strstr(buf, "CapEff:");
	if (!p)
		return 0;
	return (strtoull(p + 7, NULL, 16) >> 21) & 1;
}

int vms_seccomp_install(int *ret_fd, bool trap_commit)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r, fd;

	if (!ctx)
		return -ENOMEM;
	/* A 32-bit syscall (int 0x80) of a 64-bit program is not interpreted:
	 * let it through; such mappings are simply not managed. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
	/* libseccomp 2.5 asks for a listener by itself when a rule notifies. */
	if (r == 0 && has_cap_sys_admin())
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mmap), 2,
				     SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS | MAP_TYPE,
					     MAP_ANONYMOUS | MAP_PRIVATE),
				     SCMP_A4(SCMP_CMP_NE, VMS_AGENT_MARK));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(brk), 1,
				     SCMP_A1(SCMP_CMP_NE, VMS_AGENT_MARK));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(madvise), 1,
				     SCMP_A2(SCMP_CMP_EQ, MADV_FREE));
	/* fork, and clone without CLONE_VM: a new address space sharing the
	 * parent's pages copy-on-write (src/pager/fork.c).  clone3 keeps its
	 * flags in memory, out of seccomp's sight: it is refused with ENOSYS,
	 * and glibc (2.34+) then uses clone, as under valgrind or Docker's
	 * default profile. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_VM, 0));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(fork), 0);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* --overcommit never: the calls that can grow what is committed
	 * without a new mapping (src/pager/commit.c).  Not otherwise: glibc's
	 * arenas and thread stacks mprotect often, and a notification costs
	 * 5-40 us. */
	if (r == 0 && trap_commit)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE, PROT_WRITE));
	if (r == 0 && trap_commit)
		r = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(mremap), 0);
	if (r == 0)
		r = seccomp_load(ctx);
	if (r == 0) {
		fd = seccomp_notify_fd(ctx);
		if (fd < 0)
			r = fd;
		else
			*ret_fd = fd;
	}
	seccomp_release(ctx);
	return r;
}

int vms_seccomp_receive(int listener, struct seccomp_notif *req)
{
	/* The kernel refuses a buffer that is not zeroed (EINVAL). */
	memset(req, 0, sizeof(*req));
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		return -errno;
	return 0;
}

static int respond(int listener, struct seccomp_notif_resp *resp)
{
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0)
		return -errno;
	return 0;
}

int vms_seccomp_continue(int listener, uint64_t id)
{
	struct seccomp_notif_resp resp = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };

	return respond(listener, &resp);
}

int vms_seccomp_reply(int listener, uint64_t id, int64_t val)
{
	struct seccomp_notif_resp resp = { .id = id };

	if (val < 0)
		resp.error = (int32_t)val;
	else
		resp.val = val;
	return respond(listener, &resp);
}
