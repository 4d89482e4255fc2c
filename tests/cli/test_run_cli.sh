#!/bin/sh
# End-to-end checks of `vmsandbox [OPTIONS] PROGRAM`'s command line and its
# pre-flight checks of PROGRAM: usage errors (2), not found (127), cannot be
# run or sandboxed (126).  A valid invocation runs the program: with
# userfaultfd usable (root, as in CI) vmsandbox exits with the program's
# status (0 for every valid case here); without it, 125 with an explanation
# of what to enable.
# usage: test_run_cli.sh VMSANDBOX
set -u
VMS=$1
fails=0
passes=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN ARGS...: exit status and a stderr line matching PATTERN.
expect() {
	st=$1; pat=$2; shift 2
	"$VMS" "$@" > "$tmp/out" 2> "$tmp/err"
	got=$?
	[ "$got" = "$st" ] || { bad "'$*': exit $got, expected $st: $(head -c 400 "$tmp/err")"; return; }
	grep -q -- "$pat" "$tmp/err" && ok || bad "'$*': stderr lacks '$pat': $(head -c 400 "$tmp/err")"
}

# expect_usage PATTERN ARGS...: status 2, the message, and the usage after it.
expect_usage() {
	expect 2 "$@"
	grep -q '^usage: vmsandbox \[OPTIONS\]' "$tmp/err" && ok || bad "'$*': no usage on stderr"
}

# Can this user run the live sandbox?  (root with /dev/userfaultfd here.)
if [ "$(id -u)" = 0 ] && [ -e /dev/userfaultfd ]; then live=1; else live=0; fi

# expect_valid ARGS...: accepted by the command line and the pre-flight
# checks, then run: the program's status (0), or 125 and the userfaultfd
# explanation when this user cannot have userfaultfd.
expect_valid() {
	"$VMS" "$@" > "$tmp/out" 2> "$tmp/err"
	got=$?
	if [ "$live" = 1 ]; then
		[ "$got" = 0 ] && ok || bad "'$*': exit $got, expected the program's 0: $(head -c 400 "$tmp/err")"
	else
		[ "$got" = 125 ] && grep -q userfaultfd "$tmp/err" && ok ||
			bad "'$*': exit $got without userfaultfd, expected 125 and an explanation"
	fi
}

# Usage errors.
expect_usage "unknown option '--bogus'" --bogus /bin/true
expect_usage "unknown option '-x'" -qx /bin/true
expect_usage "takes no value" --quiet=1 /bin/true
expect_usage "'--frames' needs a value" --frames
expect_usage "missing a subcommand or a program" --frames 10
expect_usage "missing a subcommand or a program"
expect_usage "--frames needs a number of frames >= 1, not '0'" --frames 0 /bin/true
expect_usage "--frames needs a number of frames >= 1, not 'abc'" --frames abc /bin/true
expect_usage "--frames needs" --frames -5 /bin/true
expect_usage "more than the" --frames 4294967296 /bin/true
expect_usage "--memory '10Q': not a size" --memory 10Q /bin/true
expect_usage "not a multiple of 4 KiB" --memory 10000 /bin/true
expect_usage "less than one 4 KiB frame" --memory 2K /bin/true
expect_usage "--frames and --memory both" --frames 10 --memory 64M /bin/true
expect_usage "--frames and --memory both" --memory 64M --frames 10 /bin/true
expect_usage "only for replay" --policy opt /bin/true
expect_usage "vmsandbox replay --policy opt" --policy opt /bin/true
expect_usage "unknown policy 'nosuch'; live policies are: fifo clock" --policy nosuch /bin/true
expect_usage "--compress needs lz4, zstd or none, not 'bogus'" --compress bogus /bin/true
expect_usage "--swap needs a size" --swap lots /bin/true
expect_usage "--seed needs" --seed x /bin/true
expect_usage "--cpus needs CPU numbers" --cpus x /bin/true
expect_usage "--cpus needs CPU numbers" --cpus 0, /bin/true
expect_usage "bad range 1-0" --cpus 1-0 /bin/true
expect_usage "a range needs an end" --cpus 0- /bin/true
expect_usage "CPU 1000 is not one" --cpus 1000 /bin/true
expect_usage "bad range" --cpus 5000 /bin/true
expect_usage "--thrash-window needs a duration" --thrash-window 5 /bin/true
expect_usage "--thrash-window needs a duration" --thrash-window 2h /bin/true
expect_usage "--thrash-window: a number of references from 100" --thrash-window 99refs /bin/true
expect_usage "--thrash-window: a number of references from 100" --thrash-window xrefs /bin/true
expect_usage "cannot be --deterministic" --deterministic --wss-interval 100ms /bin/true
expect_usage "cannot be --deterministic" --wss-interval 1s --deterministic /bin/true
expect_usage "takes no value" --deterministic=1 /bin/true
expect_usage "--profile-window needs a number of pages from 1" --profile-window 0 /bin/true
expect_usage "--profile-window needs a number of pages from 1" --profile-window 70000 /bin/true
expect_usage "--stack-period needs a number of faults" --stack-period -1 /bin/true
expect_usage "--fault-around needs on or off" --fault-around maybe /bin/true
expect_usage "option '--html' needs a value" --html
expect_usage "takes no value" --profile=1 /bin/true

