#!/bin/bash
# A tree of N + 1 live processes under one budget (workload of test_tree.sh
# tree50): this bash starts N background children and holds them all alive
# at a barrier before letting them finish.  Even-numbered children are
# subshells (forks of this bash, no exec) that build a string of about
# 2 MiB; odd-numbered ones exec python3, which builds a list and a
# bytearray of a few MB.  Each child tells the parent it is ready by writing
# one byte into a fifo, then blocks reading one byte from a second fifo;
# when all N are ready (all alive at once) the parent writes N bytes and the
# children check their memory, write one line each into RUN_DIR/out.K and
# exit.  The parent checks every exit status and prints the lines in order,
# so the output does not depend on scheduling.
# usage: tree_live.sh RUN_DIR N PYTHON
set -u
dir=$1 n=$2 py=$3
mkfifo "$dir/ready" "$dir/go" || exit 2
# Read-write opens of a fifo do not block, and keep it open at both ends:
# children can open or write into it at any time.
exec 3<> "$dir/ready" 4<> "$dir/go"

pids=()
for ((k = 0; k < n; k++)); do
	if ((k % 2 == 0)); then
		(
			s="child $k: 0123456789abcdefghijklmnopqrstuvwxyz."
			for ((j = 0; j < 15; j++)); do s=$s$s; done
			printf r >&3
			read -r -N 1 _ <&4
			echo "subshell $k: ${#s} bytes, ${s:100003:16}" > "$dir/out.$k"
		) &
	else
		"$py" -c '
import os, sys, hashlib
k = int(sys.argv[1])
x = [i * k for i in range(100000)]
b = bytearray(range(256)) * 8192
os.write(3, b"r")
os.read(4, 1)
with open(sys.argv[2], "w") as f:
    f.write("python %d: %d ints, sum %d, sha256 %s\n" % (k, len(x), sum(x), hashlib.sha256(b).hexdigest()[:16]))
' "$k" "$dir/out.$k" &
	fi
	pids+=($!)
done

# The barrier: N bytes come only when every child is alive and has its memory.
read -r -N "$n" _ <&3
echo "all $n children alive at once"
printf -v go "%${n}s" ""
printf %s "${go// /g}" >&4

failed=0
for ((k = 0; k < n; k++)); do
	wait "${pids[k]}" || { echo "child $k exited with $?"; failed=1; }
	cat "$dir/out.$k"
done
exit $failed
