/* SPDX-License-Identifier: MIT */
/*
 * Trace reader and writer: every accepted text form gives exactly the
 * expected events and lines, garbage gives the right error on the right line,
 * random binary streams round-trip bit-exactly (also fed one byte at a time),
 * every truncation is an error with an offset, and random corruption never
 * crashes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmsandbox/trace.h"

/* ---- helpers ------------------------------------------------------------ */

struct mem_in {
	const unsigned char *data;
	size_t len;
	size_t pos;
	size_t chunk;      /* most bytes one read returns; 0 = no limit */
	uint64_t seed;     /* when not 0, random chunk sizes 1..chunk */
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

static ssize_t mem_read(void *ctx, void *buf, size_t len)
{
	struct mem_in *in = ctx;
	size_t n = in->len - in->pos;

	if (n > len)
		n = len;
	if (in->chunk && n > in->chunk)
		n = in->chunk;
	if (in->seed && n > 1)
		n = 1 + (size_t)rng_below(&in->seed, n);
	memcpy(buf, in->data + in->pos, n);
	in->pos += n;
	return (ssize_t)n;
}

struct mem_out {
	unsigned char *data;
	size_t len;
	size_t cap;
	int fail_after;    /* > 0: the n-th call fails with -ENOSPC */
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem_out *out = ctx;

	if (out->fail_after > 0 && --out->fail_after == 0)
		return -ENOSPC;
	if (out->len + len > out->cap) {
		out->cap = (out->len + len) * 2;
		out->data = realloc(out->data, out->cap);
		assert_non_null(out->data);
	}
	memcpy(out->data + out->len, buf, len);
	out->len += len;
	return 0;
}

struct result {
	struct vms_trace_event *ev;
	size_t nr;
	int rc;            /* the final vms_trace_read() result: 0 or < 0 */
	char msg[256];
	bool binary;
};

static void read_all(const void *data, size_t len, size_t chunk, uint64_t seed, struct result *res)
{
	struct mem_in in = { .data = data, .len = len, .chunk = chunk, .seed = seed };
	struct vms_trace_reader *r;
	size_t cap = 0;

	memset(res, 0, sizeof(*res));
	assert_int_equal(vms_trace_reader_new(mem_read, &in, &r), 0);
	res->binary = vms_trace_reader_is_binary(r);
	for (;;) {
		struct vms_trace_event ev;
		int rc = vms_trace_read(r, &ev);

		if (rc <= 0) {
			res->rc = rc;
			snprintf(res->msg, sizeof(res->msg), "%s", vms_trace_reader_error(r));
			/* Sticky: the same answer again. */
			assert_int_equal(vms_trace_read(r, &ev), rc);
			break;
		}
		assert_int_equal(rc, 1);
		if (res->nr == cap) {
			cap = cap ? cap * 2 : 64;
			res->ev = realloc(res->ev, cap * sizeof(*res->ev));
			assert_non_null(res->ev);
		}
		res->ev[res->nr++] = ev;
	}
	vms_trace_reader_free(r);
}

static void read_str(const char *s, struct result *res)
{
	read_all(s, strlen(s), 0, 0, res);
}

static void assert_same_event(const struct vms_trace_event *a, const struct vms_trace_event *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->write, b->write);
	assert_int_equal(a->pid, b->pid);
	assert_int_equal(a->tid, b->tid);
	assert_int_equal(a->time_ns, b->time_ns);
	switch (a->kind) {
	case VMS_TR_REF:
		assert_int_equal(a->vpn, b->vpn);
		break;
	case VMS_TR_REMAP:
		assert_int_equal(a->new_vpn, b->new_vpn);
		/* fall through */
	case VMS_TR_MAP:
	case VMS_TR_UNMAP:
	case VMS_TR_POPULATE:
		assert_int_equal(a->vpn, b->vpn);
		assert_int_equal(a->nr_pages, b->nr_pages);
		break;
	case VMS_TR_FORK:
		assert_int_equal(a->child_pid, b->child_pid);
		break;
	case VMS_TR_EXEC:
	case VMS_TR_EXIT:
		break;
	}
}

static void assert_msg_has(const char *msg, const char *want)
{
	if (!strstr(msg, want))
		fail_msg("message '%s' does not contain '%s'", msg, want);
}

/* ---- text: accepted forms ---------------------------------------------- */

struct expect {
	enum vms_trace_kind kind;
	bool write;
	uint32_t pid, tid, child;
	uint64_t time, vpn, nr, new_vpn, line;
};

static void check_events(const struct result *res, const struct expect *x, size_t nr)
{
	size_t i;

	assert_int_equal(res->rc, 0);
	assert_int_equal(res->nr, nr);
	for (i = 0; i < nr; i++) {
		const struct vms_trace_event *e = &res->ev[i];

		assert_int_equal(e->kind, x[i].kind);
		assert_int_equal(e->write, x[i].write);
		assert_int_equal(e->pid, x[i].pid);
		assert_int_equal(e->tid, x[i].tid);
		assert_int_equal(e->time_ns, x[i].time);
		assert_int_equal(e->line, x[i].line);
		if (e->kind == VMS_TR_REF || e->kind == VMS_TR_MAP || e->kind == VMS_TR_UNMAP ||
		    e->kind == VMS_TR_REMAP || e->kind == VMS_TR_POPULATE)
			assert_int_equal(e->vpn, x[i].vpn);
		if (e->kind != VMS_TR_REF && e->kind != VMS_TR_FORK && e->kind != VMS_TR_EXEC &&
		    e->kind != VMS_TR_EXIT)
			assert_int_equal(e->nr_pages, x[i].nr);
		if (e->kind == VMS_TR_REMAP)
			assert_int_equal(e->new_vpn, x[i].new_vpn);
		if (e->kind == VMS_TR_FORK)
			assert_int_equal(e->child_pid, x[i].child);
	}
}

