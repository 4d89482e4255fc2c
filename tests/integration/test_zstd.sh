#!/bin/bash
# (f) zstd -T2 (two worker threads) compressing 100 MB of generated
# compressible text (gendata text), natively and under a budget of 15% of its
# native peak; the compressed streams must be identical (zstd's multithreaded
# output does not depend on scheduling).
#
# Why zstd -3 and not xz: a compressor's match finder reads its hash tables
# and window at random for every input byte.  xz -T2 keeps most of its peak
# in them (hash chains of 4 bytes per dictionary byte, per thread), so at 15%
# of its peak it would fault on nearly every byte: 10^8 faults.  zstd -3 has
# 0.75 MB of tables and a 2 MB window per thread, about 5.5 MB together; the
# rest of its peak is job buffers read and written in order.  15% of the
# largest native peak seen (11 MB) leaves room for the buffers in flight.
# usage: test_zstd.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_need zstd

"$PROGS/gendata" text 100000000 > "$VMS_TMP/text.txt" || vms_error "gendata failed"
# Native peak RSS, /usr/bin/time -f %M, zstd 1.5.4 on Debian 12 (dev VM, 5
# runs): 49,144-73,392 KiB, depending on how many jobs the reader thread has
# in flight; 0.12-0.14 s (the text is repetitive: 100 MB -> 12 MB).
NATIVE_RSS_KB=73392
vms_compare zstd "$(vms_frames_pct $NATIVE_RSS_KB 15)" --native-rss $NATIVE_RSS_KB \
	-- "$(command -v zstd)" -q -T2 -3 -c "$VMS_TMP/text.txt"
vms_finish
