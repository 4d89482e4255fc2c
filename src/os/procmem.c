/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "procmem.h"

int vms_procmem_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vms_procmem_open(pid_t pid, int *ret_fd)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_fd = fd;
	return 0;
}

int vms_procmem_pread(int memfd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n = pread(memfd, buf, len, (off_t)addr);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

bool vms_map_is_private_anon(const struct vms_map *m)
{
	if (m->perms[3] != 'p' || m->inode != 0)
		return false;
	/* [heap], [stack] and nameless mappings are anonymous; [vvar], [vdso],
	 * [vsyscall] and the like are special mappings userfaultfd refuses. */
	return m->path[0] == 0 || strcmp(m->path, "[heap]") == 0 ||
	       strcmp(m->path, "[stack]") == 0 || strncmp(m->path, "[anon:", 6) == 0;
}

int vms_procmem_for_each_map(pid_t pid, int (*fn)(void *ctx, const struct vms_map *m), void *ctx)
{
	char path[64], line[4096 + 256];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct vms_map m = { 0 };
		unsigned dev_major, dev_minor;
		int name_at = 0;
		char *nl;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &m.start, &m.end, m.perms, &m.offset, &dev_major, &dev_minor,
			   &m.inode, &name_at) < 7)
			continue;
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		m.path = name_at ? line + name_at : "";
		r = fn(ctx, &m);
		if (r)
			break;
	}
	fclose(f);
	return r;
}

int vms_procmem_present(pid_t pid, uint64_t start, uint64_t nr_pages, uint8_t *present)
{
	char path[64];
	uint64_t buf[512];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (uint64_t done = 0; done < nr_pages;) {
		uint64_t n = nr_pages - done < 512 ? nr_pages - done : 512;
		ssize_t got = pread(fd, buf, n * 8, (off_t)(((start >> 12) + done) * 8));

		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0 || got % 8) {
			r = -EIO;
			break;
		}
		for (uint64_t i = 0; i < (uint64_t)got / 8; i++)
			present[done + i] = (buf[i] >> 63) & 1;   /* bit 63: present */
		done += (uint64_t)got / 8;
	}
	close(fd);
	return r;
}

int vms_procmem_page_present(pid_t pid, int *pagemap_fd, uint64_t addr)
{
	uint64_t e;

	if (*pagemap_fd < 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
		*pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*pagemap_fd < 0)
			return -errno;
	}
	if (pread(*pagemap_fd, &e, sizeof(e), (off_t)((addr >> 12) * 8)) != (ssize_t)sizeof(e))
		return -EIO;
	return (int)((e >> 63) & 1);
}

size_t vms_procmem_read_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	if (pid > 0)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return (size_t)n;
}

/* A numeric field ("\nName:") of /proc/TID/status. */
static pid_t status_field(pid_t tid, const char *field)
{
	char buf[1024];
	char *p;

	if (!vms_procmem_read_file(tid, "status", buf, sizeof(buf)))
		return -ESRCH;
	p = strstr(buf, field);
	if (!p)
		return -ESRCH;
	return (pid_t)strtol(p + strlen(field), NULL, 10);
}

pid_t vms_procmem_tgid(pid_t tid)
{
	return status_field(tid, "\nTgid:");
}

pid_t vms_procmem_ppid(pid_t pid)
{
	return status_field(pid, "\nPPid:");
}
