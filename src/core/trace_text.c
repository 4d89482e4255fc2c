/* SPDX-License-Identifier: MIT */
/*
 * The text trace format (docs/trace-format.md): one page number per line,
 * decimal or 0x-hex, an optional "R " or "W " prefix, '#' comments, blank
 * lines; plus directives (@pid, @tid, @time, map, unmap, remap, populate,
 * fork, exec, exit) for traces of several processes.  Parsing is by hand: a line is
 * found with memchr and scanned once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "trace_internal.h"

/* A line is at most this long; beyond, it is an error (the buffer holds it). */
#define TEXT_LINE_MAX (TRACE_BUF_BYTES - 1)

static inline bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static inline const char *skip_space(const char *p, const char *e)
{
	while (p < e && is_space((unsigned char)*p))
		p++;
	return p;
}

/* End of the token at p: the next space, '#' or the end of the line. */
static inline const char *token_end(const char *p, const char *e)
{
	while (p < e && !is_space((unsigned char)*p) && *p != '#')
		p++;
	return p;
}

static inline bool at_end(const char *p, const char *e)
{
	return p == e || *p == '#';
}

enum num_status { NUM_OK, NUM_BAD, NUM_BIG };

/* Parses all of [p, e) as a decimal or 0x/0X-hex number <= max. */
static enum num_status parse_num(const char *p, const char *e, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;
	bool big = false;

	if (p == e)
		return NUM_BAD;
	if (e - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (p += 2; p < e; p++) {
			unsigned c = (unsigned char)*p, d;

			if (c - '0' < 10)
				d = c - '0';
			else if ((c | 0x20) - 'a' < 6)
				d = (c | 0x20) - 'a' + 10;
			else
				return NUM_BAD;
			if (__builtin_mul_overflow(v, 16, &v) || __builtin_add_overflow(v, d, &v))
				big = true;
		}
	} else {
		for (; p < e; p++) {
			unsigned d = (unsigned char)*p - (unsigned)'0';

			if (d >= 10)
				return NUM_BAD;
			if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
				big = true;
		}
	}
	if (big || v > max)
		return NUM_BIG;
	*ret = v;
	return NUM_OK;
}

/* The line has a byte no text trace contains: say it looks binary. */
static const char *find_binary(const char *s, const char *e)
{
	for (; s < e; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && !is_space(c)) || c == 0x7f)
			return s;
	}
	return NULL;
}

static int fail_line(struct vms_trace_reader *r, const char *s, const char *e, const char *what,
		     const char *tok, const char *tok_end)
{
	char q[80];
	const char *bin = find_binary(s, e);

	if (bin)
		return trace_fail(r, -EBADMSG,
				  "line %" PRIu64 ": binary data (byte 0x%02x at column %zu): not a text trace, and no VMSTRACE magic for a binary one",
				  r->line, (unsigned char)*bin, (size_t)(bin - s) + 1);
	trace_quote(q, sizeof(q), tok, (size_t)(tok_end - tok), 40);
	if (tok == tok_end)
		return trace_fail(r, -EBADMSG, "line %" PRIu64 ": %s, got nothing", r->line, what);
	return trace_fail(r, -EBADMSG, "line %" PRIu64 ": %s, got '%s'", r->line, what, q);
}

struct arg_spec {
	const char *name;  /* for messages: "a page number", "a process id", ... */
	uint64_t max;
};

static const struct arg_spec ARG_VPN = { "a page number", VMS_VPN_MAX };
static const struct arg_spec ARG_NR = { "a number of pages", VMS_VPN_MAX + 1 };
static const struct arg_spec ARG_PID = { "a process id", UINT32_MAX };
static const struct arg_spec ARG_TID = { "a thread id", UINT32_MAX };
static const struct arg_spec ARG_TIME = { "a time in ns", UINT64_MAX };

/*
 * Parses the next argument of a directive at *pp.  `prefix` names the
 * directive for messages ("map: ").
 */
