#!/bin/bash
# (h) programs that do what a pager must survive, under a budget of 15% of
# their native peak, compared with their native runs:
#   fdclose          closes every fd >= 3 (close_range, a close loop, closefrom)
#                    with most of its 64 MiB evicted
#   sigsegv_handler  its own SIGSEGV/SIGBUS handlers, real faults recovered
#                    with siglongjmp, 64 MiB verified around them
#   exec_chain       execs itself 3 times, a thread running at each exec
#   py_exec_threads  python3 fills memory, then os.execv's threads_pattern
#   py_exec_python   python3 fills memory, then os.execv's python3 again
#   fork_under_faults  forks 20 times while 2 threads fault pages of a 16 MiB
#                    region in; each child checks every page of its copy
# usage: test_robust.sh VMSANDBOX PROGS_DIR CASE
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
case_name=${3:-}

# Native peak RSS, /usr/bin/time -f %M (dev VM), and native time:
#   fdclose 132,392 KiB (two 64 MiB regions), 0.13-0.25 s
#   sigsegv_handler 66,944 KiB, 0.05-0.10 s
#   exec_chain 3 (32 MiB per image) 42,484 KiB, 0.17-0.27 s
#   py_exec.py + threads_pattern --size 32: 53,500 KiB, 0.30-0.36 s
#   py_exec.py --python: 73,896 KiB, 0.22-0.26 s
#   fork_under_faults 17,880 KiB, 0.12 s
case $case_name in
fdclose)
	vms_compare fdclose "$(vms_frames_pct 132392 15)" --native-rss 132392 -- "$PROGS/fdclose" ;;
sigsegv_handler)
	vms_compare sigsegv_handler "$(vms_frames_pct 66944 15)" --native-rss 66944 -- "$PROGS/sigsegv_handler" ;;
exec_chain)
	vms_compare exec_chain "$(vms_frames_pct 42484 15)" --native-rss 42484 -- "$PROGS/exec_chain" 3 ;;
py_exec_threads)
	vms_compare py_exec_threads "$(vms_frames_pct 53500 15)" --native-rss 53500 \
		-- "$PY" "$VMS_SRC/py_exec.py" "$PROGS/threads_pattern" --size 32 ;;
py_exec_python)
	vms_compare py_exec_python "$(vms_frames_pct 73896 15)" --native-rss 73896 \
		-- "$PY" "$VMS_SRC/py_exec.py" --python ;;
fork_under_faults)
	vms_compare fork_under_faults "$(vms_frames_pct 17880 25)" --native-rss 17880 \
		-- "$PROGS/fork_under_faults" ;;
*)
	vms_error "unknown case '$case_name'" ;;
esac
vms_finish
