#!/bin/bash
# live_thrash.sh: the thrashing benchmark.  One binary (build/bench/live_thrash,
# 64 MiB touched sequentially and at random, every read checked) run three
# ways, interleaved, REPS times:
#   native    no limit, no swap;
#   kernel    in a memory cgroup limited to LIMIT MiB with zram (lz4) swap;
#   vmsandbox `vmsandbox --frames LIMIT*256 --report R.json --quiet -- ...`.
# Prints the medians and the ratios vmsandbox/kernel, kernel/native and
# vmsandbox/native.  While the live pager is not usable (the CLI says "not in
# this build yet", or fails), the vmsandbox column is "n/a" and says why.
#
#   bench/live_thrash.sh [-b BUILD_DIR] [-r REPS] [--limit-mib M] [--zram-mib Z]
#                        [--taskset CPUS] [--timeout S] [--keep] [-- WORKLOAD_ARGS...]
#
# The kernel column needs root: it hot-adds a zram device (zram0 if the kernel
# has no zram-control), turns it on as swap with priority 32767 only for the
# duration of each kernel run, and makes a child memory cgroup of the caller's
# own (v1: memory.limit_in_bytes; v2: memory.max, memory.swap.max=max).  All of
# it is undone on exit, error or signal (trap); a run killed with SIGKILL
# leaves a state file that the next run cleans up first.  Runs of the live
# benchmarks are serialised with a lock.  docs/benchmarks.md has the figures.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/live_lib.sh
. "$here/live_lib.sh"

build=build
reps=5
limit_mib=16
zram_mib=256
cpus=
timeout_s=900
keep=0
usage() {
	sed -n '12,13p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
while [ $# -gt 0 ]; do
	case $1 in
	-b|--build) build=$2; shift 2 ;;
	-r|--reps) reps=$2; shift 2 ;;
	--limit-mib) limit_mib=$2; shift 2 ;;
	--zram-mib) zram_mib=$2; shift 2 ;;
	--taskset) cpus=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) usage 0 ;;
	--) shift; break ;;
	*) echo "live_thrash.sh: unknown option '$1'" >&2; usage ;;
	esac
done
workload_args=("$@")
frames=$((limit_mib * 256))
bin=$build/bench/live_thrash
vms=$build/tools/vmsandbox
if [ ! -x "$bin" ]; then
	echo "live_thrash.sh: $bin is not built; run scripts/build.sh first" >&2
	exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/live_thrash
work=$(mktemp -d /tmp/vms-live-thrash.XXXXXX)
pre=(timeout --kill-after=10 "$timeout_s")
[ -n "$cpus" ] && pre+=(taskset -c "$cpus")

# ---- kernel baseline: state, set-up and tear-down -------------------------
lockdir=/run/lock
[ -w "$lockdir" ] || lockdir=/tmp
statefile=$lockdir/vmsandbox-live-thrash.state
zdev=          # zramN we configured
zhot=0         # 1: we hot-added it, so we hot-remove it
cg=            # the cgroup directory of the current kernel run
cgver=         # 1 or 2
cgparent=
sampler=       # pid of the mm_stat sampler
child=         # pid of the running workload (via timeout)
kernel_why=    # why the kernel column is n/a, when it is

state_written=0
state_add() { echo "$*" >>"$statefile"; state_written=1; }

zram_swapoff() {
	[ -n "$zdev" ] || return 0
	if grep -q "^/dev/$zdev " /proc/swaps && ! swapoff "/dev/$zdev"; then
		echo "live_thrash.sh: WARNING: swapoff /dev/$zdev failed" >&2
		return 1
	fi
	echo 1 >"/sys/block/$zdev/reset" 2>/dev/null
}

