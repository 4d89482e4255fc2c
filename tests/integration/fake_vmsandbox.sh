#!/bin/bash
# A stand-in for vmsandbox that does no paging, for testing the harness
# itself (selftest_harness.sh): it takes vmsandbox's options, runs the
# program natively, and writes a report with made-up counters.  FAKE_MODE
# chooses how it lies:
#   good        output passed through, evictions 5, swap_in 3 (the harness must pass it)
#   corrupt     one byte of the program's stdout changed
#   noevict     evictions 0 (the budget never bound)
#   noswapin    faults.swap_in 0
#   overbudget  peak_resident_frames above --frames
#   status      exit status 1 more than the program's (in runs with --report)
#   noreport    no report written
#   badjson     the report is not JSON
#   missing     the report lacks "swap"
#   corruptfile every existing file named in the program's arguments whose
#               path contains /sandbox/ (the harness's run directory) changed
#   notlive     refuse like a vmsandbox without the live sandbox (status 2)
#   exec        exec the program (for the kill test: it dies with "vmsandbox")
#   fork        run the program as a child (for the kill test: it survives)
set -u
mode=${FAKE_MODE:-good}
frames=0 report="" policy=clock summary=""
while [ $# -gt 0 ]; do
	case $1 in
	--frames) frames=$2; shift 2 ;;
	--report) report=$2; shift 2 ;;
	--policy) policy=$2; shift 2 ;;
	--compress | --swap | --memory) shift 2 ;;
	-o | --output) summary=$2; shift 2 ;;
	--quiet) shift ;;
	--) shift; break ;;
	*) break ;;
	esac
done
case $mode in
notlive)
	echo "vmsandbox: '--frames': running live programs is not in this build yet; only 'vmsandbox replay' is" >&2
	exit 2 ;;
exec) exec "$@" ;;
fork) "$@" & wait $!; exit $? ;;
esac

if [ "$mode" = corrupt ]; then
	tmp=$(mktemp)
	"$@" > "$tmp"
	st=$?
	# flip the last byte (or write one if there was no output)
	python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()) or bytearray(b"x"); d[-1] ^= 1; sys.stdout.buffer.write(d)' "$tmp"
	rm -f "$tmp"
else
	"$@"
	st=$?
fi
if [ "$mode" = corruptfile ]; then
	for a in "$@"; do
		case $a in */sandbox/*) [ -f "$a" ] && printf 'x' >> "$a" ;; esac
	done
fi

ev=5 si=3 peak=$frames
case $mode in
noevict) ev=0 ;;
noswapin) si=0 ;;
overbudget) peak=$((frames + 1)) ;;
status) [ -n "$report" ] && st=$((st + 1)) ;;
esac
if [ -n "$report" ]; then
	case $mode in
	noreport) ;;
	badjson) echo '{"program": ' > "$report" ;;
	missing)
		cat > "$report" <<JSON
{"program": "$1", "exit_status": $st, "frames": $frames, "policy": "$policy",
 "peak_resident_frames": $peak, "faults": {"total": 10, "zero_fill": 7, "swap_in": $si},
 "evictions": $ev, "time": {"wall_s": 0.1, "in_fault_s": 0.01}, "unmanaged": 0}
JSON
		;;
	*)
		cat > "$report" <<JSON
{"program": "$1", "exit_status": $st, "frames": $frames, "policy": "$policy",
 "peak_resident_frames": $peak, "faults": {"total": 10, "zero_fill": 7, "swap_in": $si},
 "evictions": $ev, "swap": {"pages_out": 5, "pages_in": 3, "stored_pages": 2, "compressed_bytes": 1234},
 "time": {"wall_s": 0.1, "in_fault_s": 0.01}, "unmanaged": 0}
JSON
		;;
	esac
fi
# The summary (-o) in vmsandbox's shape, with made-up figures.
if [ -n "$summary" ]; then
	printf 'vmsandbox (fake): %s exited with status %s\n  processes:       1 (at most 1 at once)\n' \
		"$1" "$st" > "$summary"
fi
exit "$st"
