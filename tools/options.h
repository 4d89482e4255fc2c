/* SPDX-License-Identifier: MIT */
/* Parsing of numeric command-line values, shared by every subcommand. */
#ifndef VMS_OPTIONS_H
#define VMS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

/* Plain unsigned decimal (or 0x-hex); rejects junk, signs and overflow. */
bool vms_parse_u64(const char *s, uint64_t *ret);
/* A size with an optional binary suffix K, M, G, T (KiB...), optionally
 * followed by "B" or "iB": "64M", "512k", "1GiB", "4096". */
bool vms_parse_size(const char *s, uint64_t *ret);
/* A duration with its unit: 500us, 100ms, 2s (ns, us, ms, s; no fractions). */
bool vms_parse_duration_ns(const char *s, uint64_t *ret);

#endif