# Runs on every exit (trap EXIT; INT/TERM/HUP exit through it).  Order
# matters: the workload must be gone before its cgroup can be removed, and
# its swapped pages freed before swapoff (which would otherwise have to bring
# 50 MB back into a 16 MiB cgroup).
teardown() {
	local ok=1
	# A signal may arrive inside launch's { wait; } 2>/dev/null.
	exec 2>&3
	if [ -n "$child" ]; then
		# timeout(1) passes the signal on to its whole process group.
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
		child=
	fi
	if [ -n "$sampler" ]; then
		kill "$sampler" 2>/dev/null
		wait "$sampler" 2>/dev/null
		sampler=
	fi
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			# Anything still in the cgroup is the workload we started.
			xargs -r kill -KILL <"$cg/cgroup.procs" 2>/dev/null
			rmdir "$cg" 2>/dev/null && break
			sleep 0.2
		done
		[ -d "$cg" ] && { echo "live_thrash.sh: WARNING: could not remove cgroup $cg" >&2; ok=0; }
	fi
	cg=
	zram_swapoff || ok=0
	if [ -n "$zdev" ] && [ "$zhot" = 1 ]; then
		echo "${zdev#zram}" >/sys/class/zram-control/hot_remove 2>/dev/null ||
			{ echo "live_thrash.sh: WARNING: could not hot-remove $zdev" >&2; ok=0; }
	fi
	zdev=
	if [ "$state_written" = 1 ]; then
		if [ "$ok" = 1 ]; then
			rm -f "$statefile"
		else
			echo "live_thrash.sh: left over: $(tr '\n' ' ' <"$statefile"); the next run removes them" >&2
		fi
	fi
	if [ "$keep" = 1 ]; then
		echo "(raw outputs kept in $work)"
	else
		rm -rf "$work"
	fi
}
exec 3>&2
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# A run that died by SIGKILL left its devices and cgroup behind: undo them.
cleanup_stale_state() {
	local what arg hot
	[ -f "$statefile" ] || return 0
	echo "live_thrash.sh: cleaning up after an earlier run that did not finish ($statefile)" >&2
	while read -r what arg hot; do
		case $what in
		cgroup)
			if [ -d "$arg" ] && [ -s "$arg/cgroup.procs" ]; then
				echo "live_thrash.sh: $arg still has processes; end them and remove it" >&2
				exit 1
			fi
			[ -d "$arg" ] && rmdir "$arg" ;;
		work)
			case $arg in /tmp/vms-live-thrash.*) rm -rf "$arg" ;; esac ;;
		zram)
			grep -q "^/dev/$arg " /proc/swaps && swapoff "/dev/$arg"
			[ -e "/sys/block/$arg/reset" ] && echo 1 >"/sys/block/$arg/reset"
			[ "$hot" = 1 ] && [ -e "/sys/block/$arg" ] &&
				echo "${arg#zram}" >/sys/class/zram-control/hot_remove ;;
		esac
	done <"$statefile"
	rm -f "$statefile"
}

# Finds the memory controller: v2 if the unified hierarchy has it, else v1.
# The cgroup is a child of the caller's own memory cgroup, so it stays
# inside whatever the caller is accounted to.
cgroup_detect() {
	local v2root own
	v2root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$v2root" ] && grep -qw memory "$v2root/cgroup.controllers" 2>/dev/null; then
		cgver=2
		cgparent=$v2root
		if ! grep -qw memory "$cgparent/cgroup.subtree_control" &&
			! echo +memory >"$cgparent/cgroup.subtree_control"; then
			kernel_why="cannot enable the memory controller in $cgparent"
			return 1
		fi
		return 0
	fi
	if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		cgver=1
		own=$(awk -F: '$2 == "memory" { print $3; exit }' /proc/self/cgroup)
		cgparent=/sys/fs/cgroup/memory${own%/}
		return 0
	fi
	kernel_why="no memory cgroup controller mounted (v1 or v2)"
	return 1
}

