#!/bin/bash
# (e) perl building a 250,000-key hash, sorting it and printing digests
# (perl_hash_sort.pl), natively and under a budget of 15% of its native peak.
# usage: test_perl.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_need perl
perl -MDigest::MD5 -e 1 2> /dev/null || vms_skip "perl's Digest::MD5 is missing (Debian: the perl package, not only perl-base)"

# Native peak RSS, /usr/bin/time -f %M, perl 5.36.0 on Debian 12 (dev VM):
# 184,792-185,124 KiB; 1.3-2.8 s.
NATIVE_RSS_KB=185124
vms_compare perl "$(vms_frames_pct $NATIVE_RSS_KB 15)" --native-rss $NATIVE_RSS_KB \
	-- "$(command -v perl)" "$VMS_SRC/perl_hash_sort.pl" 250000
vms_finish
