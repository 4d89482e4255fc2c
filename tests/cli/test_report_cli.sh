#!/bin/sh
# `vmsandbox report FILE.json --html OUT` end to end, without root: the
# fixture (a real --profile run's report, tests/fixtures/) renders to a page
# with the four pictures and the exact number of heatmap cells, markers and
# table rows (check_html.py); a report without a profile, a malformed
# profile, hostile strings; bad input gives exit 1 and a message naming the
# file and what is wrong, bad usage exit 2; the fixture validates against
# docs/report.schema.json and a broken copy does not.
# usage: test_report_cli.sh VMSANDBOX FIXTURES_DIR SCHEMA CHECKS_DIR
set -u
VMS=$1
FIX=$2/profile_report.json
SCHEMA=$3
CHECKS=$4
fails=0
passes=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# A python3 with the modules the checks need (Debian's, when the first
# python3 on PATH is another installation without them).
PY=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import jsonschema' 2> /dev/null; then
		PY=$p
		break
	fi
done
[ -n "$PY" ] || { echo "FAIL: no python3 with the jsonschema module (python3-jsonschema, scripts/install-deps.sh)"; exit 1; }

# mutate OUT EXPR: the fixture with the Python statement EXPR applied to `r`.
mutate() {
	"$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); $2
json.dump(r, open(sys.argv[2], 'w'))" "$FIX" "$1"
}

# expect_fail STATUS PATTERN ARGS...: vmsandbox ARGS exits STATUS and says PATTERN on stderr.
expect_fail() {
	want=$1
	pat=$2
	shift 2
	"$VMS" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
	st=$?
	if [ "$st" != "$want" ]; then
		bad "vmsandbox $*: exit $st, expected $want ($(head -c 300 "$tmp/err"))"
	elif ! grep -q -- "$pat" "$tmp/err"; then
		bad "vmsandbox $*: stderr lacks '$pat': $(head -c 300 "$tmp/err")"
	else
		ok
	fi
}

# The fixture: every picture and table, counts exact.
if "$VMS" report "$FIX" --html "$tmp/fx.html" 2> "$tmp/err"; then
	out=$("$PY" "$CHECKS/check_html.py" page "$tmp/fx.html" "$FIX") && ok || bad "fixture page: $out"
else
	bad "report of the fixture failed: $(cat "$tmp/err")"
fi
for cls in vms-heatmap vms-wss vms-faultrate vms-mrc; do
	[ "$(grep -c "class=\"vms-plot $cls\"" "$tmp/fx.html")" = 1 ] && ok || bad "not one svg of class $cls"
done
grep -q 'no profile' "$tmp/fx.html" && bad "the fixture's page says 'no profile'" || ok
grep -q '>thrashing<' "$tmp/fx.html" && ok || bad "the header does not show the thrashing verdict"
grep -q 'knee</th><td>377 frames' "$tmp/fx.html" && ok || bad "the header does not name the knee (377 frames)"

# Options after or before the file, stdin, stdout: the same page.
"$VMS" report --html "$tmp/b.html" "$FIX" && cmp -s "$tmp/fx.html" "$tmp/b.html" && ok ||
	bad "--html before FILE gives another page"
"$VMS" report - --html "$tmp/c.html" < "$FIX" && cmp -s "$tmp/fx.html" "$tmp/c.html" && ok ||
	bad "FILE - (stdin) gives another page"
"$VMS" report "$FIX" --html - > "$tmp/d.html" && cmp -s "$tmp/fx.html" "$tmp/d.html" && ok ||
	bad "--html - (stdout) gives another page"

# Help and usage errors (exit 2).
"$VMS" report --help > "$tmp/help" 2>&1 && grep -q -- "--html OUT" "$tmp/help" && ok || bad "report --help"
expect_fail 2 "missing FILE.json" report
expect_fail 2 "nothing to do: give --html OUT" report "$FIX"
expect_fail 2 "needs a value" report "$FIX" --html
expect_fail 2 "unknown option '--pdf'" report "$FIX" --pdf x
expect_fail 2 "one report at a time" report "$FIX" "$FIX" --html "$tmp/x.html"

# Bad input (exit 1): the message names the file and what is wrong; no OUT.
expect_fail 1 "cannot read $tmp/none.json: No such file or directory" report "$tmp/none.json" --html "$tmp/o.html"
expect_fail 1 "cannot read $tmp: Is a directory" report "$tmp" --html "$tmp/o.html"
head -c 5000 "$FIX" > "$tmp/trunc.json"
expect_fail 1 "$tmp/trunc.json: invalid JSON: the text ends inside a value at line [0-9]*, column [0-9]* (byte 5000)" \
	report "$tmp/trunc.json" --html "$tmp/o.html"
