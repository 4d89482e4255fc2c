# shellcheck shell=bash
# launch() reads the caller's pre[] and sets globals for it:
# shellcheck disable=SC2034,SC2154
# Helpers shared by bench/live_thrash.sh, live_python.sh, live_fork.sh,
# live_refbits.sh and live_profile.sh (sourced, not run).  Numbers are
# passed around as text; "n/a" is a valid value everywhere and propagates
# through ratio/sub/div.

# The awk function num(x): x with 6 significant digits, but whole numbers of
# 10^5 and more (counts) in full.
awk_num='function num(x) { return (x == int(x) && (x >= 1e5 || x <= -1e5)) ? sprintf("%.0f", x) : sprintf("%.6g", x) }'

# median: the median of the numbers on stdin ("n/a" lines ignored).
median() {
	grep -E '^-?[0-9.]+(e[-+]?[0-9]+)?$' | sort -g | awk "$awk_num"'
		{ v[NR] = $1 }
		END {
			if (NR == 0) { print "n/a"; exit }
			if (NR % 2) m = v[(NR + 1) / 2]
			else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
			print num(m)
		}'
}

# minimum: the smallest of the numbers on stdin ("n/a" lines ignored).
minimum() {
	grep -E '^-?[0-9.]+(e[-+]?[0-9]+)?$' | sort -g | awk "$awk_num"'
		NR == 1 { print num($1) }
		END { if (NR == 0) print "n/a" }'
}

# maximum: the largest of the numbers on stdin ("n/a" lines ignored).
maximum() {
	grep -E '^-?[0-9.]+(e[-+]?[0-9]+)?$' | sort -g | awk "$awk_num"'
		{ v = $1 }
		END { if (NR == 0) print "n/a"; else print num(v) }'
}

# calc A OP B [FMT]: A OP B for OP in / - *, formatted with FMT (printf,
# default %.4g); "n/a" if A or B is n/a, "-" for a division by zero or
# when A or B is "-".
calc() {
	awk -v a="$1" -v op="$2" -v b="$3" -v fmt="${4:-%.4g}" 'BEGIN {
		if (a == "n/a" || b == "n/a" || a == "" || b == "") { print "n/a"; exit }
		if (a == "-" || b == "-") { print "-"; exit }
		if (op == "/") { if (b + 0 == 0) { print "-"; exit } r = a / b }
		else if (op == "-") r = a - b
		else if (op == "*") r = a * b
		printf fmt "\n", r
	}'
}

# now: wall-clock seconds with microseconds, without a fork.
now() {
	printf '%s\n' "${EPOCHREALTIME/,/.}"
}

# vms_probe VMS TMPDIR: 0 if `VMS --frames 4096 --report R --quiet -- /bin/true`
# exits 0 and writes a report with a "faults" object; otherwise 1, with the
# reason on stdout (the tool's first line of stderr, or what is missing).
vms_probe() {
	local vms=$1 dir=$2 rc
	if [ ! -x "$vms" ]; then
		echo "$vms not built"
		return 1
	fi
	rm -f "$dir/probe.json"
	"$vms" --frames 4096 --report "$dir/probe.json" --quiet -- /bin/true \
		>/dev/null 2>"$dir/probe.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "exit status $rc: $(head -n 1 "$dir/probe.err")"
		return 1
	fi
	if ! report_get "$dir/probe.json" faults.total >/dev/null; then
		echo "no usable JSON report from --report"
		return 1
	fi
	return 0
}

# report_get FILE KEY.PATH...: prints each dotted key of a vmsandbox JSON
# report on its own line ("n/a" where absent); status 1 if the file does not
# parse.  Needs python3 (any: only the json module is used).
report_get() {
	local file=$1
	shift
	"${VMS_BENCH_PY:-python3}" - "$file" "$@" <<'EOF'
import json, sys
try:
    with open(sys.argv[1]) as f:
        r = json.load(f)
except Exception as e:
    sys.exit(1)
for key in sys.argv[2:]:
    v = r
    for part in key.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    print("n/a" if v is None or isinstance(v, (dict, list)) else v)
EOF
}

