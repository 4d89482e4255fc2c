/* SPDX-License-Identifier: MIT */
/*
 * The allocation-site machinery (src/pager/sites.c) on a real stopped
 * thread, without the rest of the live pager: a forked child blocks in
 * read(2) under a known function; its stack is captured from its registers
 * (/proc/PID/task/TID/syscall) and unwound with libdw, through the peek
 * (the child's memory is not in the page table, so every page comes from
 * /proc/PID/mem); ranges are charged to the site, pages are referenced in
 * the engine (simulated: no backend) under a budget smaller than them, and
 * the query names the site with the exact resident and swapped counts.
 * The profile's fault stacks are captured the same way from the registers
 * given (test_fault_capture).
 *
 * Needs to read its own child's /proc files (allowed for a parent under
 * Yama's default scope); skipped when that is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "attribtab.h"
#include "pager.h"
#include "sites.h"
#include "vmsandbox/policy.h"

#define RANGE_A 0x100000000ull    /* charged to the site (addresses in the engine) */
#define RANGE_B 0x200000000ull    /* charged to nothing */
#define BUDGET 64u

void wait_in_read(int fd);
void wait_in_read_caller(int fd);

/* The child's stack, from the innermost frame outside libc: this function,
 * then its caller, then main.  read(2) through syscall(2), which no
 * sanitizer interposes (ASan's read interceptor would be the first frame
 * outside libc). */
__attribute__((noinline)) void wait_in_read(int fd)
{
	char c;

	if (syscall(SYS_read, fd, &c, 1) < 0)
		_exit(1);
	_exit(0);
}

__attribute__((noinline)) void wait_in_read_caller(int fd)
{
	wait_in_read(fd);
	_exit(2);   /* not reached: keeps the call from being a tail call */
}

struct fixture {
	struct vms_pager pg;
	struct vms_proc p;
	pid_t child;
	int wake_fd;
};

