/* SPDX-License-Identifier: MIT */
/*
 * The Python stack of a thread of a CPython 3.11 process, read from outside
 * the way py-spy reads it, with no Python code run and every byte read
 * through the caller's function (the pager's peek): the thread's state is
 * found in _PyRuntime's interpreters by native thread id; its _PyCFrame
 * (on the C stack) names the executing _PyInterpreterFrame; each frame's
 * code object gives file and function, and its location table the line of
 * the instruction being executed.
 *
 * The structure layout comes from the python3.11-dev headers at build time
 * (pyoffsets.h); a program whose interpreter is not 3.11, or a vmsandbox
 * built without those headers, gets no Python frames and a note why.
 */
#ifndef VMSANDBOX_PAGER_PYFRAMES_H
#define VMSANDBOX_PAGER_PYFRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unwind.h"

enum vms_py_status {
	VMS_PY_UNKNOWN = 0,           /* not probed yet */
	VMS_PY_ABSENT,                /* not a Python process */
	VMS_PY_READY,                 /* a 3.11 interpreter the reader understands */
	VMS_PY_UNAVAILABLE,           /* Python, but its frames cannot be read: see note */
};

struct vms_py_target {
	enum vms_py_status status;
	uint64_t runtime;             /* address of _PyRuntime */
	char note[128];               /* UNAVAILABLE: why */
};

/* Looks for an interpreter in u's modules (once per process). */
void vms_py_probe(struct vms_py_target *t, struct vms_unwinder *u, vms_unwind_read_fn read,
		  void *ctx);

struct vms_py_frame {
	char file[256];
	char function[128];           /* the code object's qualified name */
	int line;                     /* 0: unknown */
};

/*
 * The Python frames of thread tid, innermost first, at most max.  0 with
 * *ret_nr (0 when the thread runs no Python code: the interpreter starting,
 * a thread Python does not know), or -errno when a structure could not be
 * read (the frames read before the failure are kept in *ret_nr).
 */
int vms_py_stack(const struct vms_py_target *t, pid_t tid, vms_unwind_read_fn read, void *ctx,
		 struct vms_py_frame *out, size_t max, size_t *ret_nr);

#endif
