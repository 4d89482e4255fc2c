#!/bin/bash
# (c) sort(1) of 100 MB of generated log lines (8 hosts' logs, each in time
# order, concatenated: gendata logs), in memory (-S 200M), natively and under
# a budget of 15% of its native peak.  The sorted files must be identical.
#
# Why log lines and not random lines: GNU sort's in-memory merge sort is
# depth-first, so its levels whose window fits in the budget cost one pass;
# but on random lines each comparison in the top levels dereferences two
# lines at random places in 100 MB: at 15% that is a fault per comparison,
# millions of faults.  Concatenated sorted streams keep every merge level a
# sequential pass (two cursors), which is also what sorting real logs does.
# usage: test_sort.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_need sort

"$PROGS/gendata" logs 100000000 > "$VMS_TMP/logs.txt" || vms_error "gendata failed"
# Native peak RSS, /usr/bin/time -f %M, GNU coreutils 9.1 sort on Debian 12
# (dev VM, 4 runs): 206,476-206,604 KiB; 0.27-0.48 s.
NATIVE_RSS_KB=206604
vms_compare sort "$(vms_frames_pct $NATIVE_RSS_KB 15)" --native-rss $NATIVE_RSS_KB --file sorted \
	-- "$(command -v sort)" -S 200M --parallel=2 -T @RUN@ -o @RUN@/sorted "$VMS_TMP/logs.txt"
vms_finish