/* Waits until the child is blocked in read(2) (syscall 0). */
static bool child_blocked(pid_t pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (int i = 0; i < 2000; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		if (fd >= 0)
			close(fd);
		if (n > 1 && strncmp(buf, "0 ", 2) == 0)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	return false;
}

static int setup(void **state)
{
	struct vms_mm_config mc = { .nr_frames = BUDGET };
	struct fixture *f = calloc(1, sizeof(*f));
	int pipefd[2];

	assert_non_null(f);
	assert_int_equal(pipe(pipefd), 0);
	f->child = fork();
	assert_true(f->child >= 0);
	if (f->child == 0) {
		close(pipefd[1]);
		wait_in_read_caller(pipefd[0]);
	}
	close(pipefd[0]);
	f->wake_fd = pipefd[1];
	mc.policy = vms_policy_find("fifo");
	assert_int_equal(vms_mm_new(&mc, &f->pg.mm), 0);
	assert_int_equal(vms_sites_init(&f->pg), 0);
	assert_int_equal(vms_mm_as_new(f->pg.mm, 1, &f->p.as), 0);
	f->p.as->owner = &f->p;
	f->p.pid = f->child;
	f->p.memfd = -1;
	f->p.pagemap_fd = -1;
	f->p.uffd = -1;
	f->p.sock = -1;
	f->pg.procs = &f->p;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int status;

	vms_sites_proc_exit(&f->pg, &f->p);
	vms_sites_fini(&f->pg);
	vms_mm_free(f->pg.mm);
	if (f->p.memfd >= 0)
		close(f->p.memfd);
	if (write(f->wake_fd, "x", 1) != 1)
		kill(f->child, SIGKILL);
	close(f->wake_fd);
	waitpid(f->child, &status, 0);
	free(f);
	return 0;
}

static void touch(struct fixture *f, uint64_t addr, unsigned nr_pages)
{
	struct vms_ref_result res;

	for (unsigned i = 0; i < nr_pages; i++)
		assert_int_equal(vms_mm_ref(f->pg.mm, f->p.as, addr / VMS_PAGE + i, true,
					    VMS_TIME_NEVER, &res), 0);
}

static void test_capture_and_query(void **state)
{
	struct fixture *f = *state;
	struct vms_site_held held[4];
	const struct vms_site *s;
	char where[256];
	uint32_t site, again, user;
	const char *fn;

	if (!child_blocked(f->child))
		skip();   /* /proc/PID/syscall refused (ptrace restrictions) */
	/* Below the threshold: nothing captured. */
	assert_int_equal(vms_sites_capture_mmap(&f->pg, &f->p, f->child,
						VMS_SITES_MMAP_MIN_BYTES - 1), 0);
	site = vms_sites_capture_mmap(&f->pg, &f->p, f->child, 1 << 20);
	if (!site && vms_sites_stats(&f->pg)->failures)
		skip();   /* /proc/PID/mem refused */
	assert_int_not_equal(site, 0);
	/* The same stack again: the same site. */
	again = vms_sites_capture_mmap(&f->pg, &f->p, f->child, 1 << 20);
	assert_int_equal(again, site);
	assert_int_equal(vms_sites_count(&f->pg), 1);
	assert_int_equal(vms_sites_stats(&f->pg)->captures, 2);
	assert_int_equal(vms_sites_stats(&f->pg)->symbolized, 1);

	s = vms_sites_get(&f->pg, site);
	assert_non_null(s);
	user = vms_sites_first_user_frame(&f->pg, s);
	assert_true(user + 2 < s->nr_frames);
	fn = vms_sites_string(&f->pg, s->frames[user].function);
	assert_non_null(fn);
	assert_string_equal(fn, "wait_in_read");
	assert_string_equal(vms_sites_string(&f->pg, s->frames[user + 1].function),
			    "wait_in_read_caller");
	if (s->frames[user].file) {
		/* Built with -g: the line of the read(2) call. */
		assert_non_null(strstr(vms_sites_string(&f->pg, s->frames[user].file),
				       "test_sites.c"));
		assert_true(s->frames[user].line > 0);
		vms_sites_describe(&f->pg, site, where, sizeof(where));
		assert_non_null(strstr(where, "wait_in_read (test_sites.c:"));
	}
	assert_int_equal(s->nr_pyframes, 0);
	assert_int_equal(f->pg.peek.failed, 0);
	assert_true(f->pg.peek.pages[VMS_PEEK_PROCESS] > 0);

	/* Two mappings charged to the site, one to nothing; pages touched in
	 * the engine beyond the budget: the oldest are swapped. */
	vms_sites_mapped(&f->pg, &f->p, site, RANGE_A, 1 << 20);
	vms_sites_mapped(&f->pg, &f->p, site, RANGE_A + (2 << 20), 1 << 20);
	vms_sites_mapped(&f->pg, &f->p, 0, RANGE_B, 1 << 20);
	assert_int_equal(s->bytes_mapped, 2 << 20);
	assert_int_equal(s->nr_regions, 2);
	touch(f, RANGE_A, 40);
	touch(f, RANGE_A + (2 << 20), 40);
	touch(f, RANGE_B, 30);
	/* 110 pages under a budget of 64, FIFO: the first 46 are swapped. */
	assert_int_equal(vms_sites_top_held(&f->pg, NULL, held, 4), 1);
	assert_int_equal(held[0].site, site);
	assert_int_equal(held[0].resident_pages + held[0].swapped_pages, 80);
	assert_int_equal(held[0].swapped_pages, 46);
	assert_int_equal(held[0].resident_pages, 34);
	assert_int_equal(vms_sites_top_held(&f->pg, &f->p, held, 4), 1);

	/* munmap of half of the first range: its pages leave the page table
	 * and the range (fault.c calls both). */
	vms_mm_unmap(f->pg.mm, f->p.as, RANGE_A / VMS_PAGE, 20);
	vms_sites_unmapped(&f->pg, &f->p, RANGE_A, RANGE_A + 20 * VMS_PAGE);
	assert_int_equal(vms_sites_top_held(&f->pg, NULL, held, 4), 1);
	assert_int_equal(held[0].resident_pages + held[0].swapped_pages, 60);

	/* mremap of the second range: its pages and its site move together. */
	assert_int_equal(vms_mm_remap(f->pg.mm, f->p.as, (RANGE_A + (2 << 20)) / VMS_PAGE, 256,
				      (RANGE_B + (8 << 20)) / VMS_PAGE), 0);
	vms_sites_remapped(&f->pg, &f->p, RANGE_A + (2 << 20), RANGE_B + (8 << 20), 1 << 20);
	assert_int_equal(vms_sites_top_held(&f->pg, NULL, held, 4), 1);
	assert_int_equal(held[0].resident_pages + held[0].swapped_pages, 60);

	/* The process ends: its holding is counted once, at exit. */
	vms_sites_finish(&f->pg);
	vms_sites_proc_exit(&f->pg, &f->p);
	assert_int_equal(s->pages_at_exit, 60);
	assert_int_equal(s->nr_exits, 1);
	assert_null(f->p.sites);
	assert_int_equal(vms_sites_top_held(&f->pg, NULL, held, 4), 0);
}

/* The child's registers, as the profile reads them at a fault. */
static bool child_regs(pid_t pid, struct vms_thread_regs *ret)
{
	char path[64], buf[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return vms_thread_regs_parse(buf, ret) == 0;
}

/*
 * The profile's stacks (attrib.c): unwound from registers given (frame 0
 * is the pc itself, named as the location is), symbolized only when asked,
 * and a pinned page read instead of the process's (here the stack page at
 * sp, pinned as zeros: the return address there reads as 0, so the stack
 * ends at once).
 */
static void test_fault_capture(void **state)
{
	struct fixture *f = *state;
	struct vms_thread_regs regs;
	const struct vms_site *s, *cut;
	uint32_t site, pinned, module = 0, user;
	uint64_t offset = 0;

	if (!child_blocked(f->child) || !child_regs(f->child, &regs))
		skip();
	assert_true(regs.nr == SYS_read);
	site = vms_sites_capture_fault(&f->pg, &f->p, f->child, regs.sp, regs.pc, 0, NULL);
	if (!site)
		skip();   /* /proc/PID/mem refused */
	s = vms_sites_get(&f->pg, site);
	assert_true(s->fault_stack);
	assert_true(s->unsymbolized);
	assert_int_equal(s->frames[0].function, 0);
	assert_int_equal(vms_sites_locate(&f->pg, &f->p, regs.pc, &module, &offset), 0);
	assert_int_equal(s->frames[0].module, module);
	assert_int_equal(s->frames[0].offset, offset);
	vms_sites_symbolize_site(&f->pg, site);
	assert_false(s->unsymbolized);
	user = vms_sites_first_user_frame(&f->pg, s);
	assert_true(user + 1 < s->nr_frames);
	assert_string_equal(vms_sites_string(&f->pg, s->frames[user].function), "wait_in_read");
	assert_string_equal(vms_sites_string(&f->pg, s->frames[user + 1].function),
			    "wait_in_read_caller");
	/* Fault stacks are not allocation sites. */
	assert_int_equal(vms_sites_stats(&f->pg)->fault_stacks, 1);
	assert_int_equal(vms_sites_stats(&f->pg)->captures, 0);

	pinned = vms_sites_capture_fault(&f->pg, &f->p, f->child, regs.sp, regs.pc,
					 regs.sp & ~(uint64_t)(VMS_PAGE - 1), NULL);
	assert_int_not_equal(pinned, 0);
	assert_int_not_equal(pinned, site);
	cut = vms_sites_get(&f->pg, pinned);
	assert_true(cut->nr_frames < s->nr_frames);
	assert_int_equal(cut->frames[0].offset, offset);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capture_and_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_capture, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
