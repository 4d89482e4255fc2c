/* SPDX-License-Identifier: MIT */
/*
 * CPython 3.11's location table (PEP 657, co_linetable): the source line of
 * an instruction, decoded as PyCode_Addr2Line does (Objects/codeobject.c,
 * 3.11), but from bytes the pager copied out of the program.  Pure.
 */
#ifndef VMSANDBOX_PAGER_PYLINE_H
#define VMSANDBOX_PAGER_PYLINE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The line of the instruction at byte offset addrq of a code object whose
 * first line is firstlineno and whose location table is table[0, len).
 * addrq < 0 gives firstlineno; an instruction without a line (or past the
 * table) gives -1.
 */
int vms_py_addr2line(const uint8_t *table, size_t len, int firstlineno, int addrq);

#endif
