#!/bin/bash
# An exec chain through four programs in one process (workload of
# test_tree.sh exec_chain): bash -> env -> python3 -> sh, each image using
# memory of its own before it execs the next (env only sets a variable).
# Every image replaces the previous one's address space, registrations and
# swap; the pid stays the one vmsandbox started.  Each step prints one line
# that checks what it built and what it inherited (X from env, the pid).
# usage: tree_exec_chain.sh PYTHON
set -u
py=$1
# bash: a string doubled 18 times (6.75 MiB; bash's copies while doubling
# take several times that).
s="bash step: 0123456789abcdef"
for ((j = 0; j < 18; j++)); do s=$s$s; done
echo "bash: ${#s} bytes, ${s:1000003:16}"
unset s
export CHAIN_PID=$$
# python3 builds 1,000,000 ints and 16 MB of bytes, then execs sh, which
# doubles a string 18 times (6 MiB).
exec env X=1 "$py" -c '
import hashlib, os
x = [i * 7919 % 1000003 for i in range(1000000)]
b = bytes(range(251)) * 66000
same = os.getpid() == int(os.environ["CHAIN_PID"])
print("python3: X=%s, same pid %s, %d ints, sum %d, sha256 %s"
      % (os.environ["X"], same, len(x), sum(x), hashlib.sha256(b).hexdigest()[:16]), flush=True)
os.execv("/bin/sh", ["sh", "-c", """
s="sh step: 0123456789abcdef"
i=0
while [ $i -lt 18 ]; do s=$s$s; i=$((i + 1)); done
[ "$$" = "$CHAIN_PID" ] && same=True || same=False
echo "sh: X=$X, same pid $same, ${#s} bytes"
"""])
'
