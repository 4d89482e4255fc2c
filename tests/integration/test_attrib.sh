#!/bin/bash
# The profile's attribution (report.profile.regions and .code): the locality
# examples (examples/locality/) and test programs, run natively and under
# --profile with a budget that makes them page, must produce the same
# output, and the report must name the code and the memory that fault.
# Every case also checks that the counts add up (check_attrib.py).
#   matrix     sum_columns at its marked line takes the faults, sum_rows
#              (same matrix, row by row) under 2% of them; the top region
#              is the matrix's mmap, by alloc_matrix
#   list       sum_list at its marked line (nodes scattered over the brk
#              heap); the top region is the [heap]
#   hashtable  find_slot's probe line, its stacks through insert, grow and
#              lookup; the top region is the table's mmaps by table_new
#   threads    threads_pattern with 4 threads: one thread_stack region per
#              thread, numbered 2 to 5
#   python     py_leak.py: sampled stacks carry the Python frame of the
#              marked line
# usage: test_attrib.sh VMSANDBOX PROGS_DIR CASE
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
case_name=${3:-}
EXAMPLES=$(cd "$PROGS/../../examples/locality" 2> /dev/null && pwd) ||
	vms_error "no examples/locality next to $PROGS"
EXAMPLES_SRC=$VMS_SRC/../../examples/locality
vms_require_option --profile

# The line of an "ATTRIB: NAME" (or "SITE: NAME") marker in a source file.
marker_line() {
	local n
	n=$(grep -n "$2: $3\b" "$1" | head -n 1 | cut -d: -f1)
	[ -n "$n" ] || vms_error "no '$2: $3' marker in $1"
	echo "$n"
}

mark() {
	echo "$(basename "$1"):$(marker_line "$1" ATTRIB "$2")"
}

# check NAME CHECKS...: check_attrib.py on NAME's report, one pass or failure.
check() {
	local name=$1 out st
	shift
	out=$(python3 "$VMS_SRC/check_attrib.py" "$VMS_TMP/$name/report.json" "$@")
	st=$?
	echo "$out" | grep -v '^FAIL: ' | sed 's/^/  /'
	if [ "$st" != 0 ]; then
		echo "$out" | grep '^FAIL: ' | sed "s/^FAIL: /FAIL: $name: /"
		echo "$out" | grep -q '^FAIL: ' || echo "FAIL: $name: check_attrib.py exited with $st"
		VMS_FAILS=$((VMS_FAILS + 1))
		sed 's/^/  | /' "$VMS_TMP/$name/err" | tail -n 5
		return 1
	fi
	vms_pass "$name"
}

# Each example's budget is its documented one (the header's command):
# about half of the memory its worst traversal cycles through.
case $case_name in
matrix)
	M=$EXAMPLES_SRC/matrix.c
	vms_native matrix -- "$EXAMPLES/matrix" || vms_finish
	vms_live matrix matrix --frames 128 --profile -- "$EXAMPLES/matrix" &&
		check matrix --top-location sum_columns "$(mark "$M" columns)" \
			--location sum_rows "$(mark "$M" rows)" 2 \
			--top-region mmap alloc_matrix "$(mark "$M" alloc)" \
			--top-stack-through sum_columns main ;;
list)
	L=$EXAMPLES_SRC/list_vs_array.c
	vms_native list -- "$EXAMPLES/list_vs_array" || vms_finish
	vms_live list list --frames 128 --profile -- "$EXAMPLES/list_vs_array" &&
		check list --top-location sum_list "$(mark "$L" list)" \
			--location sum_array "$(mark "$L" sum_array)" 2 \
			--top-region heap --top-stack-through sum_list main ;;
hashtable)
	H=$EXAMPLES_SRC/hashtable.c
	vms_native hashtable -- "$EXAMPLES/hashtable" || vms_finish
	vms_live hashtable hashtable --frames 64 --profile --stack-period 4 \
		-- "$EXAMPLES/hashtable" &&
		check hashtable --top-location find_slot "$(mark "$H" probe)" \
			--top-region mmap table_new "$(mark "$H" table_new)" \
			--top-stack-through find_slot insert grow lookup main ;;
threads)
	vms_native threads -- "$PROGS/threads_pattern" --threads 4 --size 8 --passes 2 ||
		vms_finish
	vms_live threads threads --frames 1024 --profile \
		-- "$PROGS/threads_pattern" --threads 4 --size 8 --passes 2 &&
		check threads --thread-stacks 4 ;;
python)
	vms_native python -- "$PY" "$VMS_SRC/py_leak.py" 100000 || vms_finish
	vms_live python python --frames 2048 --profile --stack-period 4 \
		-- "$PY" "$VMS_SRC/py_leak.py" 100000 &&
		check python --python "py_leak.py:$(marker_line "$VMS_SRC/py_leak.py" SITE grow)" ;;
*)
	vms_error "unknown case '$case_name' (matrix, list, hashtable, threads, python)" ;;
esac
vms_finish
