/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd wrapper (see uffd.h for the contract, docs/uffd.md for the
 * feature set and measurements).  Here -1/errno becomes -errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "uffd.h"

static int open_syscall(unsigned flags)
{
	long fd = syscall(SYS_userfaultfd, flags);

	return fd < 0 ? -errno : (int)fd;
}

static int open_device(unsigned flags)
{
	int dev, fd;

	dev = open(VMS_USERFAULTFD_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	/* The new uffd serves the caller's mm, whatever opened the device. */
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	if (fd < 0)
		fd = -errno;
	close(dev);
	return fd;
}

int vms_uffd_open(unsigned open_flags, int *ret_fd, enum vms_uffd_source *ret_how)
{
	unsigned flags = open_flags | O_CLOEXEC | O_NONBLOCK;
	int fd, fd_dev;

	fd = open_syscall(flags);
	if (fd >= 0) {
		*ret_fd = fd;
		if (ret_how)
			*ret_how = VMS_UFFD_SOURCE_SYSCALL;
		return 0;
	}
	if (fd != -EPERM && fd != -ENOSYS && fd != -EACCES)
		return fd;

	fd_dev = open_device(flags);
	if (fd_dev < 0)
		return fd_dev == -ENOENT ? fd : fd_dev;
	*ret_fd = fd_dev;
	if (ret_how)
		*ret_how = VMS_UFFD_SOURCE_DEVICE;
	return 0;
}

/* One UFFDIO_API on a fresh probe fd; the probe is closed again. */
static int probe_api(uint64_t features, uint64_t *ret_offered)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd, r;

	/* USER_MODE_ONLY: the offer does not depend on it, and it is what an
	 * unprivileged caller can open through the syscall. */
	r = vms_uffd_open(UFFD_USER_MODE_ONLY, &fd, NULL);
	if (r < 0)
		return r;
	r = ioctl(fd, UFFDIO_API, &api) < 0 ? -errno : 0;
	close(fd);
	if (r == 0 && ret_offered)
		*ret_offered = api.features;
	return r;
}

int vms_uffd_probe_features(uint64_t *ret_offered)
{
	return probe_api(0, ret_offered);
}

int vms_uffd_handshake(int fd, uint64_t wanted_features, uint64_t required_features,
		       uint64_t *ret_features, uint64_t *ret_ioctls)
{
	struct uffdio_api api;
	uint64_t offered, request;
	int r;

	r = probe_api(0, &offered);
	if (r < 0)
		return r;
	if (required_features & ~offered)
		return -EOPNOTSUPP;
	request = (wanted_features | required_features) & offered;

	r = probe_api(request, NULL);
	if (r == -EPERM && (request & UFFD_FEATURE_EVENT_FORK) &&
	    !(required_features & UFFD_FEATURE_EVENT_FORK)) {
		/* EVENT_FORK needs CAP_SYS_PTRACE; it was only wanted. */
		request &= ~(uint64_t)UFFD_FEATURE_EVENT_FORK;
		r = probe_api(request, NULL);
	}
	if (r < 0)
		return r;

	api = (struct uffdio_api){ .api = UFFD_API, .features = request };
	if (ioctl(fd, UFFDIO_API, &api) < 0)
		return -errno;
	if (request & UFFD_FEATURE_WP_ASYNC)
		request |= UFFD_FEATURE_WP_UNPOPULATED;
	if (ret_features)
		*ret_features = request;
	if (ret_ioctls)
		*ret_ioctls = api.ioctls;
	return 0;
}

int vms_uffd_register(int fd, uint64_t start, uint64_t len, uint64_t mode,
		      uint64_t *ret_ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = len },
		.mode = mode,
	};

	if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0)
		return -errno;
	if (ret_ioctls)
		*ret_ioctls = reg.ioctls;
	return 0;
}

int vms_uffd_unregister(int fd, uint64_t start, uint64_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	return ioctl(fd, UFFDIO_UNREGISTER, &range) < 0 ? -errno : 0;
}

/*
 * The kernel's protocol for the filling ioctls: the result field (copy,
 * zeropage, move, mapped) gets the bytes done or -errno; the ioctl fails
 * with EAGAIN when the bytes done are fewer than asked.  A failure before the
 * kernel writes the field (EFAULT, EINVAL on the arguments) leaves our 0.
 * One step returns the bytes done (> 0) or -errno.
 */
static int64_t fill_result(int ioctl_ret, int64_t field)
{
	if (field != 0)
		return field;
	return ioctl_ret < 0 ? -errno : 0;
}

