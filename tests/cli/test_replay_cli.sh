#!/bin/sh
# End-to-end checks of `vmsandbox replay` on golden traces: the textbook
# answers, every output mode, and clear errors with the right exit status.
# usage: test_replay_cli.sh VMSANDBOX TRACES_DIR
set -u
VMS=$1
TR=$2
fails=0
passes=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# json_get FILE EXPR: evaluates a Python expression over the parsed JSON `j`.
json_get() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

expect_faults() { # policy frames trace expected
	"$VMS" replay --json --policy "$1" --frames "$2" "$TR/$3" > "$tmp/out.json" 2> "$tmp/err" ||
		{ bad "$1 $2 $3: exit $? $(cat "$tmp/err")"; return; }
	got=$(json_get "$tmp/out.json" 'j["faults"]')
	[ "$got" = "$4" ] && ok || bad "$1 with $2 frames on $3: $got faults, expected $4"
}

expect_faults fifo 3 silberschatz.txt 15
expect_faults lru 3 silberschatz.txt 12
expect_faults opt 3 silberschatz.txt 9
expect_faults lru 4 silberschatz.txt 8
expect_faults fifo 3 belady.txt 9
expect_faults fifo 4 belady.txt 10
expect_faults opt 3 belady.txt 7
expect_faults opt 4 belady.txt 6

# Required JSON fields of a single run.
"$VMS" replay --json --policy clock --frames 3 "$TR/silberschatz.txt" > "$tmp/one.json"
for k in policy frames references faults hits evictions; do
	json_get "$tmp/one.json" "'$k' in j" | grep -qx True && ok || bad "single-run JSON lacks '$k'"
done
[ "$(json_get "$tmp/one.json" 'j["hits"] + j["faults"] == j["references"] == 20')" = True ] && ok ||
	bad "hits + faults != references"

# --policy all: every policy, OPT the lower bound.
"$VMS" replay --json --policy all --frames 3 "$TR/silberschatz.txt" > "$tmp/all.json" || bad "policy all failed"
[ "$(json_get "$tmp/all.json" 'len(j["policies"])')" = 9 ] && ok || bad "policy all: not 9 policies"
[ "$(json_get "$tmp/all.json" 'min(p["faults"] for p in j["policies"]) == [p for p in j["policies"] if p["policy"]=="opt"][0]["faults"] == 9')" = True ] &&
	ok || bad "policy all: OPT is not the lower bound of 9"

# --mrc: LRU faults for every frame count, matching the per-size runs.
"$VMS" replay --json --mrc "$TR/silberschatz.txt" > "$tmp/mrc.json" || bad "mrc failed"
[ "$(json_get "$tmp/mrc.json" '{p["frames"]: p["faults"] for p in j["mrc"]}[3]')" = 12 ] && ok || bad "mrc at 3 frames != 12"
[ "$(json_get "$tmp/mrc.json" '{p["frames"]: p["faults"] for p in j["mrc"]}[4]')" = 8 ] && ok || bad "mrc at 4 frames != 8"
[ "$(json_get "$tmp/mrc.json" 'j["mrc"][-1]["faults"] == j["cold_misses"] == 6')" = True ] && ok || bad "mrc does not end at the cold misses"

# A fully associative TLB is an LRU cache: 4 entries on this string walk 8 times.
"$VMS" replay --json --policy lru --frames 16 --tlb 4 "$TR/silberschatz.txt" > "$tmp/tlb.json" || bad "tlb run failed"
[ "$(json_get "$tmp/tlb.json" 'j["tlb"]["walks"]')" = 8 ] && ok || bad "TLB 4-entry walks != 8"

# stdin, and the text table.
"$VMS" replay --policy fifo --frames 3 - < "$TR/belady.txt" > "$tmp/table.txt" || bad "stdin failed"
grep -Eq '^fifo +12 +9 ' "$tmp/table.txt" && ok || bad "text table from stdin: $(cat "$tmp/table.txt")"

# A read-only trace stores nothing: never-written pages come back as zeros.
"$VMS" replay --json --policy fifo --frames 3 "$TR/silberschatz.txt" > "$tmp/ro.json"
[ "$(json_get "$tmp/ro.json" 'j["writebacks"] == 0 and j["same_evictions"] == j["evictions"] == 12 and j["peak_swap_pages"] == 0')" = True ] &&
	ok || bad "read-only trace: evictions were stored"

# Out of swap: the run stops with exit 3 and says where (4 dirty pages, 2 frames, 1 slot).
printf 'W 1\nW 2\nW 3\nW 4\n1\n' > "$tmp/writes.txt"
"$VMS" replay --json --policy fifo --frames 2 --swap-pages 1 "$tmp/writes.txt" > "$tmp/oom.json"
[ $? = 3 ] && ok || bad "swap full: exit status is not 3"
[ "$(json_get "$tmp/oom.json" 'j["oom"] and j["oom_at_reference"] == 3')" = True ] && ok || bad "swap full: oom not reported at reference 3"

# Errors: status and a message that names the problem.
expect_error() { # status pattern args...
	st=$1; pat=$2; shift 2
	"$VMS" "$@" > /dev/null 2> "$tmp/err"
	got=$?
	[ "$got" = "$st" ] || { bad "'$*': exit $got, expected $st"; return; }
	grep -q -- "$pat" "$tmp/err" && ok || bad "'$*': stderr lacks '$pat': $(cat "$tmp/err")"
}
expect_error 2 "unknown policy 'nope'" replay --policy nope --frames 3 "$TR/belady.txt"
expect_error 2 "needs --frames" replay "$TR/belady.txt"
expect_error 2 "--frames needs" replay --frames 0 "$TR/belady.txt"
expect_error 2 "unknown option" replay --bogus --frames 3 "$TR/belady.txt"
expect_error 2 "missing TRACE" replay --frames 3
expect_error 2 "64y4" replay --frames 3 --tlb 64y4 "$TR/belady.txt"
expect_error 1 "cannot open trace" replay --frames 3 "$TR/does-not-exist"
expect_error 1 "line 4" replay --frames 3 "$TR/bad-line4.txt"
expect_error 2 "missing a subcommand" 

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
