#!/bin/sh
# Configures (once) and builds vmsandbox in ./build, or in the directory
# given as the first argument; further arguments go to `meson setup`.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ -d "$dir/meson-private" ]; then
	[ $# -gt 0 ] && meson configure "$dir" "$@"
else
	meson setup "$dir" "$@"
fi
meson compile -C "$dir"
