"""Checks a terminal transcript of `vmsandbox --progress` (test_progress.sh).

The transcript is what the program and vmsandbox wrote to a pseudo-terminal
(util-linux `script`).  vmsandbox's own bytes are three kinds of sequences
(src/pager/statusline.c):
  reserve  ESC D  ESC 7  CSI 1;{rows-1} r  ESC 8  CSI A
  frame    ESC 7  CSI {rows};1 H  ESC ( B  CSI 0;7 m  TEXT  CSI 0 m  CSI K  ESC 8
  release  ESC 7  [CSI {rows};1 H  CSI 0 m  CSI 2 K]  CSI r  ESC 8
Everything else is the program's.

  check_progress.py screen TRANSCRIPT NATIVE ROWS COLS FRAMES
      a run that ended normally: frames drawn on the bottom row with every
      field; the program's output, without our sequences, is the native
      run's byte for byte; the release is the last thing we wrote; and
      replayed through a terminal emulator (pyte), after every frame the
      screen shows the program's latest lines above the status line, and at
      the end the scroll region is the whole window and the bottom row is
      empty.
  check_progress.py resize TRANSCRIPT NATIVE ROWS COLS ROWS2 COLS2
      the window went from ROWSxCOLS to ROWS2xCOLS2 during the run: the row
      was reserved again for the new size and the later frames are drawn
      there, at the new width.
  check_progress.py interrupted TRANSCRIPT ROWS
      a run ended by a signal: frames were drawn, the release came after
      the last one.
  check_progress.py suspend TRANSCRIPT ROWS MARK
      ^Z, then fg: the shell printed MARK while the job was stopped; the
      terminal was given back before it, and the row reserved again after.
  check_progress.py plain FILE...
      no escape byte at all.
Exit status 0 when every check passes, 1 otherwise (each failure printed).
"""
import re
import sys

ESC = "\x1b"
FRAME = re.compile(r"\x1b7\x1b\[(\d+);1H\x1b\(B\x1b\[0;7m([^\x1b]*)\x1b\[0m\x1b\[K\x1b8")
RESERVE = re.compile(r"\x1bD\x1b7\x1b\[1;(\d+)r\x1b8\x1b\[A")
RELEASE = re.compile(r"\x1b7(?:\x1b\[(\d+);1H\x1b\[0m\x1b\[2K)?\x1b\[r\x1b8")
OURS = re.compile("|".join(p.pattern for p in (FRAME, RESERVE, RELEASE)))
# The status line's text (src/pager/progress.c), every field present.
FIELDS = re.compile(
    r"vmsandbox (?P<elapsed>[\d.]+s|\d+m\d\ds|\d+h\d\dm)"
    r"(?P<thrashing>  THRASHING)?"
    r"  resident (?P<resident>\d+)/(?P<budget>\d+)"
    r"  faults (?P<faults>[\d.]+[kM]?)/s"
    r"  swap-in (?P<swapin>[\d.]+[kM]?)/s"
    r"  evict (?P<evict>[\d.]+[kM]?)/s"
    r"  swapped (?P<swapped>\d+) pg (?P<mib>[\d.]+) MiB"
    r"  (?P<procs>\d+) procs?$")

failures = []


def fail(msg):
    failures.append(msg)
    print("  FAIL:", msg)


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("latin-1")


def rate(s):
    mult = {"k": 1e3, "M": 1e6}.get(s[-1], 1)
    return float(s.rstrip("kM")) * mult


def seconds(s):
    m = re.fullmatch(r"([\d.]+)s|(\d+)m(\d\d)s|(\d+)h(\d\d)m", s)
    if m.group(1):
        return float(m.group(1))
    if m.group(2):
        return int(m.group(2)) * 60 + int(m.group(3))
    return int(m.group(4)) * 3600 + int(m.group(5)) * 60


def program_output(t):
    """The transcript without our sequences, as the program wrote it."""
    return OURS.sub("", t).replace("\r\n", "\n")


