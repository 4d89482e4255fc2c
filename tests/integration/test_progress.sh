#!/bin/bash
# --progress (issue 7): the live status line on a terminal, out of the way of
# the program's own output.  Each run is in a pseudo-terminal of a known size
# (util-linux `script`, `stty rows R cols C`), the program being
# progress_lines.py: numbered lines, a few per 10 ms, while it sweeps a
# working set larger than --frames.  check_progress.py reads the transcripts.
#   lines       the frames are on the bottom row with every field; without
#               our sequences the output is the native run's byte for byte;
#               replayed through a terminal emulator (python3-pyte) the
#               screen shows the program's latest lines above the status
#               line after every frame; at the end the terminal is given
#               back (scroll region reset, bottom row erased)
#   resize      the window changes size during the run (SIGWINCH): the row
#               is reserved again and the frames follow the new size
#   sigint      ^C typed on the terminal ends the program: the terminal is
#               given back, vmsandbox exits 130
#   sigterm     SIGTERM to vmsandbox (passed on to the program): the same, 143
#   killed      the program is SIGKILLed: the same, 137
#   suspend     ^Z: the terminal is given back before the job stops (by
#               SIGTSTP: the shell says 148); fg: the row is reserved again
#   not_a_tty   stderr is a file: one note, no escape byte anywhere
#   dumb        TERM=dumb: one note, no escape byte
#   background  a background job of a shell with job control and `stty
#               tostop`: nothing is drawn, and vmsandbox is not stopped
# usage: test_progress.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_need script stty timeout

PYTE_PY=
for p in "$PY" python3 /usr/bin/python3; do
	if "$p" -c 'import pyte' 2> /dev/null; then
		PYTE_PY=$p
		break
	fi
done
if [ -z "$PYTE_PY" ]; then
	vms_fail "progress: python3-pyte is not installed (scripts/install-deps.sh installs it)"
	vms_finish
fi

export TERM=xterm
prog=$VMS_SRC/progress_lines.py
check=$VMS_SRC/check_progress.py
rows=24
cols=160
# 1,200 lines sweeping 1,500 pages (plus the interpreter's ~1,300) with a
# budget of 1,500 frames: it pages all along, for 1.5-4 s.
nlines=1200
pages=1500
frames=1500
pause=0.001

# in_pty TRANSCRIPT COMMAND...: runs the shell command line in a fresh
# pseudo-terminal of rows x cols; what reaches the terminal goes to
# TRANSCRIPT.  Returns the command's status.
in_pty() {
	local out=$1
	shift
	SHELL=/bin/bash timeout 120 script -qfec "stty rows $rows cols $cols; $*" /dev/null \
		> "$out" < /dev/null
}

# run_check NAME CHECK ARGS...: check_progress.py CHECK ARGS... (after the
# case's "[NAME]" heading).
run_check() {
	local name=$1
	shift
	if "$PYTE_PY" "$check" "$@"; then
		vms_pass "progress $name"
	else
		vms_fail "progress $name"
	fi
}

"$PY" "$prog" "$nlines" "$pages" > "$VMS_TMP/native.out"
"$PY" "$prog" 300 "$pages" > "$VMS_TMP/native300.out"
live="$VMS --frames $frames --progress --quiet -- $PY $prog"

# The vmsandbox process among the descendants of PID.
vmsandbox_under() {
	local p c
	for p in $(pgrep -P "$1"); do
		if [ "$(cat "/proc/$p/comm" 2> /dev/null)" = vmsandbox ]; then
			echo "$p"
			return 0
		fi
		c=$(vmsandbox_under "$p") && { echo "$c"; return 0; }
	done
	return 1
}

# Waits (up to 30 s) for the first status line in TRANSCRIPT.
wait_for_frame() {
	for _ in $(seq 300); do
		grep -qa $'\e\\['"$rows"';1H' "$1" && return 0
		sleep 0.1
	done
	return 1
}

echo "[lines]"
in_pty "$VMS_TMP/lines.ts" "exec $live $nlines $pages $pause"
st=$?
[ "$st" = 0 ] || vms_fail "progress lines: exit status $st"
run_check lines screen "$VMS_TMP/lines.ts" "$VMS_TMP/native.out" "$rows" "$cols" "$frames"

# resize: stty on the terminal sets its size and sends SIGWINCH to the
# foreground process group, as a terminal emulator does.  (A background
# command's stdin is /dev/null.)
echo "[resize]"
in_pty "$VMS_TMP/resize.ts" "(sleep 1; stty rows 30 cols 120 < /dev/tty) & exec $live $nlines $pages $pause"
st=$?
[ "$st" = 0 ] || vms_fail "progress resize: exit status $st"
run_check resize resize "$VMS_TMP/resize.ts" "$VMS_TMP/native.out" "$rows" "$cols" 30 120

# sigint: ^C typed on the terminal (script passes its stdin to it).
echo "[sigint]"
mkfifo "$VMS_TMP/keys"
SHELL=/bin/bash timeout 120 script -qfec "stty rows $rows cols $cols; exec $live 100000 200 0.01" \
	/dev/null > "$VMS_TMP/sigint.ts" < "$VMS_TMP/keys" &
spid=$!
exec 3> "$VMS_TMP/keys"
wait_for_frame "$VMS_TMP/sigint.ts"
printf '\003' >&3
wait "$spid"
st=$?
exec 3>&-
[ "$st" = 130 ] || vms_fail "progress sigint: exit status $st, expected 130 (the program's SIGINT)"
run_check sigint interrupted "$VMS_TMP/sigint.ts" "$rows"