static int parse_arg(struct vms_trace_reader *r, const char *s, const char *e, const char **pp,
		     const char *prefix, const struct arg_spec *spec, uint64_t *ret)
{
	const char *p = skip_space(*pp, e), *t = token_end(p, e);
	char what[96], q[80];

	switch (parse_num(p, t, spec->max, ret)) {
	case NUM_OK:
		*pp = t;
		return 0;
	case NUM_BIG:
		if (find_binary(s, e))
			break;
		trace_quote(q, sizeof(q), p, (size_t)(t - p), 40);
		if (spec->max == VMS_VPN_MAX)
			return trace_fail(r, -EBADMSG,
					  "line %" PRIu64 ": %spage number '%s' exceeds the 36-bit maximum 0x%" PRIx64 " (a page number, not an address)",
					  r->line, prefix, q, VMS_VPN_MAX);
		return trace_fail(r, -EBADMSG, "line %" PRIu64 ": %s%s '%s' is too large (maximum %" PRIu64 ")",
				  r->line, prefix, spec->name + 2, q, spec->max);
	case NUM_BAD:
		break;
	}
	snprintf(what, sizeof(what), "%sexpected %s", prefix, spec->name);
	return fail_line(r, s, e, what, p, t);
}

static int expect_end(struct vms_trace_reader *r, const char *s, const char *e, const char *p,
		      const char *after)
{
	char what[96];

	p = skip_space(p, e);
	if (at_end(p, e))
		return 0;
	snprintf(what, sizeof(what), "unexpected text after %s", after);
	return fail_line(r, s, e, what, p, token_end(p, e));
}

enum directive {
	DIR_PID, DIR_TID, DIR_TIME, DIR_MAP, DIR_UNMAP, DIR_REMAP, DIR_FORK, DIR_EXEC, DIR_EXIT,
	DIR_POPULATE,
};

static const struct {
	const char *word;
	enum directive dir;
} directives[] = {
	{ "@pid", DIR_PID }, { "@tid", DIR_TID }, { "@time", DIR_TIME },
	{ "map", DIR_MAP }, { "unmap", DIR_UNMAP }, { "remap", DIR_REMAP },
	{ "fork", DIR_FORK }, { "exec", DIR_EXEC }, { "exit", DIR_EXIT },
	{ "populate", DIR_POPULATE },
};

/*
 * A directive line.  Returns 1 with *ev filled for an event, 0 for a state
 * change (@pid, @tid, @time), < 0 on error.
 */
#define NR_DIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* The directive whose word is [p, token end), or NR_DIRECTIVES. */
static size_t find_directive(const char *p, const char *e)
{
	size_t n = (size_t)(token_end(p, e) - p), i;

	for (i = 0; i < NR_DIRECTIVES; i++)
		if (strlen(directives[i].word) == n && memcmp(directives[i].word, p, n) == 0)
			break;
	return i;
}

