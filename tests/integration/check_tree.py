# Checks what a live run's JSON report says about its process tree, after
# check_report.py has checked the budget (lib.sh's vms_check_tree runs it).
#
# usage: python3 check_tree.py REPORT [--summary FILE] [--min-pids N]
#            [--min-at-once N] [--comm NAME]... [--chain NAME,NAME,...]
#            [--unmanaged-command NAME]
#
#   --min-pids N         processes[] names at least N distinct pids: every
#                        fork child was paged as a process of its own
#   --min-at-once N      at least N processes were alive at once: the
#                        report's process_tree.peak_live_processes (a
#                        vmsandbox whose report predates it: the summary's
#                        "processes: T (at most N at once)", FILE, written
#                        by vmsandbox -o); one of them must be there
#   --comm NAME          some process of processes[] ran NAME (its comm)
#   --chain A,B,...      the images of the program's own pid, in the order
#                        processes[] lists them, are exactly A, B, ...: each
#                        exec'ed image was paged in its turn
#   --unmanaged-command NAME
#                        when the report has "unmanaged_processes", NAME is
#                        one of them, with reason "static" (a static program
#                        runs unpaged and the report says so); a report
#                        without that field (older vmsandbox) gets a note
#
# Prints "tree: ..." with the figures, then one "FAIL: ..." line per broken
# expectation (exit 1), or nothing more (exit 0).
import argparse
import json
import os
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--summary")
    ap.add_argument("--min-pids", type=int)
    ap.add_argument("--min-at-once", type=int)
    ap.add_argument("--comm", action="append", default=[])
    ap.add_argument("--chain")
    ap.add_argument("--unmanaged-command")
    a = ap.parse_args()
    fails, notes = [], []
    try:
        with open(a.report) as f:
            r = json.load(f)
    except (OSError, ValueError) as e:
        print("FAIL: report %s: %s" % (a.report, e))
        return 1
    procs = r.get("processes")
    if not isinstance(procs, list) or not all(
            isinstance(p, dict) and isinstance(p.get("pid"), int) and isinstance(p.get("comm"), str)
            for p in procs):
        print("FAIL: the report's 'processes' is not a list of objects with 'pid' and 'comm'")
        return 1

    pids = {p["pid"] for p in procs}
    comms = sorted({p["comm"] for p in procs})
    if a.min_pids is not None and len(pids) < a.min_pids:
        fails.append("processes[] names %d distinct pids, expected at least %d" % (len(pids), a.min_pids))

    # Processes alive at once: the report's field (docs/report.md), else,
    # from a vmsandbox that predates it, the summary's line.
    at_once, source = None, None
    tree = r.get("process_tree")
    if isinstance(tree, dict) and isinstance(tree.get("peak_live_processes"), int):
        at_once, source = tree["peak_live_processes"], "report"
    elif a.summary:
        try:
            with open(a.summary) as f:
                m = re.search(r"^\s*processes:\s+\d+ \(at most (\d+) at once\)", f.read(), re.M)
            if m:
                at_once, source = int(m.group(1)), "summary"
        except OSError as e:
            notes.append("no summary: %s" % e)
    if a.min_at_once is not None:
        if at_once is None:
            fails.append("neither the report (process_tree.peak_live_processes) nor the summary "
                         "says how many processes were alive at once")
        elif at_once < a.min_at_once:
            fails.append("at most %d processes alive at once (%s), expected at least %d"
                         % (at_once, source, a.min_at_once))

    for c in a.comm:
        if c not in comms:
            fails.append("no process of processes[] ran '%s' (comms: %s)" % (c, ", ".join(comms)))

    chain = [p["comm"] for p in procs if p["pid"] == r.get("pid")]
    if a.chain is not None and chain != a.chain.split(","):
        fails.append("the images of pid %s were %s, expected %s"
                     % (r.get("pid"), ",".join(chain) or "none", a.chain))

    unmanaged = None
    if a.unmanaged_command:
        if "unmanaged_processes" not in r:
            notes.append("the report has no 'unmanaged_processes': %s not checked there"
                         % a.unmanaged_command)
        elif not isinstance(r["unmanaged_processes"], list):
            fails.append("'unmanaged_processes' is not a list")
        else:
            entries = [u for u in r["unmanaged_processes"] if isinstance(u, dict)]
            unmanaged = ["%s (%s)" % (u.get("command"), u.get("reason")) for u in entries]
            named = [u for u in entries if isinstance(u.get("command"), str) and
                     os.path.basename(u["command"].split(" ")[0]) == a.unmanaged_command]
            if not named:
                fails.append("'unmanaged_processes' does not list %s (it lists %s)"
                             % (a.unmanaged_command, ", ".join(unmanaged) or "nothing"))
            elif not any(u.get("reason") == "static" for u in named):
                fails.append("'unmanaged_processes' lists %s with reason %s, not 'static'"
                             % (a.unmanaged_command, ", ".join(repr(u.get("reason")) for u in named)))

    print("tree: %d process records, %d pids, %s at once%s; comms %s%s%s"
          % (len(procs), len(pids), "?" if at_once is None else at_once,
             " (%s)" % source if source else "", ", ".join(comms),
             "; chain of pid %s: %s" % (r.get("pid"), ",".join(chain)) if a.chain is not None else "",
             "; unmanaged processes: %s" % ", ".join(unmanaged) if unmanaged is not None else ""))
    for n in notes:
        print("note: " + n)
    for f in fails:
        print("FAIL: " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