zram_setup() {
	if [ -e /sys/class/zram-control/hot_add ]; then
		zdev=zram$(cat /sys/class/zram-control/hot_add) || { kernel_why="zram hot_add failed"; return 1; }
		zhot=1
	elif [ -e /sys/block/zram0 ] && [ "$(cat /sys/block/zram0/initstate)" = 0 ]; then
		zdev=zram0
	else
		kernel_why="no free zram device (modprobe zram, or load the module with num_devices=1)"
		return 1
	fi
	state_add work "$work"
	state_add zram "$zdev" "$zhot"
	if ! grep -qw lz4 "/sys/block/$zdev/comp_algorithm"; then
		kernel_why="zram has no lz4 here ($(cat "/sys/block/$zdev/comp_algorithm"))"
		return 1
	fi
	return 0
}

# Per kernel run: a fresh lz4 zram swap (so mm_stat is this run's) and a fresh cgroup.
kernel_run_up() {
	echo 1 >"/sys/block/$zdev/reset" || return 1
	echo lz4 >"/sys/block/$zdev/comp_algorithm" || return 1
	echo "${zram_mib}M" >"/sys/block/$zdev/disksize" || return 1
	mkswap "/dev/$zdev" >/dev/null || return 1
	swapon -p 32767 "/dev/$zdev" || return 1
	cg=$cgparent/vms-live-thrash.$$
	state_add cgroup "$cg"
	mkdir "$cg" || return 1
	if [ "$cgver" = 1 ]; then
		echo "${limit_mib}M" >"$cg/memory.limit_in_bytes" || return 1
	else
		echo "${limit_mib}M" >"$cg/memory.max" || return 1
		echo max >"$cg/memory.swap.max" || return 1
		# zswap would catch pages before they reach zram.
		[ -e "$cg/memory.zswap.max" ] && echo 0 >"$cg/memory.zswap.max"
	fi
	return 0
}

kernel_run_down() {
	if [ -n "$cg" ]; then
		rmdir "$cg" 2>/dev/null || { sleep 0.5; rmdir "$cg"; }
		cg=
	fi
	zram_swapoff
}

vmstat_get() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

# ---- the three runs ---------------------------------------------------------
# parse_out FILE: "prog_s paging_s majflt checksum errors" from live_thrash's
# output; paging_s is every phase but the first write pass (no swap-ins there).
parse_out() {
	awk '
	/^phase=/ {
		split("", f)
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		if (!(f["phase"] == "seq_write" && f["pass"] == 1)) paging += f["time_s"]
	}
	/^total / { for (i = 2; i <= NF; i++) { split($i, kv, "="); t[kv[1]] = kv[2] } }
	END {
		if (!("checksum" in t)) { print "n/a n/a n/a n/a n/a"; exit }
		printf "%s %.6f %s %s %s\n", t["time_s"], paging, t["majflt"], t["checksum"], t["errors"]
	}' "$1"
}

# Columns of $work/MODE.tsv, one line per repetition:
#  1 wall  2 prog  3 paging  4 majflt  5 swapins  6 swapouts  7 us_excess
#  8 us_total  9 zram_ratio  10 zram_mem_mib  11 us_in_pager  12 faults
#  13 cpu  14 cpu_us_excess
# us_excess: (paging - this repetition's native paging) / swapins, in µs;
# cpu_us_excess: the same with CPU time of the whole run.
us_per() { # DELTA_S COUNT -> µs, or n/a / -
	calc "$(calc "$1" / "$2" %.9f)" '*' 1e6 %.2f
}
record() {
	local mode=$1 swapins=$2 swapouts=$3 zratio=$4 zmem=$5 inpager=$6 faults=$7
	echo "$wall $prog $paging $majflt $swapins $swapouts" \
		"$(us_per "$(calc "$paging" - "$native_paging" %.6f)" "$swapins")" \
		"$(us_per "$paging" "$swapins") $zratio $zmem $inpager $faults $cpu" \
		"$(us_per "$(calc "$cpu" - "$native_cpu" %.6f)" "$swapins")" >>"$work/$mode.tsv"
}

