/* SPDX-License-Identifier: MIT */
/*
 * --progress without the live pager: the status line's text
 * (vms_progress_format), its escape sequences, and the terminal side
 * (src/pager/statusline.c) on a pseudo-terminal that a forked child makes
 * its controlling terminal: the bytes that reach the terminal, a background
 * job drawing nothing, and a terminal that takes no more output (nobody
 * reads the pty) neither blocking the caller nor keeping close() waiting
 * (the writer is left behind).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "progress.h"
#include "statusline.h"

static const struct vms_progress_figures sample_figures = {
	.elapsed_ns = 12340000000ull,
	.resident = 1024,
	.budget = 2048,
	.faults_per_s = 37000,
	.swap_ins_per_s = 576,
	.evictions_per_s = 9500,
	.swapped_pages = 2341,
	.swapped_bytes = 8493465,   /* 8.1 MiB */
	.processes = 3,
};

#define SAMPLE_LINE "vmsandbox 12.3s  resident 1024/2048  faults 37k/s  swap-in 576/s  " \
		    "evict 9.5k/s  swapped 2341 pg 8.1 MiB  3 procs"

static void test_format_all_fields(void **state)
{
	char buf[256];

	(void)state;
	assert_int_equal(vms_progress_format(&sample_figures, buf, sizeof(buf), 200),
			 strlen(SAMPLE_LINE));
	assert_string_equal(buf, SAMPLE_LINE);
}

/* At every width the text is the full line cut at a field boundary (two
 * spaces follow it in the full line), never a field cut in the middle,
 * except the first when even it does not fit. */
static void test_format_cut_at_fields(void **state)
{
	const size_t full = strlen(SAMPLE_LINE), first = strlen("vmsandbox 12.3s");
	char buf[256];

	(void)state;
	for (unsigned w = 0; w <= full + 2; w++) {
		size_t n = vms_progress_format(&sample_figures, buf, sizeof(buf), w);

		assert_int_equal(strlen(buf), n);
		assert_true(n <= w);
		assert_memory_equal(buf, SAMPLE_LINE, n);
		if (w < first) {
			assert_int_equal(n, w);
		} else {
			assert_true(n == full || memcmp(SAMPLE_LINE + n, "  ", 2) == 0);
			/* The next field did not fit. */
			if (n < full) {
				const char *next = strstr(SAMPLE_LINE + n + 2, "  ");
				size_t end = next ? (size_t)(next - SAMPLE_LINE) : full;

				assert_true(end > w);
			}
		}
	}
	/* A small buffer cuts too, NUL-terminated. */
	assert_true(vms_progress_format(&sample_figures, buf, 20, 200) < 20);
	assert_string_equal(buf, "vmsandbox 12.3s");
}

static void test_format_thrashing_observed(void **state)
{
	struct vms_progress_figures f = {
		.elapsed_ns = 3725000000000ull,
		.thrashing = true,
		.resident = 77,
		.budget = 0,
		.faults_per_s = 0,
		.swap_ins_per_s = 999.4,
		.evictions_per_s = 999.6,
		.swapped_pages = 0,
		.swapped_bytes = 0,
		.processes = 1,
	};
	char buf[256];

	(void)state;
	vms_progress_format(&f, buf, sizeof(buf), 200);
	assert_string_equal(buf, "vmsandbox 1h02m  THRASHING  resident 77 (observed)  faults 0/s  "
			    "swap-in 999/s  evict 1.0k/s  swapped 0 pg 0.0 MiB  1 proc");
	f.elapsed_ns = 65500000000ull;
	f.thrashing = false;
	f.faults_per_s = 9999.6;
	f.swap_ins_per_s = 1.5e6;
	f.evictions_per_s = 123456;
	vms_progress_format(&f, buf, sizeof(buf), 200);
	assert_string_equal(buf, "vmsandbox 1m05s  resident 77 (observed)  faults 10k/s  "
			    "swap-in 1.5M/s  evict 123k/s  swapped 0 pg 0.0 MiB  1 proc");
}

