/* SPDX-License-Identifier: MIT */
/*
 * The status line on the terminal's bottom row (statusline.h): the escape
 * sequences, and the writer thread that puts whole frames on the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "statusline.h"

/* Bytes waiting for the writer: a frame is at most ~VMS_STATUSLINE_MAX_COLS
 * + 40, the region's sequences a few dozen. */
#define QUEUE_BYTES 4096u
#define FRAME_BYTES (VMS_STATUSLINE_MAX_COLS + 128u)
/* How long closing waits for a writer that is still blocked before
 * leaving it behind. */
#define CLOSE_WAIT_MS 500u

struct vms_statusline {
	int fd;                       /* our own open of the terminal */
	unsigned rows, cols;          /* the window, as of the last ready() */
	unsigned region_rows;         /* rows the scroll region was set for (the line is on
				       * that row); 0: the terminal's region is its own */
	unsigned region_cols;         /* the width then (a new width resets it, as
				       * some terminals reset the region on any resize) */
	struct vms_statusline_stats st;

	/* Shared with the writer thread, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t wake;          /* bytes were queued, or quit */
	pthread_cond_t idle;          /* the writer wrote what was queued, or exited */
	char queued[QUEUE_BYTES];
	size_t nr_queued;
	bool writing;                 /* a write(2) is under way */
	bool quit;
	bool exited;
	bool abandoned;               /* close() gave up waiting: the writer frees all */
	int write_err;                /* -errno */
	pthread_t writer;
	bool writer_started;
};

static size_t append(char *buf, size_t cap, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends to buf[at..cap); returns the new length, or SIZE_MAX once it has
 * not fit (and every later call then keeps SIZE_MAX). */
static size_t append(char *buf, size_t cap, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at >= cap)
		return SIZE_MAX;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, cap - at, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - at)
		return SIZE_MAX;
	return at + (size_t)n;
}

size_t vms_statusline_seq_reserve(char *buf, size_t cap, unsigned rows)
{
	/* IND, DECSC, DECSTBM 1..rows-1, DECRC, CUU 1. */
	size_t n = append(buf, cap, 0, "\033D\0337\033[1;%ur\0338\033[A", rows - 1);

	return n == SIZE_MAX ? 0 : n;
}

