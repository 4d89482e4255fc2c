#!/bin/bash
# The thrashing verdict (issue 6): budgets on either side of the working set
# flip it.
#
# wsloop (tests/progs/wsloop.c) writes W = 4,096 pages, then sweeps them in
# address order P = 10 times.  Under clock (the default policy) a cyclic
# sweep of more pages than frames evicts every page just before the sweep
# comes back to it: every visit after the first sweep is a refault at
# distance W - F, the textbook thrashing program.  With more frames than
# the program's pages nothing is evicted after the first touches.
#
# Runs, each compared with the native run's output:
#   F = W/2 (2,048) and W - W/8 (3,584): thrashing, with a working set
#     estimate of W, since the second sweep (within the first half of the
#     run), almost every revisit a refault; the summary's verdict line;
#   F = W + W/8 (4,608) and 2W (8,192): not thrashing, no eviction at all;
#   F = W/2 with --thrash-window 5000refs: the same verdict in windows of
#     virtual time, which end on multiples of 5,000 references.
# check_thrash.py checks each report: also that the windows add up to the
# report's totals.
#
# On a loaded machine: the thrashing runs measured 34-78% of wall time
# waiting on faults idle and 55-68% with two busy loops on the 2 CPUs
# (the rule wants 20%), and only one stretch of 3 windows is needed; the
# runs that fit have no refault at all, whatever the timing.
# usage: test_thrash.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_require_option --thrash-window 100ms

W=4096 P=10
prog=("$PROGS/wsloop" --pages "$W" --passes "$P")
vms_native wsloop -- "${prog[@]}" || vms_finish

# thrash_case NAME FRAMES EXPECT [VMSANDBOX OPTIONS]
thrash_case() {
	local name=$1 frames=$2 expect=$3 check cst refs=0
	shift 3
	[ "${1:-}" = --thrash-window ] && refs=${2%refs}
	vms_live "$name" wsloop --frames "$frames" -o "$VMS_TMP/$name.summary" "$@" -- "${prog[@]}" ||
		return
	check=$(python3 "$VMS_SRC/check_thrash.py" --expect "$expect" --pages $W --passes $P \
		--frames "$frames" --window-refs "$refs" --summary "$VMS_TMP/$name.summary" \
		"$VMS_TMP/$name/report.json")
	cst=$?
	echo "$check" | grep -v '^FAIL: ' | sed 's/^/  /'
	grep '^  verdict:' "$VMS_TMP/$name.summary" | sed 's/^/  |/'
	if [ "$cst" = 0 ]; then
		vms_pass "$name: $frames frames for $W pages: $expect"
	else
		echo "$check" | grep '^FAIL: '
		echo "$check" | grep -q '^FAIL: ' || echo "FAIL: check_thrash.py exited with $cst"
		VMS_FAILS=$((VMS_FAILS + 1))
	fi
}

thrash_case thrash_half $((W / 2)) thrashing
thrash_case thrash_under $((W - W / 8)) thrashing
thrash_case fits_over $((W + W / 8)) not_thrashing
thrash_case fits_double $((W * 2)) not_thrashing
thrash_case thrash_refs $((W / 2)) thrashing --thrash-window 5000refs
vms_finish
