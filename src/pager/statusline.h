/* SPDX-License-Identifier: MIT */
/*
 * A status line on the terminal's bottom row, out of the way of output that
 * other processes write to the same terminal (--progress: progress.c).
 *
 * The program writes to the terminal itself: vmsandbox does not relay its
 * output, so a "\r" line would be overwritten and scrolled away by it.  As
 * apt's fancy progress does, the bottom row is taken out of the scroll
 * region (DECSTBM: rows 1..N-1 scroll, row N stays) and the line is drawn
 * there between a save and a restore of the cursor (DECSC/DECRC), so that
 * the program's next byte lands where it would have.  The plain VT100
 * sequences are used (every terminal emulator in use has them); TERM unset
 * or "dumb" means none.
 *
 * Every frame goes out whole: a write(2) to a terminal holds the
 * terminal's write lock while it waits for room, so a frame written by one
 * blocking call is never split by another process's output, whereas a
 * non-blocking write may be cut short (with the cursor left on the status
 * row, where the program's next line would then land).  So the frames are
 * written by a thread of their own, which may block; the pager only
 * composes them, and drops a frame while the previous one still waits to
 * be written.  Its one other system call per frame (the window size and
 * the foreground process group, two ioctls) never blocks.
 *
 * Not thread safe: one caller (the pager's loop) besides the writer.
 */
#ifndef VMSANDBOX_PAGER_STATUSLINE_H
#define VMSANDBOX_PAGER_STATUSLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Smallest window a line is drawn in: the rest is too small to be useful. */
#define VMS_STATUSLINE_MIN_ROWS 3u
#define VMS_STATUSLINE_MIN_COLS 20u
/* The widest line drawn (columns beyond are left blank). */
#define VMS_STATUSLINE_MAX_COLS 512u

struct vms_statusline;

struct vms_statusline_stats {
	uint64_t frames;              /* handed to the writer */
	uint64_t dropped;             /* not drawn: the writer was still busy */
	uint64_t skipped;             /* not drawn: in the background, or a window
				       * too small */
	uint64_t setups;              /* scroll regions set (start, resizes, resumes) */
	int write_err;                /* the first write error (-errno): the line is
				       * given up (the terminal hung up) */
};

/*
 * Opens the terminal that fd is (the pager passes stderr) for the line: a new
 * open file description of the same device, so that its flags are its own,
 * close-on-exec.  Writes nothing yet.  -ENOTTY if fd is not a terminal,
 * -EOPNOTSUPP if it cannot move its cursor (TERM unset or dumb), -ENOMEM,
 * or the open's error.
 */
int vms_statusline_open(int fd, struct vms_statusline **ret);

/*
 * Whether a line can be drawn now (in the foreground process group of the
 * terminal, which is at least VMS_STATUSLINE_MIN_ROWS x _MIN_COLS), and its
 * width in columns: the text given to vms_statusline_draw() should fit in
 * *ret_cols - 1 (the last column is left empty: a character there would
 * leave the cursor waiting to wrap).  Asks the terminal each time (a resize
 * is seen at the next frame even without SIGWINCH).  Counts a skipped frame
 * when it returns false.
 */
bool vms_statusline_ready(struct vms_statusline *sl, unsigned *ret_cols);

/*
 * After a true vms_statusline_ready(): draws text (ASCII, cut to the width)
 * on the bottom row, reserving it first if it is not (the first frame, a
 * new window size).  Returns false if the frame was dropped (the writer is
 * still busy with the previous one: the terminal is slow or stopped).
 */
bool vms_statusline_draw(struct vms_statusline *sl, const char *text);

/* The window was resized (SIGWINCH): the next frame sets the scroll region
 * again even if the size looks unchanged (terminals reset it on a resize). */
void vms_statusline_resized(struct vms_statusline *sl);

/*
 * Gives the terminal back as it was: erases the line, and the scroll region
 * is the whole window again.  Waits up to timeout_ms for the writer to have
 * written that; false if it has not (a terminal stopped by ^S).  A later
 * vms_statusline_draw() reserves the row again.
 */
bool vms_statusline_hide(struct vms_statusline *sl, unsigned timeout_ms);

/* Hides the line, ends the writer and closes the terminal; a writer still
 * blocked after 0.5 s is left to finish on its own (statusline.c).  Accepts
 * NULL. */
void vms_statusline_close(struct vms_statusline *sl);

void vms_statusline_get_stats(struct vms_statusline *sl, struct vms_statusline_stats *ret);

/*
 * The escape sequences, pure (unit-tested).  Each writes at most cap bytes
 * with no terminating NUL and returns the length, or 0 if cap is too small.
 *
 * reserve: makes room below the cursor (IND scrolls the whole window up one
 *   line when the cursor is on the bottom row), sets the scroll region to
 *   rows 1..rows-1 (which homes the cursor: hence DECSC/DECRC around it) and
 *   moves back up: the cursor is inside the region, on the same text it was.
 * line: draws text in reverse video on row `rows`, padded to cols - 1, and
 *   puts the cursor, its attributes and character set back.
 * release: erases row `rows` (if rows > 0) and resets the scroll region to
 *   the whole window, leaving the cursor where it was.
 */
size_t vms_statusline_seq_reserve(char *buf, size_t cap, unsigned rows);
size_t vms_statusline_seq_line(char *buf, size_t cap, unsigned rows, unsigned cols,
			       const char *text);
size_t vms_statusline_seq_release(char *buf, size_t cap, unsigned rows);

#endif
