/* SPDX-License-Identifier: MIT */
/*
 * sigsegv_handler: a program with its own SIGSEGV and SIGBUS handlers.
 *
 *   sigsegv_handler [--size MIB]
 *
 * Garbage collectors, JITs and language runtimes catch SIGSEGV and SIGBUS.  A
 * pager that serves faults with signals, or that installs handlers of its
 * own, must neither take these signals from the program nor deliver its own
 * faults to the program's handler.  The program installs both handlers with
 * sigaction (SA_SIGINFO, on an alternate stack), then:
 *   - writes and verifies a region (default 64 MiB): the handlers must not run;
 *   - reads a PROT_NONE page: exactly one SIGSEGV with si_code SEGV_ACCERR and
 *     si_addr that page, from which it recovers with siglongjmp;
 *   - touches a page of a shared file mapping beyond the end of its (memfd)
 *     file: exactly one SIGBUS (BUS_ADRERR at that address), recovered the
 *     same way;
 *   - verifies the region again and does both probes once more at the end.
 * Prints one deterministic line and exits 0 when all of this held; prints what
 * went wrong and exits 1 otherwise; exits 2 if a call fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pattern.h"

#define PROG "sigsegv_handler"

static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_armed;    /* a probe expects this signal */
static volatile sig_atomic_t nr_segv, nr_bus;
static void *volatile last_addr;
static volatile int last_code;

static void die_errno(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", PROG, what, strerror(errno));
	exit(2);
}

static void write_str(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	(void)uctx;
	if (sig == SIGSEGV)
		nr_segv++;
	else
		nr_bus++;
	last_addr = si->si_addr;
	last_code = si->si_code;
	if (probe_armed == sig) {
		probe_armed = 0;
		siglongjmp(probe_env, 1);
	}
	/* A fault nobody asked for: the pager's, or a real bug.  Restricted context: no stdio. */
	write_str(sig == SIGSEGV ? PROG ": unexpected SIGSEGV in the program's handler\n"
				 : PROG ": unexpected SIGBUS in the program's handler\n");
	_exit(1);
}

static void install_handlers(void)
{
	static char altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 };
	struct sigaction sa;

	if (sigaltstack(&ss, NULL))
		die_errno("sigaltstack");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		die_errno("sigaction");
}

/* Reads *addr expecting signal sig with si_code code; true if exactly that happened. */
static bool probe(const char *name, int sig, int code, volatile char *addr)
{
	int segv_before = nr_segv, bus_before = nr_bus;

	if (sigsetjmp(probe_env, 1) == 0) {
		probe_armed = sig;
		(void)*addr;
		probe_armed = 0;
		fprintf(stderr, "%s: %s: reading %p did not raise a signal\n", PROG, name, (void *)addr);
		return false;
	}
	bool ok = last_addr == (void *)addr && last_code == code &&
		  nr_segv - segv_before == (sig == SIGSEGV) && nr_bus - bus_before == (sig == SIGBUS);
	if (!ok)
		fprintf(stderr, "%s: %s: got si_addr %p si_code %d (%d SIGSEGV, %d SIGBUS); "
			"expected %p, %d, exactly one %s\n", PROG, name, last_addr, last_code,
			nr_segv - segv_before, nr_bus - bus_before, (void *)addr, code,
			sig == SIGSEGV ? "SIGSEGV" : "SIGBUS");
	return ok;
}

int main(int argc, char **argv)
{
	unsigned long size_mib = 64;

	if (argc == 3 && strcmp(argv[1], "--size") == 0) {
		size_mib = strtoul(argv[2], NULL, 10);
	} else if (argc != 1) {
		fputs("usage: sigsegv_handler [--size MIB]\n", stderr);
		return 2;
	}
	if (size_mib < 1 || size_mib > 65536) {
		fputs("sigsegv_handler: --size is 1 to 65536 MiB\n", stderr);
		return 2;
	}
	install_handlers();

	/* The probes' targets: a PROT_NONE page, and a page past the end of a 0-byte file. */
	char *none = mmap(NULL, PAT_PAGE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int mfd = memfd_create("sigsegv_handler-sigbus", MFD_CLOEXEC);

	if (none == MAP_FAILED)
		die_errno("mmap PROT_NONE");
	if (mfd < 0)
		die_errno("memfd_create");
	char *beyond = mmap(NULL, PAT_PAGE_BYTES, PROT_READ, MAP_SHARED, mfd, 0);

	if (beyond == MAP_FAILED)
		die_errno("mmap of the empty memfd");

	size_t nr = size_mib * 256;
	char *a = mmap(NULL, nr * PAT_PAGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a == MAP_FAILED)
		die_errno("mmap of the region");
	if (pat_write_verify(PROG, "first pass", a, nr, 0, 1))
		return 1;
	if (!probe("PROT_NONE probe", SIGSEGV, SEGV_ACCERR, none) ||
	    !probe("beyond-EOF probe", SIGBUS, BUS_ADRERR, beyond))
		return 1;
	if (pat_verify(PROG, "after the probes", a, nr, 0, 1) ||
	    pat_write_verify(PROG, "second pass", a, nr, 0, 2))
		return 1;
	if (!probe("second PROT_NONE probe", SIGSEGV, SEGV_ACCERR, none) ||
	    !probe("second beyond-EOF probe", SIGBUS, BUS_ADRERR, beyond))
		return 1;
	if (pat_verify(PROG, "at the end", a, nr, 0, 2))
		return 1;
	if (nr_segv != 2 || nr_bus != 2) {
		fprintf(stderr, "%s: the handlers ran %d (SIGSEGV) and %d (SIGBUS) times, expected 2 and 2\n",
			PROG, (int)nr_segv, (int)nr_bus);
		return 1;
	}
	printf("sigsegv_handler: size=%luMiB 2 SIGSEGV and 2 SIGBUS caught and recovered; "
	       "all pages verified; checksum=%016" PRIx64 "\n", size_mib,
	       pat_checksum(0xCBF29CE484222325ull, a, nr));
	return 0;
}
