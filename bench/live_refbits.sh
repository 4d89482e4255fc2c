#!/bin/bash
# live_refbits.sh: what reference bits and the live TLB model cost (issue 5),
# and how the TLB mode compares with valgrind's lackey, the usual way to get a
# program's memory trace.  The python3 workload of bench/live_python.sh
# (bench/live_python_work.py, scaled down: see --scale) run, interleaved,
# REPS times each:
#   native   python3 as is;
#   ref-off  vmsandbox --policy clock --frames F --ref-tracking off;
#   ref-on   vmsandbox --policy clock --frames F --ref-tracking on;
#   tlb      vmsandbox --policy clock --frames F --tlb GEOM;
#   tlb-obs  vmsandbox --tlb GEOM without --frames (only the TLB model);
#   lackey   valgrind --tool=lackey --trace-mem=yes python3 ..., the trace
#            written to /dev/null (or counted by wc -l: --lackey-count).
# F is PCT% (default 20) of the pages the workload has resident at its peak
# under vmsandbox without a budget (one calibration run), so there is memory
# pressure.  Every vmsandbox run gets --cpus 0 (--vms-cpus), the faster
# placement for a program that pages hard (soft unmaps no longer lag behind
# across CPUs: docs/design.md, "Lag"); native and lackey are not pinned.
# The TLB counts depend on the addresses (which pages share a set), which
# address space randomisation changes from run to run (62,500-507,000 L1
# misses for one workload): --no-aslr runs every command under setarch -R,
# so that the counts, and the times that follow them, compare.  Prints
# median, minimum and maximum wall times, the ratios to native, the fault,
# soft-fault and TLB counts of vmsandbox's reports, and lackey/tlb (the
# issue's goal: the TLB mode at least 10x faster than lackey).
#
#   bench/live_refbits.sh [-b BUILD_DIR] [-r REPS] [--scale S] [--pct P | --frames F]
#                         [--tlb GEOM] [--modes LIST] [--lackey-reps K] [--lackey-count]
#                         [--vms-cpus LIST|none] [--taskset CPUS] [--no-aslr]
#                         [--timeout S] [--keep]
#
# LIST: comma-separated modes among native,ref-off,ref-on,tlb,tlb-obs,lackey
# (default all).  Needs root (or what vmsandbox needs) and valgrind (not in
# scripts/install-deps.sh, which holds what builds and tests need:
# apt-get install -y valgrind).  PYTHON selects the interpreter (default
# /usr/bin/python3: a real ELF, where pyenv's python3 is a bash script that
# would be run under valgrind and vmsandbox too).
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/live_lib.sh
. "$here/live_lib.sh"

build=build
reps=5
# Lackey runs python3 at about 1/4000 of its native speed here: scale 1.0
# (~500 MB, 0.8 s native) would take hours; 0.02 takes 1.5-2.5 minutes.
scale=0.02
pct=20
frames=
geom=64x4
modes=native,ref-off,ref-on,tlb,tlb-obs,lackey
lackey_reps=
lackey_count=0
cpus=
vms_cpus=0
timeout_s=1800
keep=0
no_aslr=0
usage() {
	sed -n '27,37p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case $1 in
	-b|--build) build=$2; shift 2 ;;
	-r|--reps) reps=$2; shift 2 ;;
	--scale) scale=$2; shift 2 ;;
	--pct) pct=$2; shift 2 ;;
	--frames) frames=$2; shift 2 ;;
	--tlb) geom=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--lackey-reps) lackey_reps=$2; shift 2 ;;
	--lackey-count) lackey_count=1; shift ;;
	--vms-cpus) vms_cpus=$2; shift 2 ;;
	--taskset) cpus=$2; shift 2 ;;
	--no-aslr) no_aslr=1; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "live_refbits.sh: unknown option '$1'" >&2; usage ;;
	esac
