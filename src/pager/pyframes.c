/* SPDX-License-Identifier: MIT */
/*
 * Reading a CPython 3.11 thread's Python stack from outside (pyframes.h).
 * Every pointer comes from the program and is only ever used as an address
 * to read through the caller's function; every loop is bounded, so a
 * program with corrupt or changing structures gives wrong or missing
 * frames, never a hang.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyframes.h"

#if VMS_HAVE_PY_OFFSETS
#include "pyline.h"
#include "pyoffsets.h"
#endif

/* Bounds on what a corrupt program could make the reader walk. */
#define MAX_INTERPRETERS 64
#define MAX_THREADS 4096
#define MAX_FRAMES_WALKED 1024
#define MAX_LINETABLE_BYTES (256u * 1024)

static int read_u64(vms_unwind_read_fn read, void *ctx, uint64_t addr, uint64_t *ret)
{
	return read(ctx, addr, ret, sizeof(*ret));
}

void vms_py_probe(struct vms_py_target *t, struct vms_unwinder *u, vms_unwind_read_fn read,
		  void *ctx)
{
	uint64_t version_addr, version = 0;

	memset(t, 0, sizeof(*t));
	/* Only modules named like the interpreter: python3.11 itself, or a
	 * libpython an embedding program loaded.  Walking every symbol table
	 * of every program of a tree (cc1, ld) would cost milliseconds each. */
	t->runtime = vms_unwind_find_symbol(u, "python", "_PyRuntime");
	if (!t->runtime) {
		t->status = VMS_PY_ABSENT;
		return;
	}
	t->status = VMS_PY_UNAVAILABLE;
	version_addr = vms_unwind_find_symbol(u, "python", "Py_Version");
	if (!version_addr) {
		snprintf(t->note, sizeof(t->note),
			 "python frames unavailable (an interpreter older than 3.11: no Py_Version)");
		return;
	}
	if (read_u64(read, ctx, version_addr, &version) < 0) {
		snprintf(t->note, sizeof(t->note),
			 "python frames unavailable (Py_Version could not be read)");
		return;
	}
#if VMS_HAVE_PY_OFFSETS
	if ((version >> 16) != (VMS_PY_HEADERS_VERSION_HEX >> 16)) {
		snprintf(t->note, sizeof(t->note),
			 "python frames unavailable (the program runs Python %u.%u; vmsandbox "
			 "reads the frames of %s)", (unsigned)(version >> 24) & 0xff,
			 (unsigned)(version >> 16) & 0xff, VMS_PY_HEADERS_VERSION);
		return;
	}
	t->status = VMS_PY_READY;
#else
	snprintf(t->note, sizeof(t->note),
		 "python frames unavailable (vmsandbox was built without the python3.11-dev "
		 "headers; program's Python %u.%u)", (unsigned)(version >> 24) & 0xff,
		 (unsigned)(version >> 16) & 0xff);
#endif
}

#if VMS_HAVE_PY_OFFSETS

static int read_i32(vms_unwind_read_fn read, void *ctx, uint64_t addr, int32_t *ret)
{
	return read(ctx, addr, ret, sizeof(*ret));
}

/* The lowest set bit's position (the masks are non-zero by construction). */
static unsigned int shift_of(unsigned int mask)
{
	return (unsigned int)__builtin_ctz(mask);
}