static void test_text_plain_forms(void **state)
{
	static const char text[] =
		"5\n"                       /* 1 */
		"0x10\n"                    /* 2 */
		"0XfF\n"                    /* 3 */
		"R 7\n"                     /* 4 */
		"W 0x8\n"                   /* 5 */
		"\n"                        /* 6 */
		"# a comment\n"             /* 7 */
		"   \t  \n"                 /* 8 */
		"  42  # trailing comment\n" /* 9 */
		"W\t9\r\n"                  /* 10: tab, CRLF */
		"R   00012\n"               /* 11: several spaces, leading zeros */
		"68719476735\n"             /* 12: VMS_VPN_MAX */
		"0xfffffffff\n"             /* 13 */
		"0\r\n"                     /* 14 */
		"#\n"                       /* 15 */
		"1#x\n"                     /* 16: comment right after */
		"W 3";                      /* 17: no final newline */
	static const struct expect x[] = {
		{ VMS_TR_REF, false, 1, 0, 0, 0, 5, 0, 0, 1 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 0x10, 0, 0, 2 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 0xff, 0, 0, 3 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 7, 0, 0, 4 },
		{ VMS_TR_REF, true, 1, 0, 0, 0, 8, 0, 0, 5 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 42, 0, 0, 9 },
		{ VMS_TR_REF, true, 1, 0, 0, 0, 9, 0, 0, 10 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 12, 0, 0, 11 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 0xfffffffff, 0, 0, 12 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 0xfffffffff, 0, 0, 13 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 0, 0, 0, 14 },
		{ VMS_TR_REF, false, 1, 0, 0, 0, 1, 0, 0, 16 },
		{ VMS_TR_REF, true, 1, 0, 0, 0, 3, 0, 0, 17 },
	};
	struct result res;
	size_t chunk;

	(void)state;
	/* Whole, and fed 1, 2, 3 and 7 bytes per read: the same events. */
	for (chunk = 0; chunk <= 7; chunk++) {
		read_all(text, strlen(text), chunk, 0, &res);
		assert_false(res.binary);
		check_events(&res, x, sizeof(x) / sizeof(x[0]));
		assert_int_equal(res.ev[1].offset, 2);
		free(res.ev);
	}
}

static void test_text_empty(void **state)
{
	static const char *const inputs[] = { "", "\n", "# only comments\n\n  \n", "\r\n" };
	struct result res;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		read_str(inputs[i], &res);
		assert_int_equal(res.rc, 0);
		assert_int_equal(res.nr, 0);
		free(res.ev);
	}
}

static void test_text_directives(void **state)
{
	static const char text[] =
		"1\n"                          /* 1 */
		"@pid 2\n"                     /* 2 */
		"@tid 7 # thread\n"            /* 3 */
		"@time 1000\n"                 /* 4 */
		"map 0x100 16\n"               /* 5 */
		"W 0x100\n"                    /* 6 */
		"remap 0x100 16 0x200\n"       /* 7 */
		"unmap 0x200 16\n"             /* 8 */
		"fork 2 3\n"                   /* 9 */
		"exec 3\n"                     /* 10 */
		"exit\n"                       /* 11: current pid */
		"  @pid   0x10  \n"            /* 12 */
		"exit 3\n"                     /* 13 */
		"map 0xfffffffff 1\n"          /* 14: last page */
		"map 0 0x1000000000\n"         /* 15: the whole space */
		"populate 0x64 4 # around\n"   /* 16 */
		"populate 0xfffffffff 1\n";    /* 17: last page */
	static const struct expect x[] = {
		{ VMS_TR_REF, false, 1, 0, 0, 0, 1, 0, 0, 1 },
		{ VMS_TR_MAP, false, 2, 7, 0, 1000, 0x100, 16, 0, 5 },
		{ VMS_TR_REF, true, 2, 7, 0, 1000, 0x100, 0, 0, 6 },
		{ VMS_TR_REMAP, false, 2, 7, 0, 1000, 0x100, 16, 0x200, 7 },
		{ VMS_TR_UNMAP, false, 2, 7, 0, 1000, 0x200, 16, 0, 8 },
		{ VMS_TR_FORK, false, 2, 7, 3, 1000, 0, 0, 0, 9 },
		{ VMS_TR_EXEC, false, 3, 7, 0, 1000, 0, 0, 0, 10 },
		{ VMS_TR_EXIT, false, 2, 7, 0, 1000, 0, 0, 0, 11 },
		{ VMS_TR_EXIT, false, 3, 7, 0, 1000, 0, 0, 0, 13 },
		{ VMS_TR_MAP, false, 16, 7, 0, 1000, 0xfffffffff, 1, 0, 14 },
		{ VMS_TR_MAP, false, 16, 7, 0, 1000, 0, UINT64_C(0x1000000000), 0, 15 },
		{ VMS_TR_POPULATE, false, 16, 7, 0, 1000, 100, 4, 0, 16 },
		{ VMS_TR_POPULATE, false, 16, 7, 0, 1000, 0xfffffffff, 1, 0, 17 },
	};
	struct result res;

	(void)state;
	read_str(text, &res);
	check_events(&res, x, sizeof(x) / sizeof(x[0]));
	free(res.ev);
}

/* ---- text: errors ------------------------------------------------------ */

struct bad_text {
	const char *text;
	size_t len;        /* 0: strlen */
	const char *want;  /* substring of the message */
};

