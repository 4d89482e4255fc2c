#!/bin/bash
# Issue 6: overcommit modes and the OOM killer, on real programs.
# usage: test_oom.sh VMSANDBOX PROGS_DIR CASE
#   c_leak       tests/progs/leak (1 MiB blocks of incompressible bytes) with
#                1024 frames and 8 MiB of swap: killed at the predicted point
#                (frames + swap: 12 MiB) with exit 137; the report names it
#                the victim, with what it held, and the allocation site.
#   py_leak      the same with python3 (py_oom_leak.py), 4096 frames + 32 MiB.
#   never_c      --overcommit never: malloc returns NULL, sbrk fails with
#                ENOMEM, the program frees and goes on (commit_probe).
#   never_py     --overcommit never: python3 raises MemoryError twice, goes
#                on and exits 0.
#   never_tree   the same python3 next to a sort in one shell: the sort's
#                output is the native one, the shell exits 0.
#   tree_victim  a shell runs a leak and a bystander: only the leak is
#                killed, the bystander's output is intact, the shell goes on.
#   pause        --oom-policy pause: the tree is stopped (state T) and the
#                message says how to attach; killing the victim ends it.
#   score_adj    a process holding 2 MiB with oom_score_adj 1000 is killed
#                before the leak that holds the rest, then the leak (setting -1000 is refused on these
#                VMs, so "unkillable" is covered by the unit tests).
. "$(dirname "$0")/lib.sh"
vms_setup "$1" "$2"
case=$3
LEAK=$PROGS/leak
SRC=$VMS_SRC

# json_check REPORT PYTHON-ASSERTIONS (r = the report): fails with the message.
json_check() {
	python3 - "$1" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
$2
PY
}

# The line of FILE that carries MARK (the last: the first is the comment that
# tells about it).
marked_line() {
	grep -n "$2" "$1" | tail -n 1 | cut -d: -f1
}

# Checks common to an OOM kill of the program itself; SITE is the location
# the report must name as the top allocation site ("leak_block (leak.c:38)").
check_oom_kill() {
	local d=$1 comm=$2 frames=$3 swap_pages=$4 site=$5
	json_check "$d/report.json" "
assert r['outcome'] == 'killed_by_oom', r['outcome']
assert r['exit_status'] == 137, r['exit_status']
ev = r['oom']['events']
assert len(ev) == 1, ev
e = ev[0]
assert e['action'] == 'killed'
assert e['victim']['comm'] == '$comm', e['victim']
assert e['trigger']['pid'] == e['victim']['pid'], e['trigger']
assert e['frames'] == $frames
v = [p for p in e['processes'] if p['victim']]
assert len(v) == 1 and v[0]['pid'] == e['victim']['pid'], v
# The victim held (nearly) the whole machine: every frame and the swap.
held = v[0]['resident_pages'] + v[0]['swapped_pages']
assert held >= 0.95 * ($frames + $swap_pages), (held, $frames + $swap_pages)
assert v[0]['badness'] >= held
assert e['swap_used_bytes'] > 0.99 * e['swap_capacity_bytes'], e
" || vms_fail "$case: the report does not describe the OOM kill"
	json_check "$d/report.json" "
s = r['oom']['events'][0]['allocation_sites']
assert s and s[0]['location'] == '$site', [x['location'] for x in s]
# The leak holds (nearly) everything the victim held.
v = [p for p in r['oom']['events'][0]['processes'] if p['victim']][0]
assert s[0]['held_bytes'] >= 0.8 * 4096 * (v['resident_pages'] + v['swapped_pages']), s[0]
" || vms_fail "$case: the report does not name the leaking site '$site'"
	grep -qF "allocated at $site" "$d/err" || vms_fail "$case: stderr does not name the site '$site'"
}

