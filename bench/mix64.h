/* SPDX-License-Identifier: MIT */
/* The benchmarks' page contents and checksums: splitmix64's finaliser, a
 * bijection with good avalanche. */
#ifndef VMS_BENCH_MIX64_H
#define VMS_BENCH_MIX64_H

#include <stdint.h>

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#endif