static void test_text_errors(void **state)
{
	static const struct bad_text bad[] = {
		{ "1\n2\nx12\n", 0, "line 3: expected a page number, got 'x12'" },
		{ "abc\n", 0, "line 1: expected a page number, got 'abc'" },
		{ "R\n", 0, "line 1: expected a page number after 'R'" },
		{ "1\nR  \n", 0, "line 2: expected a page number after 'R'" },
		{ "W # c\n", 0, "line 1: expected a page number after 'W'" },
		{ "R5\n", 0, "line 1: expected a page number, got 'R5'" },
		{ "r 5\n", 0, "line 1: expected a page number, got 'r'" },
		{ "0x\n", 0, "line 1: expected a page number, got '0x'" },
		{ "0xg\n", 0, "got '0xg'" },
		{ "-5\n", 0, "line 1: expected a page number, got '-5'" },
		{ "+5\n", 0, "got '+5'" },
		{ "1.5\n", 0, "got '1.5'" },
		{ "5 6\n", 0, "line 1: unexpected text after the page number, got '6'" },
		{ "R W 5\n", 0, "got 'W'" },
		{ "68719476736\n", 0, "line 1: page number '68719476736' exceeds the 36-bit maximum" },
		{ "0x1000000000\n", 0, "exceeds the 36-bit maximum" },
		{ "0x7ffd12345000\n", 0, "not an address" },
		{ "18446744073709551616\n", 0, "line 1: page number '18446744073709551616' exceeds" },
		{ "99999999999999999999999999999999\n", 0, "exceeds the 36-bit maximum" },
		{ "0xffffffffffffffffffff\n", 0, "exceeds" },
		{ "1\n\n12\0 34\n", 9, "line 3: binary data (byte 0x00 at column 3)" },
		{ "\x89PNG\r\n\x1a\n", 8, "line 1: expected a page number, got '\\x89PNG'" },
		{ "1\n\x89PNG\x1a\n", 8, "line 2: binary data (byte 0x1a at column 5)" },
		{ "\x01\x02\x03", 3, "line 1: binary data (byte 0x01 at column 1)" },
		{ "\xff\xfe", 2, "line 1: expected a page number, got '\\xff\\xfe'" },
		{ "VMSTRAC", 0, "line 1: expected a page number, got 'VMSTRAC'" },
		{ "map 1\n", 0, "line 1: map: expected a number of pages, got nothing" },
		{ "map 1 0\n", 0, "line 1: map: range of 0 pages" },
		{ "map 0xfffffffff 2\n", 0, "line 1: map: first range" },
		{ "map x 2\n", 0, "line 1: map: expected a page number, got 'x'" },
		{ "unmap 1 2 3\n", 0, "line 1: unexpected text after the arguments, got '3'" },
		{ "populate 1\n", 0, "line 1: populate: expected a number of pages, got nothing" },
		{ "populate 1 0\n", 0, "line 1: populate: range of 0 pages" },
		{ "1\npopulate 0xfffffffff 2\n", 0, "line 2: populate: first range 0xfffffffff + 2 pages ends past" },
		{ "populate 0x1000000000 1\n", 0, "line 1: populate: page number '0x1000000000' exceeds" },
		{ "populate 1 2 3\n", 0, "line 1: unexpected text after the arguments, got '3'" },
		{ "populate\n", 0, "line 1: populate: expected a page number, got nothing" },
		{ "remap 1 2\n", 0, "line 1: remap: expected a page number, got nothing" },
		{ "remap 1 2 0xfffffffff\n", 0, "remap: destination range" },
		{ "fork 2 2\n", 0, "line 1: fork: fork: child pid 2 equals its parent" },
		{ "fork 1\n", 0, "fork: expected a process id" },
		{ "@pid\n", 0, "@pid: expected a process id, got nothing" },
		{ "@pid 4294967296\n", 0, "@pid: process id '4294967296' is too large" },
		{ "@tid -1\n", 0, "@tid: expected a thread id, got '-1'" },
		{ "@time 18446744073709551616\n", 0, "@time: time in ns '18446744073709551616' is too large" },
		{ "exit 1 2\n", 0, "line 1: unexpected text after the arguments" },
		{ "@bogus 1\n", 0, "line 1: expected a page number, got '@bogus'" },
		{ "MAP 1 2\n", 0, "got 'MAP'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		struct result res;

		read_all(bad[i].text, len, 0, 0, &res);
		assert_false(res.binary);
		if (res.rc != -EBADMSG)
			fail_msg("input %zu ('%s'): rc %d, message '%s'", i, bad[i].text, res.rc, res.msg);
		assert_msg_has(res.msg, bad[i].want);
		/* The same error fed one byte at a time. */
		free(res.ev);
		read_all(bad[i].text, len, 1, 0, &res);
		assert_int_equal(res.rc, -EBADMSG);
		assert_msg_has(res.msg, bad[i].want);
		free(res.ev);
	}
}

static void test_text_long_lines(void **state)
{
	size_t n = 200 * 1024, i;
	char *text = malloc(n);
	struct result res;

	(void)state;
	assert_non_null(text);
	/* 5 good lines, then one line of 100 KiB digits. */
	memcpy(text, "1\n2\n3\n4\n5\n", 10);
	memset(text + 10, '7', 100 * 1024);
	text[10 + 100 * 1024] = '\n';
	read_all(text, 11 + 100 * 1024, 0, 0, &res);
	assert_int_equal(res.rc, -EBADMSG);
	assert_int_equal(res.nr, 5);
	assert_msg_has(res.msg, "line 6: longer than 65535 bytes");
	free(res.ev);

	/* A 60 KiB line of spaces then a page is fine, even across refills. */
	for (i = 0; i + 1 < n; i += 2) {
		text[i] = '9';
		text[i + 1] = '\n';
	}
	memset(text + 1000, ' ', 60 * 1024);
	text[1000 + 60 * 1024] = '4';
	read_all(text, n, 0, 0, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.ev[500].vpn, 4);
	assert_int_equal(res.ev[500].line, 501);
	assert_int_equal(res.ev[501].line, 502);
	free(res.ev);

	/* A huge page number: overflow is caught, not wrapped. */
	memset(text, '9', 1000);
	text[1000] = '\n';
	read_all(text, 1001, 0, 0, &res);
	assert_int_equal(res.rc, -EBADMSG);
	assert_msg_has(res.msg, "line 1: page number '9999999999999999999999999999999999999999...' exceeds");
	free(res.ev);
	free(text);
}

/* ---- binary ------------------------------------------------------------ */

/* A random event stream of every kind, mostly local like a real program's. */
static size_t gen_events(uint64_t *seed, struct vms_trace_event *ev, size_t max)
{
	size_t n = 1 + (size_t)rng_below(seed, max), i;
	uint32_t pids[6] = { 1, 2, 3, 4, 100000, UINT32_MAX };
	vms_vpn_t last[6] = { 0 };
	uint64_t t = 0;
	uint32_t tid = 0;

	for (i = 0; i < n; i++) {
		struct vms_trace_event *e = &ev[i];
		unsigned k = (unsigned)rng_below(seed, 100), p = (unsigned)rng_below(seed, 6);
		uint64_t x = rng_below(seed, 10);

		memset(e, 0, sizeof(*e));
		e->pid = rng_below(seed, 50) == 0 ? (uint32_t)rng_next(seed) : pids[p];
		if (rng_below(seed, 20) == 0)
			tid = rng_below(seed, 2) ? (uint32_t)rng_next(seed) : (uint32_t)rng_below(seed, 4);
		e->tid = tid;
		if (x < 5)
			t += rng_below(seed, 3000);
		else if (x < 6)
			t = rng_next(seed);   /* a jump, forwards or back */
		e->time_ns = t;
		if (k < 70) {
			e->kind = VMS_TR_REF;
			e->write = rng_below(seed, 3) == 0;
			x = rng_below(seed, 10);
			if (x < 6)
				e->vpn = last[p] + rng_below(seed, 31) - 15;
			else if (x < 8)
				e->vpn = last[p] + rng_below(seed, 2000) - 1000;
			else if (x < 9)
				e->vpn = rng_below(seed, 2) ? 0 : VMS_VPN_MAX;
			else
				e->vpn = rng_next(seed);
			e->vpn &= VMS_VPN_MAX;
			last[p] = e->vpn;
		} else if (k < 75) {
			/* Fault-around next to the last page: mostly a few pages. */
			e->kind = VMS_TR_POPULATE;
			e->vpn = rng_below(seed, 8) ? (last[p] + 1) & VMS_VPN_MAX
						    : rng_next(seed) & VMS_VPN_MAX;
			e->nr_pages = rng_below(seed, 8) ? 1 + rng_below(seed, 15)
							 : 1 + rng_below(seed, VMS_VPN_MAX - e->vpn + 1);
			if (e->vpn + e->nr_pages - 1 > VMS_VPN_MAX)
				e->nr_pages = VMS_VPN_MAX - e->vpn + 1;
		} else if (k < 93) {
			e->kind = k < 82 ? VMS_TR_MAP : k < 88 ? VMS_TR_UNMAP : VMS_TR_REMAP;
			e->vpn = rng_next(seed) & VMS_VPN_MAX;
			e->nr_pages = rng_below(seed, 4) ? 1 + rng_below(seed, 64)
							: 1 + rng_below(seed, VMS_VPN_MAX - e->vpn + 1);
			if (e->vpn + e->nr_pages - 1 > VMS_VPN_MAX)
				e->nr_pages = VMS_VPN_MAX - e->vpn + 1;
			if (e->kind == VMS_TR_REMAP)
				e->new_vpn = rng_below(seed, VMS_VPN_MAX - e->nr_pages + 2);
		} else if (k < 96) {
			e->kind = VMS_TR_FORK;
			e->child_pid = pids[rng_below(seed, 6)];
			if (e->child_pid == e->pid)
				e->child_pid = e->pid + 1;
		} else if (k < 98) {
			e->kind = VMS_TR_EXEC;
		} else {
			e->kind = VMS_TR_EXIT;
		}
		assert_int_equal(vms_trace_event_check(e, NULL, 0), 0);
	}
	return n;
}

static void write_events(const struct vms_trace_event *ev, size_t n, bool text, struct mem_out *out)
{
	struct vms_trace_writer *w;
	size_t i;

	memset(out, 0, sizeof(*out));
	assert_int_equal(text ? vms_trace_writer_new_text(mem_write, out, &w)
			      : vms_trace_writer_new(mem_write, out, &w), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(vms_trace_write(w, &ev[i]), 0);
	assert_int_equal(vms_trace_writer_nr_events(w), n);
	assert_int_equal(vms_trace_writer_finish(w), 0);
	assert_int_equal(vms_trace_writer_finish(w), 0);
	assert_int_equal(vms_trace_write(w, &ev[0]), -EINVAL);
	vms_trace_writer_free(w);
}

#define MAX_EVENTS 3000

static void test_binary_round_trip(void **state)
{
	struct vms_trace_event *ev = calloc(MAX_EVENTS, sizeof(*ev));
	uint64_t seed = 1;
	int iter;

	(void)state;
	assert_non_null(ev);
	for (iter = 0; iter < 2000; iter++) {
		size_t n = gen_events(&seed, ev, iter < 100 ? 20 : MAX_EVENTS), i;
		struct mem_out out;
		struct result res;
		int mode;

		write_events(ev, n, false, &out);
		assert_memory_equal(out.data, "VMSTRACE", 8);
		/* Whole, 1 byte at a time, random chunks. */
		for (mode = 0; mode < 3; mode++) {
			if (mode == 1 && iter % 10)
				continue;
			read_all(out.data, out.len, mode == 1 ? 1 : mode == 2 ? 97 : 0,
				 mode == 2 ? seed | 1 : 0, &res);
			assert_true(res.binary);
			if (res.rc != 0)
				fail_msg("iteration %d: %s", iter, res.msg);
			assert_int_equal(res.nr, n);
			for (i = 0; i < n; i++) {
				assert_same_event(&res.ev[i], &ev[i]);
				assert_true(res.ev[i].offset >= 16 && res.ev[i].offset < out.len);
				if (i)
					assert_true(res.ev[i].offset > res.ev[i - 1].offset);
			}
			free(res.ev);
		}
		/* The text dump reads back as the same events. */
		if (iter % 10 == 0) {
			struct mem_out txt;

			write_events(ev, n, true, &txt);
			read_all(txt.data, txt.len, 0, 0, &res);
			assert_false(res.binary);
			if (res.rc != 0)
				fail_msg("text: %s", res.msg);
			assert_int_equal(res.nr, n);
			for (i = 0; i < n; i++)
				assert_same_event(&res.ev[i], &ev[i]);
			free(res.ev);
			free(txt.data);
		}
		free(out.data);
	}
	free(ev);
}

static void test_binary_empty_and_many_pids(void **state)
{
	struct mem_out out;
	struct result res;
	struct vms_trace_event *ev;
	size_t n = 300000, i;

	(void)state;
	/* No events: header + end record. */
	write_events(NULL, 0, false, &out);
	assert_int_equal(out.len, 18);
	read_all(out.data, out.len, 0, 0, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.nr, 0);
	assert_true(res.binary);
	free(out.data);

	/* 100,000 processes forking, touching, exiting: the pid map grows and shrinks. */
	ev = calloc(n, sizeof(*ev));
	assert_non_null(ev);
	for (i = 0; i < n; i += 3) {
		uint32_t pid = (uint32_t)(i / 3 + 2);

		ev[i] = (struct vms_trace_event){ .kind = VMS_TR_FORK, .pid = 1, .child_pid = pid };
		ev[i + 1] = (struct vms_trace_event){ .kind = VMS_TR_REF, .pid = pid, .vpn = 1000 + i % 7 };
		ev[i + 2] = (struct vms_trace_event){ .kind = i % 2 ? VMS_TR_EXIT : VMS_TR_EXEC, .pid = pid };
	}
	write_events(ev, n, false, &out);
	read_all(out.data, out.len, 0, 0, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.nr, n);
	for (i = 0; i < n; i++)
		assert_same_event(&res.ev[i], &ev[i]);
	free(res.ev);
	free(out.data);
	free(ev);
}

static void test_binary_compact(void **state)
{
	size_t n = 1000000, i;
	struct vms_trace_event *ev = calloc(n, sizeof(*ev));
	uint64_t seed = 42, t = 0;
	vms_vpn_t vpn = 0x7f0000000;
	struct mem_out out;

	(void)state;
	assert_non_null(ev);
	/* A local stream: mostly within +-15 pages, 1 in 16 a jump. */
	for (i = 0; i < n; i++) {
		vpn += rng_below(&seed, 16) ? rng_below(&seed, 31) - 15 : rng_below(&seed, 100000) - 50000;
		vpn &= VMS_VPN_MAX;
		ev[i] = (struct vms_trace_event){ .kind = VMS_TR_REF, .pid = 1 + (uint32_t)(i / 1000 % 3),
						  .vpn = vpn, .write = rng_below(&seed, 4) == 0 };
	}
	write_events(ev, n, false, &out);
	print_message("local stream without times: %.3f bytes/ref\n", (double)out.len / (double)n);
	assert_true(out.len < 2 * n);
	free(out.data);

	/* With a time stamp every reference (about 2 us apart). */
	for (i = 0; i < n; i++) {
		t += 1000 + rng_below(&seed, 2000);
		ev[i].time_ns = t;
	}
	write_events(ev, n, false, &out);
	print_message("local stream with times:    %.3f bytes/ref\n", (double)out.len / (double)n);
	assert_true(out.len < 4 * n);
	free(out.data);
	free(ev);
}

/* A valid trace with every kind of record, for the corruption tests. */
static void sample_trace(struct mem_out *out, size_t n)
{
	struct vms_trace_event *ev = calloc(n, sizeof(*ev));
	uint64_t seed = 7;

	assert_non_null(ev);
	n = gen_events(&seed, ev, n);
	write_events(ev, n, false, out);
	free(ev);
}

static void test_binary_truncation(void **state)
{
	struct mem_out out;
	struct result res;
	size_t cut;

	(void)state;
	sample_trace(&out, 300);
	for (cut = 1; cut < out.len; cut++) {
		read_all(out.data, cut, 0, 0, &res);
		assert_int_equal(res.rc, -EBADMSG);
		if (cut < 8) {
			/* Too short for the magic: read as text. */
			assert_msg_has(res.msg, "line 1:");
		} else {
			assert_true(res.binary);
			assert_msg_has(res.msg, "truncated trace");
			assert_msg_has(res.msg, "byte");
		}
		free(res.ev);
		/* Fed one byte at a time: the same message. */
		if (cut % 7 == 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", res.msg);
			read_all(out.data, cut, 1, 0, &res);
			assert_string_equal(res.msg, msg);
			free(res.ev);
		}
	}
	/* Missing end record: cut exactly before it. */
	read_all(out.data, out.len - 2, 0, 0, &res);
	assert_int_equal(res.rc, -EBADMSG);
	free(res.ev);
	free(out.data);
}

static void test_binary_header_errors(void **state)
{
	unsigned char h[64];
	struct result res;

	(void)state;
	memcpy(h, "VMSTRACE\x02\x00\x10\x00\x0c\x00\x00\x00\x80\x00", 18);
	read_all(h, 18, 0, 0, &res);
	assert_int_equal(res.rc, -EPROTONOSUPPORT);
	assert_msg_has(res.msg, "version 2.0 (byte 8) is newer than this reader (1.x)");

	h[8] = 0;
	read_all(h, 18, 0, 0, &res);
	assert_int_equal(res.rc, -EBADMSG);
	assert_msg_has(res.msg, "version 0.0 (byte 8) does not exist");

	h[8] = 1;
	h[12] = 16;
	read_all(h, 18, 0, 0, &res);
	assert_int_equal(res.rc, -EBADMSG);
	assert_msg_has(res.msg, "page size 2^16");

	h[12] = 12;
	h[10] = 8;
	read_all(h, 18, 0, 0, &res);
	assert_msg_has(res.msg, "header length 8");

	/* A later minor version: a longer header and an extension record are skipped. */
	memcpy(h, "VMSTRACE\x01\x07\x14\x00\x0c\x00\x00\x00" "abcd" "\x06" "\xc3\x03xyz" "\x06" "\x80\x02", 29);
	read_all(h, 29, 0, 0, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.nr, 2);
	assert_int_equal(res.ev[0].vpn, 3);   /* zigzag 6 = +3 */
	assert_int_equal(res.ev[1].vpn, 6);
	assert_int_equal(res.ev[1].offset, 26);
	free(res.ev);
}

static void test_binary_record_errors(void **state)
{
	static const struct {
		const char *body;
		size_t len;
		const char *want;
	} bad[] = {
		{ "\x02\x80\x02", 3, "end record at byte 17 counts 2 events, but 1 were read" },
		{ "\x02\x80\x01\x00", 4, "data after the end record, at byte 19" },
		{ "\x01", 1, "ref record at byte 16 leads to page" },  /* -1 from page 0 */
		{ "\x9f", 1, "unknown record tag 0x9f at byte 16" },
		{ "\x1f\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, "longer than 64 bits in the ref record at byte 16" },
		{ "\x81\x80\x80\x80\x80\x10", 6, "process id 4294967296 in the record at byte 16 exceeds 32 bits" },
		{ "\x84\x01\x00\x80\x00", 5, "the map record at byte 16: range of 0 pages" },
		{ "\x87\x01\x80\x00", 4, "fork: child pid 1 equals its parent" },
		{ "\xc1\x05\x01", 3, "ended at byte 19 inside an extension record that starts at byte 16" },
		/* populate (0xc0): the payload must be exactly a valid range. */
		{ "\xc0\x05\x01", 3, "ended at byte 19 inside a populate record that starts at byte 16" },
		{ "\xc0", 1, "ended at byte 17 inside a populate record that starts at byte 16" },
		{ "\xc0\x02\x64", 3, "ended at byte 19 inside a populate record that starts at byte 16" },
		{ "\xc0\x03\x64\x04\x00\x80\x00", 7, "populate record at byte 16: its length is 3 bytes, its fields take 2" },
		{ "\xc0\x01\x64\x80\x00", 5, "populate record at byte 16: its fields run past its 1-byte length" },
		{ "\xc0\x02\x64\x84\x80\x00", 6, "populate record at byte 16: its fields run past its 2-byte length" },
		{ "\xc0\x00\x80\x00", 4, "populate record at byte 16: its fields run past its 0-byte length" },
		{ "\xc0\x15", 2, "populate record at byte 16: its length 21 exceeds the 20 bytes" },
		{ "\xc0\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, "populate record at byte 16: its length 9223372036854775808 exceeds" },
		{ "\xc0\x02\x64\x00\x80\x00", 6, "the populate record at byte 16: range of 0 pages" },
		{ "\xc0\x07\xff\xff\xff\xff\xff\x01\x02\x80\x00", 11, "the populate record at byte 16: first range 0xfffffffff + 2 pages ends past" },
		{ "\xc0\x07\x80\x80\x80\x80\x80\x02\x01\x80\x00", 11, "the populate record at byte 16: first page 0x1000000000 exceeds" },
		{ "\xc0\x0b\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x01\x80\x00", 15, "longer than 64 bits in the populate record at byte 16" },
		{ "\xc0\x02\x64\x04\x80\x01", 6, "counts 1 events, but 0 were read (not counting 1 populate events)" },
		{ "\x86\x01\x01", 3, "ended at byte 19 inside a remap record that starts at byte 16" },
		{ "\x02\x02", 2, "missing end record; the trace ends at byte 18 after 2 events" },
	};
	unsigned char buf[64];
	size_t i;

	(void)state;
	memcpy(buf, "VMSTRACE\x01\x00\x10\x00\x0c\x00\x00\x00", 16);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct result res;

		memcpy(buf + 16, bad[i].body, bad[i].len);
		read_all(buf, 16 + bad[i].len, 0, 0, &res);
		if (res.rc >= 0)
			fail_msg("case %zu: no error", i);
		assert_msg_has(res.msg, bad[i].want);
		free(res.ev);
	}
}

static void test_binary_corruption(void **state)
{
	struct mem_out out;
	unsigned char *copy;
	uint64_t seed = 99;
	int iter, nr_ok = 0, nr_err = 0;

	(void)state;
	sample_trace(&out, 400);
	copy = malloc(out.len);
	assert_non_null(copy);
	for (iter = 0; iter < 20000; iter++) {
		size_t nr_flips = 1 + (size_t)rng_below(&seed, 3), i;
		struct result res;

		memcpy(copy, out.data, out.len);
		for (i = 0; i < nr_flips; i++) {
			size_t at = iter % 4 == 0 ? (size_t)rng_below(&seed, 20)
						   : (size_t)rng_below(&seed, out.len);
			copy[at] ^= (unsigned char)(1u << rng_below(&seed, 8));
		}
		read_all(copy, out.len, iter % 5 == 0 ? 1 : 0, 0, &res);
		assert_true(res.rc <= 0);
		if (res.rc < 0) {
			nr_err++;
			assert_true(strstr(res.msg, "byte") || strstr(res.msg, "line"));
		} else {
			nr_ok++;
		}
		free(res.ev);
	}
	print_message("byte flips: %d errors, %d decoded\n", nr_err, nr_ok);
	assert_true(nr_err > 0);
	free(copy);
	free(out.data);
}

static void test_random_garbage(void **state)
{
	unsigned char buf[4096];
	uint64_t seed = 1234;
	int iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)rng_below(&seed, sizeof(buf)), i;
		struct result res;

		for (i = 0; i < len; i++)
			buf[i] = (unsigned char)rng_next(&seed);
		if (iter % 2 && len >= 16)
			memcpy(buf, "VMSTRACE\x01\x00\x10\x00\x0c\x00\x00\x00", 16);
		if (iter % 4 == 1) {
			/* Garbage that is mostly small records, to get deeper. */
			for (i = 16; i < len; i++)
				buf[i] &= rng_below(&seed, 4) ? 0x3f : 0xff;
		}
		read_all(buf, len, iter % 8 == 0 ? 1 : 0, 0, &res);
		assert_true(res.rc <= 0);
		if (res.rc < 0)
			assert_true(strstr(res.msg, "byte") || strstr(res.msg, "line"));
		free(res.ev);
	}
}

/* ---- populate (fault-around) events ------------------------------------- */

static const unsigned char hdr10[16] = "VMSTRACE\x01\x00\x10\x00\x0c\x00\x00\x00";

static void test_populate_binary(void **state)
{
	/* pid 1: ref 100, populate 101..104, ref 101; pid 7: populate 0x200 x 2. */
	static const struct vms_trace_event ev[] = {
		{ .kind = VMS_TR_REF, .pid = 1, .vpn = 100 },
		{ .kind = VMS_TR_POPULATE, .pid = 1, .vpn = 101, .nr_pages = 4 },
		{ .kind = VMS_TR_REF, .pid = 1, .vpn = 101 },
		{ .kind = VMS_TR_POPULATE, .pid = 7, .tid = 3, .time_ns = 50, .vpn = 0x200, .nr_pages = 2 },
		{ .kind = VMS_TR_POPULATE, .pid = 7, .tid = 3, .time_ns = 50, .vpn = VMS_VPN_MAX, .nr_pages = 1 },
		{ .kind = VMS_TR_REF, .pid = 7, .tid = 3, .time_ns = 60, .vpn = 0x200, .write = true },
	};
	static const unsigned char body[] =
		"\x1f\xc8\x01"                  /* ref +100 */
		"\xc0\x02\x65\x04"              /* populate 101, 4 pages: absolute */
		"\x02"                          /* ref +1 */
		"\x82\x03" "\x81\x07" "\x83\x64" /* tid 3, pid 7, time +50 */
		"\xc0\x03\x80\x04\x02"          /* populate 0x200, 2 pages */
		"\xc0\x07\xff\xff\xff\xff\xff\x01\x01" /* populate VMS_VPN_MAX, 1 page */
		"\x7f\x80\x08\x0a"              /* W ref +0x200, time +10 */
		"\x80\x03";                     /* end: 3 events, the populates not counted */
	size_t n = sizeof(ev) / sizeof(ev[0]), i, nr_ref = 0;
	struct mem_out out;
	struct result res;
	unsigned char *old;

	(void)state;
	write_events(ev, n, false, &out);
	assert_int_equal(out.len, 16 + sizeof(body) - 1);
	assert_memory_equal(out.data, hdr10, 16);
	assert_memory_equal(out.data + 16, body, sizeof(body) - 1);

	read_all(out.data, out.len, 0, 0, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.nr, n);
	for (i = 0; i < n; i++)
		assert_same_event(&res.ev[i], &ev[i]);
	assert_int_equal(res.ev[1].offset, 19);
	assert_int_equal(res.ev[3].offset, 30);
	free(res.ev);

	/*
	 * What a 1.0 reader that does not know tag 0xc0 sees: the same trace
	 * with the populate records as unknown extensions.  They are skipped
	 * and the end record's count still agrees.
	 */
	old = malloc(out.len);
	assert_non_null(old);
	memcpy(old, out.data, out.len);
	for (i = 16; i < out.len; i++) {
		if (i == 19 || i == 30 || i == 35)
			old[i] = 0xc1;
	}
	read_all(old, out.len, 1, 0, &res);
	assert_int_equal(res.rc, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].kind == VMS_TR_POPULATE)
			continue;
		assert_true(nr_ref < res.nr);
		assert_same_event(&res.ev[nr_ref++], &ev[i]);
	}
	assert_int_equal(res.nr, nr_ref);
	free(res.ev);
	free(old);
	free(out.data);
}