case $case in
c_leak)
	d=$VMS_TMP/c_leak
	mkdir -p "$d"
	"$VMS" --frames 1024 --swap 8M --report "$d/report.json" -o "$d/summary" -- "$LEAK" \
		> "$d/out" 2> "$d/err"
	st=$?
	before=$VMS_FAILS
	[ "$st" = 137 ] || vms_fail "c_leak: exit status $st, expected 137"
	last=$(tail -n 1 "$d/out" | awk '{print $2}')
	# 4 MiB of frames + 8 MiB of swap; the program's own pages (libc,
	# stack, stdio) take a few hundred KiB, and the block being filled
	# when the kill comes is not printed.
	{ [ -n "$last" ] && [ "$last" -ge $((10 * 1024)) ] && [ "$last" -le $((12 * 1024)) ]; } ||
		vms_fail "c_leak: killed after '$last' KiB, predicted 10-12 MiB"
	grep -q "out of memory" "$d/err" || vms_fail "c_leak: no 'out of memory' on stderr"
	grep -q "killed with SIGKILL: process [0-9]* (leak)" "$d/err" ||
		vms_fail "c_leak: stderr does not name the victim"
	grep -q "by vmsandbox's OOM killer" "$d/summary" || vms_fail "c_leak: the summary does not say OOM"
	check_oom_kill "$d" leak 1024 2048 \
		"leak_block (leak.c:$(marked_line "$SRC/../progs/leak.c" LEAK_MALLOC_LINE))"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "c_leak: killed after $last KiB (predicted 10-12 MiB), exit 137"
	;;
py_leak)
	vms_need python3
	d=$VMS_TMP/py_leak
	mkdir -p "$d"
	"$VMS" --frames 4096 --swap 32M --report "$d/report.json" -q -- "$PY" "$SRC/py_oom_leak.py" \
		> "$d/out" 2> "$d/err"
	st=$?
	before=$VMS_FAILS
	[ "$st" = 137 ] || vms_fail "py_leak: exit status $st, expected 137"
	last=$(tail -n 1 "$d/out" | awk '{print $2}')
	# 16 + 32 MiB; python3's own memory is ~8 MiB, and a block is briefly
	# held twice (the bytes from urandom and the bytearray copy).
	{ [ -n "$last" ] && [ "$last" -ge 32 ] && [ "$last" -le 48 ]; } ||
		vms_fail "py_leak: killed after '$last' MiB, predicted 32-48"
	check_oom_kill "$d" python3 4096 8192 \
		"py_oom_leak.py:$(marked_line "$SRC/py_oom_leak.py" PY_LEAK_LINE) grow"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "py_leak: killed after $last MiB (predicted 32-48), exit 137"
	;;
never_c)
	d=$VMS_TMP/never_c
	mkdir -p "$d"
	"$VMS" --frames 4096 --overcommit never --commit-limit 64M --report "$d/report.json" -q \
		-- "$PROGS/commit_probe" 1024 4 256 > "$d/out" 2> "$d/err"
	st=$?
	before=$VMS_FAILS
	[ "$st" = 0 ] || vms_fail "never_c: exit status $st"
	grep -qx "huge: NULL" "$d/out" || vms_fail "never_c: malloc(1 GiB) did not return NULL"
	grep -qx "sbrk: ENOMEM" "$d/out" || vms_fail "never_c: sbrk beyond the limit did not fail with ENOMEM"
	grep -qx "after free: ok" "$d/out" || vms_fail "never_c: no memory after freeing"
	n=$(sed -n 's/^chunks: //p' "$d/out")
	# 64 MiB limit, 4 MiB blocks, less what the program committed already.
	{ [ -n "$n" ] && [ "$n" -ge 13 ] && [ "$n" -le 15 ]; } ||
		vms_fail "never_c: $n blocks of 4 MiB under a 64 MiB limit, expected 13-15"
	json_check "$d/report.json" "