static void test_seq_reserve_release(void **state)
{
	char buf[64];
	size_t n;

	(void)state;
	n = vms_statusline_seq_reserve(buf, sizeof(buf), 24);
	assert_int_equal(n, strlen("\033D\0337\033[1;23r\0338\033[A"));
	assert_memory_equal(buf, "\033D\0337\033[1;23r\0338\033[A", n);
	n = vms_statusline_seq_release(buf, sizeof(buf), 24);
	assert_memory_equal(buf, "\0337\033[24;1H\033[0m\033[2K\033[r\0338", n);
	assert_int_equal(n, strlen("\0337\033[24;1H\033[0m\033[2K\033[r\0338"));
	n = vms_statusline_seq_release(buf, sizeof(buf), 0);
	assert_int_equal(n, strlen("\0337\033[r\0338"));
	assert_memory_equal(buf, "\0337\033[r\0338", n);
	assert_int_equal(vms_statusline_seq_reserve(buf, 5, 24), 0);
	assert_int_equal(vms_statusline_seq_release(buf, 5, 24), 0);
}

static void test_seq_line(void **state)
{
	static const char head[] = "\0337\033[5;1H\033(B\033[0;7m", tail[] = "\033[0m\033[K\0338";
	char buf[128];
	size_t n;

	(void)state;
	/* Padded to cols - 1 in reverse video; control bytes never reach the
	 * terminal. */
	n = vms_statusline_seq_line(buf, sizeof(buf), 5, 11, "ab\033c\n");
	assert_int_equal(n, strlen(head) + 10 + strlen(tail));
	assert_memory_equal(buf, head, strlen(head));
	assert_memory_equal(buf + strlen(head), "ab?c?     ", 10);
	assert_memory_equal(buf + strlen(head) + 10, tail, strlen(tail));
	/* Cut to cols - 1. */
	n = vms_statusline_seq_line(buf, sizeof(buf), 5, 4, "abcdef");
	assert_memory_equal(buf + strlen(head), "abc\033", 4);
	assert_int_equal(n, strlen(head) + 3 + strlen(tail));
	assert_int_equal(vms_statusline_seq_line(buf, 30, 5, 80, "x"), 0);
}

