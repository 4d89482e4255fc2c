# python3 multiprocessing with the fork start method after the parent's data
# has been evicted (workload of test_tree.sh mp_fork): the parent builds N
# int objects in a list and a bytearray of N * 8 bytes (about 100 MB for
# N = 2,000,000), then starts CHILDREN processes with
# multiprocessing.get_context('fork'); each child reads all of the parent's
# data (reading python objects writes their reference counts: every page it
# touches is copied on write) and sends its checksums back through a pipe.
# The parent prints them in order and its own, and checks every exit code.
# The output is a function of the arguments.
# usage: python3 py_mp_fork.py N CHILDREN
import hashlib
import multiprocessing
import sys

n = int(sys.argv[1])
nr_children = int(sys.argv[2])
data = [i * 2654435761 % 1000003 + 1000000 for i in range(n)]
blob = bytearray(8 * n)
for i in range(0, len(blob), 512):
    blob[i] = (i // 512 * 131) & 0xFF


def checksums(k):
    """Child k's view of the parent's data: a sum and a digest over all of it."""
    s = k
    for v in data:
        s = (s * 31 + v) % (1 << 61)
    digest = hashlib.sha256(memoryview(blob)[k:]).hexdigest()
    return "child %d: sum %d, sha256 %s" % (k, s, digest)


def child(k, conn):
    conn.send(checksums(k))
    conn.close()


ctx = multiprocessing.get_context("fork")
procs = []
for k in range(nr_children):
    parent_end, child_end = ctx.Pipe(duplex=False)
    p = ctx.Process(target=child, args=(k, child_end))
    p.start()
    child_end.close()
    procs.append((p, parent_end))
for k, (p, conn) in enumerate(procs):
    print(conn.recv(), flush=True)
    p.join()
    if p.exitcode != 0:
        sys.exit("child %d exited with %s" % (k, p.exitcode))
print("parent: %d ints, %d bytes, sum %d" % (len(data), len(blob), sum(data)))
