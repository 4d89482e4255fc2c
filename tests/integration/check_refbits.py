# Checks the reports of test_refbits.sh: hotcold (tests/progs/hotcold.c)
# under one frame budget with fifo, clock, lru and arc, and clock again with
# --ref-tracking off.  Prints the figures, one "FAIL: ..." line per broken
# expectation, and exits 1 if there was one.
#
# usage: python3 check_refbits.py --frames N --touches T --min-fifo-fraction A
#            --max-vs-fifo B --min-off-vs-fifo C
#            FIFO CLOCK LRU ARC CLOCK_OFF      (report files, in this order)
#
# Every report: the JSON contract of issue 5 (soft_faults.{total, reference,
# tlb, wss}, tlb, wss), frames N, the policy asked for, exit status 0, the
# budget held (peak_resident_frames <= N) and bound (evictions > 0), no TLB
# model and no WSS sampling asked for (tlb and wss null, no tlb or wss soft
# faults).  Then, with S(P) the swap-in faults of policy P:
#   S(fifo) >= A * T              FIFO ignores use: hot pages fall out
#   S(P) < B * S(fifo)            for clock, lru, arc: use is seen
#   soft_faults.reference > 0     for clock, lru, arc (that is how)
#   soft_faults.reference == 0    for fifo and for clock with tracking off
#   S(clock, off) >= C * S(fifo)  without the bits, clock is FIFO again
import argparse
import sys

from jsonload import load_object, num

POLICIES = ("fifo", "clock", "lru", "arc", "clock")
LABELS = ("fifo", "clock", "lru", "arc", "clock --ref-tracking off")