static void test_open_refuses(void **state)
{
	struct vms_statusline *sl = NULL;
	int p[2], master, slave;
	char *term = getenv("TERM") ? strdup(getenv("TERM")) : NULL;

	(void)state;
	assert_int_equal(pipe(p), 0);
	setenv("TERM", "xterm", 1);
	assert_int_equal(vms_statusline_open(p[1], &sl), -ENOTTY);
	close(p[0]);
	close(p[1]);
	assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
	setenv("TERM", "dumb", 1);
	assert_int_equal(vms_statusline_open(slave, &sl), -EOPNOTSUPP);
	unsetenv("TERM");
	assert_int_equal(vms_statusline_open(slave, &sl), -EOPNOTSUPP);
	assert_null(sl);
	/* Not our controlling terminal: like a background job, nothing drawn. */
	setenv("TERM", "xterm", 1);
	assert_int_equal(vms_statusline_open(slave, &sl), 0);
	{
		struct winsize ws = { .ws_row = 24, .ws_col = 80 };
		struct vms_statusline_stats st;
		unsigned cols = 0;

		assert_int_equal(ioctl(slave, TIOCSWINSZ, &ws), 0);
		assert_false(vms_statusline_ready(sl, &cols));
		vms_statusline_get_stats(sl, &st);
		assert_int_equal(st.skipped, 1);
		assert_int_equal(st.frames, 0);
	}
	vms_statusline_close(sl);
	close(master);
	close(slave);
	if (term) {
		setenv("TERM", term, 1);
		free(term);
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* In a child: a new session whose controlling terminal is the pty's slave
 * (24 x 80), TERM=xterm.  Returns the slave's fd. */
static int child_take_pty(const char *slave_name)
{
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	int fd;

	if (setsid() < 0)
		_exit(90);
	fd = open(slave_name, O_RDWR);   /* a session leader's first tty: its ctty */
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0 || ioctl(fd, TIOCSWINSZ, &ws) < 0)
		_exit(91);
	setenv("TERM", "xterm", 1);
	return fd;
}

/* Reads what the master has, until nothing comes for 200 ms.  (The test
 * keeps its own slave fd open: a master with no slave open reads EIO.) */
static size_t read_all(int master, char *buf, size_t cap)
{
	struct pollfd p = { .fd = master, .events = POLLIN };
	size_t n = 0;

	while (n < cap && poll(&p, 1, 200) > 0) {
		ssize_t r = read(master, buf + n, cap - n);

		if (r <= 0)
			break;
		n += (size_t)r;
	}
	return n;
}

static int wait_child(pid_t pid, unsigned timeout_ms)
{
	uint64_t end = now_ms() + timeout_ms;
	int status;

	while (now_ms() < end) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* The bytes on the terminal: reserve, one line, release, nothing else. */
static void test_draw_bytes(void **state)
{
	char name[64], got[4096], want[512];
	int master, slave, status;
	size_t n, w = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vms_statusline *sl;
		struct vms_statusline_stats st;
		unsigned cols = 0;
		int fd;

		close(slave);
		fd = child_take_pty(name);

		if (vms_statusline_open(fd, &sl) < 0)
			_exit(10);
		if (!vms_statusline_ready(sl, &cols) || cols != 80)
			_exit(11);
		if (!vms_statusline_draw(sl, "hello"))
			_exit(12);
		if (!vms_statusline_hide(sl, 5000))
			_exit(13);
		vms_statusline_get_stats(sl, &st);
		if (st.frames != 1 || st.setups != 1 || st.dropped || st.write_err)
			_exit(14);
		vms_statusline_close(sl);
		_exit(0);
	}
	status = wait_child(pid, 10000);
	assert_int_equal(status, 0);
	n = read_all(master, got, sizeof(got));
	w += vms_statusline_seq_reserve(want + w, sizeof(want) - w, 24);
	w += vms_statusline_seq_line(want + w, sizeof(want) - w, 24, 80, "hello");
	w += vms_statusline_seq_release(want + w, sizeof(want) - w, 24);
	assert_int_equal(n, w);
	assert_memory_equal(got, want, w);
	close(master);
	close(slave);
}

/*
 * A terminal that takes nothing (its output buffer full, nobody reading):
 * drawing never blocks (the writer thread is stuck, frames are dropped),
 * and close() gives up on the writer after its timeout.
 */
static void test_stuck_terminal(void **state)
{
	char name[64];
	int master, slave, status;
	pid_t pid;

	(void)state;
	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	close(slave);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char junk[4096];
		struct vms_statusline *sl;
		struct vms_statusline_stats st;
		uint64_t worst = 0, t0;
		unsigned cols = 0;
		int fd = child_take_pty(name), fl = fcntl(fd, F_GETFL);

		/* Fill the terminal's buffers, until it has taken nothing for
		 * 50 ms (the kernel moves bytes on to the master's side in the
		 * background, which makes room again for a while). */
		memset(junk, 'x', sizeof(junk));
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
		for (bool took = true; took; usleep(50000)) {
			took = false;
			while (write(fd, junk, sizeof(junk)) > 0)
				took = true;
			if (errno != EAGAIN)
				_exit(20);
		}
		if (vms_statusline_open(fd, &sl) < 0)
			_exit(21);
		for (int i = 0; i < 200; i++) {
			t0 = now_ms();
			if (!vms_statusline_ready(sl, &cols))
				_exit(22);
			vms_statusline_draw(sl, "frame");
			if (now_ms() - t0 > worst)
				worst = now_ms() - t0;
		}
		vms_statusline_get_stats(sl, &st);
		/* The first frame went to the (blocked) writer, the one posted
		 * once it had taken it waits, the rest were dropped. */
		if (st.frames < 1 || st.frames > 2 || st.frames + st.dropped != 200)
			_exit(23);
		if (worst > 100)
			_exit(24);
		t0 = now_ms();
		vms_statusline_close(sl);
		if (now_ms() - t0 > 3000)
			_exit(25);
		_exit(0);
	}
	/* Not reading the master: the child must finish on its own. */
	status = wait_child(pid, 20000);
	assert_int_equal(status, 0);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_all_fields),
		cmocka_unit_test(test_format_cut_at_fields),
		cmocka_unit_test(test_format_thrashing_observed),
		cmocka_unit_test(test_seq_reserve_release),
		cmocka_unit_test(test_seq_line),
		cmocka_unit_test(test_open_refuses),
		cmocka_unit_test(test_draw_bytes),
		cmocka_unit_test(test_stuck_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