size_t vms_statusline_seq_line(char *buf, size_t cap, unsigned rows, unsigned cols,
			       const char *text)
{
	size_t width = cols > 1 ? cols - 1 : 0, n, i;

	/* DECSC, CUP to the bottom row, G0 = ASCII, reverse video. */
	n = append(buf, cap, 0, "\0337\033[%u;1H\033(B\033[0;7m", rows);
	if (n == SIZE_MAX || cap - n < width + 16)
		return 0;
	for (i = 0; i < width && text[i]; i++) {
		unsigned char c = (unsigned char)text[i];

		buf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	for (; i < width; i++)
		buf[n++] = ' ';
	/* Normal video, erase the last column, DECRC. */
	n = append(buf, cap, n, "\033[0m\033[K\0338");
	return n == SIZE_MAX ? 0 : n;
}

size_t vms_statusline_seq_release(char *buf, size_t cap, unsigned rows)
{
	size_t n;

	/* The program's colours are saved by DECSC: erase in plain ones. */
	if (rows)
		n = append(buf, cap, 0, "\0337\033[%u;1H\033[0m\033[2K\033[r\0338", rows);
	else
		n = append(buf, cap, 0, "\0337\033[r\0338");
	return n == SIZE_MAX ? 0 : n;
}

int vms_statusline_open(int fd, struct vms_statusline **ret)
{
	const char *term = getenv("TERM");
	struct vms_statusline *sl;
	struct stat a, b;
	char path[64];
	int tfd;

	if (!isatty(fd))
		return -ENOTTY;
	if (!term || !*term || strcmp(term, "dumb") == 0)
		return -EOPNOTSUPP;
	/* A new open file description: the program shares fd's, and may have
	 * made it non-blocking (a write of ours cut short would then leave
	 * the cursor on the status row). */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	tfd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (tfd < 0)
		tfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (tfd < 0)
		return -errno;
	if (fstat(fd, &a) < 0 || fstat(tfd, &b) < 0 || a.st_rdev != b.st_rdev) {
		close(tfd);
		return -ENOTTY;
	}
	sl = calloc(1, sizeof(*sl));
	if (!sl) {
		close(tfd);
		return -ENOMEM;
	}
	sl->fd = tfd;
	*ret = sl;
	return 0;
}

/* The writer's write: whole, through partial writes (the fallback dup
 * may be non-blocking: then poll). */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void destroy(struct vms_statusline *sl)
{
	if (sl->writer_started) {
		pthread_cond_destroy(&sl->wake);
		pthread_cond_destroy(&sl->idle);
		pthread_mutex_destroy(&sl->lock);
	}
	close(sl->fd);
	free(sl);
}

/*
 * The writer: every signal blocked (the pager's signalfd must get them;
 * and a blocked SIGTTOU lets a write from a background job through instead
 * of stopping vmsandbox).  It writes what is queued, the last bytes too,
 * before it ends; if close() has left it behind (blocked on a terminal
 * stopped by ^S), it frees everything once the terminal takes its bytes.
 */
static void *writer_main(void *arg)
{
	struct vms_statusline *sl = arg;
	char buf[QUEUE_BYTES];
	bool abandoned;

	pthread_mutex_lock(&sl->lock);
	for (;;) {
		size_t n;
		int err;

		while (!sl->nr_queued && !sl->quit)
			pthread_cond_wait(&sl->wake, &sl->lock);
		if (!sl->nr_queued)
			break;
		n = sl->nr_queued;
		memcpy(buf, sl->queued, n);
		sl->nr_queued = 0;
		sl->writing = true;
		pthread_mutex_unlock(&sl->lock);
		err = write_all(sl->fd, buf, n);
		pthread_mutex_lock(&sl->lock);
		sl->writing = false;
		if (err && !sl->write_err)
			sl->write_err = err;
		pthread_cond_broadcast(&sl->idle);
	}
	sl->exited = true;
	abandoned = sl->abandoned;
	pthread_cond_broadcast(&sl->idle);
	pthread_mutex_unlock(&sl->lock);
	if (abandoned)
		destroy(sl);
	return NULL;
}

static int start_writer(struct vms_statusline *sl)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int r;

	pthread_mutex_init(&sl->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sl->wake, &ca);
	pthread_cond_init(&sl->idle, &ca);
	pthread_condattr_destroy(&ca);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&sl->writer, NULL, writer_main, sl);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		pthread_cond_destroy(&sl->wake);
		pthread_cond_destroy(&sl->idle);
		pthread_mutex_destroy(&sl->lock);
		return -r;
	}
	sl->writer_started = true;
	return 0;
}

/* Queues bytes for the writer.  A droppable frame is dropped while an
 * earlier one still waits (the writer is blocked: drawing more would only
 * queue stale lines); the region's sequences are not, unless the queue is
 * full (a terminal stopped for long).  False if dropped. */
static bool post(struct vms_statusline *sl, const char *bytes, size_t n, bool droppable)
{
	bool ok;

	if (!sl->writer_started) {
		int r = start_writer(sl);

		if (r < 0) {
			sl->st.write_err = r;
			return false;
		}
	}
	pthread_mutex_lock(&sl->lock);
	ok = !sl->write_err && !(droppable && sl->nr_queued) &&
	     sl->nr_queued + n <= sizeof(sl->queued);
	if (ok) {
		memcpy(sl->queued + sl->nr_queued, bytes, n);
		sl->nr_queued += n;
		pthread_cond_signal(&sl->wake);
	}
	if (sl->write_err && !sl->st.write_err)
		sl->st.write_err = sl->write_err;
	pthread_mutex_unlock(&sl->lock);
	return ok;
}

static unsigned window_rows(int fd)
{
	struct winsize ws;

	return ioctl(fd, TIOCGWINSZ, &ws) == 0 ? ws.ws_row : 0;
}