static void test_populate_unknown_extension(void **state)
{
	/*
	 * Unknown extension records (0xc1..0xff) next to populate records are
	 * still skipped, whatever their length: here 0xc1 with 3 bytes that
	 * would be a valid populate payload, 0xff with none, and 0xd0 with a
	 * payload of 100,000 bytes (more than the reader's buffer).
	 */
	size_t big = 100000, len = 0;
	unsigned char *buf = malloc(16 + 64 + big);
	struct result res;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, hdr10, 16);
	len = 16;
	memcpy(buf + len, "\xc1\x03\x64\x04\x00" "\xc0\x02\x64\x04" "\xff\x00" "\xd0\xa0\x8d\x06", 15);
	len += 15;
	memset(buf + len, 0xc0, big);
	len += big;
	memcpy(buf + len, "\x1f\xc8\x01" "\xc0\x02\x65\x03" "\x80\x01", 9);
	len += 9;
	read_all(buf, len, 0, 0, &res);
	if (res.rc != 0)
		fail_msg("%s", res.msg);
	assert_int_equal(res.nr, 3);
	assert_int_equal(res.ev[0].kind, VMS_TR_POPULATE);
	assert_int_equal(res.ev[0].vpn, 100);
	assert_int_equal(res.ev[0].nr_pages, 4);
	assert_int_equal(res.ev[0].offset, 21);
	assert_int_equal(res.ev[1].kind, VMS_TR_REF);
	assert_int_equal(res.ev[1].vpn, 100);
	assert_int_equal(res.ev[2].kind, VMS_TR_POPULATE);
	assert_int_equal(res.ev[2].vpn, 101);
	assert_int_equal(res.ev[2].nr_pages, 3);
	free(res.ev);

	/* Fed one byte at a time: the same. */
	read_all(buf, len, 1, 0, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.nr, 3);
	free(res.ev);
	free(buf);
}

