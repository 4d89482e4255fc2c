#!/bin/bash
# (g) tests/progs/threads_pattern (8 threads writing and verifying patterns,
# MADV_DONTNEED, mremap growth, partial munmap) under a budget of 15% of its
# native peak, with one policy or one compressor per run.
# usage: test_threads.sh VMSANDBOX PROGS_DIR VARIANT
#   VARIANT: a policy (fifo clock eclock lru lfu arc wsclock random),
#            a compressor (lz4 zstd none; default policy), or
#            mmap64 / malloc64 (the full 64 MiB region, default policy and
#            compressor; malloc64 takes its memory from the brk heap).
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
variant=${3:-}

# Native peak RSS, /usr/bin/time -f %M (dev VM): --size 16 (16 MiB, growing
# to 24 MiB): 25,808-26,300 KiB, 0.05-0.11 s; the default 64 MiB (growing to
# 96 MiB): 99,764 KiB (mmap) and 100,540 KiB (malloc), 0.3 s.
RSS_16=26016
RSS_64=100540
case $variant in
fifo | clock | eclock | lru | lfu | arc | wsclock | random)
	vms_compare "threads_$variant" "$(vms_frames_pct $RSS_16 15)" --native-rss $RSS_16 \
		--policy "$variant" -- "$PROGS/threads_pattern" --size 16 ;;
lz4 | zstd | none)
	vms_compare "threads_compress_$variant" "$(vms_frames_pct $RSS_16 15)" --native-rss $RSS_16 \
		--compress "$variant" -- "$PROGS/threads_pattern" --size 16 ;;
mmap64 | malloc64)
	vms_compare "threads_$variant" "$(vms_frames_pct $RSS_64 15)" --native-rss $RSS_64 \
		-- "$PROGS/threads_pattern" --mode "${variant%64}" ;;
*)
	vms_error "unknown variant '$variant'" ;;
esac
vms_finish