def check_output(t, native_path):
    native = read(native_path)
    got = program_output(t)
    if ESC in got:
        i = got.index(ESC)
        fail(f"an escape sequence that is not ours in the output: {got[i:i + 40]!r}")
    if got != native:
        n = next((i for i, (a, b) in enumerate(zip(got, native)) if a != b),
                 min(len(got), len(native)))
        fail(f"the program's output differs from the native run at byte {n} "
             f"({len(got)} vs {len(native)} bytes): {got[n:n + 60]!r} vs {native[n:n + 60]!r}")
    else:
        print(f"  the program's output is the native run's: {native.count(chr(10))} lines, "
              f"{len(native)} bytes")


def check_frames(t, rows, cols):
    frames = list(FRAME.finditer(t))
    if len(frames) < 2:
        fail(f"{len(frames)} status lines drawn, expected at least 2")
        return frames
    bad_row = [m for m in frames if int(m.group(1)) != rows]
    if bad_row:
        fail(f"a status line drawn on row {bad_row[0].group(1)}, not on the bottom row {rows}")
    bad_width = [m for m in frames if len(m.group(2)) != cols - 1]
    if bad_width:
        fail(f"a status line of {len(bad_width[0].group(2))} columns, expected {cols - 1}")
    first_reserve = RESERVE.search(t)
    if not first_reserve or first_reserve.start() > frames[0].start() or \
            int(first_reserve.group(1)) != rows - 1:
        fail(f"the bottom row was not reserved (scroll region 1..{rows - 1}) before the first frame")
    return frames


def check_release(t, frames, rows):
    rel = list(RELEASE.finditer(t))
    if not rel or rel[-1].start() < frames[-1].end():
        fail("the terminal was not given back after the last status line")
        return
    if rel[-1].group(1) is not None and int(rel[-1].group(1)) != rows:
        fail(f"the release erased row {rel[-1].group(1)}, not the status row {rows}")
    after = t[rel[-1].end():]
    if OURS.search(after):
        fail("vmsandbox wrote to the terminal after giving it back")
    print(f"  {len(frames)} status lines, released at byte {rel[-1].start()} of {len(t)}")


def screen(path, native_path, rows, cols, budget):
    import pyte

    t = read(path)
    frames = check_frames(t, rows, cols)
    if not frames:
        return
    parsed = []
    for m in frames:
        f = FIELDS.match(m.group(2).rstrip())
        if not f:
            fail(f"status line without every field: {m.group(2).rstrip()!r}")
            return
        parsed.append(f)
    print(f"  first: {frames[0].group(2).rstrip()!r}")
    print(f"  last:  {frames[-1].group(2).rstrip()!r}")
    for f in parsed:
        if int(f["budget"]) != budget or int(f["resident"]) > budget:
            fail(f"resident {f['resident']}/{f['budget']}, budget {budget}")
        if int(f["procs"]) != 1:
            fail(f"{f['procs']} processes, expected 1")
    times = [seconds(f["elapsed"]) for f in parsed]
    if times != sorted(times) or times[0] < 0.2:
        fail(f"elapsed times not increasing from 0.25 s: {times[:5]}...")
    if not any(rate(f["evict"]) > 0 for f in parsed) or not any(rate(f["faults"]) > 0 for f in parsed):
        fail("no status line shows faults and evictions, yet the run paged")
    check_output(t, native_path)
    check_release(t, frames, rows)

    # The screen, replayed.  pyte 0.8 reads "CSI r" (no parameters: the
    # whole window) as "top 1, bottom unchanged"; give it the explicit form.
    scr = pyte.Screen(cols, rows)
    stream = pyte.Stream(scr)
    pos = 0
    for m in frames:
        chunk = t[pos:m.end()].replace("\x1b[r", f"\x1b[1;{rows}r")
        stream.feed(chunk)
        pos = m.end()
        if scr.display[rows - 1].rstrip() != m.group(2).rstrip():
            fail(f"after a frame the bottom row shows {scr.display[rows - 1].rstrip()!r}")
            return
        lines = program_output(t[:m.end()]).split("\n")
        want = lines[-(rows - 1):] if len(lines) >= rows - 1 else \
            lines + [""] * (rows - 1 - len(lines))
        shown = [scr.display[r].rstrip() for r in range(rows - 1)]
        if shown != [w.rstrip() for w in want]:
            fail(f"after the frame at byte {m.start()} the screen above the status line "
                 f"is not the program's last {rows - 1} lines: {shown[-3:]} vs {want[-3:]}")
            return
    stream.feed(t[pos:].replace("\x1b[r", f"\x1b[1;{rows}r"))
    if scr.margins not in (None, (0, rows - 1)):
        fail(f"the scroll region at the end is {scr.margins}, not the whole window")
    if scr.display[rows - 1].strip():
        fail(f"the bottom row at the end shows {scr.display[rows - 1].rstrip()!r}")
    lines = program_output(t).split("\n")
    tail = [line for line in lines if line][-3:]
    shown = [scr.display[r].rstrip() for r in range(rows)]
    if [s for s in shown if s][-3:] != tail:
        fail(f"the screen at the end does not end with the program's last lines: {shown[-4:]}")
    print(f"  the screen (pyte, {cols}x{rows}) shows the program's lines above the status "
          f"line after each of {len(frames)} frames, and none at the end")


