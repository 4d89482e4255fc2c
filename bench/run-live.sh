#!/bin/sh
# Runs the live benchmarks: real programs natively, under the kernel's memory
# limit (cgroup + zram swap; needs root) and under vmsandbox; live_refbits.sh
# and live_profile.sh also under valgrind (apt-get install -y valgrind).
#   bench/run-live.sh [BUILD_DIR] [REPS]
# The vmsandbox columns print n/a while the live pager is not usable.
set -u
here=$(dirname "$0")
B=${1:-build}
R=${2:-5}
status=0
"$here/live_thrash.sh" -b "$B" -r "$R" || status=1
echo
"$here/live_python.sh" -b "$B" -r "$R" || status=1
echo
"$here/live_fork.sh" -b "$B" -r "$R" || status=1
echo
"$here/live_refbits.sh" -b "$B" -r "$R" || status=1
echo
"$here/live_profile.sh" -b "$B" -r "$R" || status=1
exit $status
