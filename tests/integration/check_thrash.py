#!/usr/bin/env python3
"""Checks the thrashing verdict of one wsloop run (test_thrash.sh).

usage: check_thrash.py --expect thrashing|not_thrashing --pages W --passes P
                       --frames F [--window-refs N] [--summary FILE] REPORT

wsloop sweeps W pages P times.  With F < W frames under an LRU-like order
every visit after the first sweep is a refault at distance W - F; with more
frames than the program's pages nothing is ever evicted.  Checked:
  - the verdict, since_s, and the summary's verdict line (if given);
  - the windows add up to the report's totals (faults, swap-ins,
    evictions), follow each other without gaps, and have fractions in
    [0, 1] and resident frames within the budget;
  - thrashing: almost every visit after the first sweep was a swap-in and
    a refault, and the working set estimate is W (within 10%);
  - not thrashing (more frames than pages): no eviction, no refault, no
    working set estimate.
Prints the figures; every failure on a line starting with FAIL:.
"""
import argparse
import re
import sys

from jsonload import load_object, num


def check(args, r, fails):
    t = r.get("thrashing")
    if not isinstance(t, dict):
        fails.append("the report has no thrashing object")
        return
    wall = r["time"]["wall_s"]
    win = t.get("windows") or []
    print("verdict %s since %s: stall %.2f, %.0f faults/s, %.0f swap-ins/s, refaults %.3f, "
          "working set %s, %d windows of %s %s (run %.2f s)" % (
              t["verdict"], t["since_s"], t["stall_fraction"], t["fault_rate"],
              t["swapin_rate"], t["refault_fraction"], t["working_set_pages"], len(win),
              t["window"], t["window_unit"], wall))
    if t["verdict"] != args.expect:
        fails.append("verdict %s, expected %s" % (t["verdict"], args.expect))
    if t["frames"] != args.frames:
        fails.append("thrashing.frames %s, expected %d" % (t["frames"], args.frames))

    # The windows add up to the run's totals and tile it.
    if not win:
        fails.append("no windows")
        return
    sums = {k: sum(w[k] for w in win) for k in ("faults", "swap_ins", "evictions", "refaults")}
    for key, total in (("faults", r["faults"]["total"]), ("swap_ins", r["faults"]["swap_in"]),
                       ("evictions", r["evictions"])):
        if sums[key] != total:
            fails.append("windows' %s add up to %d, the report says %d" % (key, sums[key], total))
    if sums["refaults"] > r["faults"]["swap_in"] + r["faults"]["same_fill"]:
        fails.append("%d refaults but only %d swap-ins and same-fills" % (
            sums["refaults"], r["faults"]["swap_in"] + r["faults"]["same_fill"]))
    # The verdict's figures leave out at most a short last window.
    if not sums["refaults"] - win[-1]["refaults"] <= t["run"]["refaults"] <= sums["refaults"]:
        fails.append("run.refaults %d does not match the windows' %d" % (t["run"]["refaults"],
                                                                          sums["refaults"]))
    end = 0.0
    for i, w in enumerate(win):
        # Times are printed with 6 significant digits.
        if abs(w["t_s"] - end) > max(1e-3, 1e-5 * end):
            fails.append("window %d starts at %s, the previous one ended at %s" % (i, w["t_s"], end))
            break
        end = w["t_s"] + w["dur_s"]
        if not (num(w["stall_fraction"]) and 0 <= w["stall_fraction"] <= 1):
            fails.append("window %d: stall_fraction %s" % (i, w["stall_fraction"]))
        if w["resident"] > args.frames:
            fails.append("window %d: %d resident frames > %d" % (i, w["resident"], args.frames))
        if w["refaults"] > w["faults"]:
            fails.append("window %d: more refaults than faults" % i)
        if args.window_refs and i < len(win) - 1 and w["references_at_end"] % args.window_refs:
            fails.append("window %d ends at reference %d, not a multiple of %d" % (
                i, w["references_at_end"], args.window_refs))
    if abs(end - wall) > 0.01:
        fails.append("the windows end at %.3f s, the run at %.3f s" % (end, wall))
    if args.window_refs and (t["window_unit"] != "references" or t["window"] != args.window_refs):
        fails.append("window %s %s, expected %d references" % (t["window"], t["window_unit"],
                                                               args.window_refs))

    revisits = (args.passes - 1) * args.pages
    if args.expect == "thrashing":
        if not num(t["since_s"]) or not 0 <= t["since_s"] < wall / 2:
            fails.append("since_s %s: not in the first half of a %.2f s run" % (t["since_s"], wall))
        if r["faults"]["swap_in"] < 0.9 * revisits:
            fails.append("%d swap-ins: fewer than 90%% of the %d revisits" % (
                r["faults"]["swap_in"], revisits))
        if sums["refaults"] < 0.9 * revisits:
            fails.append("%d refaults: fewer than 90%% of the %d revisits" % (sums["refaults"], revisits))
        if t["refault_fraction"] < 0.9:
            fails.append("refault_fraction %.3f < 0.9 in the thrashing windows" % t["refault_fraction"])
        if t["stall_fraction"] < t["rule"]["min_stall_fraction"]:
            fails.append("stall_fraction %.3f below the rule's %.2f" % (
                t["stall_fraction"], t["rule"]["min_stall_fraction"]))
        ws = t["working_set_pages"]
        if not num(ws) or abs(ws - args.pages) > 0.1 * args.pages:
            fails.append("working set estimate %s, not %d pages within 10%%" % (ws, args.pages))
        if t["thrashing_windows"]["windows"] < t["rule"]["min_windows"]:
            fails.append("%d thrashing windows, fewer than the rule's %d" % (
                t["thrashing_windows"]["windows"], t["rule"]["min_windows"]))
    else:
        if t["since_s"] is not None:
            fails.append("since_s %s for a run that did not thrash" % t["since_s"])
        if args.frames > args.pages:
            if r["evictions"] or sums["refaults"] or t["working_set_pages"] is not None:
                fails.append("%d evictions, %d refaults, working set %s with more frames than pages" % (
                    r["evictions"], sums["refaults"], t["working_set_pages"]))

    if args.summary:
        try:
            with open(args.summary) as f:
                line = [l for l in f if l.strip().startswith("verdict:")]
        except OSError as e:
            fails.append("summary %s: %s" % (args.summary, e))
            return
        want = r"verdict: +thrashing since \d+\.\d\d s" if args.expect == "thrashing" \
            else r"verdict: +not thrashing: \d+% of wall time waiting on faults"
        if len(line) != 1 or not re.search(want, line[0]):
            fails.append("summary verdict line %r does not match %r" % (line, want))
        elif args.expect == "thrashing" and not re.search(r"working set ~[\d,]+ pages > [\d,]+ frames", line[0]):
            fails.append("summary verdict line %r gives no working set above the budget" % line[0])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--expect", choices=("thrashing", "not_thrashing"), required=True)
    ap.add_argument("--pages", type=int, required=True)
    ap.add_argument("--passes", type=int, required=True)
    ap.add_argument("--frames", type=int, required=True)
    ap.add_argument("--window-refs", type=int, default=0)
    ap.add_argument("--summary")
    ap.add_argument("report")
    args = ap.parse_args()
    fails = []
    r = load_object(args.report, "report", fails)
    if r is not None:
        check(args, r, fails)
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
