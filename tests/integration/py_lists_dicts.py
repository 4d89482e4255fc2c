# Workload (a) of the live sandbox's integration tests: python3 building,
# sorting and hashing large lists and dicts.  The output is a function of N
# only (no set iteration, no id(), no hash() of str), so native and sandboxed
# runs must print the same bytes.  usage: python3 py_lists_dicts.py [N]
#
# Under a budget of ~15% of the peak, most passes below are sweeps over the
# heap in allocation order (building, hashing in insertion order, the cyclic
# GC's full collections), and the random phases are bounded: N/8 dict
# lookups, and sorts of objects that fit in the budget.  A sort that compares
# objects spread over the whole heap would fault on nearly every comparison.
import hashlib
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
P = 4294967291  # a prime below 2**32

xs = [(i * 2654435761) % P for i in range(n)]
print("ints", n, sum(xs) % P, max(xs))

keys = ["k%08x-%03d" % (x, i % 997) for i, x in enumerate(xs)]
d = {k: (x, i) for i, (k, x) in enumerate(zip(keys, xs))}
print("dict", len(d), hashlib.sha256("".join(keys[::97]).encode()).hexdigest())

# Random access all over the heap: an eighth of the keys, in a scattered order.
acc = 0
for j in range(n // 8):
    x, i = d[keys[(j * 7919) % n]]
    acc = (acc * 31 + x + i) % P
print("lookups", acc)

# Every item in insertion order.
h = hashlib.sha256()
for k, (x, i) in d.items():
    h.update(b"%s=%d,%d;" % (k.encode(), x, i))
print("items", len(d), h.hexdigest())

# Sorting the ints (about a tenth of the heap).
s = sorted(xs)
print("sorted", s[0], s[n // 2], s[-1], hashlib.sha256(repr(s[::101]).encode()).hexdigest())
del s

# Lists of lists, grown, reversed, and half of them dropped.
rows = [[x, x >> 3, str(x)] for x in xs[: n // 2]]
rows.reverse()
del rows[::2]
h = hashlib.sha256()
for r in rows:
    h.update(r[2].encode())
print("rows", len(rows), sum(r[1] for r in rows) % P, h.hexdigest())
