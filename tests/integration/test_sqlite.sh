#!/bin/bash
# (b) the sqlite3 CLI creating a 50 MB database and querying it
# (sqlite_workload.sql), natively and under a budget of 15% of its native
# peak.  The database file must come out byte-identical as well.
# usage: test_sqlite.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_need sqlite3

# Native peak RSS, /usr/bin/time -f %M, sqlite3 3.40.1 on Debian 12 (dev VM):
# 103,596-103,776 KiB (the 200 MB page cache holds the whole 50 MB
# database); 1.4-2.6 s.
NATIVE_RSS_KB=103776
vms_compare sqlite "$(vms_frames_pct $NATIVE_RSS_KB 15)" --native-rss $NATIVE_RSS_KB \
	--stdin "$VMS_SRC/sqlite_workload.sql" --file db.sqlite \
	-- "$(command -v sqlite3)" @RUN@/db.sqlite
vms_finish