bool vms_statusline_ready(struct vms_statusline *sl, unsigned *ret_cols)
{
	struct winsize ws;
	pid_t fg;

	if (sl->st.write_err) {
		sl->st.skipped++;
		return false;
	}
	/* A background job draws nothing: the terminal is someone else's. */
	fg = tcgetpgrp(sl->fd);
	if (fg < 0 || fg != getpgrp() || ioctl(sl->fd, TIOCGWINSZ, &ws) < 0 ||
	    ws.ws_row < VMS_STATUSLINE_MIN_ROWS || ws.ws_col < VMS_STATUSLINE_MIN_COLS) {
		sl->st.skipped++;
		return false;
	}
	sl->rows = ws.ws_row;
	sl->cols = ws.ws_col < VMS_STATUSLINE_MAX_COLS ? ws.ws_col : VMS_STATUSLINE_MAX_COLS;
	*ret_cols = sl->cols;
	return true;
}

bool vms_statusline_draw(struct vms_statusline *sl, const char *text)
{
	char frame[FRAME_BYTES];
	bool reserve = sl->region_rows != sl->rows || sl->region_cols != sl->cols;
	size_t n = 0, m;

	if (reserve) {
		n = vms_statusline_seq_reserve(frame, sizeof(frame), sl->rows);
		if (!n)
			return false;
	}
	m = vms_statusline_seq_line(frame + n, sizeof(frame) - n, sl->rows, sl->cols, text);
	if (!m || !post(sl, frame, n + m, true)) {
		sl->st.dropped++;
		return false;
	}
	if (reserve) {
		sl->region_rows = sl->rows;
		sl->region_cols = sl->cols;
		sl->st.setups++;
	}
	sl->st.frames++;
	return true;
}

void vms_statusline_resized(struct vms_statusline *sl)
{
	sl->region_cols = 0;   /* the next frame reserves the row again */
}

/* Waits until the writer has written everything queued (or has exited),
 * for at most timeout_ms.  Called with sl->lock held. */
static bool wait_idle(struct vms_statusline *sl, unsigned timeout_ms, bool until_exit)
{
	struct timespec dl;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += timeout_ms / 1000u;
	dl.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	for (;;) {
		bool done = until_exit ? sl->exited
				       : sl->exited || (!sl->nr_queued && !sl->writing);

		if (done)
			return true;
		if (pthread_cond_timedwait(&sl->idle, &sl->lock, &dl) == ETIMEDOUT)
			return false;
	}
}

bool vms_statusline_hide(struct vms_statusline *sl, unsigned timeout_ms)
{
	char seq[64];
	unsigned rows;
	size_t n;
	bool done;

	if (!sl->region_rows)
		return true;
	/* Erase the line only where it is: after a resize not drawn yet, the
	 * old bottom row may hold the program's text by now. */
	rows = window_rows(sl->fd) == sl->region_rows ? sl->region_rows : 0;
	n = vms_statusline_seq_release(seq, sizeof(seq), rows);
	sl->region_rows = 0;
	if (!post(sl, seq, n, false))
		return false;
	pthread_mutex_lock(&sl->lock);
	done = wait_idle(sl, timeout_ms, false);
	pthread_mutex_unlock(&sl->lock);
	return done && !sl->write_err;
}

/*
 * A writer still blocked after the wait (a terminal stopped by ^S) is left
 * behind, detached, with the object: nothing can interrupt its write short
 * of a signal handler in the pager or pthread_cancel (whose unwinding
 * AddressSanitizer does not follow), and it harms nobody.  When the
 * terminal takes the bytes (^Q), it writes the rest, release included, and
 * frees everything; if vmsandbox exits first, the exit ends it.
 */
void vms_statusline_close(struct vms_statusline *sl)
{
	if (!sl)
		return;
	vms_statusline_hide(sl, CLOSE_WAIT_MS);
	if (sl->writer_started) {
		bool exited;

		pthread_mutex_lock(&sl->lock);
		sl->quit = true;
		pthread_cond_signal(&sl->wake);
		exited = wait_idle(sl, CLOSE_WAIT_MS, true);
		sl->abandoned = !exited;
		pthread_mutex_unlock(&sl->lock);
		if (!exited) {
			pthread_detach(sl->writer);
			return;   /* sl is the writer's now */
		}
		pthread_join(sl->writer, NULL);
	}
	destroy(sl);
}

void vms_statusline_get_stats(struct vms_statusline *sl, struct vms_statusline_stats *ret)
{
	*ret = sl->st;
	if (sl->writer_started) {
		pthread_mutex_lock(&sl->lock);
		if (sl->write_err && !ret->write_err)
			ret->write_err = sl->write_err;
		pthread_mutex_unlock(&sl->lock);
	}
}
