# The --progress test's program (test_progress.sh): prints LINES numbered
# lines of varying length to stdout while it sweeps a working set of PAGES
# pages (so that it pages under a smaller --frames), optionally sleeping
# SLEEP seconds after each line.  Deterministic output.
#   progress_lines.py LINES PAGES [SLEEP]
import sys
import time

lines, pages = int(sys.argv[1]), int(sys.argv[2])
pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
mem = [bytearray(4096) for _ in range(pages)]
for i in range(lines):
    for j in range(i % 61, pages, 61):
        mem[j][i % 4096] = i & 0xff
    print(f"line {i} {'x' * (i % 61)}", flush=True)
    if pause:
        time.sleep(pause)
