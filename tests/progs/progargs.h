/* SPDX-License-Identifier: MIT */
/*
 * Command-line numbers for the test programs in tests/progs/: a bad value is
 * a usage error (exit 2) naming the option, its range and the value, then
 * the program's usage.
 */
#ifndef VMS_TEST_PROGARGS_H
#define VMS_TEST_PROGARGS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline unsigned long prog_parse_num(const char *prog, void (*usage)(FILE *),
					   const char *s, const char *what,
					   unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "%s: %s must be a number from %lu to %lu, not '%s'\n", prog, what,
			min, max, s);
		usage(stderr);
		exit(2);
	}
	return v;
}

#endif
