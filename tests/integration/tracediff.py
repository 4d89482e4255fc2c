# Compares binary traces (docs/trace-format.md) event by event and names the
# first event where the second (third, ...) differs from the first, with the
# events around it, for a failure message that says more than cmp's byte
# offset.  Exit status: 0 all identical (as events), 1 a difference, 2 an
# unreadable trace.
#
# usage: python3 tracediff.py [--context N] TRACE1 TRACE2 [TRACE...]
#        python3 tracediff.py --dump TRACE     (every event, one per line)
import argparse
import sys

KINDS = {0x84: "map", 0x85: "unmap", 0x86: "remap", 0x87: "fork", 0x88: "exec",
         0x89: "exit"}
VPN_MAX = (1 << 36) - 1
MASK64 = (1 << 64) - 1


class Corrupt(Exception):
    pass


def unzigzag(u):
    return (u >> 1) ^ -(u & 1)


def events(data):
    """Yields (offset, pid, tid, time, kind, fields) for every event."""
    if data[:8] != b"VMSTRACE":
        raise Corrupt("no VMSTRACE magic")
    if data[8] != 1:
        raise Corrupt("format version %d.%d" % (data[8], data[9]))
    pos = int.from_bytes(data[10:12], "little")
    pid, tid, time = 1, 0, 0
    last = {}

    def varint():
        nonlocal pos
        v, shift = 0, 0
        while True:
            if pos >= len(data):
                raise Corrupt("truncated at byte %d" % pos)
            b = data[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7
            if shift > 63:
                raise Corrupt("varint too long at byte %d" % pos)

    while pos < len(data):
        off, tag = pos, data[pos]
        pos += 1
        if tag < 0x80:
            d = tag & 0x1F
            delta = unzigzag(varint()) if d == 31 else unzigzag(d)
            if tag & 0x20:
                time = (time + varint()) & MASK64
            vpn = (last.get(pid, 0) + delta) & MASK64
            if vpn > VPN_MAX:
                raise Corrupt("page beyond the maximum at byte %d" % off)
            last[pid] = vpn
            yield off, pid, tid, time, "W" if tag & 0x40 else "R", (hex(vpn),)
        elif tag == 0x80:
            varint()
            return
        elif tag == 0x81:
            pid = varint()
        elif tag == 0x82:
            tid = varint()
        elif tag == 0x83:
            time = (time + unzigzag(varint())) & MASK64
        elif tag in (0x84, 0x85):
            yield off, pid, tid, time, KINDS[tag], (hex(varint()), varint())
        elif tag == 0x86:
            yield off, pid, tid, time, "remap", (hex(varint()), varint(), hex(varint()))
        elif tag == 0x87:
            child = varint()
            last[child] = last.get(pid, 0)
            yield off, pid, tid, time, "fork", (child,)
        elif tag in (0x88, 0x89):
            if tag == 0x89:
                last.pop(pid, None)
            yield off, pid, tid, time, KINDS[tag], ()
        elif tag == 0xC0:
            n = varint()
            end = pos + n
            vpn, nr = varint(), varint()
            if pos != end:
                raise Corrupt("populate record of the wrong length at byte %d" % off)
            yield off, pid, tid, time, "populate", (hex(vpn), nr)
        elif tag >= 0xC1:
            pos += varint()
        else:
            raise Corrupt("reserved tag 0x%02x at byte %d" % (tag, off))
    raise Corrupt("missing end record")


def show(ev):
    off, pid, tid, time, kind, fields = ev
    return "byte %d: pid %d tid %d time %d %s %s" % (off, pid, tid, time, kind,
                                                   " ".join(str(f) for f in fields))


def load(path):
    try:
        with open(path, "rb") as f:
            return list(events(f.read()))
    except (OSError, Corrupt) as e:
        print("%s: %s" % (path, e))
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--context", type=int, default=3)
    ap.add_argument("--dump", action="store_true")
    ap.add_argument("traces", nargs="+")
    a = ap.parse_args()
    if a.dump:
        evs = load(a.traces[0])
        if evs is None:
            return 2
        for i, ev in enumerate(evs):
            print("%d %s" % (i, show(ev)))
        return 0
    if len(a.traces) < 2:
        ap.error("give two traces or more")
    first = load(a.traces[0])
    if first is None:
        return 2
    status = 0
    for path in a.traces[1:]:
        other = load(path)
        if other is None:
            return 2
        key = [e[1:] for e in first]
        okey = [e[1:] for e in other]
        if key == okey:
            print("%s: the same %d events as %s" % (path, len(other), a.traces[0]))
            continue
        status = 1
        i = next((k for k in range(min(len(key), len(okey))) if key[k] != okey[k]),
                 min(len(key), len(okey)))
        print("%s: differs from %s at event %d (of %d and %d events)"
              % (path, a.traces[0], i, len(first), len(other)))
        lo = max(0, i - a.context)
        for name, evs in ((a.traces[0], first), (path, other)):
            print("  %s:" % name)
            for k in range(lo, min(len(evs), i + a.context + 1)):
                print("  %s %d %s" % ("->" if k == i else "  ", k, show(evs[k])))
    return status


if __name__ == "__main__":
    sys.exit(main())