# --help and --version: stdout, status 0.
"$VMS" --help > "$tmp/out" 2> "$tmp/err"
[ $? = 0 ] && grep -q '^usage: vmsandbox \[OPTIONS\] \[--\] PROGRAM' "$tmp/out" && [ ! -s "$tmp/err" ] &&
	ok || bad "--help: not status 0 with the usage on stdout"
grep -q -- '--memory SIZE' "$tmp/out" && grep -q 'multiple of 4K' "$tmp/out" && ok ||
	bad "--help does not say how --memory is converted"
"$VMS" -h | grep -q '^usage:' && ok || bad "-h: no usage"
[ "$("$VMS" --version)" = "$("$VMS" -V)" ] && "$VMS" --version | grep -qx 'vmsandbox [0-9][0-9.]*' &&
	ok || bad "--version: not 'vmsandbox VERSION'"

# Valid invocations; options after PROGRAM are the program's.
expect_valid --frames 10 /bin/echo --frames
if [ "$live" = 1 ]; then
	[ "$(cat "$tmp/out")" = "--frames" ] && ok || bad "echo --frames printed '$(cat "$tmp/out")'"
fi
expect_valid /bin/true
# --cpus: the program runs on those CPUs only, as under taskset.
expect_valid --cpus 0 -q nproc
if [ "$live" = 1 ]; then
	[ "$(cat "$tmp/out")" = 1 ] && ok || bad "nproc under --cpus 0 printed '$(cat "$tmp/out")'"
fi
# --deterministic: no address randomisation (ADDR_NO_RANDOMIZE, 0x0040000 in
# /proc/self/personality) for the program and what it runs; the hash seeds
# set to 0 unless the user set them.
expect_valid --deterministic -q sh -c 'cat /proc/self/personality; echo "$PYTHONHASHSEED $PERL_HASH_SEED $PERL_PERTURB_KEYS"'
if [ "$live" = 1 ]; then
	[ "$(cat "$tmp/out")" = "$(printf '00040000\n0 0 0')" ] && ok ||
		bad "--deterministic: personality and seeds '$(cat "$tmp/out" | tr '\n' ' ')', expected 00040000 and 0 0 0"
fi
PYTHONHASHSEED=random expect_valid --deterministic -q sh -c 'echo "$PYTHONHASHSEED"'
if [ "$live" = 1 ]; then
	[ "$(cat "$tmp/out")" = random ] && ok ||
		bad "--deterministic replaced the user's PYTHONHASHSEED=random with '$(cat "$tmp/out")'"
fi
expect_valid -q cat /proc/self/personality
if [ "$live" = 1 ]; then
	[ "$(cat "$tmp/out")" = 00000000 ] && ok ||
		bad "without --deterministic the personality is '$(cat "$tmp/out")', expected 00000000"
fi
expect_valid -- /bin/true --help
expect_valid --memory 64M true
expect_valid --frames=16 --policy lru --swap none --compress zstd --seed 7 -q true
expect_valid -f 8 -p fifo --swap 1M --compress none --report "$tmp/r.json" -o "$tmp/summary" true
expect_valid --swap unlimited --memory 1MiB sh -c 'exit 0'
expect_valid --thrash-window 1s --frames 64 true
expect_valid --thrash-window 20000refs --frames 64 true
# A process tree (sh forks echo's subshell and cat): the same rule.  Without
# userfaultfd not one of its processes may run unpaged, so nothing is printed.
expect_valid --frames 64 sh -c 'echo a | cat'
if [ "$live" = 1 ]; then
	[ "$(cat "$tmp/out")" = a ] && ok || bad "sh -c 'echo a | cat' printed '$(head -c 200 "$tmp/out")', not 'a'"
else
	[ ! -s "$tmp/out" ] && ok ||
		bad "sh -c 'echo a | cat' without userfaultfd printed '$(head -c 200 "$tmp/out")': it ran unpaged"
fi
env -u PATH "$VMS" --frames 4 true > /dev/null 2>&1
case $? in 2|126|127) bad "PATH unset: 'true' not found in the default PATH" ;; *) ok ;; esac

