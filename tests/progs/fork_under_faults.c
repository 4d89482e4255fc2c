/* SPDX-License-Identifier: MIT */
/*
 * Forks while other threads fault pages in: 2 threads read a 16 MiB region
 * (written once before they start, so its contents never change) at
 * random, so that under a small budget swap-ins are in flight at every
 * fork; the main thread forks 20 times and each child checks every page of
 * its copy.  A page that came into the parent while the kernel was copying
 * its address space must reach the child too, with the right bytes.
 * Prints one line per round; exit status 0 only if every child was right.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u
#define NR_PAGES (16u * 256u)
#define NR_THREADS 2
#define NR_FORKS 20

static uint64_t *region;
static atomic_int stop;

static uint64_t word(uint64_t page, uint64_t i)
{
	return (page * 0x9e3779b97f4a7c15ull) ^ (i * 0xbf58476d1ce4e5b9ull) ^ 0x5a5a;
}

static void *reader(void *arg)
{
	uint64_t x = (uintptr_t)arg * 7919 + 1, sum = 0;

	while (!atomic_load(&stop)) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		sum += region[(x % NR_PAGES) * (PAGE / 8) + x % (PAGE / 8)];
	}
	return (void *)(uintptr_t)sum;
}

static int check_all(void)
{
	for (uint64_t p = 0; p < NR_PAGES; p++)
		for (uint64_t i = 0; i < PAGE / 8; i += 61)
			if (region[p * (PAGE / 8) + i] != word(p, i))
				return 1;
	return 0;
}

int main(void)
{
	pthread_t t[NR_THREADS];
	int bad = 0;

	region = mmap(NULL, (size_t)NR_PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED)
		return 2;
	for (uint64_t p = 0; p < NR_PAGES; p++)
		for (uint64_t i = 0; i < PAGE / 8; i++)
			region[p * (PAGE / 8) + i] = word(p, i);
	for (long i = 0; i < NR_THREADS; i++)
		pthread_create(&t[i], NULL, reader, (void *)i);
	for (int k = 0; k < NR_FORKS; k++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return 2;
		if (pid == 0)
			_exit(check_all());
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("round %d: child saw wrong bytes\n", k);
			bad = 1;
		} else {
			printf("round %d: ok\n", k);
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	bad |= check_all();
	printf("parent %s\n", bad ? "FAILED" : "ok");
	return bad;
}
