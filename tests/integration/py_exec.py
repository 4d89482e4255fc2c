# Exec inside a sandboxed program (workload (h) of the live sandbox's
# integration tests): python3 fills and hashes memory, then replaces itself
# with execv, and the new image must also be paged.  The output is
# deterministic.
#   python3 py_exec.py PROGRAM ARGS...   work, then execv(PROGRAM, [PROGRAM, ARGS...])
#   python3 py_exec.py --python          work, then execv this python on "--child"
#   python3 py_exec.py --child           work (more of it) and exit
import hashlib
import os
import sys


def work(n, tag):
    """Builds n tuples and a bytearray of 8n bytes, hashes them, prints one line."""
    rows = [(i, i * i % 1000003, "r%d" % (i * 7919 % n)) for i in range(n)]
    buf = bytearray(8 * n)
    for i in range(0, len(buf), 4096):
        buf[i] = (i // 4096) & 0xFF
    h = hashlib.sha256()
    for r in rows[::7]:
        h.update(b"%d,%d,%s;" % (r[0], r[1], r[2].encode()))
    h.update(buf)
    print("%s: %d rows, %d bytes, sha256 %s" % (tag, len(rows), len(buf), h.hexdigest()))


if len(sys.argv) < 2:
    sys.exit("usage: py_exec.py PROGRAM ARGS... | --python | --child")
if sys.argv[1] == "--child":
    work(300_000, "child python")
    sys.exit(0)
work(200_000, "parent python")
sys.stdout.flush()  # buffered output would be lost with the old image
if sys.argv[1] == "--python":
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "--child"])
os.execv(sys.argv[1], sys.argv[1:])
