#!/bin/bash
# Issue 7's acceptance: the miss-ratio curve of ONE profiled run predicts
# live runs at other budgets.  randwalk (tests/progs/randwalk.c: a seeded
# random walk with locality over 4,096 pages, reads and writes, the same
# reference string every run) is profiled once without a budget; then run
# under LRU at 5 budgets from a quarter of its pages to three quarters,
# each with --fault-around off (the curve counts every first touch as a
# fault, as a kernel without fault-around would).  Each live run's faults
# must be within 2% of the curve's value at its budget; every output is
# compared with the native run's.  Measured: 0.03-0.9% off at 1,024-3,072
# frames (with fault-around on, runs take up to 2,868 fewer faults: the
# pages it mapped ahead).
#
# Also wsloop (4,096 pages swept 10 times): a cyclic sweep has LRU's
# sharpest knee, at its size; the profile must put it within the window
# (64 pages) of 4,096 frames, with the run under a budget of 2,048 frames
# (the curve is the same whatever the run's own budget).
# usage: test_profile_mrc.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_require_option --profile

prog=("$PROGS/randwalk" --pages 4096 --steps 200000)
vms_native randwalk -- "${prog[@]}" || vms_finish
vms_live profile randwalk --profile -- "${prog[@]}" || vms_finish
lives=()
for k in 1024 1632 2048 2593 3072; do
	vms_live "lru_$k" randwalk --policy lru --frames "$k" --fault-around off -- "${prog[@]}" &&
		lives+=("$VMS_TMP/lru_$k/report.json")
done
if python3 "$VMS_SRC/check_profile_mrc.py" "$VMS_TMP/profile/report.json" "${lives[@]}" \
	> "$VMS_TMP/check.out"; then
	sed 's/^/  /' "$VMS_TMP/check.out"
	[ "${#lives[@]}" = 5 ] && vms_pass "one profiled run predicts LRU at 5 budgets within 2%"
else
	cat "$VMS_TMP/check.out"
	vms_fail "the profile's curve does not predict the live runs"
fi

W=4096
ws=("$PROGS/wsloop" --pages "$W" --passes 4)
vms_native wsloop -- "${ws[@]}" || vms_finish
if vms_live ws_profile wsloop --profile --frames $((W / 2)) -- "${ws[@]}"; then
	if python3 "$VMS_SRC/check_profile_mrc.py" --knee $((W - 64)) $((W + 64)) \
		"$VMS_TMP/ws_profile/report.json" > "$VMS_TMP/ws.out"; then
		sed 's/^/  /' "$VMS_TMP/ws.out"
		vms_pass "a cyclic sweep of $W pages has its knee at $W frames"
	else
		cat "$VMS_TMP/ws.out"
		vms_fail "wsloop's knee"
	fi
fi
vms_finish
