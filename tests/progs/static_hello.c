/* SPDX-License-Identifier: MIT */
/*
 * static_hello: a statically linked program, for a sandboxed shell to run.
 *
 *   static_hello [MIB]
 *
 * The preload shim cannot enter a static program, so vmsandbox runs it
 * unmanaged (the kernel pages its memory); it must still run to its end with
 * its own output and status, and must not be killed for being unmanaged.  It
 * writes and verifies a pattern over MIB MiB (default 8) so that it has
 * memory of its own, and prints one deterministic line.  Exits 0, or 1 at
 * the first mismatch, 2 if a call fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pattern.h"

#define PROG "static_hello"

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 8;

	if (argc > 2 || mib < 1 || mib > 1024) {
		fputs("usage: static_hello [MIB]\n", stderr);
		return 2;
	}
	size_t nr = mib * 256;
	char *p = mmap(NULL, nr * PAT_PAGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: %s\n", PROG, strerror(errno));
		return 2;
	}
	if (pat_write_verify(PROG, "its region", p, nr, 0, 1))
		return 1;
	printf("%s: statically linked, %lu MiB verified, checksum=%016" PRIx64 "\n", PROG, mib,
	       pat_checksum(0xCBF29CE484222325ull, p, nr));
	return 0;
}