static int parse_directive(struct vms_trace_reader *r, const char *s, const char *e, const char *p,
			   size_t i, struct vms_trace_event *ev)
{
	char prefix[16], why[128];
	uint64_t a = 0, b = 0, c = 0;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s: ", directives[i].word);
	p = token_end(p, e);

#define ARG(spec, v)                                                    \
	do {                                                            \
		rc = parse_arg(r, s, e, &p, prefix, &(spec), &(v));     \
		if (rc < 0)                                             \
			return rc;                                      \
	} while (0)

	*ev = (struct vms_trace_event){ .pid = r->text_pid, .tid = r->text_tid, .time_ns = r->text_time_ns };
	switch (directives[i].dir) {
	case DIR_PID:
		ARG(ARG_PID, a);
		r->text_pid = (uint32_t)a;
		return expect_end(r, s, e, p, "the process id");
	case DIR_TID:
		ARG(ARG_TID, a);
		r->text_tid = (uint32_t)a;
		return expect_end(r, s, e, p, "the thread id");
	case DIR_TIME:
		ARG(ARG_TIME, a);
		r->text_time_ns = a;
		return expect_end(r, s, e, p, "the time");
	case DIR_MAP:
	case DIR_UNMAP:
	case DIR_POPULATE:
		ARG(ARG_VPN, a);
		ARG(ARG_NR, b);
		ev->kind = directives[i].dir == DIR_MAP ? VMS_TR_MAP :
			   directives[i].dir == DIR_UNMAP ? VMS_TR_UNMAP : VMS_TR_POPULATE;
		ev->vpn = a;
		ev->nr_pages = b;
		break;
	case DIR_REMAP:
		ARG(ARG_VPN, a);
		ARG(ARG_NR, b);
		ARG(ARG_VPN, c);
		ev->kind = VMS_TR_REMAP;
		ev->vpn = a;
		ev->nr_pages = b;
		ev->new_vpn = c;
		break;
	case DIR_FORK:
		ARG(ARG_PID, a);
		ARG(ARG_PID, b);
		ev->kind = VMS_TR_FORK;
		ev->pid = (uint32_t)a;
		ev->child_pid = (uint32_t)b;
		break;
	case DIR_EXEC:
	case DIR_EXIT:
		ev->kind = directives[i].dir == DIR_EXEC ? VMS_TR_EXEC : VMS_TR_EXIT;
		/* The pid is optional: the current one by default. */
		if (!at_end(skip_space(p, e), e)) {
			ARG(ARG_PID, a);
			ev->pid = (uint32_t)a;
		}
		break;
	}
#undef ARG
	rc = expect_end(r, s, e, p, "the arguments");
	if (rc < 0)
		return rc;
	if (vms_trace_event_check(ev, why, sizeof(why)) < 0)
		return trace_fail(r, -EBADMSG, "line %" PRIu64 ": %s%s", r->line, prefix, why);
	return 1;
}

/*
 * Parses one line [s, e) (without its '\n').  Returns 1 with *ev filled, 0
 * for a line without an event, < 0 on error.
 */
static int parse_line(struct vms_trace_reader *r, const char *s, const char *e,
		      struct vms_trace_event *ev)
{
	const char *p = skip_space(s, e), *t;
	bool write = false;
	uint64_t vpn;
	int rc;

	if (at_end(p, e))
		return 0;
	if ((*p == 'R' || *p == 'W') && (p + 1 == e || is_space((unsigned char)p[1]) || p[1] == '#')) {
		write = *p == 'W';
		p = skip_space(p + 1, e);
		if (at_end(p, e))
			return fail_line(r, s, e, write ? "expected a page number after 'W'"
						       : "expected a page number after 'R'", p, p);
	} else if (*p == '@' || (*p >= 'a' && *p <= 'z')) {
		size_t i = find_directive(p, e);

		/* Anything else falls through to "expected a page number". */
		if (i < NR_DIRECTIVES)
			return parse_directive(r, s, e, p, i, ev);
	}
	t = token_end(p, e);
	switch (parse_num(p, t, VMS_VPN_MAX, &vpn)) {
	case NUM_OK:
		break;
	case NUM_BIG:
		rc = parse_arg(r, s, e, &p, "", &ARG_VPN, &vpn);
		return rc < 0 ? rc : -EBADMSG;
	case NUM_BAD:
		return fail_line(r, s, e, "expected a page number", p, t);
	}
	p = skip_space(t, e);
	if (!at_end(p, e))
		return fail_line(r, s, e, "unexpected text after the page number", p, token_end(p, e));
	*ev = (struct vms_trace_event){
		.kind = VMS_TR_REF,
		.write = write,
		.pid = r->text_pid,
		.tid = r->text_tid,
		.time_ns = r->text_time_ns,
		.vpn = vpn,
	};
	return 1;
}

