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

# Fault-around (populate events): the pages get free frames unreferenced, so
# the references that follow hit; never more pages than free frames.
printf '# fault-around of 4 pages\npopulate 100 4\n100\n101\n102\nW 103\n' > "$tmp/pop.txt"
"$VMS" replay --json --policy lru --frames 8 "$tmp/pop.txt" > "$tmp/pop.json" || bad "populate trace failed"
[ "$(json_get "$tmp/pop.json" 'j["faults_around"] == 4 and j["faults"] == 0 and j["hits"] == 4 and j["peak_resident"] == 4')" = True ] &&
	ok || bad "populate 100 4: $(cat "$tmp/pop.json")"
"$VMS" replay --json --policy all --frames 8 "$tmp/pop.txt" > "$tmp/pop-all.json" || bad "populate, policy all failed"
[ "$(json_get "$tmp/pop-all.json" 'len(j["policies"]) == 9 and all(p["faults_around"] == 4 and p["faults"] == 0 for p in j["policies"])')" = True ] &&
	ok || bad "populate, policy all: not every policy has 4 pages around and 0 faults"
# Two frames: two pages populated, the other two references fault.
"$VMS" replay --json --policy fifo --frames 2 "$tmp/pop.txt" > "$tmp/pop2.json" || bad "populate, 2 frames failed"
[ "$(json_get "$tmp/pop2.json" 'j["faults_around"] == 2 and j["faults"] == 2 and j["evictions"] == 2')" = True ] &&
	ok || bad "populate with 2 frames: $(cat "$tmp/pop2.json")"
# Already touched pages are not populated again; another pid gets its own pages.
printf '100\npopulate 100 2\n@pid 2\npopulate 100 2\n100\n101\n@pid 1\n101\n' > "$tmp/pop3.txt"
"$VMS" replay --json --policy lru --frames 8 "$tmp/pop3.txt" > "$tmp/pop3.json" || bad "populate, 2 pids failed"
[ "$(json_get "$tmp/pop3.json" 'j["faults_around"] == 3 and j["faults"] == 1')" = True ] &&
	ok || bad "populate of touched pages / of another pid: $(cat "$tmp/pop3.json")"
# The same trace in the binary format: populate is extension record 0xc0.
printf 'VMSTRACE\001\000\020\000\014\000\000\000\300\002\144\004\037\310\001\002\002\102\200\004' > "$tmp/pop.bin"
"$VMS" replay --json --policy lru --frames 8 "$tmp/pop.bin" > "$tmp/popb.json" || bad "binary populate trace failed: $(cat "$tmp/popb.json")"
[ "$(json_get "$tmp/popb.json" 'j["faults_around"] == 4 and j["faults"] == 0 and j["references"] == 4')" = True ] &&
	ok || bad "binary populate 100 4: $(cat "$tmp/popb.json")"
# A populate record whose payload is longer than its fields is corrupt.
printf 'VMSTRACE\001\000\020\000\014\000\000\000\300\003\144\004\000\200\000' > "$tmp/popbad.bin"

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
expect_error 1 "populate record at byte 16: its length is 3 bytes, its fields take 2" replay --frames 3 "$tmp/popbad.bin"
printf 'populate 5 0\n' > "$tmp/popzero.txt"
expect_error 1 "line 1: populate: range of 0 pages" replay --frames 3 "$tmp/popzero.txt"
expect_error 2 "missing a subcommand" 

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
