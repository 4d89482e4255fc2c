#!/bin/sh
# Diagnosing thrashing, in one command (docs/thrashing.md walks through it):
#
#   examples/thrashing.sh [BUILD_DIR]      (default: build; as root)
#
# runs examples/sweep.c (working set 2,000 pages, then 6,000 for a while,
# then 2,000 again) under vmsandbox with 16 MiB (4,096 frames) and with
# 32 MiB, prints each run's verdict, the windows of the first run, and the
# LRU miss-ratio curve of a trace of it around the budget where the
# thrashing stops.  Its files are left in a temporary directory it names.
set -eu
build=${1:-build}
vms=$build/tools/vmsandbox
sweep=$build/examples/sweep
if [ ! -x "$vms" ] || [ ! -x "$sweep" ]; then
	echo "thrashing.sh: $vms or $sweep is missing: build first (scripts/build.sh)" >&2
	exit 2
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/vmsandbox-thrashing.XXXXXX")

echo "== natively"
"$sweep"

for mem in 16M 32M; do
	echo
	echo "== vmsandbox --memory $mem $sweep"
	"$vms" --memory "$mem" --report "$out/sweep-$mem.json" -o "$out/sweep-$mem.txt" "$sweep"
	grep -E '^vmsandbox:|^  (budget|faults|verdict):' "$out/sweep-$mem.txt"
done

echo
echo "== the windows of the 16M run ($out/sweep-16M.json)"
python3 - "$out/sweep-16M.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["thrashing"]
print("   t_s  faults  swap_ins  refaults  stall  resident  working_set  thrashing")
for w in t["windows"]:
    print("%6.2f  %6d  %8d  %8d  %4.0f%%  %8d  %11s  %s" % (
        w["t_s"], w["faults"], w["swap_ins"], w["refaults"], 100 * w["stall_fraction"],
        w["resident"], w["working_set_pages"] or "-", "yes" if w["thrashing"] else ""))
EOF

echo
echo "== where it stops: the LRU miss-ratio curve of a trace of the 16M run"
"$vms" --memory 16M --trace "$out/sweep.trace" --quiet "$sweep" > /dev/null
"$vms" replay --mrc --mrc-max 8192 "$out/sweep.trace" |
	awk 'NR <= 3 || ($1 ~ /^[0-9]+$/ && $1 >= 5500 && $1 <= 6500)'
echo
echo "(files in $out)"
