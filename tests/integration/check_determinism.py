# Checks the runs of test_determinism.sh: the same program run several times
# with `vmsandbox --deterministic --frames F --policy P --trace T_i
# --report R_i`, then `vmsandbox replay` of the first trace.  Prints the
# figures, one "FAIL: ..." line per broken expectation, and exits 1 if there
# was one.  (The traces themselves are compared byte for byte by the shell
# script, with cmp.)
#
# usage: python3 check_determinism.py --frames F --policy P
#            --replay OWN_JSON --replay-all FRAMES:JSON [--replay-all ...]
#            --mrc MRC_JSON REPORT1 REPORT2 [REPORT...]
#
# Requires:
#   - every report: deterministic true, frames F, policy P, exit status 0,
#     the budget held and bound (peak_resident_frames <= F, evictions > 0);
#   - the same counts in every report (COUNTS below): faults by kind,
#     evictions by kind, soft faults by reason, swap pages in and out, TLB
#     accesses and walks (message counts are printed, not compared);
#   - reference soft faults > 0 for a policy that reads reference bits or
#     hits (clock, lru, ...), 0 for fifo and random;
#   - OWN_JSON (replay --frames F --policy P of the first trace): the
#     report's faults.total and evictions, the engine's decisions;
#   - each --replay-all (replay --frames N --policy all): no run stopped out
#     of memory, and OPT's faults <= every other policy's;
#   - MRC_JSON (replay --mrc): faults never rise with more frames, and are
#     the cold misses once every distinct page fits.
import argparse
import sys

from jsonload import load_object, num

# The engine's decisions and the soft faults that fed it.
COUNTS = (
    ("faults", "total"), ("faults", "zero_fill"), ("faults", "swap_in"),
    ("faults", "same_fill"), ("faults", "fault_around_pages"),
    ("evictions",), ("eviction_kinds", "written"), ("eviction_kinds", "clean_drops"),
    ("eviction_kinds", "same_filled"),
    ("soft_faults", "total"), ("soft_faults", "reference"), ("soft_faults", "tlb"),
    ("soft_faults", "soft_unmaps"),
    ("swap", "pages_out"), ("swap", "pages_in"),
    ("peak_resident_frames",),
)
# Messages, printed but not compared: a thread whose wait for its page the
# kernel interrupts faults again, one more message for the same touch, which
# --deterministic keeps away from the engine (docs/design.md).
MESSAGES = (("faults", "write_protect"), ("faults", "already_served"), ("faults", "uffd_messages"))
NO_REFERENCES = ("fifo", "random")


def get(r, path):
    for k in path:
        if not isinstance(r, dict) or k not in r:
            return None
        r = r[k]
    return r


def check_reports(a, reps, fails):
    for i, r in enumerate(reps, 1):
        label = "run %d" % i
        if r.get("deterministic") is not True:
            fails.append("%s: the report says deterministic %r" % (label, r.get("deterministic")))
        if r.get("frames") != a.frames or r.get("policy") != a.policy:
            fails.append("%s: the report says frames %r, policy %r; the run asked for %d, %s"
                         % (label, r.get("frames"), r.get("policy"), a.frames, a.policy))
        if r.get("exit_status") != 0:
            fails.append("%s: exit_status %r" % (label, r.get("exit_status")))
        peak = r.get("peak_resident_frames")
        if not num(peak) or peak > a.frames:
            fails.append("%s: the budget did not hold: peak_resident_frames %r" % (label, peak))
        if not num(r.get("evictions")) or r["evictions"] <= 0:
            fails.append("%s: no memory pressure: evictions %r" % (label, r.get("evictions")))
    print("%-32s %s" % ("count", " ".join("%10s" % ("run %d" % i) for i in range(1, len(reps) + 1))))
    for path in COUNTS + MESSAGES:
        vals = [get(r, path) for r in reps]
        name = ".".join(path)
        print("%-32s %s" % (name, " ".join("%10s" % v for v in vals)))
        if path in MESSAGES:
            continue
        if any(not num(v) for v in vals):
            fails.append("%s: not a number in every report: %s" % (name, vals))
        elif len(set(vals)) != 1:
            fails.append("%s differs between the runs: %s" % (name, ", ".join(map(str, vals))))
    tlb = [get(r, ("tlb",)) for r in reps]
    if any(t is not None for t in tlb):
        for key in ("accesses", "misses", "walks"):
            vals = [get(t, (key,)) for t in tlb]
            print("%-32s %s" % ("tlb." + key, " ".join("%10s" % v for v in vals)))
            if len(set(map(str, vals))) != 1:
                fails.append("tlb.%s differs between the runs: %s" % (key, vals))
    ref = get(reps[0], ("soft_faults", "reference"))
    if num(ref):
        if a.policy in NO_REFERENCES and ref != 0:
            fails.append("%s needs no reference bits, yet soft_faults.reference = %d" % (a.policy, ref))
        if a.policy not in NO_REFERENCES and ref <= 0:
            fails.append("%s: soft_faults.reference = %d, expected > 0 (reference tracking is on)"
                         % (a.policy, ref))


