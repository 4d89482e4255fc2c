# A parent with ~40 MB of lists forks three children one after another; each
# child reads the parent's list (pages the parent had evicted must come back
# from the shared swap slots, never as zeros) and builds its own list.
import os
import sys

n = int(sys.argv[1])
x = [i for i in range(n)]
for k in range(3):
    pid = os.fork()
    if pid == 0:
        y = [i * 2 + k for i in range(n // 2)]
        print("child", k, sum(x), sum(y), flush=True)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0, status
print("parent", sum(x), flush=True)
