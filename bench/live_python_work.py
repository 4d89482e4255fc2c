# SPDX-License-Identifier: MIT
"""The no-pressure workload of bench/live_python.sh.

Builds about 500 MB of ordinary Python heap (a list of ints, a list of str,
a dict of int -> str, a list of bytearrays), walks all of it, and prints the
sizes and one SHA-256 over everything it read.  The output depends only on
the arguments (no str hashing, no set iteration, no time, no addresses), so a
sandboxed run must print exactly what the native run printed.

Usage: python3 live_python_work.py [SCALE]   (SCALE 1.0 is ~500 MB of RSS)
"""
import hashlib
import sys


def main():
    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    n_ints = int(3_000_000 * scale)
    n_strs = int(1_000_000 * scale)
    n_dict = int(800_000 * scale)
    n_bufs = int(2_000 * scale)
    h = hashlib.sha256()

    # Ints beyond the small-int cache: each is its own 28-byte object.
    ints = [i * 7919 + 1_000_003 for i in range(n_ints)]
    # Strings of 40-70 characters, all distinct.
    strs = ["record-%09d:%s" % (i, "abcdefghij"[i % 10] * (30 + i % 31)) for i in range(n_strs)]
    # A dict whose values are new strings (not shared with `strs`).
    table = {i * 3: "v%x-%s" % (i, "xyz" * (i % 17)) for i in range(n_dict)}
    # 50 KB bytearrays with a position-dependent pattern.
    bufs = []
    for i in range(n_bufs):
        b = bytearray(51_200)
        b[::64] = bytes((i + j) & 0xFF for j in range(len(b[::64])))
        bufs.append(b)

    # Walk everything, in an order unlike the allocation order for the dict.
    total = 0
    for v in ints:
        total += v
    h.update(total.to_bytes(16, "little"))
    chars = 0
    for s in strs:
        chars += len(s)
    h.update(chars.to_bytes(8, "little"))
    for s in strs[::1000]:
        h.update(s.encode())
    for k in range(0, 3 * n_dict, 3 * 997):
        h.update(table[k].encode())
    vlen = sum(len(v) for v in table.values())
    h.update(vlen.to_bytes(8, "little"))
    for b in bufs:
        h.update(b[::4096])
        b[100] = (b[100] + 1) & 0xFF
    h.update(bytes(b[100] for b in bufs))

    print("ints=%d sum=%d strs=%d chars=%d dict=%d value_chars=%d bufs=%d"
          % (len(ints), total, len(strs), chars, len(table), vlen, len(bufs)))
    print("sha256=%s" % h.hexdigest())


if __name__ == "__main__":
    main()
