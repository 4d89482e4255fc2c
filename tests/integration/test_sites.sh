#!/bin/bash
# Allocation sites (the report's allocation_sites): programs that leak from
# known lines, run natively and under a budget that evicts, must produce
# the same output, and the report must name the leaking function and line.
#   c_swap    sites_leak (tests/progs): three functions leak 48 MiB (1 MiB
#             mallocs), 16 MiB (brk heap) and 6 MiB (512 KiB mmaps) from
#             under 8 frames of ~6 KB of stack each; FIFO under 15% of its
#             peak, so the callers' stack pages are in swap when the later
#             allocations are unwound (peeks from swap)
#   c_tlb     the same under --tlb 16: most stack pages are soft-unmapped,
#             and unwinding reads them from their park slots
#   c_fp      sites_leak built with -fno-omit-frame-pointer, FIFO under 15%:
#             every stack must still reach main (the unwinder finds each
#             frame's saved rbp, which the kernel does not show)
#   python    py_leak.py grows a list of strings in grow(); the top site's
#             innermost Python frame must be grow() at the marked line,
#             called from main()
# usage: test_sites.sh VMSANDBOX PROGS_DIR CASE
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
case_name=${3:-}

# The line of a "SITE: NAME" marker in a source file.
site_line() {
	local n
	n=$(grep -n "SITE: $2\b" "$1" | head -n 1 | cut -d: -f1)
	[ -n "$n" ] || vms_error "no 'SITE: $2' marker in $1"
	echo "$n"
}

# check NAME CHECKS...: check_sites.py on NAME's report, one pass or failure.
check() {
	local name=$1 out st
	shift
	out=$(python3 "$VMS_SRC/check_sites.py" "$VMS_TMP/$name/report.json" "$@")
	st=$?
	echo "$out" | grep -v '^FAIL: ' | sed 's/^/  /'
	if [ "$st" != 0 ]; then
		echo "$out" | grep '^FAIL: ' | sed "s/^FAIL: /FAIL: $name: /"
		echo "$out" | grep -q '^FAIL: ' || echo "FAIL: $name: check_sites.py exited with $st"
		VMS_FAILS=$((VMS_FAILS + 1))
		sed 's/^/  | /' "$VMS_TMP/$name/err" | tail -n 5
		return 1
	fi
	vms_pass "$name"
}

# Native peak RSS, /usr/bin/time -f %M (dev VM): sites_leak 48 6 16: 73,300
# KiB, 0.05-0.07 s; py_leak.py 300000: 43,900 KiB, 0.11-0.12 s.
LEAK_SRC=$VMS_SRC/../progs/sites_leak.c
C_CHECKS=(--native 1 leak_big_blocks "sites_leak.c:$(site_line "$LEAK_SRC" big)" 48 48.3 48
	--native 2 leak_heap_chunks "sites_leak.c:$(site_line "$LEAK_SRC" heap)" 14 16.5 -
	--native 3 leak_small_maps "sites_leak.c:$(site_line "$LEAK_SRC" small)" 6 6 12
	--held 95 --reaches main --evicted)

case $case_name in
c_swap)
	vms_native sites_leak -- "$PROGS/sites_leak" 48 6 16 || vms_finish
	vms_live c_swap sites_leak --frames "$(vms_frames_pct 73300 15)" --policy fifo \
		-- "$PROGS/sites_leak" 48 6 16 &&
		check c_swap "${C_CHECKS[@]}" --peeks swap 1 ;;
c_tlb)
	vms_native sites_leak -- "$PROGS/sites_leak" 48 6 16 || vms_finish
	vms_live c_tlb sites_leak --frames "$(vms_frames_pct 73300 25)" --tlb 16 \
		-- "$PROGS/sites_leak" 48 6 16 &&
		check c_tlb "${C_CHECKS[@]}" --peeks park 1 ;;
c_fp)
	vms_native sites_leak_fp -- "$PROGS/sites_leak_fp" 48 6 16 || vms_finish
	vms_live c_fp sites_leak_fp --frames "$(vms_frames_pct 73300 15)" --policy fifo \
		-- "$PROGS/sites_leak_fp" 48 6 16 &&
		check c_fp "${C_CHECKS[@]}" --fp-recoveries 1 ;;
python)
	vms_native py_leak -- "$PY" "$VMS_SRC/py_leak.py" 300000 || vms_finish
	vms_live python py_leak --frames "$(vms_frames_pct 43900 25)" \
		-- "$PY" "$VMS_SRC/py_leak.py" 300000 &&
		check python --python "py_leak.py:$(site_line "$VMS_SRC/py_leak.py" grow)" grow main 10 \
			--held 80 --evicted ;;
*)
	vms_error "unknown case '$case_name' (c_swap, c_tlb, c_fp, python)" ;;
esac
vms_finish