int trace_text_read(struct vms_trace_reader *r, struct vms_trace_event *ret)
{
	for (;;) {
		const char *s = (const char *)r->buf + r->pos;
		const char *nl = memchr(s, '\n', r->len - r->pos);
		const char *e;
		uint64_t line_off;
		int rc;

		if (!nl) {
			if (!r->eof) {
				if (r->pos == 0 && r->len == TRACE_BUF_BYTES)
					return trace_fail(r, -EBADMSG, "line %" PRIu64 ": longer than %u bytes",
							  r->line + 1, TEXT_LINE_MAX);
				if (trace_fill(r, r->len - r->pos + 1) < 0)
					return r->err;
				continue;
			}
			if (r->pos == r->len) {
				r->done = true;
				return 0;
			}
			/* The last line has no '\n'. */
			e = (const char *)r->buf + r->len;
		} else {
			e = nl;
		}
		line_off = r->buf_off + r->pos;
		r->line++;
		r->pos = (size_t)(e - (const char *)r->buf) + (nl ? 1 : 0);
		rc = parse_line(r, s, e, ret);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			ret->line = r->line;
			ret->offset = line_off;
			return 1;
		}
	}
}

/* ---- text writer -------------------------------------------------------- */

static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_hex(char *p, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	int n = 0;

	*p++ = '0';
	*p++ = 'x';
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

int trace_text_write(struct vms_trace_writer *w, const struct vms_trace_event *ev)
{
	struct trace_cursor *c = &w->cur;
	char line[256], *p = line;

	if (!w->started) {
		p = put_str(p, "# vmsandbox trace, text format (docs/trace-format.md)\n");
		w->started = true;
	}
	if (ev->tid != c->tid) {
		p = put_dec(put_str(p, "@tid "), ev->tid);
		*p++ = '\n';
		c->tid = ev->tid;
	}
	if (ev->time_ns != c->time_ns) {
		p = put_dec(put_str(p, "@time "), ev->time_ns);
		*p++ = '\n';
		c->time_ns = ev->time_ns;
	}
	/* fork, exec and exit name their pid; the others use the current one. */
	if (ev->pid != c->pid && ev->kind != VMS_TR_FORK && ev->kind != VMS_TR_EXEC &&
	    ev->kind != VMS_TR_EXIT) {
		p = put_dec(put_str(p, "@pid "), ev->pid);
		*p++ = '\n';
		c->pid = ev->pid;
	}
	switch (ev->kind) {
	case VMS_TR_REF:
		p = put_hex(put_str(p, ev->write ? "W " : "R "), ev->vpn);
		break;
	case VMS_TR_MAP:
	case VMS_TR_UNMAP:
	case VMS_TR_POPULATE:
		p = put_str(p, ev->kind == VMS_TR_MAP ? "map " :
			       ev->kind == VMS_TR_UNMAP ? "unmap " : "populate ");
		p = put_dec(put_str(put_hex(p, ev->vpn), " "), ev->nr_pages);
		break;
	case VMS_TR_REMAP:
		p = put_dec(put_str(put_hex(put_str(p, "remap "), ev->vpn), " "), ev->nr_pages);
		p = put_hex(put_str(p, " "), ev->new_vpn);
		break;
	case VMS_TR_FORK:
		p = put_dec(put_str(put_dec(put_str(p, "fork "), ev->pid), " "), ev->child_pid);
		break;
	case VMS_TR_EXEC:
	case VMS_TR_EXIT:
		p = put_dec(put_str(p, ev->kind == VMS_TR_EXEC ? "exec " : "exit "), ev->pid);
		break;
	}
	*p++ = '\n';
	return trace_out(w, line, (size_t)(p - line));
}

int trace_text_finish(struct vms_trace_writer *w)
{
	char line[64], *p = line;

	if (!w->started) {
		p = put_str(p, "# vmsandbox trace, text format (docs/trace-format.md)\n");
		w->started = true;
	}
	p = put_dec(put_str(p, "# "), w->nr_events);
	p = put_str(p, " events\n");
	return trace_out(w, line, (size_t)(p - line));
}
