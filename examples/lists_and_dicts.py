# A small workload for the quick start: about 130 MB of lists and dicts,
# hashed; under `vmsandbox --frames 4096` (16 MiB) it runs with most of its
# memory in the compressed swap store and prints the same line as natively.
import hashlib

squares = [i * i for i in range(2_000_000)]
names = {str(i): i for i in range(300_000)}
h = hashlib.sha256()
for x in squares[::1000]:
    h.update(str(x).encode())
print(sum(squares) % 1_000_003, len(names), h.hexdigest())
