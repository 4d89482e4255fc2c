/* SPDX-License-Identifier: MIT */
/*
 * Shared between trace.c (buffering, dispatch, the pid map, messages),
 * trace_text.c and trace_binary.c.  Not a public header.
 */
#ifndef VMSANDBOX_TRACE_INTERNAL_H
#define VMSANDBOX_TRACE_INTERNAL_H

#include <stdarg.h>

#include "vmsandbox/trace.h"

#define TRACE_BUF_BYTES  (64u * 1024)
#define TRACE_MSG_BYTES  256

/* Binary format constants (docs/trace-format.md). */
#define TRACE_MAGIC          "VMSTRACE"
#define TRACE_MAGIC_BYTES    8
#define TRACE_HEADER_BYTES   16
#define TRACE_HEADER_MAX     4096    /* a header_len beyond this is corrupt */
#define TRACE_VERSION_MAJOR  1
#define TRACE_VERSION_MINOR  0

#define TAG_REF_W        0x40u   /* REF tags are 0x00..0x7f */
#define TAG_REF_T        0x20u
#define TAG_REF_DMASK    0x1fu
#define TAG_REF_DESCAPE  0x1fu   /* a zigzag varint delta follows */
#define TAG_END          0x80u
#define TAG_PID          0x81u
#define TAG_TID          0x82u
#define TAG_TIME         0x83u
#define TAG_MAP          0x84u
#define TAG_UNMAP        0x85u
#define TAG_REMAP        0x86u
#define TAG_FORK         0x87u
#define TAG_EXEC         0x88u
#define TAG_EXIT         0x89u
#define TAG_EXT_FIRST    0xc0u   /* 0xc0..0xff: tag, varint length, payload */
#define TAG_EXT_POPULATE 0xc0u   /* payload: varint vpn, varint nr_pages */

/* The longest populate payload: two 10-byte varints. */
#define TRACE_POPULATE_PAYLOAD_MAX 20

/*
 * The longest fixed-layout record: a tag and three 10-byte varints (a
 * populate record, a tag, a 10-byte length and its payload, is no longer).
 */
#define TRACE_REC_MAX    31

/* Most processes a binary trace may have alive at once (resource limit). */
#define TRACE_PIDMAP_MAX (1u << 22)

/*
 * pid -> last page referenced by that pid, for page deltas.  Absent means 0,
 * so storing 0 removes the entry.  Open addressing, linear probing,
 * backward-shift deletion.  Used identically by the writer and the reader,
 * so both always agree on the delta base.
 */
struct trace_pidmap_slot {
	uint32_t pid;
	uint32_t used;
	vms_vpn_t vpn;
};

struct trace_pidmap {
	struct trace_pidmap_slot *slots;
	size_t cap;      /* power of two, or 0 */
	size_t nr;
};

int trace_pidmap_set(struct trace_pidmap *m, uint32_t pid, vms_vpn_t vpn);
vms_vpn_t trace_pidmap_get(const struct trace_pidmap *m, uint32_t pid);
void trace_pidmap_fini(struct trace_pidmap *m);

/*
 * Delta state common to writer and reader of the binary format: the current
 * pid/tid/time and the current pid's last page; other pids' last pages are
 * in the map.
 */
struct trace_cursor {
	uint32_t pid;
	uint32_t tid;
	uint64_t time_ns;
	vms_vpn_t prev_vpn;
	struct trace_pidmap map;
};

void trace_cursor_init(struct trace_cursor *c);
int trace_cursor_switch_pid(struct trace_cursor *c, uint32_t pid);
/* After a FORK/EXIT event of the current pid has been coded. */
int trace_cursor_after_event(struct trace_cursor *c, const struct vms_trace_event *ev);

struct vms_trace_reader {
	vms_trace_read_fn fn;
	void *ctx;
	unsigned char *buf;     /* TRACE_BUF_BYTES */
	size_t pos;             /* next unread byte */
	size_t len;             /* valid bytes in buf */
	uint64_t buf_off;       /* stream offset of buf[0] */
	bool eof;               /* the callback returned 0 */
	bool binary;
	bool done;              /* clean end seen */
	int err;                /* sticky error, 0 if none */
	char msg[TRACE_MSG_BYTES];

	/* text */
	uint64_t line;          /* lines consumed so far */
	uint32_t text_pid;
	uint32_t text_tid;
	uint64_t text_time_ns;

	/* binary */
	unsigned version;       /* major << 8 | minor */
	struct trace_cursor cur;
	uint64_t nr_events;
	uint64_t nr_ext_events; /* of nr_events, from extension records (populate) */
};

struct vms_trace_writer {
	vms_trace_write_fn fn;
	void *ctx;
	unsigned char *buf;     /* TRACE_BUF_BYTES */
	size_t len;
	bool text;
	bool started;           /* header written */
	bool finished;
	int err;                /* sticky callback error */
	uint64_t nr_events;
	uint64_t nr_ext_events; /* binary: of nr_events, written as extension records */
	struct trace_cursor cur;
};

/* Sets the reader's sticky error and message; returns err. */
int trace_fail(struct vms_trace_reader *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Compacts the buffer and reads until at least `want` unread bytes are
 * buffered, the input ends or the buffer is full.  Returns 0 or the error.
 */
int trace_fill(struct vms_trace_reader *r, size_t want);

/* Appends bytes to the writer's buffer, flushing as needed. */
int trace_out(struct vms_trace_writer *w, const void *p, size_t n);
int trace_flush(struct vms_trace_writer *w);

/* Quotes at most `max` bytes of s for a message: printable as is, others \xNN. */
void trace_quote(char *dst, size_t dst_size, const char *s, size_t n, size_t max);

int trace_binary_open(struct vms_trace_reader *r);
int trace_binary_read(struct vms_trace_reader *r, struct vms_trace_event *ret);
int trace_binary_write(struct vms_trace_writer *w, const struct vms_trace_event *ev);
int trace_binary_finish(struct vms_trace_writer *w);

int trace_text_read(struct vms_trace_reader *r, struct vms_trace_event *ret);
int trace_text_write(struct vms_trace_writer *w, const struct vms_trace_event *ev);
int trace_text_finish(struct vms_trace_writer *w);

#endif
