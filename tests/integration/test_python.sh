#!/bin/bash
# (a) python3 building, hashing and sorting large lists and dicts
# (py_lists_dicts.py), natively and under a budget of 15% of its native peak.
# usage: test_python.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"

N=400000
# Native peak RSS, /usr/bin/time -f %M, python 3.11.2 on Debian 12 (dev VM):
# 151,372-151,800 KiB; 0.5-1.1 s.
NATIVE_RSS_KB=151800
vms_compare python_lists_dicts "$(vms_frames_pct $NATIVE_RSS_KB 15)" --native-rss $NATIVE_RSS_KB \
	-- "$PY" "$VMS_SRC/py_lists_dicts.py" $N
vms_finish
