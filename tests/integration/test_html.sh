#!/bin/bash
# The HTML report of a live run (issue 7): `--frames N --html out.html
# --report out.json` on wsloop (tests/progs/wsloop.c: 1,024 pages swept 6
# times with 512 frames, so the miss-ratio curve has a knee above the
# budget and the run thrashes).
#
#   - the program's output and status are the native run's, the report
#     validates against docs/report.schema.json (check_schema.py);
#   - the page is self-contained and agrees with the report it came from
#     (check_html.py page: one heatmap cell per non-zero count, one MRC
#     marker per policy point, table rows), and `vmsandbox report
#     out.json --html` renders the same bytes;
#   - headless Chromium opens it: the DOM it dumps has the four pictures
#     with content (>= 100 heatmap cells, an LRU curve of >= 10 points), and
#     its screenshot shows many colours where each picture was laid out
#     (svg_boxes.js tells where; python3-pil reads the PNG);
#   - an --html path that cannot be written is reported on stderr and the
#     exit status stays the program's.
# Skips (77) without root or userfaultfd (lib.sh), or when the chromium
# binary is absent; a Chromium that fails or hangs is a failure.
# usage: test_html.sh VMSANDBOX PROGS_DIR
. "$(dirname "$0")/lib.sh"
vms_setup "$@"
vms_require_option --html "$VMS_TMP/probe.html"
SCHEMA=$VMS_SRC/../../docs/report.schema.json
CHROMIUM_TIMEOUT=120

command -v chromium > /dev/null ||
	vms_skip "chromium is not installed (scripts/install-deps.sh installs it)"
"$PY" -c 'import jsonschema, PIL' 2> /dev/null ||
	vms_error "$PY lacks jsonschema or PIL (python3-jsonschema, python3-pil: scripts/install-deps.sh)"

prog=("$PROGS/wsloop" --pages 1024 --passes 6)
vms_native wsloop -- "${prog[@]}" || vms_finish
d=$VMS_TMP/live
if vms_live live wsloop --frames 512 --html "$VMS_TMP/live.html" -- "${prog[@]}"; then
	if out=$("$PY" "$VMS_SRC/check_schema.py" "$SCHEMA" "$d/report.json"); then
		vms_pass "the report validates against docs/report.schema.json"
	else
		vms_fail "the report does not validate:"
		echo "$out" | head -n 20
	fi
	if [ ! -s "$VMS_TMP/live.html" ]; then
		vms_fail "no HTML report written"
		vms_show_stderr sandbox "$d/err"
		vms_finish
	fi
	if out=$("$PY" "$VMS_SRC/check_html.py" page "$VMS_TMP/live.html" "$d/report.json"); then
		vms_pass "the page is self-contained and agrees with its report"
	else
		vms_fail "the page:"
		echo "$out" | head -n 20
	fi
	if "$VMS" report "$d/report.json" --html "$VMS_TMP/again.html" &&
	   cmp -s "$VMS_TMP/live.html" "$VMS_TMP/again.html"; then
		vms_pass "'vmsandbox report' renders the same page from the saved report"
	else
		vms_fail "'vmsandbox report $d/report.json' renders another page than --html"
	fi
fi

# chromium_run NAME ARGS...: headless Chromium on ARGS, stdout in NAME.out;
# a failure or a hang (CHROMIUM_TIMEOUT s) is counted and returns 1.
chromium_run() {
	local name=$1 st t0
	shift
	t0=$EPOCHREALTIME
	timeout "$CHROMIUM_TIMEOUT" chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--no-first-run --user-data-dir="$VMS_TMP/chromium-profile" \
		--force-device-scale-factor=1 "$@" > "$VMS_TMP/$name.out" 2> "$VMS_TMP/$name.err"
	st=$?
	echo "[chromium $name] $(vms_elapsed "$t0" "$EPOCHREALTIME") s, exit $st"
	[ "$st" = 0 ] && return 0
	vms_fail "chromium $name: exit status $st$([ "$st" = 124 ] && echo " (timed out after ${CHROMIUM_TIMEOUT} s)")"
	grep -v 'dbus\|Fontconfig' "$VMS_TMP/$name.err" | head -n 10 | sed 's/^/  | /'
	return 1
}

# The page with svg_boxes.js before </body>: Chromium's DOM then says where
# each picture is (the report itself has no script).
if [ -s "$VMS_TMP/live.html" ]; then
	probe=$VMS_TMP/probe_boxes.html
	{
		sed '/^<\/body>$/,$d' "$VMS_TMP/live.html"
		echo "<script>"
		cat "$VMS_SRC/svg_boxes.js"
		printf '</script>\n</body>\n</html>\n'
	} > "$probe"
	if chromium_run dom --window-size=1200,3000 --dump-dom "file://$probe"; then
		if out=$("$PY" "$VMS_SRC/check_html.py" dom "$VMS_TMP/dom.out"); then
			vms_pass "Chromium's DOM has the four pictures with content"
		else
			vms_fail "Chromium's DOM:"
			echo "$out" | head -n 20
		fi
		# Tall enough for the lowest picture (3,000 px is plenty today).
		height=$("$PY" -c '
import html, json, re, sys
m = re.search(r"data-vms-boxes=\"([^\"]*)\"", open(sys.argv[1]).read())
b = json.loads(html.unescape(m.group(1))) if m else {}
print(max([3000] + [int(v["y"] + v["h"]) + 40 for v in b.values()]))' "$VMS_TMP/dom.out")
		if chromium_run shot --window-size=1200,"$height" --screenshot="$VMS_TMP/shot.png" \
				"file://$probe"; then
			if out=$("$PY" "$VMS_SRC/check_html.py" screenshot "$VMS_TMP/shot.png" \
					"$VMS_TMP/dom.out"); then
				echo "$out" | sed 's/^/  | /'
				vms_pass "the screenshot shows the four pictures painted"
			else
				vms_fail "the screenshot:"
				echo "$out" | head -n 20
			fi
		fi
	fi
fi

# An --html that cannot be written: said on stderr, the program's status kept.
"$VMS" --frames 512 --html "$VMS_TMP/no/such/dir.html" --quiet -- "${prog[@]}" \
	> /dev/null 2> "$VMS_TMP/nodir.err"
st=$?
if [ "$st" = 0 ] && grep -q "cannot write the HTML report $VMS_TMP/no/such/dir.html: No such file or directory" \
		"$VMS_TMP/nodir.err"; then
	vms_pass "an unwritable --html is reported and the exit status stays 0"
else
	vms_fail "unwritable --html: exit $st, stderr: $(head -c 300 "$VMS_TMP/nodir.err")"
fi
vms_finish
