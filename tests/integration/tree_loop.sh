#!/bin/bash
# A bash loop that starts its subprocesses one after another (workload of
# test_tree.sh loop200): the shell first reads 300,001 lines into an array
# (about 20 MB of heap, most of it evicted under the test's budget), then
# runs 200 iterations, each a command substitution (a fork of this shell)
# holding a pipeline of a subshell and cksum(1) (two more processes, one of
# them an exec): the forked children read array elements the parent had
# evicted.  Every 50 iterations the parent joins the whole array into one
# string (its own evicted pages back).  The output is a function of nothing but the code.
# usage: tree_loop.sh
set -u
mapfile -t a < <(seq 1000000 1300000)
echo "array: ${#a[@]} lines"
for ((i = 1; i <= 200; i++)); do
	k=$((i * 1499))
	echo "$i ${a[k]} $(printf '%s\n' "${a[k + 1]}" "${a[k + 7]}" | cksum)"
	if ((i % 50 == 0)); then
		all="${a[*]}"
		echo "after $i: ${#all} bytes, ${all:i * 1000:20}"
	fi
done
