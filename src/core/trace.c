/* SPDX-License-Identifier: MIT */
/*
 * Trace readers and writers: creation, buffering of the I/O callbacks, the
 * format detection, event checks and the pid map the binary format's page
 * deltas rely on.  The encodings themselves are in trace_text.c and
 * trace_binary.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_internal.h"

static const char *const kind_names[VMS_TR_NR_KINDS] = {
	[VMS_TR_REF] = "ref",
	[VMS_TR_MAP] = "map",
	[VMS_TR_UNMAP] = "unmap",
	[VMS_TR_REMAP] = "remap",
	[VMS_TR_FORK] = "fork",
	[VMS_TR_EXEC] = "exec",
	[VMS_TR_EXIT] = "exit",
	[VMS_TR_POPULATE] = "populate",
};

const char *vms_trace_kind_name(enum vms_trace_kind kind)
{
	if ((unsigned)kind >= VMS_TR_NR_KINDS)
		return "?";
	return kind_names[kind];
}

static int check_range(vms_vpn_t vpn, uint64_t nr_pages, const char *what,
		       char *msg, size_t msg_size)
{
	if (vpn > VMS_VPN_MAX) {
		snprintf(msg, msg_size, "%s page 0x%" PRIx64 " exceeds the 36-bit maximum 0x%" PRIx64,
			 what, vpn, VMS_VPN_MAX);
		return -EINVAL;
	}
	if (nr_pages == 0) {
		snprintf(msg, msg_size, "range of 0 pages");
		return -EINVAL;
	}
	if (nr_pages - 1 > VMS_VPN_MAX - vpn) {
		snprintf(msg, msg_size, "%s range 0x%" PRIx64 " + %" PRIu64
			 " pages ends past the 36-bit maximum page 0x%" PRIx64,
			 what, vpn, nr_pages, VMS_VPN_MAX);
		return -EINVAL;
	}
	return 0;
}

int vms_trace_event_check(const struct vms_trace_event *ev, char *msg, size_t msg_size)
{
	char dummy[1];
	int rc;

	if (!msg) {
		msg = dummy;
		msg_size = sizeof(dummy);
	}
	switch (ev->kind) {
	case VMS_TR_REF:
		if (ev->vpn > VMS_VPN_MAX) {
			snprintf(msg, msg_size, "page 0x%" PRIx64 " exceeds the 36-bit maximum 0x%" PRIx64,
				 ev->vpn, VMS_VPN_MAX);
			return -EINVAL;
		}
		return 0;
	case VMS_TR_MAP:
	case VMS_TR_UNMAP:
	case VMS_TR_POPULATE:
		return check_range(ev->vpn, ev->nr_pages, "first", msg, msg_size);
	case VMS_TR_REMAP:
		rc = check_range(ev->vpn, ev->nr_pages, "source", msg, msg_size);
		if (rc < 0)
			return rc;
		return check_range(ev->new_vpn, ev->nr_pages, "destination", msg, msg_size);
	case VMS_TR_FORK:
		if (ev->child_pid == ev->pid) {
			snprintf(msg, msg_size, "fork: child pid %" PRIu32 " equals its parent", ev->pid);
			return -EINVAL;
		}
		return 0;
	case VMS_TR_EXEC:
	case VMS_TR_EXIT:
		return 0;
	}
	snprintf(msg, msg_size, "unknown event kind %d", (int)ev->kind);
	return -EINVAL;
}

/* ---- pid map ------------------------------------------------------------ */

static size_t pid_hash(uint32_t pid, size_t cap)
{
	return (size_t)((pid * UINT32_C(0x9e3779b1)) & (cap - 1));
}

vms_vpn_t trace_pidmap_get(const struct trace_pidmap *m, uint32_t pid)
{
	size_t i;

	if (m->nr == 0)
		return 0;
	for (i = pid_hash(pid, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1))
		if (m->slots[i].pid == pid)
			return m->slots[i].vpn;
	return 0;
}