static void test_populate_text(void **state)
{
	static const struct vms_trace_event ev[] = {
		{ .kind = VMS_TR_REF, .pid = 1, .vpn = 100 },
		{ .kind = VMS_TR_POPULATE, .pid = 1, .vpn = 101, .nr_pages = 4 },
		{ .kind = VMS_TR_POPULATE, .pid = 9, .vpn = 0x300, .nr_pages = 1 },
		{ .kind = VMS_TR_REF, .pid = 9, .vpn = 0x300 },
	};
	static const char want[] =
		"# vmsandbox trace, text format (docs/trace-format.md)\n"
		"R 0x64\n"
		"populate 0x65 4\n"
		"@pid 9\n"
		"populate 0x300 1\n"
		"R 0x300\n"
		"# 4 events\n";
	size_t n = sizeof(ev) / sizeof(ev[0]), i;
	struct mem_out out;
	struct result res;

	(void)state;
	write_events(ev, n, true, &out);
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.data, want, sizeof(want) - 1);
	read_all(out.data, out.len, 0, 0, &res);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.nr, n);
	for (i = 0; i < n; i++)
		assert_same_event(&res.ev[i], &ev[i]);
	assert_int_equal(res.ev[1].line, 3);
	assert_int_equal(res.ev[2].line, 5);
	free(res.ev);
	free(out.data);
	assert_string_equal(vms_trace_kind_name(VMS_TR_POPULATE), "populate");
	assert_int_equal(VMS_TR_NR_KINDS, VMS_TR_POPULATE + 1);
	assert_string_equal(vms_trace_kind_name(VMS_TR_NR_KINDS), "?");
}

