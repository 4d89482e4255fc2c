#!/bin/bash
# Tests the integration harness (lib.sh, check_report.py, test_kill.sh)
# against fake_vmsandbox.sh, which runs programs natively and lies in chosen
# ways: the harness must pass an honest run and fail every lie (changed
# output, changed output file, wrong exit status, a budget that never bound
# or did not hold, a missing or broken report), skip when vmsandbox has no
# live sandbox, and the kill test must fail when the program outlives
# vmsandbox; and check_tree.py must pass and fail made-up reports of process
# trees as it should.  Needs no root and no pager.
# usage: selftest_harness.sh FAKE_VMSANDBOX PROGS_DIR
set -u
FAKE=$1
PROGS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
export VMS_HARNESS_SELFTEST=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0

# A small run through vms_compare: stdout, an output file, stdin.
cat > "$tmp/mini.sh" <<MINI
#!/bin/bash
. "$HERE/lib.sh"
vms_setup "\$@"
printf 'b\na\nc\n' > "\$VMS_TMP/in.txt"
vms_compare mini 100 --native-rss 1000 -- "$PROGS/threads_pattern" --size 4 --threads 2 --passes 2
vms_compare mini_file 100 --policy lru --file out.txt -- sort -o @RUN@/out.txt "\$VMS_TMP/in.txt"
vms_finish
MINI

# expect MODE STATUS PATTERN [SCRIPT ARGS...]: FAKE_MODE=MODE must give STATUS
# and an output matching PATTERN.
expect() {
	local mode=$1 want=$2 pat=$3
	shift 3
	FAKE_MODE=$mode "$@" > "$tmp/out" 2>&1
	local got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: fake mode '$mode': status $got, expected $want"
		sed 's/^/  | /' "$tmp/out" | tail -n 20
		fails=$((fails + 1))
	elif ! grep -q -- "$pat" "$tmp/out"; then
		echo "FAIL: fake mode '$mode': output lacks '$pat'"
		sed 's/^/  | /' "$tmp/out" | tail -n 20
		fails=$((fails + 1))
	else
		echo "ok: fake mode '$mode': status $got, '$pat'"
		passes=$((passes + 1))
	fi
}

mini=(bash "$tmp/mini.sh" "$FAKE" "$PROGS")
expect good 0 "2 passed, 0 failed" "${mini[@]}"
expect good 0 "report: frames 100 (peak resident 100), faults 10" "${mini[@]}"
expect corrupt 1 "FAIL: mini: stdout differs" "${mini[@]}"
expect corruptfile 1 "FAIL: mini_file: output file out.txt differs" "${mini[@]}"
expect status 1 "FAIL: mini: exit status 1 under vmsandbox, 0 natively" "${mini[@]}"
expect noevict 1 "the budget never bound: evictions = 0" "${mini[@]}"
expect noswapin 1 "the budget never bound: faults.swap_in = 0" "${mini[@]}"
expect overbudget 1 "the budget did not hold: peak_resident_frames 101 > frames 100" "${mini[@]}"
expect noreport 1 "vmsandbox wrote no report" "${mini[@]}"
expect badjson 1 "FAIL: mini: report" "${mini[@]}"
expect missing 1 "report lacks 'swap'" "${mini[@]}"
expect notlive 77 "SKIP: this vmsandbox has no live sandbox yet" "${mini[@]}"
VMS_REQUIRE_LIVE=1 expect notlive 1 "exited with 2" "${mini[@]}"

# A native run that fails is the test's fault, reported as such.
cat > "$tmp/nativefail.sh" <<MINI
#!/bin/bash
. "$HERE/lib.sh"
vms_setup "\$@"
vms_compare nativefail 100 -- "$PROGS/threads_pattern" --size 4 --threads 2 --mode bogus
vms_finish
MINI
expect good 1 "the native run exited with 2" bash "$tmp/nativefail.sh" "$FAKE" "$PROGS"

# The kill test: a fake that execs the program dies with it; one that forks does not.
expect exec 0 "PASS: kill: the program died with vmsandbox" bash "$HERE/test_kill.sh" "$FAKE" "$PROGS"
expect fork 1 "processes of the program remain" bash "$HERE/test_kill.sh" "$FAKE" "$PROGS"

# check_tree.py (vms_check_tree) on made-up reports: it passes what holds
# and fails what does not.
cat > "$tmp/tree.json" <<'JSON'
{"pid": 10, "processes": [{"pid": 10, "comm": "bash"}, {"pid": 11, "comm": "sort"},
 {"pid": 10, "comm": "env"}, {"pid": 12, "comm": "sort"}]}
JSON
printf 'vmsandbox: bash exited with status 0 after 1.00 s\n  processes:       4 (at most 3 at once)\n' > "$tmp/tree.txt"
cat > "$tmp/tree-fields.json" <<'JSON'
{"pid": 10, "process_tree": {"processes": 3, "peak_live_processes": 7},
 "processes": [{"pid": 10, "comm": "sh"}],
 "unmanaged_processes": [{"pid": 11, "command": "static_hello", "reason": "static"},
                         {"pid": 12, "command": "noshim", "reason": "no-shim"}]}
JSON
# expect_tree STATUS PATTERN ARGS...: check_tree.py ARGS gives STATUS and PATTERN.
expect_tree() {
	local want=$1 pat=$2
	shift 2
	python3 "$HERE/check_tree.py" "$@" > "$tmp/out" 2>&1
	local got=$?
	if [ "$got" = "$want" ] && grep -q -- "$pat" "$tmp/out"; then
		echo "ok: check_tree.py ${*#"$tmp"/}: status $got, '$pat'"
		passes=$((passes + 1))
	else
		echo "FAIL: check_tree.py $*: status $got (expected $want), output lacks '$pat'?"
		sed 's/^/  | /' "$tmp/out" | tail -n 10
		fails=$((fails + 1))
	fi
}
T=("$tmp/tree.json" --summary "$tmp/tree.txt")
# The report's own figure wins over the summary's.
F=("$tmp/tree-fields.json" --summary "$tmp/tree.txt")
expect_tree 0 "tree: 4 process records, 3 pids, 3 at once (summary)" "${T[@]}" \
	--min-pids 3 --min-at-once 3 --comm sort --chain bash,env
expect_tree 1 "FAIL: at most 3 processes alive at once (summary), expected at least 4" "${T[@]}" --min-at-once 4
expect_tree 1 "FAIL: processes\[\] names 3 distinct pids, expected at least 4" "${T[@]}" --min-pids 4
expect_tree 1 "FAIL: no process of processes\[\] ran 'cc1'" "${T[@]}" --comm cc1
expect_tree 1 "FAIL: the images of pid 10 were bash,env, expected bash,env,sh" "${T[@]}" --chain bash,env,sh
expect_tree 1 "FAIL: neither the report" "$tmp/tree.json" --min-at-once 1
expect_tree 0 "note: the report has no 'unmanaged_processes'" "${T[@]}" --unmanaged-command static_hello
expect_tree 0 "7 at once (report)" "${F[@]}" --min-at-once 7 --unmanaged-command static_hello
expect_tree 1 "FAIL: at most 7 processes alive at once (report), expected at least 8" "${F[@]}" --min-at-once 8
expect_tree 1 "FAIL: 'unmanaged_processes' does not list other" "${F[@]}" --unmanaged-command other
expect_tree 1 "FAIL: 'unmanaged_processes' lists noshim with reason 'no-shim', not 'static'" "${F[@]}" \
	--unmanaged-command noshim

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
