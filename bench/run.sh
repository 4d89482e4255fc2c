#!/bin/sh
# Runs the benchmarks and prints their tables.
#   bench/run.sh [BUILD_DIR] [core|live|all]      (default: all)
# core: the core's replay and compression benchmarks (no root, no side effects).
# live: bench/run-live.sh, real programs natively, in a memory cgroup with zram
#   swap (root; the swap is on only during those runs) and under vmsandbox.
# Replay: 10 M references over 1 M pages, 250,000 frames, every policy but the
# two whose victim search is O(frames) per fault in the worst case (Enhanced
# Clock, WSClock: see docs/policies.md); those run at 4,096 frames on 2 M
# references so that the run finishes.  Compression: real python3 heap pages.
set -eu
B=${1:-build}
what=${2:-all}
case $what in
core|live|all) ;;
*) echo "usage: bench/run.sh [BUILD_DIR] [core|live|all]" >&2; exit 2 ;;
esac
if [ "$what" != live ]; then
	echo "== replay throughput (core only, trace in memory)"
	for p in fifo clock lru lfu arc random opt mrc; do
		stdbuf -oL "$B/bench/bench_replay" --policy "$p" 2>>/tmp/vms-bench-meta.$$ | tail -n 1
	done
	sed -n 1,2p /tmp/vms-bench-meta.$$ && rm -f /tmp/vms-bench-meta.$$
	echo "== O(frames)-per-fault policies, 2 M references over 1 M pages, 4,096 frames"
	for p in eclock wsclock; do
		stdbuf -oL "$B/bench/bench_replay" --policy "$p" --refs 2000000 --frames 4096 2>/dev/null | tail -n 1
	done
	echo "== compression of real heap pages"
	"$B/bench/bench_compress"
fi
if [ "$what" != core ]; then
	echo
	"$(dirname "$0")/run-live.sh" "$B"
fi
