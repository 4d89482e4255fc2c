#!/bin/bash
# Swap store full: the OOM killer must kill the program (the only process)
# with a clear message (which page, which process, why), the report must say
# so, and vmsandbox must exit 137 (128+SIGKILL); never a page of zeros in
# place of data.  8 threads fault at once, so several faults meet the OOM.
# usage: test_swap_full.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
out="$VMS_TMP/stdout" err="$VMS_TMP/stderr" rep="$VMS_TMP/report.json"
# 64 MiB of patterns in 2 MiB of frames with 1 MiB of swap: cannot fit.
# --overcommit always: the default heuristic refuses the 64 MiB mmap at
# once (larger than frames + swap), as the kernel would.
"$VMS" --frames 512 --swap 1M --overcommit always --report "$rep" -- "$PROGS/threads_pattern" --size 64 \
	> "$out" 2> "$err"
status=$?
before=$VMS_FAILS
[ "$status" -eq 137 ] || vms_fail "exit status $status, expected 137"
grep -q "out of memory" "$err" || vms_fail "no 'out of memory' message on stderr"
grep -q "the swap store is full" "$err" || vms_fail "message does not say why"
[ "$(grep -c "killed with SIGKILL" "$err")" = 1 ] || vms_fail "not exactly one OOM kill"
! grep -q "mismatch" "$out" || vms_fail "the program saw wrong data before it was killed"
python3 - "$rep" <<'PY' || vms_fail "report does not record the kill"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["outcome"] == "killed_by_oom", r["outcome"]
assert len(r["oom"]["events"]) == 1, r["oom"]
assert r["oom"]["events"][0]["victim"]["comm"] == "threads_pattern", r["oom"]
assert r["exit_status"] == 137
assert r["swap"]["rejects"] > 0
assert r["peak_resident_frames"] <= 512
PY
[ "$VMS_FAILS" != "$before" ] || vms_pass "swap full: killed with exit 137 and an explanation"
vms_finish