done
select_modes live_refbits.sh "$modes" native ref-off ref-on tlb tlb-obs lackey
[ -n "$lackey_reps" ] || lackey_reps=$reps
vms_bench_python live_refbits.sh
vms=$build/tools/vmsandbox
work_py=$here/live_python_work.py
pre=(timeout --kill-after=10 "$timeout_s")
[ -n "$cpus" ] && pre+=(taskset -c "$cpus")
[ "$no_aslr" = 1 ] && pre+=(setarch "$(uname -m)" -R)
export PYTHONHASHSEED=0

need_vms=0
for m in ref-off ref-on tlb tlb-obs; do
	[ -n "${want[$m]:-}" ] && need_vms=1
done
if [ -n "${want[lackey]:-}" ] && ! command -v valgrind >/dev/null; then
	echo "live_refbits.sh: valgrind is not installed (apt-get install -y valgrind), or leave lackey out: --modes ${modes//lackey/}" >&2
	exit 2
fi

work=$(mktemp -d /tmp/vms-live-refbits.XXXXXX)
vms_bench_traps
vms_bench_lock live_refbits.sh

# The options each mode adds to vmsandbox; the budget is appended later.
c=
[ "$vms_cpus" != none ] && c=" --cpus $vms_cpus"
declare -A vopts=(
	[ref-off]="--policy clock --ref-tracking off$c"
	[ref-on]="--policy clock --ref-tracking on$c"
	[tlb]="--policy clock --tlb $geom$c"
	[tlb-obs]="--tlb $geom$c"
)
# Report keys each mode must have (so that a vmsandbox that accepts an
# option but does not report on it is found out at once).
declare -A vkeys=(
	[ref-off]=soft_faults.total
	[ref-on]=soft_faults.total
	[tlb]=tlb.walks
	[tlb-obs]=tlb.walks
)

if [ "$need_vms" = 1 ]; then
	if ! why=$(vms_probe "$vms" "$work"); then
		echo "live_refbits.sh: $vms is not usable: $why" >&2
		exit 2
	fi
	# Every sandboxed mode's options, on /bin/true, before anything is timed.
	missing=()
	for m in ref-off ref-on tlb tlb-obs; do
		[ -n "${want[$m]:-}" ] || continue
		b=(--frames 4096)
		[ "$m" = tlb-obs ] && b=()
		# shellcheck disable=SC2086
		"$vms" ${vopts[$m]} "${b[@]}" --report "$work/probe.$m.json" --quiet -- /bin/true \
			>/dev/null 2>"$work/probe.$m.err"
		rc=$?
		if [ $rc -ne 0 ]; then
			missing+=("  $m: \`vmsandbox ${vopts[$m]}${b[*]:+ ${b[*]}} -- /bin/true\` exits $rc: $(head -n 1 "$work/probe.$m.err")")
		elif [ "$(report_get "$work/probe.$m.json" "${vkeys[$m]}")" = n/a ]; then
			missing+=("  $m: \`vmsandbox ${vopts[$m]}${b[*]:+ ${b[*]}}\` runs, but its report has no ${vkeys[$m]}")
		fi
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "live_refbits.sh: $vms lacks what these modes need (the live --ref-tracking and --tlb of issue 5):" >&2
		printf '%s\n' "${missing[@]}" >&2
		echo "live_refbits.sh: nothing was run; --modes native,lackey runs the rest" >&2
		exit 2
	fi
fi

# The budget: PCT% of the workload's peak resident pages under vmsandbox
# without a budget, from one untimed run (it also warms the page cache).
peak_obs=n/a
if [ "$need_vms" = 1 ] && [ -z "$frames" ]; then
	# shellcheck disable=SC2086
	peak_obs=$(vms_peak_resident live_refbits.sh "$work/calib.json" \
		"$vms" $c --report "$work/calib.json" --quiet -- "$PYTHON" "$work_py" "$scale") || exit 1
	frames=$(calc "$peak_obs" '*' "$(calc "$pct" / 100 %.6f)" %.0f)
