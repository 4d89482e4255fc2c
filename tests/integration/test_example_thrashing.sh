#!/bin/bash
# examples/thrashing.sh, the walkthrough of docs/thrashing.md, still says
# what the walkthrough shows: thrashing at 16M with a working set of ~6,000
# pages since phase 2 (after about 0.5 s), not thrashing at 32M, and an LRU
# miss-ratio curve that drops to the cold misses between 5,949 and 6,041
# frames.  About 7 s.
# usage: test_example_thrashing.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_require_option --thrash-window 100ms

build=$(cd "$(dirname "$VMS")/.." && pwd)
src=$(cd "$VMS_SRC/../.." && pwd)
TMPDIR=$VMS_TMP "$src/examples/thrashing.sh" "$build" > "$VMS_TMP/example.out" 2>&1
st=$?
sed 's/^/  | /' "$VMS_TMP/example.out"
expect_line() {
	if grep -Eq -- "$1" "$VMS_TMP/example.out"; then
		vms_pass "example: $2"
	else
		vms_fail "example: $2: no line matching '$1'"
	fi
}
[ "$st" = 0 ] && vms_pass "examples/thrashing.sh exits 0" || vms_fail "examples/thrashing.sh exited with $st"
expect_line 'verdict: +thrashing since 0\.[3-9][0-9]? s|verdict: +thrashing since [1-9]' "16M: thrashing, from phase 2 on"
expect_line 'working set ~(5,[4-9]|6,[0-5])[0-9][0-9] pages > 4,096 frames' "16M: a working set of about 6,000 pages"
expect_line 'verdict: +not thrashing: .*, 0 swap-ins/s, 0% of faults refaults' "32M: not thrashing"
expect_line '^ +6041 +60[0-9][0-9] ' "the curve is down to the cold misses at 6,041 frames"
expect_line '^ +5949 +6[0-9]{4} ' "and still thrashing at 5,949"
vms_finish