# launch CGROUP_PROCS OUT CMD...: runs CMD with stdout in OUT, stderr in
# OUT.err, behind the caller's "${pre[@]}" (timeout, taskset) and, if
# CGROUP_PROCS is not empty, moved into that cgroup first (by the same
# wrapper for every column, so all pay the same), and sets $rc, $wall, $cpu
# (user + system seconds of CMD and every descendant it waited for, so
# vmsandbox's supervisor and the program together; 10 ms resolution) and
# $maxrss_kb (the largest RSS of any of them) and $minflt (their minor
# faults, summed).
# $child holds the pid while it runs, for the caller's trap to end it.  The
# callers' fds 3 (saved stderr) and 9 (the benchmark lock) are not passed on:
# a workload left running by a killed script must not hold the lock.
launch() {
	local procs=$1 out=$2 t0 t1
	shift 2
	t0=$(now)
	"${pre[@]}" /usr/bin/time -o "$out.time" -f '%U %S %M %R' \
		bash -c 'p=$1; shift; [ -n "$p" ] && echo $$ >"$p"; exec "$@"' _ "$procs" "$@" \
		>"$out" 2>"$out.err" 3>&- 9>&- &
	child=$!
	{ wait "$child"; } 2>/dev/null
	rc=$?
	child=
	t1=$(now)
	wall=$(calc "$t1" - "$t0" %.6f)
	read -r cpu maxrss_kb minflt < <(tail -n 1 "$out.time" 2>/dev/null |
		awk 'NF == 4 { printf "%.2f %s %s\n", $1 + $2, $3, $4; exit } { print "n/a n/a n/a" }')
}

# row LABEL V1 V2 ...: one table row, label left-aligned, values right-aligned
# in columns of $row_width characters (default 12).
row() {
	local label=$1
	shift
	printf '%-34s' "$label"
	printf " %${row_width:-12}s" "$@"
	printf '\n'
}

# vms_bench_lock NAME: one live benchmark at a time (their timings would
# distort each other): takes the lock on fd 9, saying so if it must wait.
vms_bench_lock() {
	local lockdir=/run/lock
	[ -w "$lockdir" ] || lockdir=/tmp
	exec 9>>"$lockdir/vmsandbox-live-bench.lock"
	if ! flock -n 9; then
		echo "$1: another live benchmark holds $lockdir/vmsandbox-live-bench.lock; waiting" >&2
		flock 9
	fi
}

# For a benchmark with nothing of its own to undo: on exit or a signal, the
# running child ($child, set by launch) is stopped and $work removed unless
# $keep is 1.
vms_bench_teardown() {
	# A signal may arrive inside launch's { wait; } 2>/dev/null.
	exec 2>&3
	if [ -n "$child" ]; then
		# timeout(1) passes the signal on to its whole process group.
		kill -TERM "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	if [ "$keep" = 1 ]; then
		echo "(raw outputs kept in $work)"
	else
		rm -rf "$work"
	fi
}

vms_bench_traps() {
	child=
	exec 3>&2
	trap vms_bench_teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

# vms_bench_python NAME: sets $PYTHON to the real path of the interpreter
# (PYTHON, default /usr/bin/python3 if present: a real ELF, where pyenv's
# python3 is a bash script that would be run under vmsandbox or valgrind
# too); exits 2 if there is none.
vms_bench_python() {
	if [ -z "${PYTHON:-}" ]; then
		PYTHON=python3
		[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
	fi
	PYTHON=$(command -v "$PYTHON") || { echo "$1: no python3" >&2; exit 2; }
	PYTHON=$(readlink -f "$PYTHON")
}

# select_modes NAME LIST ALL...: the comma-separated modes of LIST, each of
# which must be one of ALL (else exits 2 naming it): sets the global
# associative array want[MODE]=1 and the array cols (the chosen modes in
# the order of ALL, which is the order they run and print in).
select_modes() {
	local name=$1 list=$2 m sel
	shift 2
	declare -gA want=()
	IFS=, read -r -a sel <<<"$list"
	for m in "${sel[@]}"; do
		case " $* " in
		*" $m "*) want[$m]=1 ;;
		*) echo "$name: unknown mode '$m' (modes: $*)" >&2; exit 2 ;;
		esac
	done
	cols=()
	for m in "$@"; do
		[ -n "${want[$m]:-}" ] && cols+=("$m")
	done
}

