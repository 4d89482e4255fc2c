/* SPDX-License-Identifier: MIT */
/*
 * The unit tests' random numbers: splitmix64, seeded by assigning rng_state,
 * so that a randomized cross-check is the same sequence on every run.
 */
#ifndef VMS_TEST_SPLITMIX_H
#define VMS_TEST_SPLITMIX_H

#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

#endif