# sigterm: to vmsandbox, which passes it on to the program.
echo "[sigterm]"
SHELL=/bin/bash timeout 120 script -qfec "stty rows $rows cols $cols; exec $live 100000 200 0.01" \
	/dev/null > "$VMS_TMP/sigterm.ts" < /dev/null &
spid=$!
wait_for_frame "$VMS_TMP/sigterm.ts"
vpid=$(vmsandbox_under "$spid") && kill -TERM "$vpid"
wait "$spid"
st=$?
[ "$st" = 143 ] || vms_fail "progress sigterm: exit status $st, expected 143"
run_check sigterm interrupted "$VMS_TMP/sigterm.ts" "$rows"

# killed: the program is SIGKILLed (as by an OOM killer or a user).
echo "[killed]"
SHELL=/bin/bash timeout 120 script -qfec "stty rows $rows cols $cols; exec $live 100000 200 0.01" \
	/dev/null > "$VMS_TMP/killed.ts" < /dev/null &
spid=$!
wait_for_frame "$VMS_TMP/killed.ts"
vpid=$(vmsandbox_under "$spid") && for c in $(pgrep -P "$vpid"); do kill -KILL "$c"; done
wait "$spid"
st=$?
[ "$st" = 137 ] || vms_fail "progress killed: exit status $st, expected 137"
run_check killed interrupted "$VMS_TMP/killed.ts" "$rows"

# suspend: ^Z stops the job (a shell with job control), fg resumes it, ^C
# ends it.
echo "[suspend]"
rm -f "$VMS_TMP/keys"
mkfifo "$VMS_TMP/keys"
SHELL=/bin/bash timeout 120 script -qfec "stty rows $rows cols $cols; set -m; $live 100000 200 0.01; echo STOPPED-\$?; fg; echo END-\$?" \
	/dev/null > "$VMS_TMP/suspend.ts" < "$VMS_TMP/keys" &
spid=$!
exec 3> "$VMS_TMP/keys"
wait_for_frame "$VMS_TMP/suspend.ts"
printf '\032' >&3
for _ in $(seq 300); do
	grep -qa 'STOPPED-' "$VMS_TMP/suspend.ts" && break
	sleep 0.1
done
sleep 1
printf '\003' >&3
wait "$spid"
exec 3>&-
if ! grep -qa 'END-130' "$VMS_TMP/suspend.ts"; then
	vms_fail "progress suspend: the resumed job did not end by ^C (status 130):"
	tr -d '\r' < "$VMS_TMP/suspend.ts" | grep -av '^line' | tail -n 4 | sed 's/^/  | /'
fi
run_check suspend suspend "$VMS_TMP/suspend.ts" "$rows" STOPPED-148

# not_a_tty: the note, once; no escape byte.
echo "[not_a_tty]"
$live 300 "$pages" > "$VMS_TMP/nontty.out" 2> "$VMS_TMP/nontty.err"
st=$?
if [ "$st" != 0 ]; then
	vms_fail "progress not_a_tty: exit status $st"
elif [ "$(cat "$VMS_TMP/nontty.err")" != "vmsandbox: --progress: stderr is not a terminal, no status line" ]; then
	vms_fail "progress not_a_tty: stderr is not the one note:"
	sed 's/^/  | /' "$VMS_TMP/nontty.err" | head -n 5
elif ! cmp -s "$VMS_TMP/nontty.out" "$VMS_TMP/native300.out"; then
	vms_fail "progress not_a_tty: the output differs from the native run"
	vms_show_difference "$VMS_TMP/native300.out" "$VMS_TMP/nontty.out"
else
	run_check not_a_tty plain "$VMS_TMP/nontty.out" "$VMS_TMP/nontty.err"
fi

# dumb: a terminal that cannot move its cursor.
echo "[dumb]"
in_pty "$VMS_TMP/dumb.ts" "TERM=dumb exec $live 300 $pages"
st=$?
tr -d '\r' < "$VMS_TMP/dumb.ts" > "$VMS_TMP/dumb.txt"
if [ "$st" != 0 ]; then
	vms_fail "progress dumb: exit status $st"
elif [ "$(grep -c '^vmsandbox: --progress: the terminal cannot move its cursor (TERM=dumb), no status line$' "$VMS_TMP/dumb.txt")" != 1 ]; then
	vms_fail "progress dumb: the note is not there once:"
	head -n 3 "$VMS_TMP/dumb.txt" | sed 's/^/  | /'
elif [ "$(grep -v '^vmsandbox: --progress' "$VMS_TMP/dumb.txt")" != "$(cat "$VMS_TMP/native300.out")" ]; then
	vms_fail "progress dumb: the output differs from the native run"
else
	run_check dumb plain "$VMS_TMP/dumb.ts"
fi

# background: a job of a shell with job control, on a terminal that stops
# background writers (tostop); the program writes to a file, vmsandbox's
# stderr is the terminal.  A status line drawn from the background, or an
# attempt that stopped vmsandbox (SIGTTOU), fails.
echo "[background]"
in_pty "$VMS_TMP/bg.ts" "set -m; stty tostop; $live 300 $pages 0.005 > $VMS_TMP/bg.out & pid=\$!; wait \$pid; echo bg-status=\$?"
if ! grep -qa 'bg-status=0' "$VMS_TMP/bg.ts"; then
	vms_fail "progress background: the job did not finish with status 0 (stopped?):"
	tr -d '\r' < "$VMS_TMP/bg.ts" | tail -n 3 | sed 's/^/  | /'
elif ! cmp -s "$VMS_TMP/bg.out" "$VMS_TMP/native300.out"; then
	vms_fail "progress background: the output differs from the native run"
	vms_show_difference "$VMS_TMP/native300.out" "$VMS_TMP/bg.out"
else
	run_check background plain "$VMS_TMP/bg.ts"
fi

vms_finish