def resize(path, native_path, rows, cols, rows2, cols2):
    t = read(path)
    frames = list(FRAME.finditer(t))
    before = [m for m in frames if int(m.group(1)) == rows and len(m.group(2)) == cols - 1]
    after = [m for m in frames if int(m.group(1)) == rows2 and len(m.group(2)) == cols2 - 1]
    other = [m for m in frames if m not in before and m not in after]
    print(f"  {len(before)} frames at {cols}x{rows}, {len(after)} at {cols2}x{rows2}, {len(other)} other")
    if not before or not after or other:
        fail("the frames are not all on the bottom row at the window's width, before and "
             "after the resize")
        return
    if after[0].start() < before[-1].start():
        fail("a frame at the old size came after one at the new size")
    reserves = [m for m in RESERVE.finditer(t) if int(m.group(1)) == rows2 - 1]
    if not reserves or reserves[0].start() > after[0].start():
        fail(f"the row was not reserved again (scroll region 1..{rows2 - 1}) after the resize")
    check_output(t, native_path)
    check_release(t, frames, rows2)


def interrupted(path, rows):
    t = read(path)
    frames = list(FRAME.finditer(t))
    if not frames:
        fail("no status line was drawn before the interruption")
        return
    check_release(t, frames, rows)


def suspend(path, rows, mark):
    t = read(path)
    at = t.find(mark)
    if at < 0:
        fail(f"the shell did not print {mark!r}: the job was not stopped by SIGTSTP")
        return
    before = [m for m in FRAME.finditer(t) if m.start() < at]
    after = [m for m in FRAME.finditer(t) if m.start() > at]
    released = [m for m in RELEASE.finditer(t) if before and before[-1].end() <= m.start() < at]
    reserved = [m for m in RESERVE.finditer(t) if m.start() > at and
                int(m.group(1)) == rows - 1 and after and m.start() < after[0].start()]
    print(f"  {len(before)} frames before ^Z, {len(after)} after fg")
    if not before or not after:
        fail("no status line before ^Z or after fg")
    elif not released:
        fail("the terminal was not given back before the shell's prompt")
    elif not reserved:
        fail("the row was not reserved again after fg")
    else:
        check_release(t, after, rows)


def plain(paths):
    for p in paths:
        data = read(p)
        if ESC in data:
            i = data.index(ESC)
            fail(f"{p}: an escape sequence: {data[max(0, i - 10):i + 30]!r}")


def main(argv):
    cmd = argv[1]
    if cmd == "screen":
        screen(argv[2], argv[3], int(argv[4]), int(argv[5]), int(argv[6]))
    elif cmd == "resize":
        resize(argv[2], argv[3], *map(int, argv[4:8]))
    elif cmd == "interrupted":
        interrupted(argv[2], int(argv[3]))
    elif cmd == "suspend":
        suspend(argv[2], int(argv[3]), argv[4])
    elif cmd == "plain":
        plain(argv[2:])
    else:
        raise SystemExit(f"unknown check {cmd}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
