/* SPDX-License-Identifier: MIT */
/*
 * Reference traces: the stream of events (page references, map/unmap/remap
 * of ranges, fault-around populate, fork, exec, exit) that `vmsandbox replay` feeds to the core and
 * that the live pager records with --trace.
 *
 * Two encodings, both described byte by byte in docs/trace-format.md:
 *   - text: one page number per line (decimal or 0x-hex, optional "R "/"W "
 *     prefix, '#' comments), plus optional directives for multi-process
 *     traces (@pid, @tid, @time, map, unmap, remap, populate, fork, exec,
 *     exit);
 *   - binary: a versioned header ("VMSTRACE") and compact records (a tag
 *     byte and LEB128 varints), ended by a record carrying the event count.
 *
 * The core does no I/O: readers and writers move bytes through callbacks and
 * buffer 64 KiB internally.  Nothing here prints; errors are returned as
 * -errno codes and, for readers, a message naming the line or byte offset.
 */
#ifndef VMSANDBOX_TRACE_H
#define VMSANDBOX_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmsandbox/types.h"

enum vms_trace_kind {
	VMS_TR_REF,    /* pid touches vpn (write or read) */
	VMS_TR_MAP,    /* pid maps vpn .. vpn+nr_pages-1 */
	VMS_TR_UNMAP,  /* pid unmaps vpn .. vpn+nr_pages-1 */
	VMS_TR_REMAP,  /* pid moves vpn .. +nr_pages-1 to new_vpn .. +nr_pages-1 */
	VMS_TR_FORK,   /* pid (the parent) clones its address space as child_pid */
	VMS_TR_EXEC,   /* pid replaces its address space with an empty one */
	VMS_TR_EXIT,   /* pid's address space goes away */
	/*
	 * pid got pages vpn .. vpn+nr_pages-1 mapped by fault-around (the live
	 * pager's read-ahead next to a zero-fill fault): each was given a free
	 * frame without being referenced (vms_mm_populate).  Recorded right
	 * after the ref event of the fault, one event per run of pages.
	 */
	VMS_TR_POPULATE,
};
#define VMS_TR_NR_KINDS (VMS_TR_POPULATE + 1)

/*
 * The process a trace starts in, for traces (plain text ones) that never
 * name one.  Thread and time start at 0 ("unknown").
 */
#define VMS_TRACE_DEFAULT_PID 1u

/* Every trace of the binary format uses this page size (docs/trace-format.md). */
#define VMS_TRACE_PAGE_SHIFT VMS_PAGE_SHIFT

struct vms_trace_event {
	enum vms_trace_kind kind;
	bool write;            /* REF: a write access */
	uint32_t pid;          /* address space / process; FORK: the parent */
	uint32_t tid;          /* thread, 0 if unknown */
	uint32_t child_pid;    /* FORK */
	uint64_t time_ns;      /* monotonic since start of run; 0 if unknown */
	vms_vpn_t vpn;         /* REF: the page; MAP/UNMAP/REMAP/POPULATE: first page of the range */
	uint64_t nr_pages;     /* MAP/UNMAP/REMAP/POPULATE, >= 1 */
	vms_vpn_t new_vpn;     /* REMAP: destination */
	uint64_t line;         /* reader, text: 1-based line of the event; binary: 0 */
	uint64_t offset;       /* reader: byte offset where the event's line/record starts */
};

/* Like read(2): bytes read (<= len), 0 at end of input, -errno on failure. */
typedef ssize_t (*vms_trace_read_fn)(void *ctx, void *buf, size_t len);
/* Writes all len bytes and returns 0, or returns -errno. */
typedef int (*vms_trace_write_fn)(void *ctx, const void *buf, size_t len);

struct vms_trace_reader;
struct vms_trace_writer;

/*
 * Checks that an event is well formed: a known kind, pages <= VMS_VPN_MAX,
 * ranges of >= 1 page that end <= VMS_VPN_MAX, a fork child != its parent.
 * Returns 0, or -EINVAL and (if msg is not NULL) a reason in msg.
 */
int vms_trace_event_check(const struct vms_trace_event *ev, char *msg, size_t msg_size);

/* "ref", "map", ... for messages; "?" for an unknown kind. */
const char *vms_trace_kind_name(enum vms_trace_kind kind);

/*
 * Creates a reader and tells text from binary by the first bytes ("VMSTRACE"
 * starts a binary trace, anything else is text).  The header is read here;
 * an I/O or format error found while doing so does not fail this call: it is
 * kept and returned by the first vms_trace_read().  Returns 0, -EINVAL (no
 * callback) or -ENOMEM.
 */
int vms_trace_reader_new(vms_trace_read_fn fn, void *ctx, struct vms_trace_reader **ret);

/*
 * Reads the next event into *ret: 1 = an event, 0 = clean end of the trace,
 * < 0 = error (-EBADMSG corrupt or truncated, -EPROTONOSUPPORT newer major
 * version, -E2BIG a resource limit, -ENOMEM, or the callback's -errno), and
 * then vms_trace_reader_error() says what and where.  Errors are sticky.
 */
int vms_trace_read(struct vms_trace_reader *r, struct vms_trace_event *ret);

/* The last error's message ("line 17: expected ..."), "" if none. */
const char *vms_trace_reader_error(const struct vms_trace_reader *r);
bool vms_trace_reader_is_binary(const struct vms_trace_reader *r);
/* Binary: the format version of the header (major << 8 | minor); text: 0. */
unsigned vms_trace_reader_version(const struct vms_trace_reader *r);
void vms_trace_reader_free(struct vms_trace_reader *r);

/* A writer of the binary format (the header is written by the first write). */
int vms_trace_writer_new(vms_trace_write_fn fn, void *ctx, struct vms_trace_writer **ret);
/*
 * A writer of the text format, for dumping traces; its output read back gives
 * the same events (line and offset aside).
 */
int vms_trace_writer_new_text(vms_trace_write_fn fn, void *ctx, struct vms_trace_writer **ret);

/*
 * Appends an event.  Returns 0, -EINVAL for an event that fails
 * vms_trace_event_check() or a writer already finished, -E2BIG past a
 * resource limit, or the callback's -errno (sticky: the writer is unusable).
 */
int vms_trace_write(struct vms_trace_writer *w, const struct vms_trace_event *ev);
/* Writes the end record (binary) and flushes.  Returns 0 or -errno. */
int vms_trace_writer_finish(struct vms_trace_writer *w);
uint64_t vms_trace_writer_nr_events(const struct vms_trace_writer *w);
/* Frees without finishing: a binary trace left this way has no end record. */
void vms_trace_writer_free(struct vms_trace_writer *w);

#endif
