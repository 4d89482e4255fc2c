/* SPDX-License-Identifier: MIT */
/*
 * The seccomp side of interception: a USER_NOTIF filter that stops a thread
 * at mmap(MAP_PRIVATE|MAP_ANONYMOUS), brk and madvise(MADV_FREE) and lets the
 * supervisor answer for it.  USER_NOTIF rather than TRAP + SIGSYS because a
 * forced SIGSYS kills a thread whose signals are blocked (glibc's thread
 * exit path) and an inherited TRAP filter kills every exec'ed image before
 * its shim exists (ARCHITECTURE.md, trap 2); with USER_NOTIF the supervisor
 * simply answers "continue" for any process it does not manage.
 */
#ifndef VMSANDBOX_OS_FILTER_H
#define VMSANDBOX_OS_FILTER_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * Builds the filter and installs it on the calling thread (the child
 * between fork and exec), returning the listener fd through *ret_fd.
 * Sets no_new_privs only when the caller lacks CAP_SYS_ADMIN (a root
 * vmsandbox keeps setuid programs working).  trap_commit also stops
 * mprotect(PROT_WRITE) and mremap, for --overcommit never.  0 or -errno.
 */
int vms_seccomp_install(int *ret_fd, bool trap_commit);

/* Receives one notification; -ENOENT if its thread died meanwhile.  The
 * struct has not changed size since 5.0, so the uapi one is the kernel's. */
int vms_seccomp_receive(int listener, struct seccomp_notif *req);
/* Lets the stopped syscall run as if there were no filter. */
int vms_seccomp_continue(int listener, uint64_t id);
/* Completes the stopped syscall with `val` (>= 0) or the error -val. */
int vms_seccomp_reply(int listener, uint64_t id, int64_t val);

#endif
