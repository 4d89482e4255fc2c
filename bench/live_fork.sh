#!/bin/bash
# live_fork.sh: what processes cost under vmsandbox (issue "process trees").
# Two workloads, each run natively and under vmsandbox, interleaved, REPS
# times; prints medians and sandboxed/native ratios:
#   (a) fork+exec: bash runs /bin/true LOOPS times (default 1000) in a loop;
#       under vmsandbox --frames 262144 (1 GiB: no memory pressure), so the
#       difference is the per-process cost (shim, agent, registration).
#   (b) fork of a big process: build/bench/live_fork writes MIB MiB (default
#       500) of heap-like pages, then times fork() (child _exits at once)
#       and fork + waitpid; under vmsandbox --frames 25600 (100 MB), so
#       about 400 MB are in vmsandbox's swap when it forks.
#
#   bench/live_fork.sh [-b BUILD_DIR] [-r REPS] [--loops N] [--mib N]
#                      [--forks K] [--taskset CPUS] [--timeout S] [--keep]
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/live_lib.sh
. "$here/live_lib.sh"

build=build
reps=5
loops=1000
mib=500
forks=5
frames_true=262144
frames_fork=25600
cpus=
timeout_s=600
keep=0
usage() {
	sed -n '13,14p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case $1 in
	-b|--build) build=$2; shift 2 ;;
	-r|--reps) reps=$2; shift 2 ;;
	--loops) loops=$2; shift 2 ;;
	--mib) mib=$2; shift 2 ;;
	--forks) forks=$2; shift 2 ;;
	--taskset) cpus=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "live_fork.sh: unknown option '$1'" >&2; usage ;;
	esac
done
vms=$build/tools/vmsandbox
workload=$build/bench/live_fork
[ -x "$workload" ] || { echo "live_fork.sh: $workload not built (ninja -C $build)" >&2; exit 2; }
work=$(mktemp -d /tmp/vms-live-fork.XXXXXX)
pre=(timeout --kill-after=10 "$timeout_s")
[ -n "$cpus" ] && pre+=(taskset -c "$cpus")
# frames_fork is 100 MiB of 4 KiB frames; the rest of the heap is in swap.
swapped_mib=$((mib - frames_fork * 4 / 1024))

vms_bench_traps
vms_bench_lock live_fork.sh

vms_ok=0
if vms_why=$(vms_probe "$vms" "$work"); then
	vms_ok=1
fi

# $work/MODE.tsv columns:
#   true_*: 1 wall  2 cpu  3 processes (report)
#   fork_*: 1 wall  2 cpu  3 first fork_us  4 fork_us median  5 fork+wait_us median
#           6 write_s  7 evictions  8 swap stored pages (peak)  9 swap-ins
failed=0
loop_cmd=(bash -c 'for ((i = 0; i < $1; i++)); do /bin/true; done' _ "$loops")
run_mode() {
	local mode=$1 rep=$2 out r v
	out=$work/$mode.$rep.out
	r=$work/$mode.$rep.json
	case $mode in
	true_native) launch "" "$out" "${loop_cmd[@]}" ;;
	true_vms) launch "" "$out" "$vms" --frames "$frames_true" --report "$r" --quiet -- "${loop_cmd[@]}" ;;
	fork_native) launch "" "$out" "$workload" --mib "$mib" --forks "$forks" ;;
	fork_vms) launch "" "$out" "$vms" --frames "$frames_fork" --report "$r" --quiet -- \
			"$workload" --mib "$mib" --forks "$forks" ;;
	esac
	if [ "$rc" -ne 0 ]; then
		echo "live_fork.sh: $mode run $rep failed with status $rc: $(head -n 3 "$out.err")" >&2
		failed=1
		return
	fi
	case $mode in
	true_native) echo "$wall $cpu n/a" >>"$work/$mode.tsv" ;;
	true_vms)
		# The report counts processes in its processes array.
		v=$("${VMS_BENCH_PY:-python3}" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["processes"]))' "$r" 2>/dev/null || echo n/a)
		echo "$wall $cpu $v" >>"$work/$mode.tsv" ;;
	fork_*)
		if ! grep -q 'check=ok$' "$out"; then
			echo "live_fork.sh: $mode run $rep: the workload's check failed: $(tail -n 1 "$out")" >&2
			failed=1
			return
		fi
		local first med wmed ws
		first=$(sed -n 's/^fork=1 fork_us=\([0-9.]*\) .*/\1/p' "$out")
		med=$(sed -n 's/^fork_us_median=\([0-9.]*\) .*/\1/p' "$out")
		wmed=$(sed -n 's/.* fork_wait_us_median=\([0-9.]*\) .*/\1/p' "$out")
		ws=$(sed -n 's/.* write_s=\([0-9.]*\)$/\1/p' "$out")
		if [ "$mode" = fork_vms ]; then
			mapfile -t v < <(report_get "$r" evictions swap.stored_pages faults.swap_in)
		else
			v=(n/a n/a n/a)
		fi
		echo "$wall $cpu ${first:-n/a} ${med:-n/a} ${wmed:-n/a} ${ws:-n/a} ${v[*]}" >>"$work/$mode.tsv" ;;
	esac
}

