/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "elfinfo.h"

int vms_elf_exe_is_static(pid_t pid)
{
	char path[64];
	size_t nr_phdrs;
	bool interp = false;
	int fd, r;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &nr_phdrs) < 0) {
		r = -ENOEXEC;
	} else {
		for (size_t i = 0; i < nr_phdrs && !interp; i++) {
			GElf_Phdr ph;

			interp = gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP;
		}
		r = interp ? 0 : 1;
	}
	elf_end(e);
	close(fd);
	return r;
}