o = r['oom']
assert o['overcommit'] == 'never' and o['commit_limit_bytes'] == 64 << 20, o
assert o['refusals'] >= 3, o
assert o['first_refusal']['syscall'] == 'mmap' and o['first_refusal']['bytes'] > 1 << 30, o
assert o['events'] == [], o
" || vms_fail "never_c: the report does not show the refusals"
	# Without the limit the same program gets everything.
	"$VMS" --frames 4096 -q -- "$PROGS/commit_probe" 1024 4 64 > "$d/out2" 2>&1
	grep -qx "huge: ok" "$d/out2" || vms_fail "never_c: heuristic mode refused 1 GiB"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "never_c: malloc NULL, sbrk ENOMEM, $n blocks, recovered"
	;;
never_py)
	vms_need python3
	d=$VMS_TMP/never_py
	mkdir -p "$d"
	"$VMS" --frames 4096 --overcommit never --commit-limit 100M --report "$d/report.json" -q \
		-- "$PY" "$SRC/py_memerror.py" 1024 > "$d/out" 2> "$d/err"
	st=$?
	before=$VMS_FAILS
	[ "$st" = 0 ] || vms_fail "never_py: exit status $st"
	grep -qx "huge: MemoryError" "$d/out" || vms_fail "never_py: no MemoryError for 1 GiB"
	grep -qx "grow: MemoryError" "$d/out" || vms_fail "never_py: the list grew without MemoryError"
	tail -n 1 "$d/out" | cmp -s - <(echo "after: sum 333328333350000") ||
		vms_fail "never_py: did not go on after MemoryError: $(tail -n 1 "$d/out")"
	got=$(sed -n 's/^grew \([0-9]*\) MiB$/\1/p' "$d/err")
	{ [ -n "$got" ] && [ "$got" -ge 70 ] && [ "$got" -le 100 ]; } ||
		vms_fail "never_py: grew $got MiB under a 100 MiB limit, expected 70-100"
	json_check "$d/report.json" "
assert r['outcome'] == 'exited' and r['oom']['refusals'] >= 2, r['oom']
" || vms_fail "never_py: report"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "never_py: MemoryError twice, grew $got MiB, exit 0"
	;;
never_tree)
	vms_need python3 sort
	d=$VMS_TMP/never_tree
	mkdir -p "$d"
	"$PROGS/gendata" lines 20000000 > "$d/input" || vms_error "gendata failed"
	sort "$d/input" > "$d/sorted.native"
	cat > "$d/tree.sh" <<SH
"$PY" "$SRC/py_memerror.py" 1024 > "$d/py.out" 2> "$d/py.err" &
sort "$d/input" > "$d/sorted"
wait \$!
echo "python exit \$?"
SH
	"$VMS" --frames 4096 --overcommit never --commit-limit 160M --report "$d/report.json" -q \
		-- sh "$d/tree.sh" > "$d/out" 2> "$d/err"
	st=$?
	before=$VMS_FAILS
	[ "$st" = 0 ] || vms_fail "never_tree: exit status $st"
	grep -qx "python exit 0" "$d/out" || vms_fail "never_tree: python3 did not exit 0: $(cat "$d/out")"
	grep -qx "grow: MemoryError" "$d/py.out" || vms_fail "never_tree: python3 saw no MemoryError"
	cmp -s "$d/sorted.native" "$d/sorted" || vms_fail "never_tree: sort's output differs from native"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "never_tree: MemoryError in python3, sort intact"
	;;
tree_victim)
	d=$VMS_TMP/tree_victim
	mkdir -p "$d"
	cat > "$d/tree.sh" <<SH
"$LEAK" > "$d/leak.out" &
leak=\$!
seq 1 300000 | sort -n | tail -n 1 > "$d/bystander.out"
wait \$leak
echo "leak exit \$?"
SH
	"$VMS" --frames 1024 --swap 8M --report "$d/report.json" -q -- sh "$d/tree.sh" \
		> "$d/out" 2> "$d/err"
	st=$?
	before=$VMS_FAILS
	[ "$st" = 0 ] || vms_fail "tree_victim: exit status $st, expected the shell's 0"
	grep -qx "leak exit 137" "$d/out" || vms_fail "tree_victim: the shell saw: $(cat "$d/out")"
	grep -qx 300000 "$d/bystander.out" || vms_fail "tree_victim: the bystander's output is wrong"
	json_check "$d/report.json" "
