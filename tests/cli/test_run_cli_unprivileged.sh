#!/bin/sh
# The command-line checks again as an unprivileged user (nobody), where
# userfaultfd is not permitted (vm.unprivileged_userfaultfd=0, /dev/userfaultfd
# root-only): every valid invocation must end with 125 and an explanation of
# what to enable, never run the program unpaged, a process tree (a shell
# pipeline) included.  Needs root to drop to nobody.
# usage: test_run_cli_unprivileged.sh VMSANDBOX
[ "$(id -u)" = 0 ] || { echo "SKIP: not root, cannot switch to nobody"; exit 77; }
command -v setpriv > /dev/null || { echo "SKIP: setpriv (util-linux) missing"; exit 77; }
if [ "$(cat /proc/sys/vm/unprivileged_userfaultfd 2> /dev/null)" = 1 ]; then
	echo "SKIP: vm.unprivileged_userfaultfd=1: nobody may use userfaultfd here"
	exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
cd /tmp && exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	sh "$here/test_run_cli.sh" "$1"
