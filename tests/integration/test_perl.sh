#!/bin/bash
# (e) perl building a 100,000-key hash, sorting it and printing digests
# (perl_hash_sort.pl), natively and under a budget of 25% of its native peak.
# Perl's hash walks touch its whole heap at random, so every budget below the
# working set thrashes; 100,000 keys at 25% is about 0.3 M faults, which the
# pager serves in about 20 s on the 2-vCPU VM (250,000 keys at 15%: > 5 min).
# usage: test_perl.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_need perl
perl -MDigest::MD5 -e 1 2> /dev/null || vms_skip "perl's Digest::MD5 is missing (Debian: the perl package, not only perl-base)"

# Native peak RSS, /usr/bin/time -f %M, perl 5.36.0 on Debian 12 (dev VM):
# 78,320 KiB; 0.5 s.
NATIVE_RSS_KB=78320
vms_compare perl "$(vms_frames_pct $NATIVE_RSS_KB 25)" --native-rss $NATIVE_RSS_KB \
	-- "$(command -v perl)" "$VMS_SRC/perl_hash_sort.pl" 100000
vms_finish