ev = r['oom']['events']
assert len(ev) >= 1 and all(e['victim']['comm'] == 'leak' for e in ev), ev
assert len(ev[0]['processes']) >= 2, ev[0]['processes']
assert r['outcome'] == 'exited', r['outcome']
" || vms_fail "tree_victim: the report does not show the leak as the only victim"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "tree_victim: only the leak was killed"
	;;
pause)
	d=$VMS_TMP/pause
	mkdir -p "$d"
	"$VMS" --frames 1024 --swap 8M --oom-policy pause --report "$d/report.json" -q -- "$LEAK" \
		> "$d/out" 2> "$d/err" &
	vpid=$!
	before=$VMS_FAILS
	pid=
	for _ in $(seq 300); do
		pid=$(sed -n 's/.*gdb -p \([0-9]*\).*/\1/p' "$d/err")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	if [ -z "$pid" ]; then
		vms_fail "pause: no 'gdb -p PID' on stderr after 30 s"
		kill -KILL $vpid
	else
		sleep 0.5
		state=$(awk '/^State:/ {print $2}' "/proc/$pid/status")
		[ "$state" = T ] || vms_fail "pause: the leak's state is '$state', expected T (stopped)"
		n1=$(wc -l < "$d/out")
		sleep 0.5
		[ "$(wc -l < "$d/out")" = "$n1" ] || vms_fail "pause: the program went on while paused"
		kill -KILL "$pid"
	fi
	wait $vpid
	st=$?
	[ "$st" = 137 ] || vms_fail "pause: exit status $st after the victim was killed, expected 137"
	json_check "$d/report.json" "
e = r['oom']['events'][0]
assert r['oom']['policy'] == 'pause' and e['action'] == 'paused', e
" || vms_fail "pause: the report does not say paused"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "pause: tree stopped, attach hint, exit 137 once killed"
	;;
score_adj)
	d=$VMS_TMP/score_adj
	mkdir -p "$d"
	cat > "$d/tree.sh" <<SH
sh -c 'echo 1000 > /proc/self/oom_score_adj && exec "\$0" --max-mib 2 --hold' "$LEAK" > "$d/held.out" &
holder=\$!
sleep 0.3
"$LEAK" > "$d/leak.out"
echo "leak exit \$?"
wait \$holder
echo "holder exit \$?"
SH
	"$VMS" --frames 1024 --swap 8M --report "$d/report.json" -q -- sh "$d/tree.sh" \
		> "$d/out" 2> "$d/err"
	st=$?
	before=$VMS_FAILS
	[ "$st" = 0 ] || vms_fail "score_adj: exit status $st, expected the shell's 0"
	printf 'leak exit 137\nholder exit 137\n' | cmp -s - "$d/out" ||
		vms_fail "score_adj: the shell saw: $(cat "$d/out")"
	json_check "$d/report.json" "
ev = r['oom']['events']
assert len(ev) == 2, ev
s = [p for p in ev[0]['processes'] if p['oom_score_adj'] == 1000][0]
l = [p for p in ev[0]['processes'] if p['comm'] == 'leak' and p['oom_score_adj'] == 0][0]
assert s['victim'] and ev[0]['victim']['pid'] == s['pid'], (ev[0]['victim'], s)
assert l['resident_pages'] + l['swapped_pages'] > s['resident_pages'] + s['swapped_pages'], (l, s)
assert ev[1]['victim']['pid'] == l['pid'], ev[1]['victim']
" || vms_fail "score_adj: the victims were not the holder (adj 1000), then the leak"
	[ "$VMS_FAILS" != "$before" ] || vms_pass "score_adj: the holder (oom_score_adj 1000) killed first, then the leak"
	;;
*)
	vms_error "unknown case '$case'"
	;;
esac
vms_finish
