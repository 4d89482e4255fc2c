#!/bin/bash
# Swap store full: the program must be killed with a clear message (which
# page, which process, why), the report must say so, and vmsandbox must exit
# 137 (128+SIGKILL); never a page of zeros in place of data.
# usage: test_swap_full.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
out="$VMS_TMP/stdout" err="$VMS_TMP/stderr" rep="$VMS_TMP/report.json"
# 64 MiB of patterns in 2 MiB of frames with 1 MiB of swap: cannot fit.
"$VMS" --frames 512 --swap 1M --report "$rep" -- "$PROGS/threads_pattern" --size 64 \
	> "$out" 2> "$err"
status=$?
before=$VMS_FAILS
[ "$status" -eq 137 ] || vms_fail "exit status $status, expected 137"
grep -q "out of swap" "$err" || vms_fail "no 'out of swap' message on stderr"
grep -q "killed rather than given a page of zeros" "$err" || vms_fail "message does not say why"
! grep -q "mismatch" "$out" || vms_fail "the program saw wrong data before it was killed"
python3 - "$rep" <<'PY' || vms_fail "report does not record the kill"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "killed_by_vmsandbox", r["outcome"]
assert "out of swap" in r["error"], r["error"]
assert r["exit_status"] == 137
assert r["swap"]["rejects"] > 0
assert r["peak_resident_frames"] <= 512
PY
[ "$VMS_FAILS" != "$before" ] || vms_pass "swap full: killed with exit 137 and an explanation"
vms_finish