fi

# The exact command of each mode, for the header and for error messages.
declare -A cmd=()
cmd[native]="$PYTHON $work_py $scale"
for m in ref-off ref-on tlb; do
	cmd[$m]="$vms ${vopts[$m]} --frames $frames --report R --quiet -- $PYTHON $work_py $scale"
done
cmd[tlb-obs]="$vms ${vopts[tlb-obs]} --report R --quiet -- $PYTHON $work_py $scale"
if [ "$lackey_count" = 1 ]; then
	cmd[lackey]="valgrind --tool=lackey --trace-mem=yes --log-fd=4 $PYTHON $work_py $scale 4>&1 >OUT | wc -l"
else
	cmd[lackey]="valgrind --tool=lackey --trace-mem=yes --log-file=/dev/null $PYTHON $work_py $scale"
fi

# Columns of $work/MODE.tsv: 1 wall  2 cpu  3 maxrss_mib  4 faults  5 swap_in
# 6 evictions  7 in_fault_s  8 soft total  9 reference  10 tlb  11 wss
# 12 soft unmaps  13 soft-fault time  14 tlb accesses  15 tlb misses (L1)
# 16 tlb walks  17 misses_per_s  18 misses_per_minstr  19 trace lines (lackey)
failed=0
run_mode() {
	local mode=$1 rep=$2 out r v lines=n/a
	out=$work/$mode.$rep.out
	r=$work/$mode.$rep.json
	case $mode in
	native) launch "" "$out" "$PYTHON" "$work_py" "$scale" ;;
	ref-off|ref-on|tlb)
		# shellcheck disable=SC2086
		launch "" "$out" "$vms" ${vopts[$mode]} --frames "$frames" --report "$r" --quiet -- \
			"$PYTHON" "$work_py" "$scale" ;;
	tlb-obs)
		# shellcheck disable=SC2086
		launch "" "$out" "$vms" ${vopts[$mode]} --report "$r" --quiet -- \
			"$PYTHON" "$work_py" "$scale" ;;
	lackey)
		if [ "$lackey_count" = 1 ]; then
			# The trace (valgrind's log) goes down a pipe to wc -l; the
			# program's stdout to $out as in every other mode.
			# shellcheck disable=SC2016
			launch "" "$out" bash -c 'set -o pipefail; exec 3>&1; valgrind --tool=lackey --trace-mem=yes --log-fd=4 "$@" 4>&1 1>&3 3>&- | wc -l >"$0"' \
				"$out.lines" "$PYTHON" "$work_py" "$scale"
			lines=$(cat "$out.lines" 2>/dev/null || echo n/a)
		else
			launch "" "$out" valgrind --tool=lackey --trace-mem=yes --log-file=/dev/null \
				"$PYTHON" "$work_py" "$scale"
		fi ;;
	esac
	if [ "$rc" -ne 0 ]; then
		echo "live_refbits.sh: $mode run $rep failed with status $rc: $(head -n 3 "$out.err")" >&2
		echo "  command: ${cmd[$mode]}" >&2
		failed=1
		return
	fi
	if ! same_output live_refbits.sh "$mode" "$rep" "$out" "${cmd[$mode]}"; then
		failed=1
		return
	fi
	case $mode in
	native|lackey) v=(n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a n/a) ;;
	*)
		mapfile -t v < <(report_get "$r" faults.total faults.swap_in evictions time.in_fault_s \
			soft_faults.total soft_faults.reference soft_faults.tlb soft_faults.wss \
			soft_faults.soft_unmaps soft_faults.time_s tlb.accesses tlb.misses tlb.walks \
			tlb.misses_per_s tlb.misses_per_minstr)
		if [ "${#v[@]}" -ne 15 ]; then
			echo "live_refbits.sh: $mode run $rep: no usable report in $r" >&2
			failed=1
			return
		fi ;;
	esac
	echo "$wall $cpu $(calc "$maxrss_kb" / 1024 %.0f) ${v[*]} $lines" >>"$work/$mode.tsv"
}

