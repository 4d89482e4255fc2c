#!/bin/bash
# python3 forking three children under a budget of 15% of its native peak:
# each child reads memory its parent had partly evicted before the fork
# (py_fork.py); outputs must equal the native run's.
# usage: test_fork.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"

# Native peak RSS, /usr/bin/time -f %M, python 3.11.2 on Debian 12 (dev VM):
# 64,796 KiB.
NATIVE_RSS_KB=64796
vms_compare python_fork "$(vms_frames_pct $NATIVE_RSS_KB 15)" --native-rss $NATIVE_RSS_KB \
	-- "$PY" "$VMS_SRC/py_fork.py" 1000000
vms_finish
