#!/bin/bash
# (d) gcc compiling a generated C file (gen_big_c.py: 200 functions and a
# 50,000-entry table) at -O2, natively and under a budget of 15% of its
# native peak; the assembly must be byte-identical.
#
# The compiler proper (cc1) is run directly: the gcc driver forks cc1 and as,
# and one process keeps this test's figures simple (tree_make runs gcc whole
# under make -j2).  The cc1 command line is the one `gcc -### -O2 -S big.c -o -` prints, minus the multiarch include
# options (the file includes nothing).
# usage: test_cc1.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_need gcc
CC1=$(gcc -print-prog-name=cc1)
[ -x "$CC1" ] || vms_skip "gcc's cc1 not found (gcc -print-prog-name=cc1 says '$CC1')"

"$PY" "$VMS_SRC/gen_big_c.py" 200 50000 > "$VMS_TMP/big.c" || vms_error "gen_big_c.py failed"
# Native peak RSS, /usr/bin/time -f %M, gcc 12.2.0 (Debian 12) cc1 -O2 (dev
# VM): 93,284-93,760 KiB; 1.8-2.2 s.
NATIVE_RSS_KB=93760
vms_compare cc1 "$(vms_frames_pct $NATIVE_RSS_KB 15)" --native-rss $NATIVE_RSS_KB \
	-- "$CC1" -quiet -O2 -mtune=generic -march=x86-64 "$VMS_TMP/big.c" -o -
vms_finish