/* Appends code point c as UTF-8 to buf[*n, size - 1). */
static void put_utf8(char *buf, size_t size, size_t *n, uint32_t c)
{
	char tmp[4];
	size_t k;

	if (c < 0x80) {
		tmp[0] = (char)c;
		k = 1;
	} else if (c < 0x800) {
		tmp[0] = (char)(0xc0 | (c >> 6));
		tmp[1] = (char)(0x80 | (c & 0x3f));
		k = 2;
	} else if (c < 0x10000) {
		tmp[0] = (char)(0xe0 | (c >> 12));
		tmp[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		tmp[2] = (char)(0x80 | (c & 0x3f));
		k = 3;
	} else {
		tmp[0] = (char)(0xf0 | ((c >> 18) & 0x07));
		tmp[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		tmp[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		tmp[3] = (char)(0x80 | (c & 0x3f));
		k = 4;
	}
	if (*n + k < size) {
		memcpy(buf + *n, tmp, k);
		*n += k;
	}
}

/* A str object (compact, as code objects' names are) into buf as UTF-8,
 * cut to size - 1 bytes. */
static int read_str(vms_unwind_read_fn read, void *ctx, uint64_t obj, char *buf, size_t size)
{
	uint32_t state = 0, kind;
	int64_t length = 0;
	uint64_t data;
	size_t n = 0, want;
	uint8_t chunk[512];
	int r;

	buf[0] = 0;
	if (!obj)
		return -EINVAL;
	r = read(ctx, obj + VMS_PY_ASCII_STATE, &state, sizeof(state));
	if (r == 0)
		r = read(ctx, obj + VMS_PY_ASCII_LENGTH, &length, sizeof(length));
	if (r < 0)
		return r;
	if (!(state & VMS_PY_STATE_COMPACT_MASK) || length < 0)
		return -EINVAL;
	kind = (state & VMS_PY_STATE_KIND_MASK) >> shift_of(VMS_PY_STATE_KIND_MASK);
	if (state & VMS_PY_STATE_ASCII_MASK) {
		want = (size_t)length < size - 1 ? (size_t)length : size - 1;
		r = read(ctx, obj + VMS_PY_ASCII_SIZE, buf, want);
		if (r < 0)
			return r;
		buf[want] = 0;
		return 0;
	}
	if (kind != 1 && kind != 2 && kind != 4)
		return -EINVAL;
	data = obj + VMS_PY_COMPACT_SIZE;
	/* At most as many code points as bytes fit, each kind bytes wide. */
	want = (size_t)length < size - 1 ? (size_t)length : size - 1;
	if (want * kind > sizeof(chunk))
		want = sizeof(chunk) / kind;
	r = read(ctx, data, chunk, want * kind);
	if (r < 0)
		return r;
	for (size_t i = 0; i < want; i++) {
		uint32_t c;

		if (kind == 1) {
			c = chunk[i];
		} else if (kind == 2) {
			uint16_t c16;

			memcpy(&c16, chunk + 2 * i, 2);
			c = c16;
		} else {
			memcpy(&c, chunk + 4 * i, 4);
		}
		put_utf8(buf, size, &n, c);
	}
	buf[n] = 0;
	return 0;
}

/* The thread state whose native thread id is tid, 0 if none. */
static int find_tstate(const struct vms_py_target *t, pid_t tid, vms_unwind_read_fn read,
		       void *ctx, uint64_t *ret)
{
	uint64_t interp = 0, ts = 0, native = 0;
	int r;

	*ret = 0;
	r = read_u64(read, ctx, t->runtime + VMS_PY_RUNTIME_INTERPRETERS_HEAD, &interp);
	for (int i = 0; r == 0 && interp && i < MAX_INTERPRETERS; i++) {
		r = read_u64(read, ctx, interp + VMS_PY_INTERP_THREADS_HEAD, &ts);
		for (int j = 0; r == 0 && ts && j < MAX_THREADS; j++) {
			r = read_u64(read, ctx, ts + VMS_PY_TSTATE_NATIVE_THREAD_ID, &native);
			if (r == 0 && native == (uint64_t)tid) {
				*ret = ts;
				return 0;
			}
			if (r == 0)
				r = read_u64(read, ctx, ts + VMS_PY_TSTATE_NEXT, &ts);
		}
		if (r == 0)
			r = read_u64(read, ctx, interp + VMS_PY_INTERP_NEXT, &interp);
	}
	return r;
}

/* The line being executed in a frame of code object `code` at prev_instr. */
static int frame_line(vms_unwind_read_fn read, void *ctx, uint64_t code, uint64_t prev_instr)
{
	uint64_t table_obj = 0;
	int64_t table_len = 0;
	int32_t first = 0;
	uint8_t *table;
	size_t len;
	int line;

	if (read_i32(read, ctx, code + VMS_PY_CODE_FIRSTLINENO, &first) < 0 ||
	    read_u64(read, ctx, code + VMS_PY_CODE_LINETABLE, &table_obj) < 0 || !table_obj ||
	    read(ctx, table_obj + VMS_PY_VAROBJECT_SIZE, &table_len, sizeof(table_len)) < 0 ||
	    table_len <= 0)
		return 0;
	len = (uint64_t)table_len < MAX_LINETABLE_BYTES ? (size_t)table_len : MAX_LINETABLE_BYTES;
	table = malloc(len);
	if (!table)
		return 0;
	line = 0;
	if (read(ctx, table_obj + VMS_PY_BYTES_SVAL, table, len) == 0) {
		uint64_t addrq = prev_instr - (code + VMS_PY_CODE_CODE_ADAPTIVE);

		line = vms_py_addr2line(table, len, first, (int)addrq);
		if (line < 0)
			line = 0;
	}
	free(table);
	return line;
}

int vms_py_stack(const struct vms_py_target *t, pid_t tid, vms_unwind_read_fn read, void *ctx,
		 struct vms_py_frame *out, size_t max, size_t *ret_nr)
{
	uint64_t ts = 0, cframe = 0, frame = 0;
	size_t n = 0;
	int r;

	*ret_nr = 0;
	if (t->status != VMS_PY_READY)
		return -ENOTSUP;
	r = find_tstate(t, tid, read, ctx, &ts);
	if (r < 0 || !ts)
		return r;
	r = read_u64(read, ctx, ts + VMS_PY_TSTATE_CFRAME, &cframe);
	if (r < 0 || !cframe)
		return r;
	r = read_u64(read, ctx, cframe + VMS_PY_CFRAME_CURRENT_FRAME, &frame);
	for (int walked = 0; r == 0 && frame && n < max && walked < MAX_FRAMES_WALKED; walked++) {
		uint64_t code = 0, prev = 0, prev_instr = 0, filename = 0, qualname = 0;
		int32_t first_traceable = 0;
		uint8_t owner = 0;

		r = read_u64(read, ctx, frame + VMS_PY_IFRAME_CODE, &code);
		if (r == 0)
			r = read_u64(read, ctx, frame + VMS_PY_IFRAME_PREVIOUS, &prev);
		if (r == 0)
			r = read_u64(read, ctx, frame + VMS_PY_IFRAME_PREV_INSTR, &prev_instr);
		if (r == 0)
			r = read(ctx, frame + VMS_PY_IFRAME_OWNER, &owner, 1);
		if (r == 0 && code)
			r = read_i32(read, ctx, code + VMS_PY_CODE_FIRSTTRACEABLE, &first_traceable);
		if (r < 0 || !code)
			break;
		/* _PyFrame_IsIncomplete: a frame still being set up. */
		if (owner != VMS_PY_FRAME_OWNED_BY_GENERATOR &&
		    prev_instr < code + VMS_PY_CODE_CODE_ADAPTIVE +
				 (uint64_t)first_traceable * VMS_PY_CODEUNIT_SIZE) {
			frame = prev;
			continue;
		}
		r = read_u64(read, ctx, code + VMS_PY_CODE_FILENAME, &filename);
		if (r == 0)
			r = read_u64(read, ctx, code + VMS_PY_CODE_QUALNAME, &qualname);
		if (r < 0)
			break;
		if (read_str(read, ctx, filename, out[n].file, sizeof(out[n].file)) < 0)
			snprintf(out[n].file, sizeof(out[n].file), "?");
		if (read_str(read, ctx, qualname, out[n].function, sizeof(out[n].function)) < 0)
			snprintf(out[n].function, sizeof(out[n].function), "?");
		out[n].line = frame_line(read, ctx, code, prev_instr);
		n++;
		frame = prev;
	}
	*ret_nr = n;
	return r;
}

#else

int vms_py_stack(const struct vms_py_target *t, pid_t tid, vms_unwind_read_fn read, void *ctx,
		 struct vms_py_frame *out, size_t max, size_t *ret_nr)
{
	*ret_nr = 0;
	return -ENOTSUP;
}

#endif
