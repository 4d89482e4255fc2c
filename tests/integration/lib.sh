# shellcheck shell=bash
# The harness of the live sandbox's integration tests, sourced by every
# tests/integration/test_*.sh.  A test runs a real program natively and under
# `vmsandbox --frames N`, and the two runs must be indistinguishable: the same
# bytes on stdout (and in output files), the same exit status; and the JSON
# report must show that the budget held and really bound (pages were evicted
# and read back).
#
#   . "$(dirname "$0")/lib.sh"
#   vms_setup "$@"                  # VMSANDBOX PROGS_DIR: skips (77) unless it can run
#   vms_compare NAME FRAMES [OPTIONS] -- PROGRAM ARGS...
#   vms_check_tree NAME [CHECKS]    # what NAME's report says about its processes
#   vms_require_option OPT [ARG]    # fail (not skip) when vmsandbox lacks OPT
#   vms_native NAME -- PROGRAM ARGS...             # one native run, kept as NAME
#   vms_live NAME NATIVE [OPTIONS] -- PROGRAM ARGS...  # a sandboxed run vs NATIVE's
#   vms_finish                      # exit 0 if every comparison passed, else 1
#
# vms_compare OPTIONS:
#   --policy P, --compress C, --swap S, --memory M   passed on to vmsandbox
#   --stdin FILE         both runs read FILE on stdin (default /dev/null)
#   --file NAME          NAME, relative to the run's directory, must be
#                        byte-identical after both runs (repeatable)
#   --native-rss KB      the peak RSS the test documents (printed next to
#                        the one measured now)
#   --summary            vmsandbox also writes its summary (-o) into the
#                        run's directory (kept with VMS_KEEP=1; vms_check_tree
#                        reads processes alive at once there when the report
#                        predates process_tree.peak_live_processes)
# In PROGRAM ARGS, @RUN@ is replaced by a directory private to each run
# (created empty), for programs that write files.  The program may fork and
# exec (sh -c, pipelines, make): every process of the tree is paged under
# the one budget.  The native peak RSS that GNU time measures is then the
# largest single process's, not the tree's: a test of a tree says what its
# budget is a percentage of.
#
# Environment: VMS_REQUIRE_LIVE=1 turns "this vmsandbox has no live sandbox"
# from a skip into a failure; VMS_KEEP=1 keeps the temporary directory;
# VMS_HARNESS_SELFTEST=1 (only with fake_vmsandbox.sh, see
# selftest_harness.sh) skips the root and /dev/userfaultfd checks.
# Exit statuses follow meson: 0 pass, 1 fail, 77 skip, 99 a bug in the test.

VMS_FAILS=0
VMS_PASSES=0
VMS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

vms_skip() {
	echo "SKIP: $*"
	exit 77
}

# The harness's own errors (bad arguments to its functions): not a test failure.
vms_error() {
	echo "ERROR (test harness): $*" >&2
	exit 99
}

vms_cleanup() {
	if [ "${VMS_KEEP:-0}" = 1 ]; then
		echo "kept $VMS_TMP"
	elif [ -n "${VMS_TMP:-}" ]; then
		rm -rf "$VMS_TMP"
	fi
}