lk=
[ -n "${want[lackey]:-}" ] && [ "$lackey_reps" != "$reps" ] && lk=" (lackey $lackey_reps)"
echo "== live_refbits: reference bits and the live TLB model against lackey; $reps runs each$lk, interleaved"
echo "   workload: $PYTHON $work_py $scale"
if [ "$need_vms" = 1 ]; then
	if [ "$peak_obs" != n/a ]; then
		echo "   budget:   --frames $frames = $pct% of $peak_obs pages, the peak resident under vmsandbox without --frames"
	else
		echo "   budget:   --frames $frames (given)"
	fi
fi
for m in "${cols[@]}"; do
	printf '   %-8s %s\n' "$m" "${cmd[$m]}"
done

for rep in $(seq 1 "$reps"); do
	for m in "${cols[@]}"; do
		[ "$m" = lackey ] && [ "$rep" -gt "$lackey_reps" ] && continue
		run_mode "$m" "$rep"
	done
done

echo
row "" "${cols[@]}"
mode_line "wall time, s (median)" 1
mode_line "wall time, s (min)" 1 minimum
mode_line "wall time, s (max)" 1 maximum
[ -n "${want[native]:-}" ] && mode_ratio_line "  / native (median)" 1 median . native
[ -n "${want[native]:-}" ] && mode_ratio_line "  / native (min)" 1 minimum . native
[ -n "${want[lackey]:-}" ] && mode_ratio_line "lackey / this, wall (median)" 1 median lackey .
[ -n "${want[lackey]:-}" ] && mode_ratio_line "lackey / this, wall (min)" 1 minimum lackey .
mode_line "CPU time, s (user+sys, all procs)" 2
mode_line "max RSS, MiB" 3
mode_line "faults (report)" 4
mode_line "  swap-in" 5
mode_line "evictions" 6
mode_line "time in fault handling, s" 7
mode_line "soft faults" 8
mode_line "  reference" 9
mode_line "  tlb" 10
mode_line "  wss" 11
mode_line "soft unmaps" 12
mode_line "time in soft faults, s" 13
mode_line "TLB accesses (report)" 14
mode_line "TLB L1 misses" 15
mode_line "  min" 15 minimum
mode_line "  max" 15 maximum
mode_line "TLB walks" 16
mode_line "TLB L1 misses per s" 17
mode_line "TLB L1 misses per M instructions" 18
[ "$lackey_count" = 1 ] && mode_line "trace lines (lackey)" 19
echo
if [ -n "${want[lackey]:-}" ] && [ -n "${want[tlb]:-}" ]; then
	l=$(mode_col lackey 1)
	t=$(mode_col tlb 1)
	echo "lackey / tlb ($geom, --frames $frames), median wall: $(calc "$l" / "$t" %.3g) (goal >= 10)"
	t=$(mode_col tlb-obs 1)
	[ -n "${want[tlb-obs]:-}" ] && echo "lackey / tlb-obs ($geom, no --frames), median wall: $(calc "$l" / "$t" %.3g)"
fi
for m in ref-off ref-on tlb tlb-obs; do
	[ -f "$work/$m.1.json" ] || continue
	mapfile -t v < <(report_get "$work/$m.1.json" ref_tracking.mode ref_tracking.fault_around tlb.counters)
	printf '%s: ref_tracking.mode %s, fault-around %s' "$m" "${v[0]}" "${v[1]}"
	[ "${v[2]}" != n/a ] && printf ', TLB counters: %s' "${v[2]}"
	printf '\n'
done
echo "Counts are medians of vmsandbox's reports, each row on its own (so one column's"
echo "figures may come from different runs); lackey's max RSS is valgrind's.  A run"
echo "whose output differs from the first run's fails."
exit "$failed"
