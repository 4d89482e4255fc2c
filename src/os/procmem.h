/* SPDX-License-Identifier: MIT */
/*
 * Another process's memory and memory map, read from the supervisor.
 *
 * Hazard: reading a page of a userfaultfd-registered range that is not
 * present makes the *reader* wait for the fault to be served, and the reader
 * is the pager: a deadlock.  Callers read only pages they know are present
 * (a page they just moved into the stash, a resident page at fork).
 */
#ifndef VMSANDBOX_OS_PROCMEM_H
#define VMSANDBOX_OS_PROCMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* process_vm_readv of len bytes at addr; -EIO on a short read. */
int vms_procmem_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* pread of /proc/PID/mem (fd from vms_procmem_open): also reads pages the
 * program cannot (PROT_NONE), as a debugger does. */
int vms_procmem_open(pid_t pid, int *ret_fd);
int vms_procmem_pread(int memfd, uint64_t addr, void *buf, size_t len);

struct vms_map {
	uint64_t start, end;   /* bytes */
	char perms[5];         /* "rw-p" */
	uint64_t offset;
	uint64_t inode;
	const char *path;      /* "" for anonymous, "[heap]", "[stack]", a file... */
};
/* Calls fn for each line of /proc/PID/maps; stops at fn's first nonzero return. */
int vms_procmem_for_each_map(pid_t pid, int (*fn)(void *ctx, const struct vms_map *m), void *ctx);
/* True for a private anonymous mapping (what userfaultfd MISSING mode manages). */
bool vms_map_is_private_anon(const struct vms_map *m);

/*
 * Which pages of [start, start + nr_pages*4096) are present in memory (or
 * swapped by the kernel): one bit per page in `present` (a byte array of
 * nr_pages entries, 1 = present).  Reads /proc/PID/pagemap in bulk.
 */
int vms_procmem_present(pid_t pid, uint64_t start, uint64_t nr_pages, uint8_t *present);

/* Is the page at addr present in the process?  1, 0 or -errno; reads one
 * entry of /proc/PID/pagemap, opened once into *pagemap_fd (-1 at first). */
int vms_procmem_page_present(pid_t pid, int *pagemap_fd, uint64_t addr);

/* Reads /proc/PID/NAME (pid 0: /proc/self) into buf, NUL-terminated: the
 * bytes read (at most len - 1), 0 if it cannot be read. */
size_t vms_procmem_read_file(pid_t pid, const char *name, char *buf, size_t len);

/* Tgid of a thread id, from /proc/TID/status; -ESRCH if gone. */
pid_t vms_procmem_tgid(pid_t tid);
/* The parent of process pid, or -ESRCH. */
pid_t vms_procmem_ppid(pid_t pid);

#endif
