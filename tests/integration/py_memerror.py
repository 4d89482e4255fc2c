# python3 meeting --overcommit never: one allocation far above the limit,
# then a list grown until MemoryError; both are caught, the memory is
# released and the program goes on and exits 0.  Prints only lines that do
# not depend on the limit (the test checks the count separately).
import sys

try:
    huge = bytearray(int(sys.argv[1]) << 20)
    print("huge: allocated")
except MemoryError:
    print("huge: MemoryError")

blocks = []
try:
    while True:
        blocks.append(bytes(1 << 16))
except MemoryError:
    got = len(blocks) * 64 // 1024
    blocks = None
    print("grow: MemoryError", file=sys.stdout)
    print("grew", got, "MiB", file=sys.stderr)
print("after: sum", sum(x * x for x in range(100000)))