# vms_setup VMSANDBOX PROGS_DIR: checks that live runs are possible here, or
# skips; makes the temporary directory; fixes the locale and the hash seeds.
vms_setup() {
	[ $# -ge 2 ] || vms_error "usage: $0 VMSANDBOX PROGS_DIR [ARGS...]"
	VMS=$1
	PROGS=$2
	if [ "${VMS_HARNESS_SELFTEST:-0}" != 1 ]; then
		[ "$(id -u)" = 0 ] ||
			vms_skip "not root: live runs need /dev/userfaultfd and CAP_SYS_PTRACE (see ARCHITECTURE.md, trap 5)"
		[ -e /dev/userfaultfd ] ||
			vms_skip "/dev/userfaultfd is missing (kernel without CONFIG_USERFAULTFD, or no devtmpfs)"
	fi
	[ -x "$VMS" ] || vms_error "vmsandbox '$VMS' is not an executable"
	[ -d "$PROGS" ] || vms_error "test programs directory '$PROGS' does not exist"
	command -v python3 > /dev/null || vms_error "python3 is needed to read the JSON reports"

	VMS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/vms-integration.XXXXXX") || vms_error "mktemp failed"
	trap vms_cleanup EXIT

	# Until the live pager lands, the executable refuses live runs with
	# status 2 and says so: skip rather than fail, unless asked not to.
	local st
	"$VMS" --frames 64 --quiet -- /bin/true > "$VMS_TMP/probe.out" 2> "$VMS_TMP/probe.err"
	st=$?
	if [ "$st" != 0 ]; then
		if [ "$st" = 2 ] && grep -q "not in this build" "$VMS_TMP/probe.err" &&
		   [ "${VMS_REQUIRE_LIVE:-0}" != 1 ]; then
			vms_skip "this vmsandbox has no live sandbox yet: $(head -n 1 "$VMS_TMP/probe.err")"
		fi
		echo "FAIL: '$VMS --frames 64 --quiet -- /bin/true' exited with $st:"
		sed 's/^/  | /' "$VMS_TMP/probe.err" | head -n 20
		exit 1
	fi

	# Deterministic output from the workloads: byte order collation, UTC,
	# fixed hash seeds (python's str hashes; perl's are not printed).
	export LC_ALL=C TZ=UTC PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1
	# Workloads use the distribution's python3 directly: a version manager's
	# shim (pyenv) is a shell script that forks.
	# shellcheck disable=SC2034  # used by the test scripts
	if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
	TIME_BIN=""
	[ -x /usr/bin/time ] && TIME_BIN=/usr/bin/time
}

# vms_need PROGRAM...: skip when a program the workload uses is missing.
vms_need() {
	local p
	for p in "$@"; do
		command -v "$p" > /dev/null ||
			vms_skip "'$p' is not installed (scripts/install-deps.sh installs the test dependencies)"
	done
}

# vms_frames_pct KB PCT: PCT % of KB kilobytes, in 4 KiB frames (at least 16).
vms_frames_pct() {
	local f=$(($1 * $2 / 100 / 4))
	[ "$f" -ge 16 ] || f=16
	echo "$f"
}

# Seconds between two $EPOCHREALTIME readings, with 2 decimals.
vms_elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}

vms_pass() {
	VMS_PASSES=$((VMS_PASSES + 1))
	echo "PASS: $*"
}

vms_fail() {
	VMS_FAILS=$((VMS_FAILS + 1))
	echo "FAIL: $*"
}

# Shows where two outputs differ: cmp's first difference, then a short diff
# when both are text.
vms_show_difference() {
	local a=$1 b=$2
	cmp "$a" "$b" 2>&1 | head -n 1 | sed 's/^/  | /'
	echo "  | sizes: $(stat -c %s "$a") (native) vs $(stat -c %s "$b") (sandbox) bytes"
	if grep -qI . "$a" 2> /dev/null && grep -qI . "$b" 2> /dev/null; then
		diff <(head -c 65536 "$a") <(head -c 65536 "$b") | head -n 12 | sed 's/^/  | /'
	fi
}

vms_show_stderr() {
	local label=$1 file=$2
	[ -s "$file" ] || return 0
	echo "  $label stderr (last lines):"
	tail -n 15 "$file" | sed 's/^/  | /'
}

