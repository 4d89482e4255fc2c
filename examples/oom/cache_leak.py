# A "service" with a classic leak: every response is cached in a dict that is
# never trimmed.  Each request builds a 256 KiB response; the cache keeps
# them all.  Natively it grows until the machine runs out; under vmsandbox
# it is OOM-killed at a predictable point, and the report says who, why and
# where the memory was allocated.
#
#   build/tools/vmsandbox --memory 32M --swap 32M --report oom.json -- \
#       python3 examples/oom/cache_leak.py
#
# (docs/oom.md walks through the output.)
import random
import sys

CACHE = {}


def render(request_id):
    # A response body: pseudo-random bytes (they do not compress, as real
    # payloads often do not), the same for the same request on every run.
    return bytearray(random.Random(request_id).randbytes(256 * 1024))


def handle_request(request_id):
    body = CACHE.get(request_id)
    if body is None:
        body = render(request_id)
        CACHE[request_id] = body  # the leak: nothing ever leaves the cache
    return len(body)


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    served = 0
    request_id = 0
    while not limit or request_id < limit:
        served += handle_request(request_id)
        request_id += 1
        if request_id % 64 == 0:
            print(f"{request_id} requests, cache {served >> 20} MiB", flush=True)
    print("done")


main()