check_run() {
	local mode=$1 rep=$2
	if [ "$rc" -ne 0 ] || [ "$errors" != 0 ]; then
		echo "live_thrash.sh: $mode run $rep failed: exit $rc, $errors wrong words: $(head -n 3 "$out.err")" >&2
		return 1
	fi
	if [ "$checksum" != "$native_checksum" ]; then
		echo "live_thrash.sh: $mode run $rep: checksum $checksum differs from native $native_checksum" >&2
		return 1
	fi
	return 0
}

failed=0
run_native() {
	out=$work/native.$1.out
	launch "" "$out" "$bin" "${workload_args[@]}"
	read -r prog paging majflt checksum errors < <(parse_out "$out")
	[ -z "${native_checksum:-}" ] && native_checksum=$checksum
	native_paging=$paging
	native_cpu=$cpu
	if check_run native "$1"; then
		record native 0 0 n/a n/a n/a n/a
	else
		failed=1
	fi
}

# The kernel's memory cgroup OOM-kills the workload now and then even though
# swap is nearly empty (docs/benchmarks.md): such a run is counted, kept out of
# the medians, and the repetition is tried again, up to 3 times.
nr_kernel_oom=0
run_kernel() {
	local attempt
	for attempt in 1 2 3; do
		run_kernel_once "$1.$attempt" && return 0
		[ "$oom" = 1 ] || break
		nr_kernel_oom=$((nr_kernel_oom + 1))
		echo "live_thrash.sh: kernel run $1: the memory cgroup OOM-killed the workload (attempt $attempt)" >&2
	done
	[ "$oom" = 1 ] || failed=1
}

run_kernel_once() {
	local in0 out0 in1 out1 mm ratio mem
	oom=0
	out=$work/kernel.$1.out
	if ! kernel_run_up; then
		echo "live_thrash.sh: setting up zram swap and the cgroup failed" >&2
		exit 1
	fi
	in0=$(vmstat_get pswpin)
	out0=$(vmstat_get pswpout)
	# Ends by itself if this script is SIGKILLed.
	( while kill -0 $$; do read -r l <"/sys/block/$zdev/mm_stat"; echo "$l"; sleep 0.1; done ) \
		>"$work/kernel.$1.mm_stat" 2>/dev/null 3>&- 9>&- &
	sampler=$!
	launch "$cg/cgroup.procs" "$out" "$bin" "${workload_args[@]}"
	kill "$sampler"
	wait "$sampler" 2>/dev/null
	sampler=
	in1=$(vmstat_get pswpin)
	out1=$(vmstat_get pswpout)
	cp "$cg/memory.stat" "$work/kernel.$1.memory.stat"
	if [ "$cgver" = 1 ]; then
		grep -q '^oom_kill [1-9]' "$cg/memory.oom_control" && oom=1
	else
		grep -q '^oom_kill [1-9]' "$cg/memory.events" && oom=1
	fi
	read -r _ _ _ _ mem _ <"/sys/block/$zdev/mm_stat"
	kernel_run_down
	[ "$oom" = 1 ] && return 1
	# The sample with the most data stored: orig_data_size / compr_data_size.
	mm=$(sort -k1,1n "$work/kernel.$1.mm_stat" | tail -n 1)
	ratio=$(echo "$mm" | awk '$2 > 0 { printf "%.2f", $1 / $2; exit } { print "n/a" }')
	read -r prog paging majflt checksum errors < <(parse_out "$out")
	check_run kernel "$1" || return 1
	record kernel "$((in1 - in0))" "$((out1 - out0))" "$ratio" "$(calc "$mem" / 1048576 %.1f)" n/a n/a
}

