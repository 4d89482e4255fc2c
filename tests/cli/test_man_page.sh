#!/bin/sh
# The man page must render without a single groff warning (-ww: all of them).
# usage: test_man_page.sh PAGE VERSION
set -u
page=$1
version=$2
grep -q "^\.TH VMSANDBOX 1 .* \"vmsandbox $version\"" "$page" ||
	{ echo "FAIL: $page: .TH does not name version $version (meson.build's)"; exit 1; }
if ! command -v groff > /dev/null 2>&1; then
	echo "SKIP: groff is not installed"
	exit 77
fi
warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
if [ -n "$warnings" ]; then
	echo "FAIL: groff warnings in $page:"
	echo "$warnings"
	exit 1
fi
# The page must also say something: a NAME section and every option.
out=$(groff -man -Tascii -P-cbou "$page" 2>/dev/null)
for word in NAME SYNOPSIS "EXIT STATUS" --frames --memory --policy --swap --compress \
	--report --output --quiet --seed --cpus --tlb --ref-tracking --wss-interval --trace --thrash-window \
	--overcommit --commit-limit --oom-policy --progress \
	--version "vmsandbox replay"; do
	printf '%s\n' "$out" | grep -q -- "$word" || { echo "FAIL: $page does not mention '$word'"; exit 1; }
done
echo "ok: $page renders without warnings"
