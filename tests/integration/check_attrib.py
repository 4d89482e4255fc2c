# Checks the profile's attribution (profile.regions, profile.code) of a
# live run's report (vmsandbox --profile --report FILE).
#
# usage: python3 check_attrib.py REPORT [CHECKS...]
#   --top-location FUNC FILE:LINE
#        the code location with the most faults is FUNC at FILE:LINE (FILE
#        compared by base name)
#   --location FUNC FILE:LINE MAX_PCT
#        some location is FUNC at FILE:LINE, with at most MAX_PCT % of the
#        faults of the top location
#   --top-region KIND [FUNC FILE:LINE]
#        the region with the most faults is of KIND; with FUNC, its
#        allocation site's first frame outside the C library is FUNC at
#        FILE:LINE
#   --top-stack-through FUNC...
#        the top location's sampled stacks, taken together, pass through
#        every FUNC
#   --thread-stacks N
#        the process with the most regions has exactly N thread_stack rows,
#        labelled "stack of thread 2" .. "stack of thread N+1"
#   --python FILE:LINE
#        some sampled stack has a Python frame at FILE:LINE
# Always: the profile is there; the regions' faults and pages present at
# arrival add up to the run's faults, their evictions to the processes';
# the code locations' faults (with those omitted and those whose pc could
# not be read) add up to the regions' faults, and faults_seen counts every
# fault the locations count (missing, soft, write-protect); stacks were
# sampled; reading the pc failed for at most 1% of the faults.
# Prints "attrib: ..." with the top region and locations on success, one
# "FAIL: ..." line per broken expectation (exit 1) otherwise.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from jsonload import load_object  # noqa: E402

COUNTS = ("faults", "zero_fills", "swap_ins", "evictions", "soft_faults", "wp_faults")


def base(path):
    return os.path.basename(path) if path else path


def where(loc):
    return "%s (%s:%s)" % (loc.get("function"), base(loc.get("file")), loc.get("line"))


def at(loc, func, spec):
    file, line = spec.rsplit(":", 1)
    return loc.get("function") == func and base(loc.get("file")) == file and \
        loc.get("line") == int(line)


def total(rows, key):
    return sum(r.get(key, 0) for r in rows)


def check_consistency(report, prof, fails):
    regions = prof["regions"]
    omitted = prof.get("regions_omitted", {})
    code = prof["code"]
    locs = code["locations"]
    faults = report["faults"]["total"]
    region_faults = total(regions, "faults") + omitted.get("faults", 0)
    adopted = total(regions, "adopted") + omitted.get("adopted", 0)
    if region_faults + adopted != faults:
        fails.append("regions: %d faults + %d adopted pages != the run's %d faults" % (
            region_faults, adopted, faults))
    # A frame shared since a fork leaves every process that maps it: each
    # counts, as in processes[].evictions; the run's figure counts frames.
    ev = total(regions, "evictions") + omitted.get("evictions", 0)
    ev_procs = total(report["processes"], "evictions")
    if ev != ev_procs:
        fails.append("regions: %d evictions != the processes' %d" % (ev, ev_procs))
    for key in COUNTS:
        located = total(locs, key) + code["locations_omitted"].get(key, 0) + \
            code["unlocated"].get(key, 0)
        if key == "evictions":
            # Evictions caused by pages taken over at arrival have no fault.
            if located > report["evictions"]:
                fails.append("code: %d evictions caused by faults > the run's %d" % (
                    located, report["evictions"]))
            continue
        expect = total(regions, key) + omitted.get(key, 0)
        if located != expect:
            fails.append("code: locations count %d %s, regions %d" % (located, key, expect))
    seen = sum(total(locs, k) + code["locations_omitted"].get(k, 0) + code["unlocated"].get(k, 0)
               for k in ("faults", "soft_faults", "wp_faults"))
    if code["faults_seen"] != seen:
        fails.append("code: faults_seen %d != %d counted at locations" % (code["faults_seen"], seen))
    if code["stack_period"] and code["faults_seen"] >= code["stack_period"] and \
            not code["stacks_sampled"]:
        fails.append("code: no stack sampled in %d faults (period %d)" % (
            code["faults_seen"], code["stack_period"]))
    if code["ip_read_failures"] * 100 > code["faults_seen"]:
        fails.append("code: the pc of %d of %d faults could not be read" % (
            code["ip_read_failures"], code["faults_seen"]))


def site_user_frame(site):
    frames = site.get("frames", [])
    i = site.get("first_user_frame", 0)
    return frames[i] if 0 <= i < len(frames) else None