echo "== live_fork: per-process cost, and fork() of a process with $mib MiB; $reps runs each, interleaved; medians"
echo "   (a) bash -c 'for ((i = 0; i < N; i++)); do /bin/true; done', N = $loops;  vmsandbox --frames $frames_true"
echo "   (b) $workload --mib $mib --forks $forks;  vmsandbox --frames $frames_fork ($((frames_fork * 4 / 1024)) MiB resident, ~$swapped_mib MiB in swap at the fork)"
[ "$vms_ok" = 1 ] || echo "   vmsandbox: n/a: not usable ($vms_why)"

for rep in $(seq 1 "$reps"); do
	for m in true fork; do
		run_mode "${m}_native" "$rep"
		[ "$vms_ok" = 1 ] && run_mode "${m}_vms" "$rep"
	done
done

col() {
	if [ -f "$work/$1.tsv" ]; then
		awk -v n="$2" '{ print $n }' "$work/$1.tsv" | median
	else
		echo n/a
	fi
}
line() {
	local label=$1 m=$2 n=$3 a b
	a=$(col "${m}_native" "$n")
	b=$(col "${m}_vms" "$n")
	row "$label" "$a" "$b" "$(calc "$b" / "$a" %.3f)"
}
echo
echo "(a) fork+exec of /bin/true, $loops times"
row "" native vmsandbox ratio
line "wall time, s" true 1
line "CPU time, s (user+sys, all procs)" true 2
a=$(col true_native 1)
b=$(col true_vms 1)
# µs per loop iteration (a fork and an exec of /bin/true).
per_us() { calc "$(calc "$1" '*' 1000000 %.3f)" / "$loops" %.1f; }
row "per process, µs" "$(per_us "$a")" "$(per_us "$b")" "$(calc "$b" / "$a" %.3f)"
row "added per process, µs" "" "$(per_us "$(calc "$b" - "$a" %.6f)")" ""
line "process records (report)" true 3
echo
echo "(b) fork() of a process with $mib MiB written"
row "" native vmsandbox ratio
line "fork() call, µs (median of $forks)" fork 4
line "first fork() call, µs" fork 3
line "fork + waitpid, µs (median)" fork 5
line "writing the heap, s" fork 6
line "wall time, s" fork 1
line "evictions (report)" fork 7
line "swap: most pages held (report)" fork 8
line "swap-ins (report)" fork 9
echo
echo "ratio: vmsandbox / native.  (b)'s native fork copies the page tables of $mib MiB;"
echo "under vmsandbox only the resident 100 MB are mapped, and the pager clones its"
echo "own records of the pages in swap."
[ "$vms_ok" = 1 ] || echo "vmsandbox columns n/a: $vms_why"
exit "$failed"
