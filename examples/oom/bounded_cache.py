# The same service, written to survive memory pressure: when an allocation
# fails (MemoryError), it drops half of its cache and goes on.  Under
# `--overcommit never` the failure comes from vmsandbox exactly as it would
# from a kernel with vm.overcommit_memory=2, so the recovery path really
# runs:
#
#   build/tools/vmsandbox --memory 32M --overcommit never --commit-limit 64M -- \
#       python3 examples/oom/bounded_cache.py 2000
import random
import sys

CACHE = {}


def render(request_id):
    return bytearray(random.Random(request_id).randbytes(256 * 1024))


def handle_request(request_id):
    body = CACHE.get(request_id)
    if body is None:
        try:
            body = render(request_id)
        except MemoryError:
            for key in list(CACHE)[: len(CACHE) // 2]:
                del CACHE[key]
            print(f"request {request_id}: MemoryError, cache trimmed to {len(CACHE)} entries",
                  flush=True)
            body = render(request_id)
        CACHE[request_id] = body
    return len(body)


def main():
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for request_id in range(requests):
        handle_request(request_id)
    print(f"served {requests} requests, {len(CACHE)} cached")


main()