/*
 * One ioctl of a filling verb over [dst, dst+len) (src: copy and move only).
 * Returns bytes done (> 0) or -errno.
 */
typedef int64_t (*fill_step_fn)(int fd, uint64_t dst, uint64_t src, uint64_t len,
				uint64_t mode);

/*
 * Drive a filling verb over the whole range: retry the rest while the kernel
 * makes progress, stop at the first call that makes none.
 */
static int fill_loop(fill_step_fn step, int fd, uint64_t dst, uint64_t src, uint64_t len,
		     uint64_t mode, uint64_t *ret_done_bytes)
{
	uint64_t done = 0;
	int err = 0;

	while (done < len) {
		int64_t n = step(fd, dst + done, src + done, len - done, mode);

		if (n <= 0) {
			err = n < 0 ? (int)n : -EIO;
			break;
		}
		done += (uint64_t)n;
	}
	if (ret_done_bytes)
		*ret_done_bytes = done;
	return err;
}

static int64_t copy_step(int fd, uint64_t dst, uint64_t src, uint64_t len, uint64_t mode)
{
	struct uffdio_copy c = { .dst = dst, .src = src, .len = len, .mode = mode };
	int r = ioctl(fd, UFFDIO_COPY, &c);

	return fill_result(r, c.copy);
}

int vms_uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len, uint64_t mode,
		  uint64_t *ret_done_bytes)
{
	return fill_loop(copy_step, fd, dst, (uint64_t)(uintptr_t)src, len, mode, ret_done_bytes);
}

static int64_t zeropage_step(int fd, uint64_t start, uint64_t unused, uint64_t len,
			     uint64_t mode)
{
	struct uffdio_zeropage z = { .range = { .start = start, .len = len }, .mode = mode };
	int r = ioctl(fd, UFFDIO_ZEROPAGE, &z);

	return fill_result(r, z.zeropage);
}

int vms_uffd_zeropage(int fd, uint64_t start, uint64_t len, uint64_t mode,
		      uint64_t *ret_done_bytes)
{
	return fill_loop(zeropage_step, fd, start, 0, len, mode, ret_done_bytes);
}

static int64_t move_step(int fd, uint64_t dst, uint64_t src, uint64_t len, uint64_t mode)
{
	struct uffdio_move m = { .dst = dst, .src = src, .len = len, .mode = mode };
	int r = ioctl(fd, UFFDIO_MOVE, &m);

	return fill_result(r, m.move);
}

int vms_uffd_move(int fd, uint64_t dst, uint64_t src, uint64_t len, uint64_t mode,
		  uint64_t *ret_done_bytes)
{
	return fill_loop(move_step, fd, dst, src, len, mode, ret_done_bytes);
}

static int64_t continue_step(int fd, uint64_t start, uint64_t unused, uint64_t len,
			     uint64_t mode)
{
	struct uffdio_continue c = { .range = { .start = start, .len = len }, .mode = mode };
	int r = ioctl(fd, UFFDIO_CONTINUE, &c);

	return fill_result(r, c.mapped);
}

int vms_uffd_continue(int fd, uint64_t start, uint64_t len, uint64_t mode,
		      uint64_t *ret_done_bytes)
{
	return fill_loop(continue_step, fd, start, 0, len, mode, ret_done_bytes);
}

int vms_uffd_writeprotect(int fd, uint64_t start, uint64_t len, bool wp, bool dontwake)
{
	struct uffdio_writeprotect w = {
		.range = { .start = start, .len = len },
		.mode = (wp ? UFFDIO_WRITEPROTECT_MODE_WP : 0) |
			(dontwake ? UFFDIO_WRITEPROTECT_MODE_DONTWAKE : 0),
	};

	return ioctl(fd, UFFDIO_WRITEPROTECT, &w) < 0 ? -errno : 0;
}

int vms_uffd_wake(int fd, uint64_t start, uint64_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	return ioctl(fd, UFFDIO_WAKE, &range) < 0 ? -errno : 0;
}

int vms_uffd_read_msgs(int fd, struct uffd_msg *msgs, size_t max, size_t *ret_n)
{
	ssize_t n;

	if (max == 0) {
		*ret_n = 0;
		return 0;
	}
	do
		n = read(fd, msgs, max * sizeof(*msgs));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN) {
			*ret_n = 0;
			return 0;
		}
		return -errno;
	}
	/* The kernel hands out whole messages only. */
	if ((size_t)n % sizeof(*msgs) != 0)
		return -EIO;
	*ret_n = (size_t)n / sizeof(*msgs);
	return 0;
}