/* ---- writer ------------------------------------------------------------ */

static void test_writer_rejects(void **state)
{
	static const struct vms_trace_event bad[] = {
		{ .kind = VMS_TR_REF, .vpn = VMS_VPN_MAX + 1 },
		{ .kind = VMS_TR_MAP, .vpn = 1, .nr_pages = 0 },
		{ .kind = VMS_TR_UNMAP, .vpn = VMS_VPN_MAX, .nr_pages = 2 },
		{ .kind = VMS_TR_REMAP, .vpn = 1, .nr_pages = 1, .new_vpn = VMS_VPN_MAX + 1 },
		{ .kind = VMS_TR_FORK, .pid = 5, .child_pid = 5 },
		{ .kind = VMS_TR_POPULATE, .vpn = 1, .nr_pages = 0 },
		{ .kind = VMS_TR_POPULATE, .vpn = VMS_VPN_MAX - 1, .nr_pages = 3 },
		{ .kind = VMS_TR_POPULATE, .vpn = VMS_VPN_MAX + 1, .nr_pages = 1 },
		{ .kind = (enum vms_trace_kind)99 },
	};
	struct vms_trace_event ok = { .kind = VMS_TR_REF, .vpn = 3 };
	struct vms_trace_writer *w;
	struct mem_out out = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(vms_trace_writer_new(mem_write, &out, &w), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vms_trace_write(w, &bad[i]), -EINVAL);
	/* Rejected events leave the writer usable and uncounted. */
	assert_int_equal(vms_trace_write(w, &ok), 0);
	assert_int_equal(vms_trace_writer_finish(w), 0);
	vms_trace_writer_free(w);
	free(out.data);

	/* A failing callback is reported and sticky. */
	out = (struct mem_out){ .fail_after = 1 };
	assert_int_equal(vms_trace_writer_new(mem_write, &out, &w), 0);
	assert_int_equal(vms_trace_write(w, &ok), 0);
	assert_int_equal(vms_trace_writer_finish(w), -ENOSPC);
	assert_int_equal(vms_trace_write(w, &ok), -ENOSPC);
	assert_int_equal(vms_trace_writer_finish(w), -ENOSPC);
	vms_trace_writer_free(w);
	free(out.data);
	vms_trace_writer_free(NULL);
	vms_trace_reader_free(NULL);
}