# vms_compare NAME FRAMES [OPTIONS] -- PROGRAM ARGS...: see the head of this file.
vms_compare() {
	[ $# -ge 4 ] || vms_error "usage: vms_compare NAME FRAMES [OPTIONS] -- PROGRAM ARGS..."
	local name=$1 frames=$2
	shift 2
	local stdin=/dev/null documented="" policy="" summary=0
	local -a vopts=() files=() oopt=()
	while [ $# -gt 0 ]; do
		case $1 in
		--policy) policy=$2; vopts+=("$1" "$2"); shift 2 ;;
		--compress | --swap | --memory) vopts+=("$1" "$2"); shift 2 ;;
		--stdin) stdin=$2; shift 2 ;;
		--file) files+=("$2"); shift 2 ;;
		--native-rss) documented=$2; shift 2 ;;
		--summary) summary=1; shift ;;
		--) shift; break ;;
		*) vms_error "vms_compare: unknown option '$1'" ;;
		esac
	done
	[ $# -ge 1 ] || vms_error "vms_compare $name: no program"
	[[ "$frames" =~ ^[0-9]+$ ]] || vms_error "vms_compare $name: frames '$frames' is not a number"

	local d=$VMS_TMP/$name
	rm -rf "$d"
	mkdir -p "$d/native" "$d/sandbox" || vms_error "mkdir $d"
	[ "$summary" = 1 ] && oopt=(-o "$d/summary.txt")
	local -a ncmd=() scmd=()
	local a
	for a in "$@"; do
		ncmd+=("${a//@RUN@/$d/native}")
		scmd+=("${a//@RUN@/$d/sandbox}")
	done

	# Native run, with its peak RSS when GNU time is there.
	local t0 t1 t2 nst sst rss="n/a"
	t0=$EPOCHREALTIME
	if [ -n "$TIME_BIN" ]; then
		"$TIME_BIN" -f %M -o "$d/native.rss" "${ncmd[@]}" < "$stdin" > "$d/native.out" 2> "$d/native.err"
		nst=$?
		rss=$(tail -n 1 "$d/native.rss")
	else
		"${ncmd[@]}" < "$stdin" > "$d/native.out" 2> "$d/native.err"
		nst=$?
	fi
	t1=$EPOCHREALTIME
	"$VMS" --frames "$frames" --report "$d/report.json" --quiet "${oopt[@]}" "${vopts[@]}" -- "${scmd[@]}" \
		< "$stdin" > "$d/sandbox.out" 2> "$d/sandbox.err"
	sst=$?
	t2=$EPOCHREALTIME

	local tn ts pct="?"
	tn=$(vms_elapsed "$t0" "$t1")
	ts=$(vms_elapsed "$t1" "$t2")
	[[ "$rss" =~ ^[0-9]+$ ]] && [ "$rss" -gt 0 ] && pct=$((frames * 4 * 100 / rss))
	echo "[$name] $*"
	echo "  native: ${tn} s, exit $nst, peak RSS ${rss} KiB${documented:+ (documented: $documented KiB)}"
	echo "  sandbox: ${ts} s, exit $sst, --frames $frames (${pct}% of the native peak)${vopts[*]:+ ${vopts[*]}}"
	awk -v a="$tn" -v b="$ts" 'BEGIN { if (a > 0) printf "  slowdown: %.1fx\n", b / a }'

	local ok=1
	if [ "$nst" != 0 ]; then
		# A workload that fails natively is a broken test, not a sandbox bug.
		vms_fail "$name: the native run exited with $nst"
		vms_show_stderr native "$d/native.err"
		return 1
	fi
	if [ "$sst" != "$nst" ]; then
		vms_fail "$name: exit status $sst under vmsandbox, $nst natively"
		ok=0
	fi
	if ! cmp -s "$d/native.out" "$d/sandbox.out"; then
		vms_fail "$name: stdout differs between the native and the sandboxed run"
		vms_show_difference "$d/native.out" "$d/sandbox.out"
		ok=0
	fi
	local f
	for f in "${files[@]}"; do
		if [ ! -e "$d/native/$f" ]; then
			vms_fail "$name: the native run did not write $f"
			ok=0
		elif [ ! -e "$d/sandbox/$f" ]; then
			vms_fail "$name: the sandboxed run did not write $f"
			ok=0
		elif ! cmp -s "$d/native/$f" "$d/sandbox/$f"; then
			vms_fail "$name: output file $f differs"
			vms_show_difference "$d/native/$f" "$d/sandbox/$f"
			ok=0
		else
			echo "  $f: identical, sha256 $(sha256sum < "$d/native/$f" | cut -c1-16)…, $(stat -c %s "$d/native/$f") bytes"
		fi
	done
	if [ -s "$d/native.out" ]; then
		echo "  stdout: $(stat -c %s "$d/native.out") bytes, sha256 $(sha256sum < "$d/native.out" | cut -c1-16)…"
	fi

	local check
	if [ ! -e "$d/report.json" ]; then
		vms_fail "$name: vmsandbox wrote no report at $d/report.json"
		ok=0
	else
		check=$(python3 "$VMS_SRC/check_report.py" "$d/report.json" "$frames" "$sst" "$policy")
		local cst=$?
		echo "$check" | sed -n 's/^figures: /  report: /p'
		if [ "$cst" != 0 ]; then
			echo "$check" | grep '^FAIL: ' | sed "s/^FAIL: /FAIL: $name: /"
			VMS_FAILS=$((VMS_FAILS + 1))
			ok=0
		fi
	fi
	if [ "$ok" = 1 ]; then
		vms_pass "$name"
		return 0
	fi
	vms_show_stderr native "$d/native.err"
	vms_show_stderr sandbox "$d/sandbox.err"
	return 1
}