enum vms_uffd_errclass vms_uffd_classify(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return VMS_UFFD_OK;
	case ESRCH:
	case ENOSPC:
		return VMS_UFFD_GONE;
	case EAGAIN:
		return VMS_UFFD_RETRY;
	case EEXIST:
		return VMS_UFFD_EXISTS;
	case ENOENT:
		return VMS_UFFD_HOLE;
	case EBUSY:
		return VMS_UFFD_BUSY;
	default:
		return VMS_UFFD_BUG;
	}
}

/* ---- diagnose ---- */

struct out {
	char *buf;
	size_t len;
	size_t pos;
};

__attribute__((format(printf, 2, 3)))
static void out_add(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->pos += (size_t)n;
	if (o->pos >= o->len)
		o->pos = o->len - 1;
}

static bool have_cap(unsigned cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { { 0 }, { 0 } };

	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

static int read_sysctl(void)
{
	char s[16] = "";
	int fd = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, s, sizeof(s) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	return s[0] == '1' ? 1 : 0;
}

int vms_uffd_diagnose(char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len, .pos = 0 };
	bool full_sys, full_dev, user_only, dev_exists, cap_ptrace;
	struct stat st;
	int sysctl, fd, err_full, err_user, err_dev;

	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';

	cap_ptrace = have_cap(CAP_SYS_PTRACE);
	sysctl = read_sysctl();

	fd = open_syscall(O_CLOEXEC | O_NONBLOCK);
	err_full = fd < 0 ? fd : 0;
	if (fd >= 0)
		close(fd);
	fd = open_syscall(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	err_user = fd < 0 ? fd : 0;
	if (fd >= 0)
		close(fd);
	fd = open_device(O_CLOEXEC | O_NONBLOCK);
	err_dev = fd < 0 ? fd : 0;
	if (fd >= 0)
		close(fd);
	full_sys = err_full == 0;
	full_dev = err_dev == 0;
	user_only = !full_sys && !full_dev && err_user == 0;
	dev_exists = stat(VMS_USERFAULTFD_DEV, &st) == 0;

	out_add(&o, "uid %u euid %u, CAP_SYS_PTRACE %s\n", (unsigned)getuid(),
		(unsigned)geteuid(), cap_ptrace ? "yes" : "no");
	if (sysctl >= 0)
		out_add(&o, "vm.unprivileged_userfaultfd = %d\n", sysctl);
	else
		out_add(&o, "vm.unprivileged_userfaultfd: cannot read (%s)\n", strerror(-sysctl));
	out_add(&o, "userfaultfd(2): %s; with UFFD_USER_MODE_ONLY: %s\n",
		full_sys ? "ok" : strerror(-err_full), err_user == 0 ? "ok" : strerror(-err_user));
	if (dev_exists)
		out_add(&o, "%s: owner %u:%u mode %04o, open: %s\n", VMS_USERFAULTFD_DEV,
			(unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)(st.st_mode & 07777),
			full_dev ? "ok" : strerror(-err_dev));
	else
		out_add(&o, "%s: absent (kernel older than 5.11 or no devtmpfs)\n",
			VMS_USERFAULTFD_DEV);

	if (full_sys || full_dev) {
		out_add(&o, "verdict: full userfaultfd available (via %s)\n",
			full_sys ? "userfaultfd(2)" : VMS_USERFAULTFD_DEV);
	} else if (user_only) {
		out_add(&o, "verdict: only UFFD_USER_MODE_ONLY is available: kernel-mode accesses "
			    "to missing pages (read(2) into them, write(2) from them, futexes) "
			    "fail with EFAULT instead of faulting\n");
	} else {
		out_add(&o, "verdict: no userfaultfd at all (%s): a seccomp filter or a kernel "
			    "without CONFIG_USERFAULTFD\n", strerror(-err_user));
	}
	if (!full_sys && !full_dev) {
		out_add(&o, "fix: sysctl vm.unprivileged_userfaultfd=1 (as root), or grant access "
			    "to %s (e.g. chgrp a group of yours and chmod 0660, or chmod 0666)\n",
			VMS_USERFAULTFD_DEV);
	}
	if (!cap_ptrace)
		out_add(&o, "note: UFFD_FEATURE_EVENT_FORK needs CAP_SYS_PTRACE (run as root or "
			    "setcap cap_sys_ptrace+ep on vmsandbox); without it a forked child "
			    "loses the registration and reads zeros where pages were evicted\n");
	return 0;
}