# vms_peak_resident NAME REPORT CMD...: runs CMD (a vmsandbox command line
# that writes its report to REPORT), untimed, behind "${pre[@]}", and prints
# the report's peak_resident_frames; status 1, with the reason on stderr, if
# the run fails.  The benchmarks' budgets are a percentage of it.
vms_peak_resident() {
	local name=$1 report=$2 rc peak
	shift 2
	"${pre[@]}" "$@" >"$report.out" 2>"$report.err" 3>&- 9>&-
	rc=$?
	peak=$(report_get "$report" peak_resident_frames 2>/dev/null || echo n/a)
	if [ $rc -ne 0 ] || [ "$peak" = n/a ]; then
		echo "$name: the calibration run (vmsandbox without --frames) failed with status $rc: $(head -n 3 "$report.err")" >&2
		return 1
	fi
	echo "$peak"
}

# same_output NAME MODE REP OUT CMD: 0 if the file OUT is the same as the
# first output given (whose mode is kept in $ref_mode, its file in $ref_out;
# the first call sets them); else 1, with CMD and the start of the
# difference on stderr.
same_output() {
	local name=$1 mode=$2 rep=$3 out=$4 cmd=$5
	if [ -z "${ref_out:-}" ]; then
		ref_out=$out
		ref_mode=$mode
		return 0
	fi
	cmp -s "$out" "$ref_out" && return 0
	echo "$name: $mode run $rep printed something else than the $ref_mode run:" >&2
	echo "  command: $cmd" >&2
	diff "$ref_out" "$out" | head -n 5 >&2
	return 1
}

# Tables of runs by mode: the runs of each mode are the lines of
# $work/MODE.tsv, one whitespace-separated field per figure ("n/a" where
# there is none), and the table has one column per mode of $cols.

# big: counts of 10^5 and more as integers (median and minimum print %.6g).
big() {
	awk '{ if ($1 ~ /^[0-9.e+-]+$/ && ($1 >= 1e5 || $1 <= -1e5)) printf "%.0f\n", $1; else print $1 }'
}

# mode_col MODE N [median|minimum|maximum]: that statistic of field N over
# the runs of MODE ("n/a" if it has none).
mode_col() {
	if [ -f "$work/$1.tsv" ]; then
		awk -v n="$2" '{ print $n }' "$work/$1.tsv" | "${3:-median}" | big
	else
		echo n/a
	fi
}

# mode_line LABEL N [HOW]: one table row, field N's HOW for every mode.
mode_line() {
	local label=$1 n=$2 how=${3:-median} m vals=()
	for m in "${cols[@]}"; do
		vals+=("$(mode_col "$m" "$n" "$how")")
	done
	row "$label" "${vals[@]}"
}

# mode_ratio_line LABEL N HOW NUM DEN: the ratio of field N's HOW (median
# or minimum) of mode NUM to mode DEN, per column; "." stands for the
# column's own mode (". native": this / native; "lackey .": lackey / this).
mode_ratio_line() {
	local label=$1 n=$2 how=$3 num=$4 den=$5 m a b vals=()
	for m in "${cols[@]}"; do
		a=$num; [ "$a" = . ] && a=$m
		b=$den; [ "$b" = . ] && b=$m
		if [ "$a" = "$b" ]; then
			vals+=("")
		else
			vals+=("$(calc "$(mode_col "$a" "$n" "$how")" / "$(mode_col "$b" "$n" "$how")" %.4g | big)")
		fi
	done
	row "$label" "${vals[@]}"
}
