/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd: the one place in vmsandbox that talks to it.
 *
 * One function per ioctl verb.  Every function returns 0 or -errno and never
 * prints; output parameters are named ret_* and are left untouched on failure,
 * with one documented exception: the byte count of copy/zeropage/move/
 * continue (*ret_done_bytes) is always written, because partial progress is
 * information the caller needs precisely when the call fails.
 *
 * Error classes (the pager's dispatcher switches on vms_uffd_classify()):
 *   ESRCH, ENOSPC  "process gone": the mm behind the uffd has exited (ENOSPC
 *                  is what older kernels returned; CRIU treats both so).  Drop the process.
 *   EAGAIN         "retry": a non-cooperative event (fork, mremap, munmap,
 *                  MADV_DONTNEED) is in flight (mmap_changing) or the call
 *                  made partial progress.  Read the uffd's events first, then
 *                  retry the rest; never spin on it in the thread that reads
 *                  events, or the event never gets read.
 *   EEXIST         "already there": the destination page is present (another
 *                  thread's fault was served first, or fault-around overlapped
 *                  a present page).  The fault is resolved; wake if needed.
 *   ENOENT         "hole": for copy/zeropage/wp, the range is no longer a
 *                  registered VMA (unmapped or unregistered meanwhile); for
 *                  move, the source page is not present.
 *   EBUSY          move only: the source page is shared (copy-on-write after
 *                  fork, or pinned); copy it instead, or write it first.
 *   anything else  a bug in the caller (EINVAL: misaligned or unregistered
 *                  mode; EFAULT: bad user pointer; EPERM: WP without
 *                  registration in WP mode).
 *
 * Context: none of these functions allocate, take locks or touch registered
 * memory, except vms_uffd_handshake/vms_uffd_probe_features (open and close a
 * probe fd) and vms_uffd_diagnose (reads /proc, stats /dev).  The verbs may be
 * called from any thread of any process that holds the fd (a uffd passed with
 * SCM_RIGHTS works on the original mm).
 */
#ifndef VMSANDBOX_OS_UFFD_H
#define VMSANDBOX_OS_UFFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmsandbox/compat/uffd.h"

/* Where the fd came from: the userfaultfd(2) syscall or /dev/userfaultfd. */
enum vms_uffd_source {
	VMS_UFFD_SOURCE_SYSCALL = 1,
	VMS_UFFD_SOURCE_DEVICE  = 2,
};

/*
 * The features vmsandbox asks for (see docs/uffd.md for why each one):
 * WP faults for dirty/reference tracking, the four non-cooperative events so
 * that munmap/mremap/MADV_DONTNEED/fork never silently drop a registration,
 * the faulting thread's id for per-thread statistics, and MOVE for atomic
 * eviction.  WP_ASYNC is deliberately absent: it turns every WP fault of the
 * fd into a silent kernel-resolved one, which the synchronous WP fault path
 * cannot coexist with on the same VMA.
 */
#define VMS_UFFD_FEATURES_WANTED                                                  \
	((uint64_t)(UFFD_FEATURE_PAGEFAULT_FLAG_WP | UFFD_FEATURE_EVENT_FORK |    \
		    UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |        \
		    UFFD_FEATURE_EVENT_UNMAP | UFFD_FEATURE_THREAD_ID |           \
		    UFFD_FEATURE_MOVE))
/* Without these the pager cannot keep its page table true: refuse to run. */
#define VMS_UFFD_FEATURES_REQUIRED                                                \
	((uint64_t)(UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |        \
		    UFFD_FEATURE_EVENT_UNMAP))

enum vms_uffd_errclass {
	VMS_UFFD_OK = 0,
	VMS_UFFD_GONE,    /* ESRCH, ENOSPC */
	VMS_UFFD_RETRY,   /* EAGAIN */
	VMS_UFFD_EXISTS,  /* EEXIST */
	VMS_UFFD_HOLE,    /* ENOENT */
	VMS_UFFD_BUSY,    /* EBUSY */
	VMS_UFFD_BUG,     /* everything else */
};

/*
 * Create a uffd with O_CLOEXEC | O_NONBLOCK added to open_flags (which may
 * hold UFFD_USER_MODE_ONLY).  Tries userfaultfd(2) first; if that fails with
 * EPERM (vm.unprivileged_userfaultfd=0 and no CAP_SYS_PTRACE), ENOSYS or
 * EACCES (a seccomp filter, a kernel without the syscall), tries
 * /dev/userfaultfd + USERFAULTFD_IOC_NEW, whose access is governed by the
 * device's permissions instead of the sysctl.  If both fail, returns the
 * syscall's error when the device does not exist, else the device's.
 * The handshake (vms_uffd_handshake) is still to be done on *ret_fd.
 */
int vms_uffd_open(unsigned open_flags, int *ret_fd, enum vms_uffd_source *ret_how);

/*
 * What this kernel offers (all UFFD_FEATURE_* it knows), learnt with a
 * features=0 UFFDIO_API on a throwaway probe fd.  Costs an open + ioctl +
 * close (a few µs); call it once per run.
 */
int vms_uffd_probe_features(uint64_t *ret_offered);

/*
 * UFFDIO_API on fd, which must not have had its handshake yet (the kernel
 * allows exactly one successful UFFDIO_API per fd; a second gives EINVAL).
 * Because of that, questions are asked on probe fds, never on fd:
 *   1. probe fd #1, features=0: the kernel's offer;
 *   2. required & ~offer -> -EOPNOTSUPP, fd untouched;
 *   3. request = (wanted | required) & offer;
 *   4. probe fd #2 tries the exact request; EPERM there means EVENT_FORK
 *      without CAP_SYS_PTRACE: drop EVENT_FORK if it was only wanted (and
 *      retry on probe #3), return -EPERM if it was required;
 *   5. the real fd gets the request that is known to succeed.
 * *ret_features is the set enabled on fd (the request; note that the kernel
 * writes back its full offer, not what it enabled, and that WP_ASYNC
 * implies WP_UNPOPULATED, which we add to the reported set).  *ret_ioctls is
 * the kernel's bitmask of fd-level ioctls (1 << _UFFDIO_*).
 */
int vms_uffd_handshake(int fd, uint64_t wanted_features, uint64_t required_features,
		       uint64_t *ret_features, uint64_t *ret_ioctls);

/*
 * Register [start, start+len) (page aligned) in mode (UFFDIO_REGISTER_MODE_
 * MISSING and/or _WP, _MINOR).  *ret_ioctls: the range ioctls the kernel
 * allows on it (1 << _UFFDIO_COPY, ...), may be NULL.  A VMA can be
 * registered with one uffd only (-EBUSY otherwise).
 */
int vms_uffd_register(int fd, uint64_t start, uint64_t len, uint64_t mode,
		      uint64_t *ret_ioctls);
int vms_uffd_unregister(int fd, uint64_t start, uint64_t len);

/*
 * The filling verbs.  Each loops while the kernel makes progress (partial
 * copies come back as EAGAIN + a positive count; the rest is retried at once)
 * and stops at the first call that makes none: then it returns that call's
 * -errno, and *ret_done_bytes says how far it got (always written, may be
 * NULL).  A zero-progress EAGAIN (event in flight) is returned, not retried.
 *   copy:      UFFDIO_COPY_MODE_DONTWAKE, UFFDIO_COPY_MODE_WP
 *   zeropage:  UFFDIO_ZEROPAGE_MODE_DONTWAKE
 *   move:      UFFDIO_MOVE_MODE_DONTWAKE, UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES;
 *              dst must be registered with the same uffd as src's mm and
 *              must be a hole; src must be present (else ENOENT) and
 *              exclusive (else EBUSY).
 *   continue:  UFFDIO_CONTINUE_MODE_DONTWAKE, _WP (MINOR mode, shmem/hugetlb)
 * src of copy is read in the caller's address space.
 */
int vms_uffd_copy(int fd, uint64_t dst, const void *src, uint64_t len, uint64_t mode,
		  uint64_t *ret_done_bytes);
int vms_uffd_zeropage(int fd, uint64_t start, uint64_t len, uint64_t mode,
		      uint64_t *ret_done_bytes);
int vms_uffd_move(int fd, uint64_t dst, uint64_t src, uint64_t len, uint64_t mode,
		  uint64_t *ret_done_bytes);
int vms_uffd_continue(int fd, uint64_t start, uint64_t len, uint64_t mode,
		      uint64_t *ret_done_bytes);

/*
 * Set (wp=true) or clear write protection on a range registered in WP mode.
 * Clearing wakes the threads blocked on WP faults in the range unless
 * dontwake.  All-or-nothing from the caller's view (no byte count).
 */
int vms_uffd_writeprotect(int fd, uint64_t start, uint64_t len, bool wp, bool dontwake);

/* Wake the threads blocked on faults in the range (after DONTWAKE fills). */
int vms_uffd_wake(int fd, uint64_t start, uint64_t len);

/*
 * Read up to max pending messages without blocking.  fd must be O_NONBLOCK
 * (vms_uffd_open sets it; it is a property of the open file, so it survives
 * SCM_RIGHTS).  Nothing pending: returns 0 with *ret_n = 0.  EINTR is retried.
 * Reading a UFFD_EVENT_FORK message installs the child's uffd in the calling
 * process (msg.arg.fork.ufd); the forking thread stays blocked until then.
 */
int vms_uffd_read_msgs(int fd, struct uffd_msg *msgs, size_t max, size_t *ret_n);

/* Sort an error (negative or positive errno) into the classes above. */
enum vms_uffd_errclass vms_uffd_classify(int err);

/*
 * A human explanation of what userfaultfd this process can have and what to
 * change when it cannot: vm.unprivileged_userfaultfd, /dev/userfaultfd's
 * owner and mode, CAP_SYS_PTRACE (EVENT_FORK), and whether only
 * UFFD_USER_MODE_ONLY is available.  Always NUL-terminated, one finding per
 * line, truncated to len.  Returns 0, or -EINVAL when len == 0.
 */
int vms_uffd_diagnose(char *buf, size_t len);

#endif /* VMSANDBOX_OS_UFFD_H */