def main():
    fails = []
    if len(sys.argv) < 2:
        print("usage: check_attrib.py REPORT [CHECKS...]", file=sys.stderr)
        return 2
    report = load_object(sys.argv[1], "report", fails)
    prof = report.get("profile") if report else None
    if report and not isinstance(prof, dict):
        fails.append("the report has no profile object")
    if not prof or "regions" not in prof or "code" not in prof:
        if prof:
            fails.append("the profile has no regions or no code")
        for f in fails:
            print("FAIL: " + f)
        return 1
    regions = prof["regions"]
    locs = prof["code"]["locations"]
    check_consistency(report, prof, fails)
    args = sys.argv[2:]
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--top-location":
            func, spec = args[i + 1:i + 3]
            i += 3
            if not locs or not at(locs[0], func, spec):
                fails.append("top code location is %s, not %s at %s" % (
                    where(locs[0]) if locs else "none", func, spec))
        elif a == "--location":
            func, spec, pct = args[i + 1:i + 4]
            i += 4
            found = [x for x in locs if at(x, func, spec)]
            if not found:
                fails.append("no code location %s at %s" % (func, spec))
            elif locs and found[0]["faults"] * 100 > float(pct) * locs[0]["faults"]:
                fails.append("%s has %d faults, more than %s%% of the top's %d" % (
                    where(found[0]), found[0]["faults"], pct, locs[0]["faults"]))
        elif a == "--top-region":
            kind = args[i + 1]
            i += 2
            func = spec = None
            if i + 1 < len(args) and not args[i].startswith("--"):
                func, spec = args[i:i + 2]
                i += 2
            top = regions[0] if regions else {}
            # The heatmap's bands are named by the region they show: the
            # region with the most faults has referenced pages, so a band.
            heat = (prof.get("heatmap") or {}).get("rows") or []
            want = "%s: %s" % (top.get("process"), top.get("label"))
            if top and not any(r.get("label", "").startswith(want) for r in heat):
                fails.append("no heatmap row is labelled %r (first: %r)" % (
                    want, heat[0].get("label") if heat else None))
            if top.get("kind") != kind:
                fails.append("top region is %s (%s), not of kind %s" % (
                    top.get("label"), top.get("kind"), kind))
            elif func:
                f = site_user_frame(top.get("site") or {})
                if not f or not at(f, func, spec):
                    fails.append("top region %s: its site is not %s at %s" % (
                        top.get("label"), func, spec))
        elif a == "--top-stack-through":
            funcs = []
            i += 1
            while i < len(args) and not args[i].startswith("--"):
                funcs.append(args[i])
                i += 1
            names = {f.get("function") for s in (locs[0]["stacks"] if locs else [])
                     for f in s["frames"]}
            for func in funcs:
                if func not in names:
                    fails.append("no sampled stack of %s passes through %s" % (
                        where(locs[0]) if locs else "the top location", func))
        elif a == "--thread-stacks":
            n = int(args[i + 1])
            i += 2
            by_pid = {}
            for r in regions:
                by_pid.setdefault(r["pid"], []).append(r)
            rows = max(by_pid.values(), key=len) if by_pid else []
            labels = sorted(r["label"] for r in rows if r["kind"] == "thread_stack")
            want = sorted("stack of thread %d" % t for t in range(2, n + 2))
            if labels != want:
                fails.append("thread stacks %s, expected %s" % (labels, want))
        elif a == "--python":
            spec = args[i + 1]
            i += 2
            file, line = spec.rsplit(":", 1)
            hits = [s for x in locs for s in x["stacks"] for f in s["frames"]
                    if f.get("python") and base(f.get("file")) == file and
                    f.get("line") == int(line)]
            if not hits:
                fails.append("no sampled stack has the Python frame %s" % spec)
        else:
            print("check_attrib.py: unknown check '%s'" % a, file=sys.stderr)
            return 2
    if fails:
        for f in fails:
            print("FAIL: " + f)
        return 1
    code = prof["code"]
    print("attrib: top region %s: %d faults; top locations %s; %d faults seen, %d stacks "
          "sampled, pc read %.1f us, unwind %.1f us, accounting %.0f ns per reference" % (
              regions[0]["label"] if regions else "none", regions[0]["faults"] if regions else 0,
              ", ".join("%s %d" % (where(x), x["faults"]) for x in locs[:3]),
              code["faults_seen"], code["stacks_sampled"], code["ip_read_us_mean"],
              code["unwind_us_mean"], code["account_ns_mean"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
