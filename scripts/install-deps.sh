#!/bin/sh
# Installs what vmsandbox needs to build and test, from Debian 12's packages.
# The one list of dependencies: .ci/run and the README both use this script.
set -eu
# libelf-dev: the CLI's checks of a program's ELF headers; libseccomp-dev: the
# live sandbox; libdw-dev: allocation sites (unwinding and symbolizing the
# programs' stacks); python3.11-dev: the CPython 3.11 structure layout the
# pager reads to name Python frames (optional: without it sites have native
# frames only); the rest are used by the live sandbox's tests (make: the
# process-tree test that builds a C project with make -j2).  libjson-c-dev:
# `vmsandbox report` and --html read the JSON report back; python3-jsonschema
# checks reports against docs/report.schema.json; chromium (headless) and
# python3-pil open the HTML report and look at its screenshot in the tests;
# python3-pyte: the --progress test replays the terminal through its VT100
# emulator.
PKGS="gcc meson ninja-build pkg-config liblz4-dev libzstd-dev libcmocka-dev python3
libelf-dev libseccomp-dev libdw-dev python3.11-dev sqlite3 xz-utils zstd perl time procps make
libjson-c-dev python3-jsonschema python3-pil chromium python3-pyte"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -z "$missing" ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing; run this script as root (sudo)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
