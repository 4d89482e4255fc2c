/* SPDX-License-Identifier: MIT */
/*
 * The binary trace format, version 1.0 (docs/trace-format.md has every
 * byte): a 16-byte header, then records of a tag byte and LEB128 varints.
 * A reference to a page within +-15 pages of the same process's previous
 * reference is one byte.  The end record carries the event count, so a
 * truncated trace is always detected.  Populate events are extension
 * records (tag 0xc0), which a 1.0 reader that does not know them skips; the
 * end record therefore counts only the events of the other records.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "trace_internal.h"

enum { VARINT_OK, VARINT_TRUNCATED, VARINT_OVERLONG };

static inline uint64_t zigzag(uint64_t u)
{
	return (u << 1) ^ (0 - (u >> 63));
}

static inline uint64_t unzigzag(uint64_t zz)
{
	return (zz >> 1) ^ (0 - (zz & 1));
}

static inline unsigned char *put_varint(unsigned char *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

/* At most 10 bytes; the 10th may only hold the top bit of a uint64. */
static inline int get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *ret)
{
	const unsigned char *p = *pp;
	uint64_t v = 0;
	unsigned shift;

	if (p < end && *p < 0x80) {
		*ret = *p;
		*pp = p + 1;
		return VARINT_OK;
	}
	for (shift = 0;; shift += 7) {
		unsigned b;

		if (p == end)
			return VARINT_TRUNCATED;
		b = *p++;
		if (shift == 63 && b > 1)
			return VARINT_OVERLONG;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	*ret = v;
	*pp = p;
	return VARINT_OK;
}

static const char *tag_name(unsigned tag)
{
	static const char *const names[] = {
		"end", "pid", "tid", "time", "map", "unmap", "remap", "fork", "exec", "exit",
	};

	if (tag < 0x80)
		return "ref";
	if (tag - 0x80 < sizeof(names) / sizeof(names[0]))
		return names[tag - 0x80];
	if (tag == TAG_EXT_POPULATE)
		return "populate";
	return "extension";
}

static int fail_varint(struct vms_trace_reader *r, int why, unsigned tag, uint64_t rec_off)
{
	if (why == VARINT_TRUNCATED)
		return trace_fail(r, -EBADMSG,
				  "truncated trace: ended at byte %" PRIu64 " inside a %s record that starts at byte %" PRIu64,
				  r->buf_off + r->len, tag_name(tag), rec_off);
	return trace_fail(r, -EBADMSG,
			  "corrupt trace: a number longer than 64 bits in the %s record at byte %" PRIu64,
			  tag_name(tag), rec_off);
}

int trace_binary_open(struct vms_trace_reader *r)
{
	const unsigned char *h;
	unsigned major, minor, header_len;

	if (trace_fill(r, TRACE_HEADER_BYTES) < 0)
		return r->err;
	if (r->len < TRACE_HEADER_BYTES)
		return trace_fail(r, -EBADMSG,
				  "truncated trace: the header ends at byte %zu, %u bytes are needed",
				  r->len, TRACE_HEADER_BYTES);
	h = r->buf;
	major = h[8];
	minor = h[9];
	header_len = h[10] | (unsigned)h[11] << 8;
	r->version = major << 8 | minor;
	if (major > TRACE_VERSION_MAJOR)
		return trace_fail(r, -EPROTONOSUPPORT,
				  "binary trace format version %u.%u (byte 8) is newer than this reader (%u.x); use a newer vmsandbox",
				  major, minor, TRACE_VERSION_MAJOR);
	if (major < 1)
		return trace_fail(r, -EBADMSG, "corrupt trace header: format version %u.%u (byte 8) does not exist",
				  major, minor);
	if (header_len < TRACE_HEADER_BYTES || header_len > TRACE_HEADER_MAX)
		return trace_fail(r, -EBADMSG, "corrupt trace header: header length %u (bytes 10-11) is not in %u..%u",
				  header_len, TRACE_HEADER_BYTES, TRACE_HEADER_MAX);
	if (h[12] != VMS_TRACE_PAGE_SHIFT)
		return trace_fail(r, -EBADMSG,
				  "unsupported page size 2^%u bytes (byte 12); this reader supports 2^%u",
				  h[12], VMS_TRACE_PAGE_SHIFT);
	/* Bytes 13-15 (flags, reserved) carry nothing a 1.0 reader needs. */
	if (trace_fill(r, header_len) < 0)
		return r->err;
	if (r->len < header_len)
		return trace_fail(r, -EBADMSG,
				  "truncated trace: the header ends at byte %zu, its length is %u",
				  r->len, header_len);
	r->pos = header_len;
	return 0;
}

/* Skips an extension record's payload, which may be larger than the buffer. */
static int skip_payload(struct vms_trace_reader *r, uint64_t nr_bytes, uint64_t rec_off)
{
	while (nr_bytes > 0) {
		size_t avail = r->len - r->pos;

		if (avail == 0) {
			if (trace_fill(r, 1) < 0)
				return r->err;
			avail = r->len - r->pos;
			if (avail == 0)
				return trace_fail(r, -EBADMSG,
						  "truncated trace: ended at byte %" PRIu64 " inside an extension record that starts at byte %" PRIu64,
						  r->buf_off + r->len, rec_off);
		}
		if (avail > nr_bytes)
			avail = (size_t)nr_bytes;
		r->pos += avail;
		nr_bytes -= avail;
	}
	return 0;
}

static int read_end(struct vms_trace_reader *r, uint64_t count, uint64_t rec_off)
{
	/* Extension events are not counted: a reader that skips them agrees. */
	uint64_t nr_core = r->nr_events - r->nr_ext_events;

	if (count != nr_core) {
		if (r->nr_ext_events)
			return trace_fail(r, -EBADMSG,
					  "corrupt trace: the end record at byte %" PRIu64 " counts %" PRIu64 " events, but %" PRIu64
					  " were read (not counting %" PRIu64 " populate events)",
					  rec_off, count, nr_core, r->nr_ext_events);
		return trace_fail(r, -EBADMSG,
				  "corrupt trace: the end record at byte %" PRIu64 " counts %" PRIu64 " events, but %" PRIu64 " were read",
				  rec_off, count, nr_core);
	}
	if (trace_fill(r, 1) < 0)
		return r->err;
	if (r->pos < r->len)
		return trace_fail(r, -EBADMSG, "corrupt trace: data after the end record, at byte %" PRIu64,
				  r->buf_off + r->pos);
	r->done = true;
	return 0;
}

/*
 * The payload of a populate record, [p, p + len): varint vpn, varint
 * nr_pages, and nothing else.  The whole record is buffered (len is at most
 * TRACE_POPULATE_PAYLOAD_MAX, checked by the caller).
 */
static int read_populate(struct vms_trace_reader *r, const unsigned char *p, uint64_t len,
			 uint64_t rec_off, struct vms_trace_event *ev)
{
	const unsigned char *end = p + len;
	uint64_t vpn = 0, nr = 0;
	int why;

	why = get_varint(&p, end, &vpn);
	if (why == VARINT_OK)
		why = get_varint(&p, end, &nr);
	if (why == VARINT_OVERLONG)
		return fail_varint(r, why, TAG_EXT_POPULATE, rec_off);
	if (why == VARINT_TRUNCATED)
		return trace_fail(r, -EBADMSG,
				  "corrupt trace: the populate record at byte %" PRIu64 ": its fields run past its %" PRIu64 "-byte length",
				  rec_off, len);
	if (p != end)
		return trace_fail(r, -EBADMSG,
				  "corrupt trace: the populate record at byte %" PRIu64 ": its length is %" PRIu64 " bytes, its fields take %zu",
				  rec_off, len, (size_t)(len - (uint64_t)(end - p)));
	ev->kind = VMS_TR_POPULATE;
	ev->vpn = vpn;
	ev->nr_pages = nr;
	return 0;
}

#define GET(v)                                                          \
	do {                                                            \
		int why_ = get_varint(&p, end, &(v));                   \
		if (why_ != VARINT_OK)                                  \
			return fail_varint(r, why_, tag, rec_off);      \
	} while (0)

int trace_binary_read(struct vms_trace_reader *r, struct vms_trace_event *ret)
{
	struct trace_cursor *c = &r->cur;
	char why[128];
	int rc;

	for (;;) {
		const unsigned char *p, *end;
		uint64_t rec_off, a, b, d;
		struct vms_trace_event ev;
		unsigned tag;

		if (r->len - r->pos < TRACE_REC_MAX && !r->eof && trace_fill(r, TRACE_REC_MAX) < 0)
			return r->err;
		if (r->pos == r->len)
			return trace_fail(r, -EBADMSG,
					  "truncated trace: missing end record; the trace ends at byte %" PRIu64 " after %" PRIu64 " events",
					  r->buf_off + r->len, r->nr_events);
		p = r->buf + r->pos;
		end = r->buf + r->len;
		rec_off = r->buf_off + r->pos;
		tag = *p++;

		if (tag < 0x80) {
			/*
			 * With TRACE_REC_MAX bytes buffered (or the input at its
			 * end) a varint can only run out at the end of input.
			 */
			d = tag & TAG_REF_DMASK;
			if (d == TAG_REF_DESCAPE)
				GET(d);
			a = c->prev_vpn + unzigzag(d);
			if (a > VMS_VPN_MAX)
				return trace_fail(r, -EBADMSG,
						  "corrupt trace: the ref record at byte %" PRIu64 " leads to page 0x%" PRIx64 ", beyond the 36-bit maximum",
						  rec_off, a);
			if (tag & TAG_REF_T) {
				GET(b);
				c->time_ns += b;
			}
			c->prev_vpn = a;
			r->pos = (size_t)(p - r->buf);
			r->nr_events++;
			*ret = (struct vms_trace_event){
				.kind = VMS_TR_REF,
				.write = (tag & TAG_REF_W) != 0,
				.pid = c->pid,
				.tid = c->tid,
				.time_ns = c->time_ns,
				.vpn = a,
				.offset = rec_off,
			};
			return 1;
		}

		ev = (struct vms_trace_event){ .pid = c->pid, .tid = c->tid, .offset = rec_off };
		switch (tag) {
		case TAG_END:
			GET(a);
			r->pos = (size_t)(p - r->buf);
			rc = read_end(r, a, rec_off);
			return rc < 0 ? rc : 0;
		case TAG_PID:
		case TAG_TID:
		case TAG_FORK:
			GET(a);
			if (a > UINT32_MAX)
				return trace_fail(r, -EBADMSG,
						  "corrupt trace: %s %" PRIu64 " in the record at byte %" PRIu64 " exceeds 32 bits",
						  tag == TAG_TID ? "thread id" : "process id", a, rec_off);
			r->pos = (size_t)(p - r->buf);
			if (tag == TAG_TID) {
				c->tid = (uint32_t)a;
				continue;
			}
			if (tag == TAG_PID) {
				rc = trace_cursor_switch_pid(c, (uint32_t)a);
				if (rc < 0)
					goto fail_cursor;
				continue;
			}
			ev.kind = VMS_TR_FORK;
			ev.child_pid = (uint32_t)a;
			break;
		case TAG_TIME:
			GET(a);
			c->time_ns += unzigzag(a);
			r->pos = (size_t)(p - r->buf);
			continue;
		case TAG_MAP:
		case TAG_UNMAP:
			GET(a);
			GET(b);
			ev.kind = tag == TAG_MAP ? VMS_TR_MAP : VMS_TR_UNMAP;
			ev.vpn = a;
			ev.nr_pages = b;
			break;
		case TAG_REMAP:
			GET(a);
			GET(b);
			GET(d);
			ev.kind = VMS_TR_REMAP;
			ev.vpn = a;
			ev.nr_pages = b;
			ev.new_vpn = d;
			break;
		case TAG_EXEC:
			ev.kind = VMS_TR_EXEC;
			break;
		case TAG_EXIT:
			ev.kind = VMS_TR_EXIT;
			break;
		case TAG_EXT_POPULATE:
			GET(a);
			if (a > TRACE_POPULATE_PAYLOAD_MAX)
				return trace_fail(r, -EBADMSG,
						  "corrupt trace: the populate record at byte %" PRIu64 ": its length %" PRIu64
						  " exceeds the %u bytes its fields can take",
						  rec_off, a, TRACE_POPULATE_PAYLOAD_MAX);
			/*
			 * With TRACE_REC_MAX bytes buffered at the tag, a payload
			 * not all buffered means the input ended inside it.
			 */
			if (a > (uint64_t)(end - p))
				return trace_fail(r, -EBADMSG,
						  "truncated trace: ended at byte %" PRIu64 " inside a populate record that starts at byte %" PRIu64,
						  r->buf_off + r->len, rec_off);
			if (read_populate(r, p, a, rec_off, &ev) < 0)
				return r->err;
			p += a;
			break;
		default:
			if (tag < TAG_EXT_FIRST)
				return trace_fail(r, -EBADMSG,
						  "corrupt trace: unknown record tag 0x%02x at byte %" PRIu64,
						  tag, rec_off);
			/* Extension record of a later minor version: skip it. */
			GET(a);
			r->pos = (size_t)(p - r->buf);
			if (skip_payload(r, a, rec_off) < 0)
				return r->err;
			continue;
		}

		if (vms_trace_event_check(&ev, why, sizeof(why)) < 0)
			return trace_fail(r, -EBADMSG, "corrupt trace: the %s record at byte %" PRIu64 ": %s",
					  tag_name(tag), rec_off, why);
		ev.time_ns = c->time_ns;
		rc = trace_cursor_after_event(c, &ev);
		if (rc < 0)
			goto fail_cursor;
		r->pos = (size_t)(p - r->buf);
		r->nr_events++;
		if (tag >= TAG_EXT_FIRST)
			r->nr_ext_events++;
		*ret = ev;
		return 1;

fail_cursor:
		if (rc == -E2BIG)
			return trace_fail(r, rc, "too many processes in the trace at byte %" PRIu64 " (limit %u alive at once)",
					  rec_off, TRACE_PIDMAP_MAX);
		return trace_fail(r, rc, "out of memory at byte %" PRIu64, rec_off);
	}
}

static void put_header(unsigned char *h)
{
	memset(h, 0, TRACE_HEADER_BYTES);
	memcpy(h, TRACE_MAGIC, TRACE_MAGIC_BYTES);
	h[8] = TRACE_VERSION_MAJOR;
	h[9] = TRACE_VERSION_MINOR;
	h[10] = TRACE_HEADER_BYTES & 0xff;
	h[11] = TRACE_HEADER_BYTES >> 8;
	h[12] = VMS_TRACE_PAGE_SHIFT;
}

/* Room for a tid, a pid and a time record and the longest event record. */
#define WRITE_ROOM (3 * 11 + TRACE_REC_MAX)

static int reserve(struct vms_trace_writer *w)
{
	int rc;

	if (!w->started) {
		put_header(w->buf + w->len);
		w->len += TRACE_HEADER_BYTES;
		w->started = true;
	}
	if (TRACE_BUF_BYTES - w->len < WRITE_ROOM) {
		rc = trace_flush(w);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int trace_binary_write(struct vms_trace_writer *w, const struct vms_trace_event *ev)
{
	struct trace_cursor *c = &w->cur;
	unsigned char *p;
	int rc;

	rc = reserve(w);
	if (rc < 0)
		return rc;
	p = w->buf + w->len;
	if (ev->tid != c->tid) {
		*p++ = TAG_TID;
		p = put_varint(p, ev->tid);
		c->tid = ev->tid;
	}
	if (ev->pid != c->pid) {
		rc = trace_cursor_switch_pid(c, ev->pid);
		if (rc < 0)
			return rc;
		*p++ = TAG_PID;
		p = put_varint(p, ev->pid);
	}

	if (ev->kind == VMS_TR_REF) {
		uint64_t d = zigzag(ev->vpn - c->prev_vpn);
		unsigned tag = ev->write ? TAG_REF_W : 0;
		bool inline_time = false;

		if (ev->time_ns > c->time_ns) {
			tag |= TAG_REF_T;
			inline_time = true;
		} else if (ev->time_ns != c->time_ns) {
			*p++ = TAG_TIME;
			p = put_varint(p, zigzag(ev->time_ns - c->time_ns));
		}
		if (d < TAG_REF_DESCAPE) {
			*p++ = (unsigned char)(tag | (unsigned)d);
		} else {
			*p++ = (unsigned char)(tag | TAG_REF_DESCAPE);
			p = put_varint(p, d);
		}
		if (inline_time)
			p = put_varint(p, ev->time_ns - c->time_ns);
		c->time_ns = ev->time_ns;
		c->prev_vpn = ev->vpn;
		w->len = (size_t)(p - w->buf);
		return 0;
	}

	if (ev->time_ns != c->time_ns) {
		*p++ = TAG_TIME;
		p = put_varint(p, zigzag(ev->time_ns - c->time_ns));
		c->time_ns = ev->time_ns;
	}
	switch (ev->kind) {
	case VMS_TR_MAP:
	case VMS_TR_UNMAP:
		*p++ = ev->kind == VMS_TR_MAP ? TAG_MAP : TAG_UNMAP;
		p = put_varint(p, ev->vpn);
		p = put_varint(p, ev->nr_pages);
		break;
	case VMS_TR_REMAP:
		*p++ = TAG_REMAP;
		p = put_varint(p, ev->vpn);
		p = put_varint(p, ev->nr_pages);
		p = put_varint(p, ev->new_vpn);
		break;
	case VMS_TR_FORK:
		*p++ = TAG_FORK;
		p = put_varint(p, ev->child_pid);
		break;
	case VMS_TR_EXEC:
		*p++ = TAG_EXEC;
		break;
	case VMS_TR_EXIT:
		*p++ = TAG_EXIT;
		break;
	case VMS_TR_POPULATE: {
		/* An extension record: a 1.0 reader that does not know it skips it. */
		unsigned char payload[TRACE_POPULATE_PAYLOAD_MAX], *q = payload;

		q = put_varint(q, ev->vpn);
		q = put_varint(q, ev->nr_pages);
		*p++ = TAG_EXT_POPULATE;
		p = put_varint(p, (uint64_t)(q - payload));
		memcpy(p, payload, (size_t)(q - payload));
		p += q - payload;
		w->nr_ext_events++;
		break;
	}
	case VMS_TR_REF:
		break;
	}
	w->len = (size_t)(p - w->buf);
	return trace_cursor_after_event(c, ev);
}

int trace_binary_finish(struct vms_trace_writer *w)
{
	unsigned char *p;
	int rc;

	rc = reserve(w);
	if (rc < 0)
		return rc;
	p = w->buf + w->len;
	*p++ = TAG_END;
	/* Extension events are not counted, so that readers skipping them agree. */
	p = put_varint(p, w->nr_events - w->nr_ext_events);
	w->len = (size_t)(p - w->buf);
	return 0;
}
