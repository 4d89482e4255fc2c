/* SPDX-License-Identifier: MIT */
/*
 * gendata: deterministic input files for the integration workloads.
 *
 *   gendata lines BYTES [SEED]   lines for sort(1): random keys, words, numbers
 *   gendata logs BYTES [SEED]    log lines for sort(1): 8 streams, each in
 *                                timestamp order, concatenated (the logs of 8
 *                                hosts over the same hours)
 *   gendata text BYTES [SEED]    compressible text for xz/zstd: sentences of
 *                                words drawn with a skewed distribution; three
 *                                lines in four repeat one of the last 256
 *
 * Output goes to stdout and is a function of the arguments only (a fixed
 * xorshift generator, no locale), so native and sandboxed runs of a workload
 * read the same bytes on every machine.  Stops at the first line end at or
 * after BYTES.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)((rng_next() >> 32) * n >> 32);
}

#define NR_WORDS 4096
#define RECENT 256
#define NR_STREAMS 8
#define LOG_START_USEC 1700000000000000ull
static char words[NR_WORDS][12];

/* A vocabulary of pronounceable words, 2 to 10 letters. */
static void words_init(void)
{
	static const char cons[] = "bcdfghjklmnprstvwz", vow[] = "aeiou";

	for (int i = 0; i < NR_WORDS; i++) {
		int len = 2 + (int)rng_below(9);

		for (int k = 0; k < len; k++)
			words[i][k] = k % 2 ? vow[rng_below(5)] : cons[rng_below(18)];
		words[i][len] = '\0';
	}
}

/* Skewed: small indices are much more frequent (the minimum of three draws, squared scale). */
static const char *word_skewed(void)
{
	uint32_t a = rng_below(NR_WORDS), b = rng_below(NR_WORDS), c = rng_below(NR_WORDS);
	uint32_t m = a < b ? a : b;

	m = m < c ? m : c;
	return words[(uint64_t)m * m / NR_WORDS];
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (strcmp(argv[1], "lines") != 0 && strcmp(argv[1], "text") != 0 &&
				     strcmp(argv[1], "logs") != 0)) {
		fputs("usage: gendata lines|logs|text BYTES [SEED]\n", stderr);
		return 2;
	}
	unsigned long long limit = strtoull(argv[2], NULL, 10);

	rng_state = 0x853C49E6748FEA9Bull ^ (argc == 4 ? strtoull(argv[3], NULL, 10) : 0);
	if (rng_state == 0)
		rng_state = 1;
	words_init();

	static char buf[1 << 16];
	unsigned long long written = 0;
	size_t len = 0;
	int lines = strcmp(argv[1], "lines") == 0;
	int logs = strcmp(argv[1], "logs") == 0;
	unsigned long long stream_bytes = limit / NR_STREAMS + 1, in_stream = 0;
	unsigned long long usec = LOG_START_USEC;
	unsigned stream = 0;
	static char recent[RECENT][256];
	int nr_recent = 0;

	while (written < limit) {
		char line[256];
		int n;

		if (logs) {
			if (in_stream >= stream_bytes) {
				stream++;
				in_stream = 0;
				usec = LOG_START_USEC;
			}
			usec += 1 + rng_below(4000);
			n = snprintf(line, sizeof(line), "%llu.%06llu host%02u %s[%u]: %s %s %s %u\n",
				     usec / 1000000, usec % 1000000, stream, words[rng_below(64)],
				     1000 + rng_below(30000), word_skewed(), word_skewed(), word_skewed(),
				     rng_below(1000000));
			in_stream += (unsigned long long)n;
		} else if (lines) {
			n = snprintf(line, sizeof(line), "%s %08x %s %u\n", words[rng_below(NR_WORDS)],
				     (unsigned)rng_below(UINT32_MAX), word_skewed(), rng_below(100000));
		} else if (nr_recent == RECENT || (nr_recent > 0 && rng_below(4) != 0)) {
			const char *r = recent[rng_below((uint32_t)nr_recent)];

			n = (int)strlen(r);
			memcpy(line, r, (size_t)n + 1);
		} else {
			n = 0;
			int nr = 6 + (int)rng_below(10);

			for (int k = 0; k < nr; k++)
				n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s", k ? " " : "",
					      word_skewed());
			if (rng_below(8))
				n += snprintf(line + n, sizeof(line) - (size_t)n, ".\n");
			else
				n += snprintf(line + n, sizeof(line) - (size_t)n, " %u.\n", rng_below(1000));
			memcpy(recent[nr_recent++], line, (size_t)n + 1);
		}
		if (nr_recent == RECENT && rng_below(4) == 0)
			nr_recent = 0;  /* start a new set of recent lines */
		if (len + (size_t)n > sizeof(buf)) {
			if (fwrite(buf, 1, len, stdout) != len)
				return 1;
			len = 0;
		}
		memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
		written += (unsigned long long)n;
	}
	if (fwrite(buf, 1, len, stdout) != len || fflush(stdout))
		return 1;
	return 0;
}