# Not found: 127.  Found but not runnable: 126.
expect 127 "nosuch-vmsandbox-prog: command not found" --frames 4 nosuch-vmsandbox-prog
expect 127 "No such file or directory" /nonexistent/prog
expect 127 "command not found" ""
printf 'echo hi\n' > "$tmp/noexec"
chmod 644 "$tmp/noexec"
expect 126 "cannot execute" "$tmp/noexec"
mkdir "$tmp/dir"
expect 126 "is a directory" "$tmp/dir"
# execvp's rule: a non-executable match in PATH gives 126, not 127.
mkdir "$tmp/bin" "$tmp/bin/subdir"
PATH="$tmp/bin:$PATH" "$VMS" subdir > /dev/null 2> "$tmp/err"
[ $? = 126 ] && grep -q "$tmp/bin/subdir: is a directory" "$tmp/err" && ok ||
	bad "a directory found in PATH: not 126: $(cat "$tmp/err")"
# Empty PATH entries are the current directory.
cp /bin/true "$tmp/mytrue"
(cd "$tmp" && PATH=":/bin:/usr/bin" "$VMS" mytrue > /dev/null 2>&1
	case $? in 2|126|127) exit 1 ;; esac) && ok || bad "empty PATH entry is not the current directory"

# ELF files the preload shim cannot enter: 32-bit, another machine.
python3 - "$tmp" <<'EOF'
import struct, sys
d = sys.argv[1]
# ELF header only: 32-bit i386 executable, 64-bit AArch64 executable.
open(d + "/elf32", "wb").write(b"\x7fELF\x01\x01\x01" + bytes(9) +
    struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0, 0, 0, 0, 52, 0, 0, 0, 0, 0))
open(d + "/arm64", "wb").write(b"\x7fELF\x02\x01\x01" + bytes(9) +
    struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0))
EOF
chmod +x "$tmp/elf32" "$tmp/arm64"
expect 126 "32-bit program" "$tmp/elf32"
expect 126 "not x86-64" "$tmp/arm64"

# Statically linked programs, directly and as a script's interpreter.
printf 'int main(void) { return 0; }\n' > "$tmp/s.c"
if gcc -static -o "$tmp/static" "$tmp/s.c" 2> "$tmp/gcc.err"; then
	expect 126 "statically linked" "$tmp/static"
	expect 126 "preload library" "$tmp/static"
	printf '#!%s\n' "$tmp/static" > "$tmp/static-script"
	chmod +x "$tmp/static-script"
	expect 126 "its interpreter: $tmp/static: statically linked" "$tmp/static-script"
else
	echo "SKIP: static cases: gcc -static failed: $(head -c 200 "$tmp/gcc.err")"
fi

# Scripts.  A missing interpreter is 127, as bash and env report it (the
# kernel's ENOENT); an interpreter that exists but cannot run is 126.
mkscript() { printf '%s\n' "$2" > "$tmp/$1"; chmod +x "$tmp/$1"; }
mkscript sh-script '#!/bin/sh'
expect_valid "$tmp/sh-script"
mkscript env-script '#!/usr/bin/env sh'
expect_valid "$tmp/env-script"
mkscript env-s-script '#!/usr/bin/env -S sh -e'
expect_valid "$tmp/env-s-script"
mkscript nested-script "#!$tmp/sh-script"
expect_valid "$tmp/nested-script"
# Neither ELF nor "#!": exec decides (ENOEXEC, which the supervisor reports
# as 126), so only the command line's statuses are excluded.
mkscript plain-script 'echo no interpreter line'
"$VMS" "$tmp/plain-script" > /dev/null 2> "$tmp/err"
case $? in 2|127) bad "a file without #!: refused before exec: $(cat "$tmp/err")" ;; *) ok ;; esac
mkscript missing-interp '#!/nonexistent/interp -x'
expect 127 "its interpreter: /nonexistent/interp: No such file" "$tmp/missing-interp"
mkscript env-missing '#!/usr/bin/env nosuch-vmsandbox-interp'
expect 127 "nosuch-vmsandbox-interp: command not found" "$tmp/env-missing"
mkscript env-two-words '#!/usr/bin/env sh -e'
expect 127 "env -S" "$tmp/env-two-words"
mkscript dir-interp "#!$tmp/dir"
expect 126 "its interpreter: $tmp/dir: is a directory" "$tmp/dir-interp"
mkscript noexec-interp "#!$tmp/noexec"
expect 126 "cannot execute" "$tmp/noexec-interp"
mkscript empty-interp '#!'
expect 126 "names no interpreter" "$tmp/empty-interp"
printf '#!/bin/sh\r\necho\r\n' > "$tmp/dos-script"
chmod +x "$tmp/dos-script"
expect 127 "DOS line endings" "$tmp/dos-script"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