static void pidmap_remove_at(struct trace_pidmap *m, size_t i)
{
	size_t j = i;

	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (;;) {
		size_t home;

		m->slots[i].used = 0;
		for (;;) {
			j = (j + 1) & (m->cap - 1);
			if (!m->slots[j].used)
				return;
			home = pid_hash(m->slots[j].pid, m->cap);
			/* Move j to i unless its home lies cyclically in (i, j]. */
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		m->slots[i] = m->slots[j];
		i = j;
	}
}

static int pidmap_grow(struct trace_pidmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct trace_pidmap_slot *slots = calloc(cap, sizeof(*slots));
	size_t i;

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++) {
		size_t k;

		if (!m->slots[i].used)
			continue;
		for (k = pid_hash(m->slots[i].pid, cap); slots[k].used; k = (k + 1) & (cap - 1))
			;
		slots[k] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int trace_pidmap_set(struct trace_pidmap *m, uint32_t pid, vms_vpn_t vpn)
{
	size_t i;
	int rc;

	if (m->cap) {
		for (i = pid_hash(pid, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1)) {
			if (m->slots[i].pid != pid)
				continue;
			if (vpn == 0) {
				pidmap_remove_at(m, i);
				m->nr--;
			} else {
				m->slots[i].vpn = vpn;
			}
			return 0;
		}
	}
	if (vpn == 0)
		return 0;
	if (m->nr >= TRACE_PIDMAP_MAX)
		return -E2BIG;
	if ((m->nr + 1) * 2 > m->cap) {
		rc = pidmap_grow(m);
		if (rc < 0)
			return rc;
	}
	for (i = pid_hash(pid, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1))
		;
	m->slots[i] = (struct trace_pidmap_slot){ .pid = pid, .used = 1, .vpn = vpn };
	m->nr++;
	return 0;
}

void trace_pidmap_fini(struct trace_pidmap *m)
{
	free(m->slots);
	*m = (struct trace_pidmap){ 0 };
}

void trace_cursor_init(struct trace_cursor *c)
{
	*c = (struct trace_cursor){ .pid = VMS_TRACE_DEFAULT_PID };
}

int trace_cursor_switch_pid(struct trace_cursor *c, uint32_t pid)
{
	int rc = trace_pidmap_set(&c->map, c->pid, c->prev_vpn);

	if (rc < 0)
		return rc;
	c->pid = pid;
	c->prev_vpn = trace_pidmap_get(&c->map, pid);
	return 0;
}

int trace_cursor_after_event(struct trace_cursor *c, const struct vms_trace_event *ev)
{
	switch (ev->kind) {
	case VMS_TR_FORK:
		/* The child starts where its parent was: its first pages are near. */
		return trace_pidmap_set(&c->map, ev->child_pid, c->prev_vpn);
	case VMS_TR_EXIT:
		c->prev_vpn = 0;
		return 0;
	default:
		return 0;
	}
}

/* ---- reader ------------------------------------------------------------- */

int trace_fail(struct vms_trace_reader *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err = err;
	return err;
}

void trace_quote(char *dst, size_t dst_size, const char *s, size_t n, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (dst_size == 0)
		return;
	for (i = 0; i < n && i < max; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 5 >= dst_size)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
			dst[o++] = (char)c;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	if (i < n && o + 4 < dst_size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
}

int trace_fill(struct vms_trace_reader *r, size_t want)
{
	if (r->pos > 0) {
		size_t left = r->len - r->pos;

		memmove(r->buf, r->buf + r->pos, left);
		r->buf_off += r->pos;
		r->pos = 0;
		r->len = left;
	}
	while (r->len < want && !r->eof && r->len < TRACE_BUF_BYTES) {
		size_t room = TRACE_BUF_BYTES - r->len;
		ssize_t n = r->fn(r->ctx, r->buf + r->len, room);

		if (n < 0)
			return trace_fail(r, (int)n, "read error at byte %" PRIu64 ": %s",
					  r->buf_off + r->len, strerror((int)-n));
		if ((size_t)n > room)
			return trace_fail(r, -EIO, "read callback returned %zd bytes for a %zu-byte buffer",
					  n, room);
		if (n == 0)
			r->eof = true;
		r->len += (size_t)n;
	}
	return 0;
}

int vms_trace_reader_new(vms_trace_read_fn fn, void *ctx, struct vms_trace_reader **ret)
{
	struct vms_trace_reader *r;

	if (!fn || !ret)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->buf = malloc(TRACE_BUF_BYTES);
	if (!r->buf) {
		free(r);
		return -ENOMEM;
	}
	r->fn = fn;
	r->ctx = ctx;
	r->text_pid = VMS_TRACE_DEFAULT_PID;
	trace_cursor_init(&r->cur);

	/* Errors here are kept for the first vms_trace_read(). */
	if (trace_fill(r, TRACE_MAGIC_BYTES) == 0 && r->len >= TRACE_MAGIC_BYTES &&
	    memcmp(r->buf, TRACE_MAGIC, TRACE_MAGIC_BYTES) == 0) {
		r->binary = true;
		trace_binary_open(r);
	}
	*ret = r;
	return 0;
}

int vms_trace_read(struct vms_trace_reader *r, struct vms_trace_event *ret)
{
	if (r->err)
		return r->err;
	if (r->done)
		return 0;
	return r->binary ? trace_binary_read(r, ret) : trace_text_read(r, ret);
}

const char *vms_trace_reader_error(const struct vms_trace_reader *r)
{
	return r->err ? r->msg : "";
}

bool vms_trace_reader_is_binary(const struct vms_trace_reader *r)
{
	return r->binary;
}

unsigned vms_trace_reader_version(const struct vms_trace_reader *r)
{
	return r->binary ? r->version : 0;
}

void vms_trace_reader_free(struct vms_trace_reader *r)
{
	if (!r)
		return;
	trace_pidmap_fini(&r->cur.map);
	free(r->buf);
	free(r);
}

/* ---- writer ------------------------------------------------------------- */

int trace_flush(struct vms_trace_writer *w)
{
	int rc;

	if (w->err)
		return w->err;
	if (w->len == 0)
		return 0;
	rc = w->fn(w->ctx, w->buf, w->len);
	if (rc < 0) {
		w->err = rc;
		return rc;
	}
	w->len = 0;
	return 0;
}

int trace_out(struct vms_trace_writer *w, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n > 0) {
		size_t room = TRACE_BUF_BYTES - w->len, k;
		int rc;

		if (room == 0) {
			rc = trace_flush(w);
			if (rc < 0)
				return rc;
			room = TRACE_BUF_BYTES;
		}
		k = n < room ? n : room;
		memcpy(w->buf + w->len, s, k);
		w->len += k;
		s += k;
		n -= k;
	}
	return 0;
}

static int writer_new(vms_trace_write_fn fn, void *ctx, bool text, struct vms_trace_writer **ret)
{
	struct vms_trace_writer *w;

	if (!fn || !ret)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->buf = malloc(TRACE_BUF_BYTES);
	if (!w->buf) {
		free(w);
		return -ENOMEM;
	}
	w->fn = fn;
	w->ctx = ctx;
	w->text = text;
	trace_cursor_init(&w->cur);
	*ret = w;
	return 0;
}

int vms_trace_writer_new(vms_trace_write_fn fn, void *ctx, struct vms_trace_writer **ret)
{
	return writer_new(fn, ctx, false, ret);
}

int vms_trace_writer_new_text(vms_trace_write_fn fn, void *ctx, struct vms_trace_writer **ret)
{
	return writer_new(fn, ctx, true, ret);
}

int vms_trace_write(struct vms_trace_writer *w, const struct vms_trace_event *ev)
{
	int rc;

	if (w->err)
		return w->err;
	if (w->finished)
		return -EINVAL;
	rc = vms_trace_event_check(ev, NULL, 0);
	if (rc < 0)
		return rc;
	/*
	 * The event is valid, so a failure now is the callback's or a resource
	 * limit, and may leave a record half written: the writer is done for.
	 */
	rc = w->text ? trace_text_write(w, ev) : trace_binary_write(w, ev);
	if (rc < 0) {
		w->err = rc;
		return rc;
	}
	w->nr_events++;
	return 0;
}

int vms_trace_writer_finish(struct vms_trace_writer *w)
{
	int rc;

	if (w->err)
		return w->err;
	if (w->finished)
		return 0;
	rc = w->text ? trace_text_finish(w) : trace_binary_finish(w);
	if (rc < 0)
		return rc;
	rc = trace_flush(w);
	if (rc < 0)
		return rc;
	w->finished = true;
	return 0;
}

uint64_t vms_trace_writer_nr_events(const struct vms_trace_writer *w)
{
	return w->nr_events;
}

void vms_trace_writer_free(struct vms_trace_writer *w)
{
	if (!w)
		return;
	trace_pidmap_fini(&w->cur.map);
	free(w->buf);
	free(w);
}