def load(path, label, fails):
    r = load_object(path, "%s: report" % label, fails)
    if r is None:
        return None
    missing = [k for k in ("frames", "policy", "exit_status", "peak_resident_frames", "faults",
                           "evictions", "soft_faults", "tlb", "wss", "swap") if k not in r]
    if missing:
        fails.append("%s: the report lacks %s%s" % (label, ", ".join(missing),
                     " (a vmsandbox without issue 5's report fields?)"
                     if "soft_faults" in missing else ""))
        return None
    for key, sub in (("faults", ("total", "zero_fill", "swap_in")),
                     ("soft_faults", ("total", "reference", "tlb", "wss"))):
        if not isinstance(r[key], dict):
            fails.append("%s: '%s' is not an object" % (label, key))
            return None
        bad = [s for s in sub if not num(r[key].get(s))]
        if bad:
            fails.append("%s: %s lacks a number for %s" % (label, key, ", ".join(bad)))
            return None
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, required=True)
    ap.add_argument("--touches", type=int, required=True)
    ap.add_argument("--min-fifo-fraction", type=float, required=True)
    ap.add_argument("--max-vs-fifo", type=float, required=True)
    ap.add_argument("--min-off-vs-fifo", type=float, required=True)
    ap.add_argument("reports", nargs=5)
    a = ap.parse_args()
    fails = []
    reps = [load(p, l, fails) for p, l in zip(a.reports, LABELS)]
    if fails:
        for f in fails:
            print("FAIL: " + f)
        return 1

    print("%-26s %8s %9s %8s %9s %9s %9s %12s %7s" % ("policy", "faults", "zero-fill", "swap-in",
          "soft/ref", "soft/all", "evictions", "writes_saved", "wall s"))
    for r, pol, label in zip(reps, POLICIES, LABELS):
        f, sf = r["faults"], r["soft_faults"]
        print("%-26s %8s %9s %8s %9s %9s %9s %12s %7s" % (
            label, f["total"], f["zero_fill"], f["swap_in"], sf["reference"], sf["total"],
            r["evictions"], r["swap"].get("writes_saved", "-"), r.get("time", {}).get("wall_s", "-")))
        if r["frames"] != a.frames:
            fails.append("%s: report says frames %s, the run asked for %d" % (label, r["frames"], a.frames))
        if r["policy"] != pol:
            fails.append("%s: report says policy %r" % (label, r["policy"]))
        if r["exit_status"] != 0:
            fails.append("%s: report says exit_status %s" % (label, r["exit_status"]))
        if not num(r["peak_resident_frames"]) or r["peak_resident_frames"] > a.frames:
            fails.append("%s: the budget did not hold: peak_resident_frames %s > %d"
                         % (label, r["peak_resident_frames"], a.frames))
        if not num(r["evictions"]) or r["evictions"] <= 0:
            fails.append("%s: the budget never bound: evictions %s" % (label, r["evictions"]))
        if r["tlb"] is not None or sf["tlb"] != 0:
            fails.append("%s: no --tlb was given, yet tlb is %r and soft_faults.tlb %s"
                         % (label, r["tlb"], sf["tlb"]))
        if r["wss"] is not None or sf["wss"] != 0:
            fails.append("%s: no --wss-interval was given, yet wss is %r and soft_faults.wss %s"
                         % (label, r["wss"], sf["wss"]))
        if sf["reference"] > sf["total"]:
            fails.append("%s: soft_faults.reference %s > soft_faults.total %s"
                         % (label, sf["reference"], sf["total"]))

    fifo, clock, lru, arc, off = reps
    s_fifo = fifo["faults"]["swap_in"]
    need = a.min_fifo_fraction * a.touches
    print("hot re-touches %d; FIFO's swap-ins %d = %.1f%% of them (at least %.0f%% required)"
          % (a.touches, s_fifo, 100.0 * s_fifo / a.touches, 100 * a.min_fifo_fraction))
    if s_fifo < need:
        fails.append("fifo: %d swap-ins, fewer than %.0f (%.0f%% of the %d hot re-touches): "
                     "the workload no longer pushes hot pages out under FIFO"
                     % (s_fifo, need, 100 * a.min_fifo_fraction, a.touches))
    if fifo["soft_faults"]["reference"] != 0:
        fails.append("fifo: soft_faults.reference = %s, expected 0 (FIFO needs no reference bits)"
                     % fifo["soft_faults"]["reference"])
    for r, label in ((clock, "clock"), (lru, "lru"), (arc, "arc")):
        s = r["faults"]["swap_in"]
        ratio = s / s_fifo if s_fifo else float("inf")
        print("%s: %d swap-ins = %.2f%% of FIFO's (below %.0f%% required), %d reference soft faults "
              "(%.0f%% of the hot re-touches)"
              % (label, s, 100 * ratio, 100 * a.max_vs_fifo, r["soft_faults"]["reference"],
                 100.0 * r["soft_faults"]["reference"] / a.touches))
        if not s < a.max_vs_fifo * s_fifo:
            fails.append("%s: %d swap-ins, not below %.0f%% of FIFO's %d: the policy does not see "
                         "the hot pages' use" % (label, s, 100 * a.max_vs_fifo, s_fifo))
        if r["soft_faults"]["reference"] <= 0:
            fails.append("%s: soft_faults.reference = %s, expected > 0 (reference tracking is on "
                         "by default)" % (label, r["soft_faults"]["reference"]))
    s_off = off["faults"]["swap_in"]
    print("clock --ref-tracking off: %d swap-ins = %.1f%% of FIFO's (at least %.0f%% required), "
          "%d reference soft faults" % (s_off, 100.0 * s_off / max(s_fifo, 1), 100 * a.min_off_vs_fifo,
                                         off["soft_faults"]["reference"]))
    if s_off < a.min_off_vs_fifo * s_fifo:
        fails.append("clock --ref-tracking off: %d swap-ins, below %.0f%% of FIFO's %d: without "
                     "reference tracking, clock's bits should carry no information"
                     % (s_off, 100 * a.min_off_vs_fifo, s_fifo))
    if off["soft_faults"]["reference"] != 0:
        fails.append("clock --ref-tracking off: soft_faults.reference = %s, expected 0"
                     % off["soft_faults"]["reference"])
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
