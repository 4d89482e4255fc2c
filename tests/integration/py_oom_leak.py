# A python3 program that leaks: grow() keeps 1 MiB blocks of random bytes
# (which do not compress) in a list it never empties, printing the total in
# MiB after each block.  Under a budget with a bounded swap, vmsandbox's OOM
# killer stops it; its report names grow() and the line of the allocation
# (PY_LEAK_LINE, which the test reads).
import os
import sys


def grow(blocks):
    blocks.append(bytearray(os.urandom(1 << 20)))  # PY_LEAK_LINE


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    blocks = []
    while not limit or len(blocks) < limit:
        grow(blocks)
        print("leaked", len(blocks), "MiB", flush=True)
    print("done")


main()