static ssize_t failing_read(void *ctx, void *buf, size_t len)
{
	int *calls = ctx;

	if ((*calls)++ == 0) {
		memcpy(buf, "1\n2\n3\n4\n5\n", 10);
		return 10;
	}
	return -EIO;
}

static void test_reader_io_error(void **state)
{
	struct vms_trace_reader *r;
	struct vms_trace_event ev;
	int calls = 0;

	(void)state;
	assert_int_equal(vms_trace_reader_new(failing_read, &calls, &r), 0);
	for (int i = 1; i <= 5; i++) {
		assert_int_equal(vms_trace_read(r, &ev), 1);
		assert_int_equal(ev.vpn, i);
	}
	assert_int_equal(vms_trace_read(r, &ev), -EIO);
	assert_msg_has(vms_trace_reader_error(r), "read error at byte 10");
	vms_trace_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_plain_forms),
		cmocka_unit_test(test_text_empty),
		cmocka_unit_test(test_text_directives),
		cmocka_unit_test(test_text_errors),
		cmocka_unit_test(test_text_long_lines),
		cmocka_unit_test(test_binary_round_trip),
		cmocka_unit_test(test_binary_empty_and_many_pids),
		cmocka_unit_test(test_binary_compact),
		cmocka_unit_test(test_binary_truncation),
		cmocka_unit_test(test_binary_header_errors),
		cmocka_unit_test(test_binary_record_errors),
		cmocka_unit_test(test_binary_corruption),
		cmocka_unit_test(test_random_garbage),
		cmocka_unit_test(test_populate_binary),
		cmocka_unit_test(test_populate_unknown_extension),
		cmocka_unit_test(test_populate_text),
		cmocka_unit_test(test_writer_rejects),
		cmocka_unit_test(test_reader_io_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
