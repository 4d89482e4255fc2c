#!/bin/bash
# Process trees under one budget (issue "process trees"): shells, pipelines,
# make, python's multiprocessing and hundreds of forks, run natively and
# under `vmsandbox --frames N`.  As everywhere in tests/integration, stdout
# (and named files) must be identical, the exit status the same, and the
# budget must have held and bound; then the report must show the tree
# (vms_check_tree): its processes, how many were alive at once, the images
# of an exec chain.
#   pipeline     sh -c 'cat F | sort | uniq -c | sort -n' over 16 MB of text
#   make         make -j2 of a generated 9-file C project with gcc; the
#                objects and the program byte-identical, the program's output
#   loop200      bash: 200 command substitutions, each a pipeline reading the
#                parent's evicted array (tree_loop.sh)
#   mp_fork      python3 multiprocessing, fork start method, 4 children read
#                ~100 MB the parent built and had evicted (py_mp_fork.py)
#   fork_many    tests/progs/fork_many: 500 forks of a 32 MiB parent, every
#                child checks its view, copy on write both ways
#   exec_chain   bash -> env -> python3 -> sh in one pid (tree_exec_chain.sh)
#   tree50       60 children alive at once, each with memory (tree_live.sh)
#   static       a sandboxed sh runs a static program (unmanaged, not killed)
#
# Budgets are a percentage of the native peak: for one process at a time,
# the largest process's peak RSS (GNU time -f %M, which is what the harness
# prints); for a tree with processes alive together (tree50), the sum of
# their anonymous RSS at the moment they are all alive.
# usage: test_tree.sh VMSANDBOX PROGS_DIR CASE
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
case_name=${3:-}

# Native figures: /usr/bin/time -f %M, dev VM (2 vCPUs), Debian 12
# (bash 5.2.15, dash 0.5.12, coreutils 9.1, make 4.3, gcc 12.2.0, python 3.11.2).
case $case_name in
pipeline)
	# The sorts hold every line in memory (-S 32M: 16 MB of text and 8 MB
	# of line descriptors; from a pipe, without -S, GNU sort sorts 8 MB
	# pieces into temporary files).  Comparisons of lines at random places
	# make the first sort the expensive part: 25% keeps the test under 10 s.
	# Largest process: the first sort, 34,336 KiB under meson (whose
	# MALLOC_PERTURB_ makes malloc write all of sort's buffer), 30,344 KiB
	# without; 0.13-0.17 s for the whole pipeline.  The shell forks all five
	# processes before cat can have written 16 MB into a 64 KiB pipe, so they
	# are alive together.
	vms_need sort uniq
	"$PROGS/gendata" text 16000000 > "$VMS_TMP/text.txt" || vms_error "gendata failed"
	vms_compare pipeline "$(vms_frames_pct 34336 25)" --native-rss 34336 --summary \
		-- sh -c 'cat "$1" | sort -S 32M | uniq -c | sort -S 32M -n' sh "$VMS_TMP/text.txt"
	vms_check_tree pipeline --min-at-once 5 --comm cat --comm sort --comm uniq
	;;
make)
	# 8 modules of 20 functions and a 3,000-entry table, and main.c: cc1 -O2
	# peaks at 36,700 KiB; the whole build 2.1 s natively with -j2.  The
	# sources are copied into the run's directory by the sandboxed shell and
	# compiled with relative names, without -g: both builds must produce
	# the same bytes.
	vms_need make gcc
	"$PY" "$VMS_SRC/gen_make_project.py" "$VMS_TMP/project" 8 20 3000 || vms_error "gen_make_project.py failed"
	files=()
	for f in mod0 mod1 mod2 mod3 mod4 mod5 mod6 mod7 main; do files+=(--file "$f.o"); done
	vms_compare make "$(vms_frames_pct 36700 20)" --native-rss 36700 --summary "${files[@]}" --file prog \
		-- sh -c 'cp "$1"/* "$2"/ && make -s -j2 -C "$2" && "$2"/prog' sh "$VMS_TMP/project" @RUN@
	# Two compilations at once: sh, make, and two gcc drivers at least.
	vms_check_tree make --min-at-once 4 --comm make --comm cc1 --comm as --comm ld --comm prog
	;;
loop200)
	# bash with a 300,001-element array (63,820 KiB), 1.8 s natively: about
	# 600 processes, 3 per iteration.
	vms_compare loop200 "$(vms_frames_pct 63820 15)" --native-rss 63820 \
		-- bash "$VMS_SRC/tree_loop.sh"
	vms_check_tree loop200 --min-pids 400 --comm cksum
	;;
mp_fork)
	# The parent peaks at 110,112 KiB (2,000,000 ints, 16 MB of bytes); 1.0 s.
	vms_compare mp_fork "$(vms_frames_pct 110112 15)" --native-rss 110112 \
		-- "$PY" "$VMS_SRC/py_mp_fork.py" 2000000 4
	vms_check_tree mp_fork --min-pids 5 --comm python3
	;;
fork_many)
	# 34,232 KiB (32 MiB region, one child at a time at its peak), 0.6 s.
	# Every child is a process of its own in the report.
	vms_compare fork_many "$(vms_frames_pct 34232 15)" --native-rss 34232 \
		-- "$PROGS/fork_many" --size 32 --forks 500
	vms_check_tree fork_many --min-pids 501
	;;
exec_chain)
	# Largest image: python3, 67,500 KiB; bash 24 MB, sh 15 MB; 0.16 s.
	vms_compare exec_chain "$(vms_frames_pct 67500 15)" --native-rss 67500 \
		-- bash "$VMS_SRC/tree_exec_chain.sh" "$PY"
	vms_check_tree exec_chain --chain bash,env,python3,sh
	;;
tree50)
	# 60 children: 30 python3 (100,000 ints, 2 MiB) and 30 subshells (a
	# 1.5 MiB string).  Sum of RssAnon of the children at the barrier:
	# 412,456 KiB (VmRSS, which counts shared pages in every process,
	# 726,584 KiB; the largest single process, which GNU time reports,
	# about 18,000 KiB); 0.8 s natively.  Alive at once: the 60 and bash.
	vms_compare tree50 "$(vms_frames_pct 412456 15)" --native-rss 412456 --summary \
		-- bash "$VMS_SRC/tree_live.sh" @RUN@ 60 "$PY"
	vms_check_tree tree50 --min-at-once 61 --comm python3
	;;
static)
	# The shim cannot enter a static program: the sandboxed sh runs it
	# unmanaged, and it must run to its end (not be killed), with its
	# output; threads_pattern then gives the budget work (8 MiB).  Largest
	# process: threads_pattern, 9,764 KiB (static_hello 8,624 KiB); 0.04 s.
	[ -x "$PROGS/static_hello" ] ||
		vms_skip "no $PROGS/static_hello: static linking is not possible here (libc.a missing?)"
	vms_compare static "$(vms_frames_pct 9764 20)" --native-rss 9764 \
		-- sh -c 'cd "$1" && ./static_hello; echo "after: static_hello exited with $?"
			./threads_pattern --size 8 --threads 2 --passes 2' sh "$PROGS"
	vms_check_tree static --comm threads_pattern --unmanaged-command static_hello
	;;
*)
	vms_error "unknown case '$case_name'" ;;
esac
vms_finish
