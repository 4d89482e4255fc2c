/* SPDX-License-Identifier: MIT */
/*
 * Call stacks of a sandboxed thread stopped in a system call, unwound from
 * the supervisor with libdw (elfutils): CFI from .eh_frame/.debug_frame,
 * modules from /proc/PID/maps, symbols and source lines from the ELF
 * symbol tables and DWARF (separate debug files found by build-id or
 * never by debuginfod: that would put network lookups in the
 * pager's loop).  docs/design.md says why libdw rather than libunwind.
 *
 * The thread's registers come from /proc/PID/task/TID/syscall, which gives
 * the stack pointer and program counter of a thread blocked in a syscall;
 * that is all the kernel shows without ptrace.  CFI needs nothing else as
 * long as frames compute their CFA from rsp (gcc -O1 and above); a frame
 * that computes it from rbp (frame pointers, -O0) is stepped over by
 * finding its saved rbp on the stack, checked against the call instruction
 * before its return address.
 *
 * Memory is read through the caller's function (the pager's peek), never
 * directly: the stack is registered memory the pager itself serves.
 */
#ifndef VMSANDBOX_PAGER_UNWIND_H
#define VMSANDBOX_PAGER_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads len bytes of the process at addr; 0 or -errno. */
typedef int (*vms_unwind_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

struct vms_unwinder;

/* One per process (its modules as /proc/PID/maps shows them now). */
int vms_unwinder_new(pid_t pid, struct vms_unwinder **ret);
/* Accepts NULL. */
void vms_unwinder_free(struct vms_unwinder *u);

/*
 * The stack of thread tid (stopped in a syscall): up to max program
 * counters, innermost first, into pcs.  Each is the address to look up:
 * the innermost frame's pc, and for every caller its return address minus
 * one (inside the call instruction, whose line is the caller's).  Returns
 * 0 with *ret_nr >= 1, or -errno (-ESRCH the thread is gone, -EAGAIN it is
 * not in a syscall).  *ret_recovered: how many frame-pointer frames had to
 * be stepped over by searching the stack for their saved rbp (unwind.c,
 * fp_recover), because the kernel does not show rbp.
 */
int vms_unwind_thread(struct vms_unwinder *u, pid_t tid, vms_unwind_read_fn read, void *ctx,
		      uint64_t *pcs, size_t max, size_t *ret_nr, unsigned *ret_recovered);

/*
 * The same from registers the caller read (a thread blocked in a page
 * fault: /proc/TID/syscall shows "-1 SP PC", which vms_unwind_thread
 * refuses).  pcs[0] is pc itself, the faulting instruction (not a return
 * address: no adjustment).  The thread must stay blocked meanwhile.
 */
int vms_unwind_thread_at(struct vms_unwinder *u, pid_t tid, uint64_t sp, uint64_t pc,
			 vms_unwind_read_fn read, void *ctx, uint64_t *pcs, size_t max,
			 size_t *ret_nr, unsigned *ret_recovered);

/* Where pc is: its module's path and the ELF virtual address in it (as
 * `addr2line -e MODULE` takes it).  Returns 0, or
 * -ENOENT when no module holds it even after re-reading /proc/PID/maps (a
 * library loaded since: dlopen).  *ret_module stays valid while u lives. */
int vms_unwind_module(struct vms_unwinder *u, uint64_t pc, const char **ret_module,
		      uint64_t *ret_offset);

/* What pc is in the source: function, file, line (each NULL/0 when
 * unknown; a symbol is only taken if pc is inside its size).  The strings
 * stay valid while u lives. */
struct vms_unwind_sym {
	const char *function;
	const char *file;
	int line;
};
int vms_unwind_symbolize(struct vms_unwinder *u, uint64_t pc, struct vms_unwind_sym *ret);

/*
 * One symbolizer for the whole run: (module path, ELF address) -> function,
 * file, line, with each module's debug information loaded once however
 * many processes map it.  -ENOENT for a module that is not a readable file
 * ([vdso], deleted): vms_unwind_symbolize() of the process then.
 */
struct vms_symbolizer;
int vms_symbolizer_new(struct vms_symbolizer **ret);
void vms_symbolizer_free(struct vms_symbolizer *s);
int vms_symbolize(struct vms_symbolizer *s, const char *module, uint64_t elf_addr,
		  struct vms_unwind_sym *ret);

/* The address of the symbol name (data or function) in a module whose path
 * contains module_hint (NULL: any module); 0 if none. */
uint64_t vms_unwind_find_symbol(struct vms_unwinder *u, const char *module_hint,
				const char *name);

#endif