# vms_check_tree NAME [CHECKS]: after vms_compare NAME, checks what its
# report says about the process tree (check_tree.py: --min-pids N,
# --min-at-once N, --comm NAME, --chain A,B,...,
# --unmanaged-command NAME) and counts a pass or a failure.  Against
# fake_vmsandbox.sh (VMS_HARNESS_SELFTEST=1), which runs the tree natively
# and pages nothing, there is no tree to check: it only says so.
vms_check_tree() {
	[ $# -ge 1 ] || vms_error "usage: vms_check_tree NAME [CHECKS]"
	local name=$1 d=$VMS_TMP/$1 out st
	shift
	if [ "${VMS_HARNESS_SELFTEST:-0}" = 1 ]; then
		echo "  tree: not checked (fake vmsandbox: no processes were paged)"
		return 0
	fi
	if [ ! -e "$d/report.json" ]; then
		vms_fail "$name: no report to check the process tree in"
		return 1
	fi
	local -a sopt=()
	[ -e "$d/summary.txt" ] && sopt=(--summary "$d/summary.txt")
	out=$(python3 "$VMS_SRC/check_tree.py" "$d/report.json" "${sopt[@]}" "$@")
	st=$?
	echo "$out" | grep -v '^FAIL: ' | sed 's/^/  /'
	if [ "$st" != 0 ]; then
		echo "$out" | grep '^FAIL: ' | sed "s/^FAIL: /FAIL: $name: /"
		echo "$out" | grep -q '^FAIL: ' || echo "FAIL: $name: check_tree.py exited with $st"
		VMS_FAILS=$((VMS_FAILS + 1))
		return 1
	fi
	vms_pass "$name: process tree ($*)"
}

# vms_require_option OPT [ARG]: a test of a feature fails, rather than skips
# or passes, when this vmsandbox does not have the option it needs ("unknown
# option", status 2): the feature is missing, which is what the test is
# about.  Probed with a run of /bin/true under a small budget.
vms_require_option() {
	[ $# -ge 1 ] || vms_error "usage: vms_require_option OPT [ARG]"
	local st
	"$VMS" "$@" --frames 64 --quiet -- /bin/true > "$VMS_TMP/option.out" 2> "$VMS_TMP/option.err"
	st=$?
	[ "$st" = 0 ] && return 0
	echo "FAIL: '$VMS $* --frames 64 --quiet -- /bin/true' exited with $st: this vmsandbox" \
		"does not support $1 (see its --help), which this test is about"
	sed 's/^/  | /' "$VMS_TMP/option.err" | head -n 3
	exit 1
}

# vms_native NAME -- PROGRAM ARGS...: runs PROGRAM natively once; its stdout,
# stderr and status are kept as $VMS_TMP/NAME.native.{out,err,status}, the
# reference for vms_live.  A program that fails natively is a broken test:
# counted as a failure, returns 1.
vms_native() {
	if [ $# -lt 3 ] || [ "$2" != "--" ]; then vms_error "usage: vms_native NAME -- PROGRAM ARGS..."; fi
	local name=$1 b=$VMS_TMP/$1.native t0 t1 st
	shift 2
	t0=$EPOCHREALTIME
	"$@" < /dev/null > "$b.out" 2> "$b.err"
	st=$?
	t1=$EPOCHREALTIME
	echo "$st" > "$b.status"
	echo "[$name] native: $* ($(vms_elapsed "$t0" "$t1") s, exit $st)"
	if [ "$st" != 0 ]; then
		vms_fail "$name: the native run exited with $st"
		vms_show_stderr native "$b.err"
		return 1
	fi
	[ -s "$b.out" ] && sed 's/^/  | /' "$b.out" | head -n 3
	return 0
}

# vms_live NAME NATIVE [VMSANDBOX OPTIONS] -- PROGRAM ARGS...: runs
# `vmsandbox OPTIONS --report $VMS_TMP/NAME/report.json --quiet -- PROGRAM
# ARGS` (stdout, stderr in $VMS_TMP/NAME/) and requires the exit status and
# the stdout of the native run NATIVE (vms_native).  Counts a failure and
# returns 1 when they differ or no report was written; the caller checks the
# report and counts the pass.  Prints the command and its time.
vms_live() {
	[ $# -ge 4 ] || vms_error "usage: vms_live NAME NATIVE [OPTIONS] -- PROGRAM ARGS..."
	local name=$1 nb=$VMS_TMP/$2.native
	shift 2
	local -a vopts=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		vopts+=("$1")
		shift
	done
	[ $# -ge 2 ] || vms_error "vms_live $name: no '--' or no program"
	shift
	[ -e "$nb.status" ] || vms_error "vms_live $name: no native run '$nb'"
	local d=$VMS_TMP/$name t0 t1 st nst ok=1
	rm -rf "$d"
	mkdir -p "$d" || vms_error "mkdir $d"
	t0=$EPOCHREALTIME
	"$VMS" "${vopts[@]}" --report "$d/report.json" --quiet -- "$@" < /dev/null > "$d/out" 2> "$d/err"
	st=$?
	t1=$EPOCHREALTIME
	nst=$(cat "$nb.status")
	echo "[$name] vmsandbox ${vopts[*]} -- $* ($(vms_elapsed "$t0" "$t1") s, exit $st)"
	if [ "$st" != "$nst" ]; then
		vms_fail "$name: exit status $st under vmsandbox, $nst natively"
		ok=0
	fi
	if ! cmp -s "$nb.out" "$d/out"; then
		vms_fail "$name: stdout differs between the native and the sandboxed run"
		vms_show_difference "$nb.out" "$d/out"
		ok=0
	fi
	if [ ! -s "$d/report.json" ]; then
		vms_fail "$name: vmsandbox wrote no report"
		ok=0
	fi
	[ "$ok" = 1 ] && return 0
	vms_show_stderr native "$nb.err"
	vms_show_stderr sandbox "$d/err"
	return 1
}

vms_finish() {
	echo "$VMS_PASSES passed, $VMS_FAILS failed"
	[ "$VMS_FAILS" = 0 ]
	exit $?
}
