# Checks the allocation_sites section of a live run's report (vmsandbox
# --report FILE) against what the test program is known to allocate.
#
# usage: python3 check_sites.py REPORT [CHECKS...]
#   --native RANK FUNC FILE:LINE MIN_MIB MAX_MIB REGIONS
#        the site ranked RANK (1 = most bytes mapped) is named by its first
#        frame outside the C library: function FUNC at FILE:LINE (FILE
#        compared by base name); it mapped between MIN_MIB and MAX_MIB MiB
#        in REGIONS regions (- for any number)
#   --python FILE:LINE FUNC CALLER MIN_MIB
#        the site that mapped the most has Python frames, the innermost
#        FUNC at FILE:LINE called from CALLER; it mapped at least MIN_MIB
#   --held PCT    the top site still held at least PCT % of what it mapped
#                 when its process ended (resident + swapped pages)
#   --reaches FUNC   every native stack of the top 3 sites reaches FUNC (the
#                    unwinder got through every caller frame)
#   --peeks SOURCE MIN   at least MIN pages were read from SOURCE (swap,
#                        park, ...) while unwinding
#   --evicted     the budget bound: evictions and swap-ins happened
#   --fp-recoveries MIN   at least MIN frame-pointer frames were stepped over
# Always: the section is there, no capture failed, no peek failed.
# Prints "sites: ..." with the top sites on success, one "FAIL: ..." line
# per broken expectation (exit 1) otherwise.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jsonload import load_object, num  # noqa: E402

MIB = 1024 * 1024


def user_frame(site):
    i = site.get("first_user_frame", 0)
    frames = site.get("frames", [])
    return frames[i] if 0 <= i < len(frames) else None


def base(path):
    return os.path.basename(path) if path else path


def describe(site):
    return "%s (%.1f MiB, %d regions, %d pages at exit)" % (
        site.get("location"), site.get("bytes_mapped", 0) / MIB, site.get("regions", 0),
        site.get("pages_held_at_exit", 0))


def check_native(top, args, fails):
    rank, func, where, lo, hi, regions = args
    file, line = where.rsplit(":", 1)
    rank = int(rank)
    if len(top) < rank:
        fails.append("only %d sites, no site ranked %d (%s)" % (len(top), rank, func))
        return
    s = top[rank - 1]
    f = user_frame(s)
    if not f or f.get("function") != func or base(f.get("file")) != file or \
            f.get("line") != int(line):
        fails.append("site %d is %s, not %s at %s:%s" % (
            rank, f and "%s at %s:%s" % (f.get("function"), base(f.get("file")), f.get("line")),
            func, file, line))
    mib = s.get("bytes_mapped", 0) / MIB
    if not float(lo) <= mib <= float(hi):
        fails.append("site %d (%s) mapped %.2f MiB, expected %s-%s" % (rank, func, mib, lo, hi))
    if regions != "-" and s.get("regions") != int(regions):
        fails.append("site %d (%s) has %s regions, expected %s" % (
            rank, func, s.get("regions"), regions))


def check_python(top, args, fails):
    where, func, caller, lo = args
    file, line = where.rsplit(":", 1)
    if not top:
        fails.append("no site at all")
        return
    s = top[0]
    py = s.get("python_frames", [])
    if len(py) < 2:
        fails.append("the top site %s has %d Python frames (note: %s)" % (
            describe(s), len(py), s.get("python_note")))
        return
    got = (base(py[0].get("file")), py[0].get("line"), py[0].get("function"),
           py[1].get("function"))
    if got != (file, int(line), func, caller):
        fails.append("the top site's Python frames are %s:%s %s <- %s, not %s:%s %s <- %s" % (
            got + (file, line, func, caller)))
    if s.get("bytes_mapped", 0) / MIB < float(lo):
        fails.append("the top site mapped %.2f MiB, expected at least %s" % (
            s.get("bytes_mapped", 0) / MIB, lo))


def main():
    if len(sys.argv) < 2:
        print("usage: check_sites.py REPORT [CHECKS...]", file=sys.stderr)
        return 2
    fails = []
    r = load_object(sys.argv[1], "report", fails)
    sec = r.get("allocation_sites") if r else None
    if r and not isinstance(sec, dict):
        fails.append("report lacks 'allocation_sites'")
    if fails:
        for f in fails:
            print("FAIL: " + f)
        return 1
    top = sec.get("top", [])
    if sec.get("capture_failures") != 0:
        fails.append("%s captures failed" % sec.get("capture_failures"))
    peeks = sec.get("peeks", {})
    if peeks.get("failed") != 0:
        fails.append("%s peeks failed" % peeks.get("failed"))
    args = sys.argv[2:]
    while args:
        opt = args.pop(0)
        if opt == "--native":
            check_native(top, args[:6], fails)
            del args[:6]
        elif opt == "--python":
            check_python(top, args[:4], fails)
            del args[:4]
        elif opt == "--held":
            pct = float(args.pop(0))
            if top:
                held = top[0].get("pages_held_at_exit", 0) * 4096
                if held < pct / 100 * top[0].get("bytes_mapped", 0):
                    fails.append("the top site held %.1f MiB at exit of %.1f MiB mapped "
                                 "(expected at least %g%%)" % (
                                     held / MIB, top[0].get("bytes_mapped", 0) / MIB, pct))
        elif opt == "--reaches":
            func = args.pop(0)
            for s in top[:3]:
                if func not in [f.get("function") for f in s.get("frames", [])]:
                    fails.append("the stack of %s does not reach %s: %s" % (
                        describe(s), func, [f.get("function") for f in s.get("frames", [])]))
        elif opt == "--peeks":
            src, lo = args.pop(0), int(args.pop(0))
            if not num(peeks.get(src)) or peeks.get(src) < lo:
                fails.append("%s pages peeked from %s while unwinding, expected at least %d" % (
                    peeks.get(src), src, lo))
        elif opt == "--fp-recoveries":
            lo = int(args.pop(0))
            if sec.get("frame_pointer_recoveries", 0) < lo:
                fails.append("%s frame-pointer recoveries, expected at least %d" % (
                    sec.get("frame_pointer_recoveries"), lo))
        elif opt == "--evicted":
            if not r.get("evictions") or not r.get("faults", {}).get("swap_in"):
                fails.append("the budget never bound (%s evictions, %s swap-ins)" % (
                    r.get("evictions"), r.get("faults", {}).get("swap_in")))
        else:
            print("check_sites.py: unknown check '%s'" % opt, file=sys.stderr)
            return 2
    if fails:
        for f in fails:
            print("FAIL: " + f)
        return 1
    print("sites: %d captures (%.0f us each), peeks %s; top: %s" % (
        sec.get("captures", 0), sec.get("capture_us_mean", 0),
        ", ".join("%s %s" % (k, v) for k, v in peeks.items() if v),
        "; ".join(describe(s) for s in top[:3])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
