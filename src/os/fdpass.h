/* SPDX-License-Identifier: MIT */
/*
 * One message with at most one file descriptor attached (SCM_RIGHTS) on a
 * Unix socket.  The shim's agent has its own copy in raw system calls
 * (shim/agent.c): it may not call libc.
 */
#ifndef VMSANDBOX_OS_FDPASS_H
#define VMSANDBOX_OS_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* Sends len bytes of buf, with fd attached when fd >= 0.  Bytes sent or -errno. */
ssize_t vms_fdpass_send(int sock, const void *buf, size_t len, int fd);
/* Receives one message into buf; *ret_fd is the attached descriptor
 * (close-on-exec) or -1.  Bytes received (0 at EOF) or -errno. */
ssize_t vms_fdpass_recv(int sock, void *buf, size_t len, int *ret_fd);

#endif
