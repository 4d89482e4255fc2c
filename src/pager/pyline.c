/* SPDX-License-Identifier: MIT */
/*
 * The 3.11 location table, entry by entry.  Each entry starts with a byte
 * whose top bit is set: bits 3-6 are its kind, bits 0-2 the number of code
 * units it covers minus one; the kind says how the line changes (the
 * columns that may follow are skipped).  The kind numbers are taken from
 * the installed headers (pyoffsets.h).
 */
#include <stdbool.h>

#include "pyline.h"
#include "pyoffsets.h"

struct cursor {
	const uint8_t *p, *end;
};

/* An unsigned varint of 6-bit chunks, bit 6 = more (scan_varint). */
static unsigned int read_varint(const uint8_t *p, const uint8_t *end)
{
	unsigned int val, shift = 0, b;

	if (p >= end)
		return 0;
	b = *p++;
	val = b & 63;
	while ((b & 64) && p < end && shift < 24) {
		b = *p++;
		shift += 6;
		val |= (b & 63) << shift;
	}
	return val;
}

static int read_signed_varint(const uint8_t *p, const uint8_t *end)
{
	unsigned int u = read_varint(p, end);

	return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

/* get_line_delta: how the entry at p changes the line. */
static int line_delta(const uint8_t *p, const uint8_t *end)
{
	unsigned int kind = (*p >> 3) & 15;

	switch (kind) {
	case VMS_PY_LOC_NONE:
		return 0;
	case VMS_PY_LOC_NO_COLUMNS:
	case VMS_PY_LOC_LONG:
		return read_signed_varint(p + 1, end);
	case VMS_PY_LOC_ONE_LINE0:
		return 0;
	case VMS_PY_LOC_ONE_LINE1:
		return 1;
	case VMS_PY_LOC_ONE_LINE2:
		return 2;
	default:
		return 0;   /* the short forms: same line */
	}
}

static bool no_line(uint8_t b)
{
	return (b >> 3) == 0x1f;   /* a NONE entry (with its top bit) */
}

int vms_py_addr2line(const uint8_t *table, size_t len, int firstlineno, int addrq)
{
	const uint8_t *p = table, *end = table + len;
	int line = firstlineno, ar_line = -1;
	int ar_end = 0;

	if (addrq < 0)
		return firstlineno;
	/* advance() until the range [ar_start, ar_end) holds addrq. */
	while (ar_end <= addrq) {
		if (p >= end)
			return -1;
		line += line_delta(p, end);
		ar_line = no_line(*p) ? -1 : line;
		ar_end += (int)(((*p & 7) + 1) * VMS_PY_CODEUNIT_SIZE);
		do
			p++;
		while (p < end && (*p & 128) == 0);
	}
	return ar_line;
}
