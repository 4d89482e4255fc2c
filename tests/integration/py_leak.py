# A python3 program that leaks: grow() keeps every string it makes, so the
# interpreter maps arena after arena (1 MiB mmaps) from the line that
# carries the SITE marker; tests/integration/test_sites.sh checks that the
# report names that file, function and line.  Prints the count and total length, which
# are deterministic, and leaves with os._exit: a normal exit frees every
# arena first, and the test wants the leak still held when the process ends.
# usage: py_leak.py N
import os
import sys


def grow(n):
    kept = []
    for i in range(n):
        kept.append("item %09d " % i * 4)  # SITE: grow
    return kept


def main():
    kept = grow(int(sys.argv[1]))
    print(len(kept), sum(len(s) for s in kept), flush=True)
    os._exit(0)


if __name__ == "__main__":
    main()