def check_own_replay(a, live, rep, fails):
    if rep is None:
        return
    print("replay --frames %d --policy %s of run 1's trace: faults %s (live %s), evictions %s "
          "(live %s), references %s" % (a.frames, a.policy, rep.get("faults"),
                                        get(live, ("faults", "total")), rep.get("evictions"),
                                        live.get("evictions"), rep.get("references")))
    if rep.get("oom"):
        fails.append("replay of the trace stopped out of memory")
    if rep.get("faults") != get(live, ("faults", "total")):
        fails.append("replay of the trace: %s faults, the live run %s (the trace is not what the "
                     "engine saw)" % (rep.get("faults"), get(live, ("faults", "total"))))
    if rep.get("evictions") != live.get("evictions"):
        fails.append("replay of the trace: %s evictions, the live run %s"
                     % (rep.get("evictions"), live.get("evictions")))


def check_all(frames, rep, fails):
    pols = rep.get("policies") if rep else None
    if not isinstance(pols, list) or not pols:
        fails.append("replay --frames %d --policy all: no 'policies' list" % frames)
        return
    faults = {}
    for p in pols:
        if not isinstance(p, dict) or not num(p.get("faults")):
            fails.append("replay --frames %d --policy all: an entry without faults: %r" % (frames, p))
            return
        if p.get("oom"):
            fails.append("replay --frames %d --policy %s stopped out of memory"
                         % (frames, p.get("policy")))
        faults[p.get("policy")] = p["faults"]
    print("replay --frames %-6d %s" % (frames, "  ".join("%s %d" % kv for kv in faults.items())))
    if "opt" not in faults:
        fails.append("replay --frames %d --policy all: no opt" % frames)
        return
    worse = [p for p, f in faults.items() if f < faults["opt"]]
    if worse:
        fails.append("replay --frames %d: opt has %d faults, more than %s: OPT is the lower bound"
                     % (frames, faults["opt"], ", ".join("%s (%d)" % (p, faults[p]) for p in worse)))


def check_mrc(rep, fails):
    curve = rep.get("mrc") if rep else None
    if not isinstance(curve, list) or not curve:
        fails.append("replay --mrc: no 'mrc' list")
        return
    pts = [(c.get("frames"), c.get("faults")) for c in curve]
    if any(not num(f) or not num(n) for f, n in pts):
        fails.append("replay --mrc: a point without numbers")
        return
    rises = [(pts[i], pts[i + 1]) for i in range(len(pts) - 1) if pts[i + 1][1] > pts[i][1]]
    if rises:
        fails.append("replay --mrc: faults rise with more frames: %s -> %s" % rises[0])
    distinct, cold = rep.get("distinct_pages"), rep.get("cold_misses")
    tail = [n for f, n in pts if num(distinct) and f >= distinct]
    print("miss-ratio curve: %d points, %d faults at %d frames, %d at %d frames; %s distinct pages, "
          "%s cold misses" % (len(pts), pts[0][1], pts[0][0], pts[-1][1], pts[-1][0], distinct, cold))
    if tail and any(n != cold for n in tail):
        fails.append("replay --mrc: %s faults with every distinct page resident, not the %s cold "
                     "misses" % (tail, cold))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--replay", required=True)
    ap.add_argument("--replay-all", action="append", default=[])
    ap.add_argument("--mrc", required=True)
    ap.add_argument("reports", nargs="+")
    a = ap.parse_args()
    fails = []
    reps = [load_object(p, "report", fails) for p in a.reports]
    if len(reps) < 2:
        fails.append("need two reports or more")
    if fails or None in reps:
        for f in fails:
            print("FAIL: " + f)
        return 1
    check_reports(a, reps, fails)
    check_own_replay(a, reps[0], load_object(a.replay, "replay output", fails), fails)
    for spec in a.replay_all:
        frames, _, path = spec.partition(":")
        check_all(int(frames), load_object(path, "replay output", fails), fails)
    check_mrc(load_object(a.mrc, "replay --mrc output", fails), fails)
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