printf '{\n  "vmsandbox_version": "0.1.0",\n  "frames": 12x\n}\n' > "$tmp/garbage.json"
expect_fail 1 "$tmp/garbage.json: invalid JSON at line 3, column 15 (byte 48)" report "$tmp/garbage.json" --html "$tmp/o.html"
printf '{"vmsandbox_version": "0.1.0"} {}' > "$tmp/two.json"
expect_fail 1 "more after the report's closing brace, at line 1, column 32" report "$tmp/two.json" --html "$tmp/o.html"
echo '{"faults": {"total": 3}}' > "$tmp/other.json"
expect_fail 1 "$tmp/other.json: not a vmsandbox report: no \"vmsandbox_version\" field" report "$tmp/other.json" --html "$tmp/o.html"
echo '[1, 2]' > "$tmp/array.json"
expect_fail 1 "not a vmsandbox report: the JSON is array, not an object" report "$tmp/array.json" --html "$tmp/o.html"
: > "$tmp/empty.json"
expect_fail 1 "$tmp/empty.json: empty: no JSON in it" report "$tmp/empty.json" --html "$tmp/o.html"
[ -e "$tmp/o.html" ] && bad "a failed report left $tmp/o.html behind" || ok
expect_fail 1 "cannot write $tmp/no/dir.html: No such file or directory" report "$FIX" --html "$tmp/no/dir.html"

# No profile (old report, or a run without --profile): the header and a sentence.
for how in "r['profile'] = None" "del r['profile']"; do
	mutate "$tmp/np.json" "$how"
	if "$VMS" report "$tmp/np.json" --html "$tmp/np.html" 2> "$tmp/err"; then
		grep -q 'no profile: run with --profile' "$tmp/np.html" && ok || bad "$how: no 'no profile' sentence"
		grep -q '<svg' "$tmp/np.html" && bad "$how: the page has pictures" || ok
		grep -q 'thrashing</span> since' "$tmp/np.html" && ok || bad "$how: no header"
	else
		bad "$how: exit status $? ($(cat "$tmp/err"))"
	fi
done

# A malformed or missing part: that picture says why, the others are drawn.
mutate "$tmp/m.json" "r['profile']['heatmap']['counts'][2] = [1, 2]; del r['profile']['timeline']['wss_pages']"
if "$VMS" report "$tmp/m.json" --html "$tmp/m.html" 2> "$tmp/err"; then
	grep -q 'Not drawn: profile.heatmap.counts\[2\] is not an array of 120 numbers' "$tmp/m.html" && ok ||
		bad "a short heatmap row is not explained"
	grep -q 'Not drawn: profile.timeline.wss_pages is not in this report' "$tmp/m.html" && ok ||
		bad "a missing wss_pages is not explained"
	grep -q 'class="vms-plot vms-heatmap"' "$tmp/m.html" && bad "a malformed heatmap was drawn" || ok
	for cls in vms-faultrate vms-mrc; do
		grep -q "class=\"vms-plot $cls\"" "$tmp/m.html" && ok || bad "$cls not drawn next to a malformed heatmap"
	done
else
	bad "a malformed profile: exit status $? ($(cat "$tmp/err"))"
fi

# Virtual time (--deterministic): axes in references.
mutate "$tmp/v.json" "r['profile']['time_unit'] = 'refs'; r['profile']['timeline']['bucket'] = 1000; r['profile']['heatmap']['bucket'] = 4000"
"$VMS" report "$tmp/v.json" --html "$tmp/v.html" && grep -q 'time (references: virtual time)' "$tmp/v.html" &&
	grep -q '>per reference<' "$tmp/v.html" && ok || bad "virtual time is not labelled in references"

# Hostile strings are escaped; invalid UTF-8 becomes U+FFFD.
mutate "$tmp/h.json" "r['argv'].append('<script>alert(1)</script>&\"'); r['profile']['regions'][0]['label'] = '<b>x</b>'"
printf '\377' > "$tmp/ff"
"$PY" -c "import sys; d=open(sys.argv[1],'rb').read().replace(b'alert(1)', b'alert(' + open(sys.argv[2],'rb').read() + b')'); open(sys.argv[1],'wb').write(d)" "$tmp/h.json" "$tmp/ff"
if "$VMS" report "$tmp/h.json" --html "$tmp/h.html" 2> "$tmp/err"; then
	grep -q '<script\|<b>x' "$tmp/h.html" && bad "markup from the report reached the page" || ok
	grep -qF "$(printf '&lt;script&gt;alert(\357\277\275)&lt;/script&gt;&amp;&quot;')" "$tmp/h.html" && ok ||
		bad "argv not escaped as expected: $(grep -o 'alert[^<]*' "$tmp/h.html" | head -1)"
	out=$("$PY" "$CHECKS/check_html.py" page "$tmp/h.html") && ok || bad "hostile page: $out"
else
	bad "hostile strings: exit $? ($(cat "$tmp/err"))"
fi

# The schema: the fixture is valid, a broken copy is not (and says where).
out=$("$PY" "$CHECKS/check_schema.py" "$SCHEMA" "$FIX") && ok || bad "the fixture does not validate: $out"
mutate "$tmp/s.json" "r['profile']['heatmap']['rows'][0]['start'] = 'abc'; r['faults'].pop('total')"
out=$("$PY" "$CHECKS/check_schema.py" "$SCHEMA" "$tmp/s.json")
st=$?
[ "$st" = 1 ] && ok || bad "a broken report validates (exit $st)"
echo "$out" | grep -q "profile.heatmap.rows\[0\].start: 'abc' does not match" && ok || bad "schema error not located: $out"
echo "$out" | grep -q "faults: 'total' is a required property" && ok || bad "schema misses faults.total: $out"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
