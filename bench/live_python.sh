#!/bin/bash
# live_python.sh: the no-pressure benchmark.  A python3 program that builds
# ~500 MB of ordinary heap (bench/live_python_work.py) run, interleaved, REPS
# times each:
#   native     python3 as is;
#   budget     vmsandbox --frames 262144 (1 GiB, above the working set):
#              every fault is a first touch, nothing is evicted;
#   observe    vmsandbox without --frames (no budget, observe only).
# Prints median wall and CPU times, the ratios sandboxed/native (target
# <= 1.3, goal 1.1) and the fault counts of vmsandbox's reports.  While the
# live pager is not usable, the sandboxed columns are "n/a" and say why.
#
#   bench/live_python.sh [-b BUILD_DIR] [-r REPS] [--frames N] [--scale S]
#                        [--taskset CPUS] [--timeout S] [--keep]
#
# PYTHON selects the interpreter (default /usr/bin/python3 if present: a
# real ELF, where pyenv's python3 is a bash script that would be sandboxed too).
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/live_lib.sh
. "$here/live_lib.sh"

build=build
reps=5
frames=262144
scale=1.0
cpus=
timeout_s=600
keep=0
usage() {
	sed -n '14,15p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case $1 in
	-b|--build) build=$2; shift 2 ;;
	-r|--reps) reps=$2; shift 2 ;;
	--frames) frames=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	--taskset) cpus=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "live_python.sh: unknown option '$1'" >&2; usage ;;
	esac
done
if [ -z "${PYTHON:-}" ]; then
	PYTHON=python3
	[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
fi
PYTHON=$(command -v "$PYTHON") || { echo "live_python.sh: no python3" >&2; exit 2; }
PYTHON=$(readlink -f "$PYTHON")
vms=$build/tools/vmsandbox
work_py=$here/live_python_work.py
work=$(mktemp -d /tmp/vms-live-python.XXXXXX)
pre=(timeout --kill-after=10 "$timeout_s")
[ -n "$cpus" ] && pre+=(taskset -c "$cpus")
# The workload does not depend on str hashing, but fix the seed anyway so
# that the interpreter does the same work in every run.
export PYTHONHASHSEED=0

vms_bench_traps
vms_bench_lock live_python.sh

vms_ok=0
if vms_why=$(vms_probe "$vms" "$work"); then
	vms_ok=1
fi

# Columns of $work/MODE.tsv: 1 wall  2 cpu  3 maxrss_mib  4 faults
# 5 zero_fill  6 swap_in  7 evictions  8 in_fault_s  9 minflt
failed=0
native_out=
run_mode() {
	local mode=$1 rep=$2 out r v
	shift 2
	out=$work/$mode.$rep.out
	r=$work/$mode.$rep.json
	case $mode in
	native) launch "" "$out" "$PYTHON" "$work_py" "$scale" ;;
	budget) launch "" "$out" "$vms" --frames "$frames" --report "$r" --quiet -- \
			"$PYTHON" "$work_py" "$scale" ;;
	observe) launch "" "$out" "$vms" --report "$r" --quiet -- "$PYTHON" "$work_py" "$scale" ;;
	esac
	if [ "$rc" -ne 0 ]; then
		echo "live_python.sh: $mode run $rep failed with status $rc: $(head -n 3 "$out.err")" >&2
		failed=1
		return
	fi
	[ -z "$native_out" ] && [ "$mode" = native ] && native_out=$out
	if ! cmp -s "$out" "$native_out"; then
		echo "live_python.sh: $mode run $rep printed something else than the native run:" >&2
		diff "$native_out" "$out" | head -n 5 >&2
		failed=1
		return
	fi
	if [ "$mode" = native ]; then
		v=(n/a n/a n/a n/a n/a)
	else
		mapfile -t v < <(report_get "$r" faults.total faults.zero_fill faults.swap_in evictions \
			time.in_fault_s)
		if [ "${#v[@]}" -ne 5 ]; then
			echo "live_python.sh: $mode run $rep: no usable report in $r" >&2
			failed=1
			return
		fi
	fi
	echo "$wall $cpu $(calc "$maxrss_kb" / 1024 %.0f) ${v[*]} $minflt" >>"$work/$mode.tsv"
}

echo "== live_python: ~500 MB of python3 heap, no memory pressure; $reps runs each, interleaved; medians"
echo "   workload: $PYTHON $work_py $scale"
if [ "$vms_ok" = 1 ]; then
	echo "   budget:   $vms --frames $frames;  observe: $vms (no --frames)"
else
	echo "   vmsandbox: n/a: not usable yet ($vms_why)"
fi

for rep in $(seq 1 "$reps"); do
	run_mode native "$rep"
	if [ "$vms_ok" = 1 ]; then
		run_mode budget "$rep"
		run_mode observe "$rep"
	fi
done

col() {
	if [ -f "$work/$1.tsv" ]; then
		awk -v n="$2" '{ print $n }' "$work/$1.tsv" | median
	else
		echo n/a
	fi
}
line() {
	local label=$1 n=$2 a b c
	a=$(col native "$n")
	b=$(col budget "$n")
	c=$(col observe "$n")
	row "$label" "$a" "$b" "$c" "$(calc "$b" / "$a" %.3f)" "$(calc "$c" / "$a" %.3f)"
}
echo
row "" native "--frames $frames" "no --frames" budget/native observe/native
line "wall time, s" 1
line "CPU time, s (user+sys, all procs)" 2
line "max RSS, MiB" 3
line "faults (report)" 4
line "  zero-fill" 5
line "  swap-in" 6
line "evictions" 7
line "time in fault handling, s" 8
line "minor faults (rusage, all procs)" 9
echo
echo "target: sandboxed/native wall time <= 1.3 (goal 1.1).  Faults (report) are the"
echo "pager's; minor faults are the kernel's count for every process of the run."
[ "$vms_ok" = 1 ] || echo "vmsandbox columns n/a: $vms_why"
exit "$failed"
