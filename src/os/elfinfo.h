/* SPDX-License-Identifier: MIT */
/*
 * What the pager needs to know about a program file: whether it is
 * statically linked (no PT_INTERP, static-pie included), i.e. whether a
 * preload shim could ever be loaded into it.  Read with libelf.
 */
#ifndef VMSANDBOX_OS_ELFINFO_H
#define VMSANDBOX_OS_ELFINFO_H

#include <sys/types.h>

/* 1 if /proc/PID/exe is a statically linked ELF program, 0 if it has a
 * program interpreter, -errno if it cannot be read or is not ELF. */
int vms_elf_exe_is_static(pid_t pid);

#endif
