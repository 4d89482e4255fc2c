# Checks a live run's JSON report (vmsandbox --report FILE) against what the
# harness knows about the run, and prints its figures on one line.
#
# usage: python3 check_report.py REPORT FRAMES EXIT_STATUS [POLICY]
#
# Prints "figures: ..." on success.  Prints one "FAIL: ..." line per broken
# expectation and exits 1 otherwise.  The expectations:
#   - the report is one JSON object with every field of the contract;
#   - "frames" is the budget asked for and "exit_status" the status the
#     harness saw; "policy" is the one asked for (when one was);
#   - the budget held: peak_resident_frames <= frames;
#   - the budget bound: evictions > 0 and faults.swap_in > 0, i.e. pages
#     really left memory and were read back (a budget the program never
#     reaches tests nothing);
#   - the counters are consistent: faults.total >= zero_fill + swap_in.
import json
import sys

REQUIRED = {
    "program": None,
    "exit_status": None,
    "frames": None,
    "policy": None,
    "peak_resident_frames": None,
    "faults": ("total", "zero_fill", "swap_in"),
    "evictions": None,
    "swap": ("pages_out", "pages_in", "stored_pages", "compressed_bytes"),
    "time": ("wall_s", "in_fault_s"),
    "unmanaged": None,
}


def main():
    if len(sys.argv) not in (4, 5):
        print("usage: check_report.py REPORT FRAMES EXIT_STATUS [POLICY]", file=sys.stderr)
        return 2
    path, frames, status = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    policy = sys.argv[4] if len(sys.argv) == 5 and sys.argv[4] else None
    fails = []
    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        print("FAIL: report %s: %s" % (path, e))
        return 1
    if not isinstance(r, dict):
        print("FAIL: report %s is not a JSON object" % path)
        return 1

    for key, sub in REQUIRED.items():
        if key not in r:
            fails.append("report lacks '%s'" % key)
        elif sub:
            if not isinstance(r[key], dict):
                fails.append("report's '%s' is not an object" % key)
                continue
            fails += ["report lacks '%s.%s'" % (key, s) for s in sub if s not in r[key]]
    if fails:
        for f in fails:
            print("FAIL: " + f)
        return 1

    def num(v):
        return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    faults, swap, tm = r["faults"], r["swap"], r["time"]
    for name, v in (("frames", r["frames"]), ("exit_status", r["exit_status"]),
                    ("peak_resident_frames", r["peak_resident_frames"]),
                    ("evictions", r["evictions"]), ("faults.total", faults["total"]),
                    ("faults.zero_fill", faults["zero_fill"]), ("faults.swap_in", faults["swap_in"])):
        if num(v) is None:
            fails.append("'%s' is not a number: %r" % (name, v))
    if fails:
        for f in fails:
            print("FAIL: " + f)
        return 1

    if r["frames"] != frames:
        fails.append("report says frames %s, the run asked for %d" % (r["frames"], frames))
    if r["exit_status"] != status:
        fails.append("report says exit_status %s, vmsandbox exited with %d" % (r["exit_status"], status))
    if policy is not None and r["policy"] != policy:
        fails.append("report says policy %r, the run asked for %r" % (r["policy"], policy))
    if r["peak_resident_frames"] > frames:
        fails.append("the budget did not hold: peak_resident_frames %s > frames %d"
                     % (r["peak_resident_frames"], frames))
    if r["evictions"] <= 0:
        fails.append("the budget never bound: evictions = %s (expected > 0)" % r["evictions"])
    if faults["swap_in"] <= 0:
        fails.append("the budget never bound: faults.swap_in = %s (expected > 0)" % faults["swap_in"])
    if faults["total"] < faults["zero_fill"] + faults["swap_in"]:
        fails.append("faults.total %s < zero_fill %s + swap_in %s"
                     % (faults["total"], faults["zero_fill"], faults["swap_in"]))

    print("figures: frames %s (peak resident %s), faults %s (zero-fill %s, swap-in %s), "
          "evictions %s, swap out %s in %s, stored %s pages in %s bytes, unmanaged %s, "
          "policy %s, wall %s s, in faults %s s"
          % (r["frames"], r["peak_resident_frames"], faults["total"], faults["zero_fill"],
             faults["swap_in"], r["evictions"], swap.get("pages_out"), swap.get("pages_in"),
             swap.get("stored_pages"), swap.get("compressed_bytes"), r["unmanaged"], r["policy"],
             tm.get("wall_s"), tm.get("in_fault_s")))
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