vms_why=
run_vms() {
	local rep=$1 r v
	out=$work/vms.$rep.out
	r=$work/vms.$rep.json
	launch "" "$out" "$vms" --frames "$frames" --report "$r" --quiet -- "$bin" "${workload_args[@]}"
	read -r prog paging majflt checksum errors < <(parse_out "$out")
	if ! check_run vmsandbox "$rep" || ! report_get "$r" faults.total >/dev/null; then
		failed=1
		vms_why="run $rep failed (see above)"
		return
	fi
	mapfile -t v < <(report_get "$r" faults.swap_in evictions time.in_fault_s faults.total)
	record vms "${v[0]}" "${v[1]}" n/a n/a "$(us_per "${v[2]}" "${v[3]}")" "${v[3]}"
}

# ---- main -------------------------------------------------------------------
vms_bench_lock live_thrash.sh

kernel=0
if [ "$(id -u)" != 0 ]; then
	kernel_why="needs root (zram, swapon, cgroups)"
else
	cleanup_stale_state
	if cgroup_detect && zram_setup; then
		kernel=1
	fi
fi
other_swap=$(awk 'NR > 1 { printf "%s%s", sep, $1; sep = ", " }' /proc/swaps)

vms_ok=0
if vms_why=$(vms_probe "$vms" "$work"); then
	vms_ok=1
fi

echo "== live_thrash: 64 MiB workload, ${limit_mib} MiB budget; $reps runs each, interleaved; medians"
echo "   workload: $bin ${workload_args[*]}"
if [ "$kernel" = 1 ]; then
	echo "   kernel:   cgroup v$cgver ${cgparent}/vms-live-thrash.$$ limited to ${limit_mib} MiB;" \
		"/dev/$zdev lz4 ${zram_mib} MiB swap, priority 32767, on only during kernel runs"
	[ -n "$other_swap" ] && echo "   NOTE: other swap is active ($other_swap); zram has priority 32767 and is used first"
else
	echo "   kernel:   n/a: $kernel_why"
fi
if [ "$vms_ok" = 1 ]; then
	echo "   vmsandbox: $vms --frames $frames"
else
	echo "   vmsandbox: n/a: not usable yet ($vms_why)"
fi

for rep in $(seq 1 "$reps"); do
	run_native "$rep"
	[ "$kernel" = 1 ] && run_kernel "$rep"
	[ "$vms_ok" = 1 ] && run_vms "$rep"
done

# col MODE N: the median of column N of MODE's runs ("n/a" if none).
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
	b=$(col kernel "$n")
	c=$(col vms "$n")
	row "$label" "$a" "$b" "$c" "$(calc "$c" / "$b")" "$(calc "$b" / "$a")" "$(calc "$c" / "$a")"
}
echo
row "" native kernel vmsandbox vms/kernel kernel/native vms/native
line "wall time, s (exec to exit)" 1
line "CPU time, s (user+sys, all procs)" 13
line "program time, s" 2
line "paging phases time, s" 3
line "swap-ins" 5
line "swap-outs (vmsandbox: evictions)" 6
line "major faults (ru_majflt)" 4
line "vmsandbox faults (report)" 12
line "us per swap-in, over native" 7
line "us per swap-in, whole phase" 8
line "CPU us per swap-in, over native" 14
line "zram compression ratio" 9
line "zram memory used, MiB (peak)" 10
line "us in pager per fault (report)" 11
echo
echo "swap-ins: kernel = /proc/vmstat pswpin delta, vmsandbox = faults.swap_in of its report."
echo "paging phases: all but the first write pass; 'over native' subtracts the same"
echo "phases of the native run of the same repetition.  Each swap-in also pays for"
echo "the eviction that made room for it.  CPU time is less sensitive than wall"
echo "time to other load on the machine; the kernel does its paging in the"
echo "faulting task, vmsandbox in its supervisor (both counted)."
[ "$kernel" = 1 ] || echo "kernel column n/a: $kernel_why"
[ "$nr_kernel_oom" -gt 0 ] &&
	echo "kernel: $nr_kernel_oom run(s) OOM-killed by the memory cgroup with swap to spare; repeated, not counted"
[ -n "$vms_why" ] && echo "vmsandbox column n/a: $vms_why"
exit "$failed"
