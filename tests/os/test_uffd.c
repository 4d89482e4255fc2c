/* SPDX-License-Identifier: MIT */
/*
 * Tests of the userfaultfd wrapper against the running kernel.
 *
 * Each test asserts outcomes: the bytes a faulting thread sees, the number
 * of faults served, the error codes and progress counts.  A feature the
 * kernel does not offer skips its test (cmocka's skip()), like the kernel's
 * own uffd selftests; so does everything when no userfaultfd can be had.
 * Faults are served by a helper thread; the main thread is the "program".
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cmocka.h>

#include "uffd.h"

/* ---- the compat header against the kernel uapi (x86-64 / arm64 _IOC) ---- */
_Static_assert(sizeof(struct uffdio_move) == 40, "uffdio_move size");
_Static_assert(offsetof(struct uffdio_move, mode) == 24, "uffdio_move.mode");
_Static_assert(offsetof(struct uffdio_move, move) == 32, "uffdio_move.move");
_Static_assert(sizeof(struct uffdio_poison) == 32, "uffdio_poison size");
_Static_assert(offsetof(struct uffdio_poison, updated) == 24, "uffdio_poison.updated");
_Static_assert(sizeof(struct page_region) == 24, "page_region size");
_Static_assert(sizeof(struct pm_scan_arg) == 96, "pm_scan_arg size");
_Static_assert(offsetof(struct pm_scan_arg, walk_end) == 32, "pm_scan_arg.walk_end");
_Static_assert(offsetof(struct pm_scan_arg, return_mask) == 88, "pm_scan_arg.return_mask");
_Static_assert(sizeof(struct uffd_msg) == 32, "uffd_msg size");
_Static_assert(UFFDIO_MOVE == 0xc028aa05u, "UFFDIO_MOVE number");
_Static_assert(UFFDIO_POISON == 0xc020aa08u, "UFFDIO_POISON number");
_Static_assert(PAGEMAP_SCAN == 0xc0606610u, "PAGEMAP_SCAN number");
_Static_assert(USERFAULTFD_IOC_NEW == 0xaa00u, "USERFAULTFD_IOC_NEW number");
_Static_assert(UFFD_FEATURE_MOVE == 0x10000 && UFFD_FEATURE_WP_ASYNC == 0x8000 &&
	       UFFD_FEATURE_POISON == 0x4000 && UFFD_FEATURE_WP_UNPOPULATED == 0x2000 &&
	       UFFD_FEATURE_WP_HUGETLBFS_SHMEM == 0x1000, "feature bits");
_Static_assert(UFFDIO_MOVE_MODE_DONTWAKE == 1 && UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES == 2,
	       "move modes");
_Static_assert(PM_SCAN_WP_MATCHING == 1 && PM_SCAN_CHECK_WPASYNC == 2, "scan flags");
_Static_assert(PAGE_IS_WPALLOWED == 1 && PAGE_IS_WRITTEN == 2 && PAGE_IS_FILE == 4 &&
	       PAGE_IS_PRESENT == 8 && PAGE_IS_SWAPPED == 16 && PAGE_IS_PFNZERO == 32 &&
	       PAGE_IS_HUGE == 64 && PAGE_IS_SOFT_DIRTY == 128 && PAGE_IS_GUARD == 256,
	       "PAGE_IS bits");

static size_t pg;
static uint64_t offered;  /* the kernel's offer; 0 = no userfaultfd */
static int probe_err;

static int group_setup(void **state)
{
	pg = (size_t)sysconf(_SC_PAGESIZE);
	probe_err = vms_uffd_probe_features(&offered);
	return 0;
}

static void need_features(uint64_t features)
{
	if (probe_err < 0 || (offered & features) != features)
		skip();
}

/* A uffd, user-mode-only when that is all this user may have (the tests
 * touch registered memory from user mode only, except test_unprivileged). */
static int open_any(enum vms_uffd_source *ret_how)
{
	int fd;

	if (vms_uffd_open(0, &fd, ret_how) == 0)
		return fd;
	assert_int_equal(vms_uffd_open(UFFD_USER_MODE_ONLY, &fd, ret_how), 0);
	return fd;
}

/* An fd with the handshake done and exactly `features` required. */
static int new_uffd(uint64_t features)
{
	uint64_t enabled = 0, ioctls = 0;
	int fd;

	need_features(features);
	fd = open_any(NULL);
	assert_int_equal(vms_uffd_handshake(fd, 0, features, &enabled, &ioctls), 0);
	assert_true((enabled & features) == features);
	return fd;
}

static unsigned char *map_pages(size_t n)
{
	void *p = mmap(NULL, n * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static uint64_t addr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static unsigned char pattern(size_t page, size_t off)
{
	return (unsigned char)(page * 31 + off * 7 + 1);
}

static void fill_pattern(unsigned char *dst, size_t page)
{
	for (size_t off = 0; off < pg; off++)
		dst[off] = pattern(page, off);
}

static bool has_pattern(const volatile unsigned char *p, size_t page)
{
	for (size_t off = 0; off < pg; off++)
		if (p[off] != pattern(page, off))
			return false;
	return true;
}

static bool is_zero(const volatile unsigned char *p)
{
	for (size_t off = 0; off < pg; off++)
		if (p[off])
			return false;
	return true;
}

static bool resident(const void *p)
{
	unsigned char v = 0;

	assert_int_equal(mincore((void *)p, pg, &v), 0);
	return v & 1;
}

/* ---- a fault server thread ---- */

struct server;
typedef int (*serve_fn)(struct server *s, const struct uffd_msg *m);

struct server {
	int fd;
	serve_fn serve;
	unsigned char *base;      /* registered range served */
	unsigned char *src;       /* source pages (copy), indexed like base */
	unsigned char *stash;     /* move: where evicted pages live */
	atomic_bool stop;
	atomic_uint nr_faults;
	atomic_uint nr_write_faults;
	atomic_int err;           /* first error of serve, 0 if none */
	uint64_t last_fault;
	pthread_t thread;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct uffd_msg msgs[16];

	while (!atomic_load(&s->stop)) {
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		size_t n = 0;

		if (poll(&p, 1, 10) <= 0)
			continue;
		if (vms_uffd_read_msgs(s->fd, msgs, 16, &n) < 0)
			break;
		for (size_t i = 0; i < n; i++) {
			int r;

			if (msgs[i].event != UFFD_EVENT_PAGEFAULT)
				continue;
			atomic_fetch_add(&s->nr_faults, 1);
			if (msgs[i].arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE)
				atomic_fetch_add(&s->nr_write_faults, 1);
			s->last_fault = msgs[i].arg.pagefault.address;
			r = s->serve(s, &msgs[i]);
			if (r < 0) {
				int zero = 0;

				atomic_compare_exchange_strong(&s->err, &zero, r);
			}
		}
	}
	return NULL;
}

static void server_start(struct server *s)
{
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	atomic_store(&s->stop, true);
	assert_int_equal(pthread_join(s->thread, NULL), 0);
	assert_int_equal(atomic_load(&s->err), 0);
}

static size_t fault_page(const struct server *s, const struct uffd_msg *m)
{
	return (size_t)((m->arg.pagefault.address & ~(uint64_t)(pg - 1)) - addr(s->base)) / pg;
}

/* Even pages get their pattern by copy, odd pages are zero-filled. */
static int serve_even_copy_odd_zero(struct server *s, const struct uffd_msg *m)
{
	size_t i = fault_page(s, m);
	uint64_t done = 0;

	if (i % 2 == 0)
		return vms_uffd_copy(s->fd, addr(s->base + i * pg), s->src + i * pg, pg, 0, &done);
	return vms_uffd_zeropage(s->fd, addr(s->base + i * pg), pg, 0, &done);
}

/* Fault-around: the whole aligned 16-page block of the faulting page. */
static int serve_block16(struct server *s, const struct uffd_msg *m)
{
	size_t first = fault_page(s, m) & ~(size_t)15;
	uint64_t done = 0;
	int r = vms_uffd_copy(s->fd, addr(s->base + first * pg), s->src + first * pg, 16 * pg, 0,
			      &done);

	return r == 0 && done != 16 * pg ? -EIO : r;
}

/* Soft fault: bring the page back from the stash (same index). */
static int serve_from_stash(struct server *s, const struct uffd_msg *m)
{
	size_t i = fault_page(s, m);
	uint64_t done = 0;

	return vms_uffd_move(s->fd, addr(s->base + i * pg), addr(s->stash + i * pg), pg, 0, &done);
}

/* ---- tests ---- */

static void test_compat_values(void **state)
{
	/* The static asserts above did the work; check the runtime-visible ones. */
	assert_int_equal(_IOC_NR(UFFDIO_MOVE), 5);
	assert_int_equal(_IOC_SIZE(PAGEMAP_SCAN), sizeof(struct pm_scan_arg));
	assert_int_equal(_IOC_TYPE(PAGEMAP_SCAN), 'f');
}

struct feature_case {
	const char *name;
	uint64_t feature;        /* 0: MISSING faults, always there */
	uint64_t register_mode;
	uint64_t range_ioctl;    /* a range ioctl the registration must allow */
};

static const struct feature_case feature_cases[] = {
	{ "missing", 0, UFFDIO_REGISTER_MODE_MISSING, 1ull << _UFFDIO_COPY },
	{ "wp", UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	  UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP, 1ull << _UFFDIO_WRITEPROTECT },
	{ "move", UFFD_FEATURE_MOVE, UFFDIO_REGISTER_MODE_MISSING, 1ull << _UFFDIO_MOVE },
	{ "event_fork", UFFD_FEATURE_EVENT_FORK, UFFDIO_REGISTER_MODE_MISSING,
	  1ull << _UFFDIO_ZEROPAGE },
	{ "event_remap", UFFD_FEATURE_EVENT_REMAP, UFFDIO_REGISTER_MODE_MISSING,
	  1ull << _UFFDIO_WAKE },
	{ "event_remove", UFFD_FEATURE_EVENT_REMOVE, UFFDIO_REGISTER_MODE_MISSING,
	  1ull << _UFFDIO_WAKE },
	{ "event_unmap", UFFD_FEATURE_EVENT_UNMAP, UFFDIO_REGISTER_MODE_MISSING,
	  1ull << _UFFDIO_WAKE },
};

static void test_handshake(void **state)
{
	const struct feature_case *c = *state;
	uint64_t enabled = 0, ioctls = 0, range_ioctls = 0;
	enum vms_uffd_source how = 0;
	struct uffdio_api again = { .api = UFFD_API };
	unsigned char *p;
	int fd;

	need_features(c->feature);
	if ((c->feature & UFFD_FEATURE_EVENT_FORK) && geteuid() != 0)
		skip();  /* needs CAP_SYS_PTRACE; the unprivileged test covers refusal */
	fd = open_any(&how);
	assert_true(how == VMS_UFFD_SOURCE_SYSCALL || how == VMS_UFFD_SOURCE_DEVICE);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	assert_int_equal(vms_uffd_handshake(fd, 0, c->feature, &enabled, &ioctls), 0);
	assert_true((enabled & c->feature) == c->feature);
	assert_true((enabled & ~c->feature) == 0);  /* nothing we did not ask for */
	assert_true(ioctls & (1ull << _UFFDIO_REGISTER));
	assert_true(ioctls & (1ull << _UFFDIO_UNREGISTER));
	assert_true(ioctls & (1ull << _UFFDIO_API));
	/* The handshake is once per fd: why vms_uffd_handshake probes elsewhere. */
	assert_int_equal(ioctl(fd, UFFDIO_API, &again), -1);
	assert_int_equal(errno, EINVAL);

	p = map_pages(4);
	assert_int_equal(vms_uffd_register(fd, addr(p), 4 * pg, c->register_mode, &range_ioctls), 0);
	assert_true(range_ioctls & c->range_ioctl);
	assert_int_equal(vms_uffd_unregister(fd, addr(p), 4 * pg), 0);
	munmap(p, 4 * pg);
	close(fd);
}

static void test_handshake_required_missing(void **state)
{
	uint64_t enabled = 0xdead;
	int fd;

	need_features(0);
	fd = open_any(NULL);
	/* Bit 63 is no feature any kernel offers. */
	assert_int_equal(vms_uffd_handshake(fd, 0, 1ull << 63, &enabled, NULL), -EOPNOTSUPP);
	assert_int_equal(enabled, 0xdead);  /* untouched on failure */
	/* ...and the fd's one handshake was not burnt. */
	assert_int_equal(vms_uffd_handshake(fd, UFFD_FEATURE_EVENT_UNMAP | (1ull << 62), 0,
					    &enabled, NULL),
			 0);
	assert_int_equal(enabled, offered & UFFD_FEATURE_EVENT_UNMAP);
	close(fd);
}

static void test_serve_copy_and_zeropage(void **state)
{
	const size_t n = 8;
	struct server s = { .serve = serve_even_copy_odd_zero };
	volatile unsigned char *v;

	s.fd = new_uffd(0);
	s.base = map_pages(n);
	s.src = malloc(n * pg);
	assert_non_null(s.src);
	for (size_t i = 0; i < n; i++)
		fill_pattern(s.src + i * pg, i);
	assert_int_equal(vms_uffd_register(s.fd, addr(s.base), n * pg,
					   UFFDIO_REGISTER_MODE_MISSING, NULL), 0);
	server_start(&s);

	v = s.base;
	/* Pages 0..3 read first; pages 4..7 written first (fault, fill, write). */
	for (size_t i = 0; i < 4; i++)
		assert_true(i % 2 == 0 ? has_pattern(v + i * pg, i) : is_zero(v + i * pg));
	for (size_t i = 4; i < n; i++)
		v[i * pg + 5] = 0xAB;
	for (size_t i = 4; i < n; i++) {
		assert_int_equal(v[i * pg + 5], 0xAB);
		assert_int_equal(v[i * pg + 6], i % 2 == 0 ? pattern(i, 6) : 0);
		assert_int_equal(v[i * pg + pg - 1], i % 2 == 0 ? pattern(i, pg - 1) : 0);
	}
	server_stop(&s);
	assert_int_equal(atomic_load(&s.nr_faults), n);
	assert_int_equal(atomic_load(&s.nr_write_faults), 4);

	munmap(s.base, n * pg);
	free(s.src);
	close(s.fd);
}

static void test_fault_around_16(void **state)
{
	const size_t n = 32;
	struct server s = { .serve = serve_block16 };
	volatile unsigned char *v;

	s.fd = new_uffd(0);
	s.base = map_pages(n);
	s.src = malloc(n * pg);
	assert_non_null(s.src);
	for (size_t i = 0; i < n; i++)
		fill_pattern(s.src + i * pg, i);
	assert_int_equal(vms_uffd_register(s.fd, addr(s.base), n * pg,
					   UFFDIO_REGISTER_MODE_MISSING, NULL), 0);
	server_start(&s);

	v = s.base;
	/* Touch page 5 first: its block is 0..15; then everything. */
	assert_true(has_pattern(v + 5 * pg, 5));
	for (size_t i = 0; i < n; i++)
		assert_true(has_pattern(v + i * pg, i));
	server_stop(&s);
	assert_int_equal(atomic_load(&s.nr_faults), 2);  /* one per 16-page block */

	munmap(s.base, n * pg);
	free(s.src);
	close(s.fd);
}

static void test_move_to_stash_and_back(void **state)
{
	const size_t n = 4;
	struct server s = { .serve = serve_from_stash };
	unsigned char *page = malloc(pg);
	uint64_t done = 1;

	assert_non_null(page);
	s.fd = new_uffd(UFFD_FEATURE_MOVE);
	s.base = map_pages(n);
	s.stash = map_pages(n);
	assert_int_equal(vms_uffd_register(s.fd, addr(s.base), n * pg,
					   UFFDIO_REGISTER_MODE_MISSING, NULL), 0);
	assert_int_equal(vms_uffd_register(s.fd, addr(s.stash), n * pg,
					   UFFDIO_REGISTER_MODE_MISSING, NULL), 0);

	/* Page 2 present with its pattern (filled without a fault). */
	fill_pattern(page, 2);
	assert_int_equal(vms_uffd_copy(s.fd, addr(s.base + 2 * pg), page, pg, 0, &done), 0);
	assert_int_equal(done, pg);
	assert_true(resident(s.base + 2 * pg));

	/* Evict it atomically into the stash. */
	assert_int_equal(vms_uffd_move(s.fd, addr(s.stash + 2 * pg), addr(s.base + 2 * pg), pg,
				       UFFDIO_MOVE_MODE_DONTWAKE, &done), 0);
	assert_int_equal(done, pg);
	assert_false(resident(s.base + 2 * pg));
	assert_true(resident(s.stash + 2 * pg));
	assert_true(has_pattern(s.stash + 2 * pg, 2));  /* present: no fault */

	/* The next touch of the source is a MISSING fault; serve it from the stash. */
	server_start(&s);
	assert_true(has_pattern((volatile unsigned char *)s.base + 2 * pg, 2));
	server_stop(&s);
	assert_int_equal(atomic_load(&s.nr_faults), 1);
	assert_int_equal(s.last_fault & ~(uint64_t)(pg - 1), addr(s.base + 2 * pg));
	assert_false(resident(s.stash + 2 * pg));

	munmap(s.base, n * pg);
	munmap(s.stash, n * pg);
	free(page);
	close(s.fd);
}

static void test_copy_eexist_partial(void **state)
{
	const size_t n = 4;
	unsigned char *p, *src = malloc(n * pg);
	uint64_t done = 99;
	int fd, r;

	assert_non_null(src);
	fd = new_uffd(0);
	p = map_pages(n);
	for (size_t i = 0; i < n; i++)
		fill_pattern(src + i * pg, i);
	assert_int_equal(vms_uffd_register(fd, addr(p), n * pg, UFFDIO_REGISTER_MODE_MISSING,
					   NULL), 0);
	assert_int_equal(vms_uffd_zeropage(fd, addr(p + pg), pg, 0, &done), 0);
	assert_int_equal(done, pg);

	/* Into the present page alone: nothing done. */
	r = vms_uffd_copy(fd, addr(p + pg), src + pg, pg, 0, &done);
	assert_int_equal(r, -EEXIST);
	assert_int_equal(done, 0);
	assert_int_equal(vms_uffd_classify(r), VMS_UFFD_EXISTS);

	/* Over pages 0..3: page 0 copied (the kernel says EAGAIN + 1 page), the
	 * retry of the rest stops at page 1. */
	r = vms_uffd_copy(fd, addr(p), src, n * pg, 0, &done);
	assert_int_equal(r, -EEXIST);
	assert_int_equal(done, pg);
	assert_true(has_pattern(p, 0));
	assert_true(is_zero(p + pg));
	assert_false(resident(p + 2 * pg));

	/* Zeropage says the same. */
	assert_int_equal(vms_uffd_zeropage(fd, addr(p), pg, 0, &done), -EEXIST);
	assert_int_equal(done, 0);

	munmap(p, n * pg);
	free(src);
	close(fd);
}

static void test_move_hole(void **state)
{
	unsigned char *src, *dst;
	uint64_t done = 99;
	int fd, r;

	fd = new_uffd(UFFD_FEATURE_MOVE);
	src = map_pages(2);
	dst = map_pages(2);
	assert_int_equal(vms_uffd_register(fd, addr(src), 2 * pg, UFFDIO_REGISTER_MODE_MISSING,
					   NULL), 0);
	assert_int_equal(vms_uffd_register(fd, addr(dst), 2 * pg, UFFDIO_REGISTER_MODE_MISSING,
					   NULL), 0);

	r = vms_uffd_move(fd, addr(dst), addr(src), pg, UFFDIO_MOVE_MODE_DONTWAKE, &done);
	assert_int_equal(r, -ENOENT);
	assert_int_equal(done, 0);
	assert_int_equal(vms_uffd_classify(r), VMS_UFFD_HOLE);

	/* Holes allowed: the hole counts as moved, nothing appears at dst. */
	r = vms_uffd_move(fd, addr(dst), addr(src), 2 * pg,
			  UFFDIO_MOVE_MODE_DONTWAKE | UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES, &done);
	assert_int_equal(r, 0);
	assert_int_equal(done, 2 * pg);
	assert_false(resident(dst));

	munmap(src, 2 * pg);
	munmap(dst, 2 * pg);
	close(fd);
}

struct writer {
	volatile unsigned char *at;
	atomic_bool done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	w->at[0] = 0x5A;
	atomic_store(&w->done, true);
	return NULL;
}

/* Wait up to timeout_ms for one message. */
static bool wait_msg(int fd, struct uffd_msg *m, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;

	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	assert_int_equal(vms_uffd_read_msgs(fd, m, 1, &n), 0);
	return n == 1;
}

static void test_wp_blocks_until_resolved(void **state)
{
	unsigned char *p, *src = malloc(pg);
	uint64_t done = 0;
	int fd;

	assert_non_null(src);
	fd = new_uffd(UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	p = map_pages(2);
	assert_int_equal(vms_uffd_register(fd, addr(p), 2 * pg,
					   UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP,
					   NULL), 0);
	/* Page 0 mapped write-protected on the fly, page 1 protected after. */
	fill_pattern(src, 0);
	assert_int_equal(vms_uffd_copy(fd, addr(p), src, pg, UFFDIO_COPY_MODE_WP, &done), 0);
	fill_pattern(src, 1);
	assert_int_equal(vms_uffd_copy(fd, addr(p + pg), src, pg, 0, &done), 0);
	assert_int_equal(vms_uffd_writeprotect(fd, addr(p + pg), pg, true, false), 0);

	for (size_t i = 0; i < 2; i++) {
		struct writer w = { .at = p + i * pg + 100 };
		struct uffd_msg m;
		pthread_t t;

		assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
		assert_true(wait_msg(fd, &m, 2000));
		assert_int_equal(m.event, UFFD_EVENT_PAGEFAULT);
		assert_true(m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP);
		assert_true(m.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE);
		assert_int_equal(m.arg.pagefault.address & ~(uint64_t)(pg - 1), addr(p + i * pg));
		usleep(50 * 1000);
		assert_false(atomic_load(&w.done));  /* still blocked */
		assert_int_equal(p[i * pg + 100], pattern(i, 100));
		assert_int_equal(vms_uffd_writeprotect(fd, addr(p + i * pg), pg, false, false), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_true(atomic_load(&w.done));
		assert_int_equal(p[i * pg + 100], 0x5A);
		assert_int_equal(p[i * pg + 101], pattern(i, 101));
	}
	munmap(p, 2 * pg);
	free(src);
	close(fd);
}

/* ---- non-cooperative events ---- */

enum ev_op { EV_MUNMAP, EV_DONTNEED, EV_MREMAP };

struct event_case {
	const char *name;
	uint64_t feature;
	enum ev_op op;
	uint8_t event;
};

static const struct event_case event_cases[] = {
	{ "unmap", UFFD_FEATURE_EVENT_UNMAP, EV_MUNMAP, UFFD_EVENT_UNMAP },
	{ "remove", UFFD_FEATURE_EVENT_REMOVE, EV_DONTNEED, UFFD_EVENT_REMOVE },
	{ "remap", UFFD_FEATURE_EVENT_REMAP, EV_MREMAP, UFFD_EVENT_REMAP },
};

struct ev_job {
	const struct event_case *c;
	unsigned char *p;      /* 4 pages; the op covers pages 1..2 */
	unsigned char *moved;  /* mremap target */
	int ret;
};

static void *ev_main(void *arg)
{
	struct ev_job *j = arg;
	void *r;

	switch (j->c->op) {
	case EV_MUNMAP:
		j->ret = munmap(j->p + pg, 2 * pg);
		break;
	case EV_DONTNEED:
		j->ret = madvise(j->p + pg, 2 * pg, MADV_DONTNEED);
		break;
	case EV_MREMAP:
		r = mremap(j->p + pg, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, j->moved);
		j->ret = r == MAP_FAILED ? -1 : 0;
		break;
	}
	return NULL;
}

static void test_event(void **state)
{
	const struct event_case *c = *state;
	struct ev_job j = { .c = c };
	struct uffd_msg m;
	uint64_t done = 0;
	pthread_t t;
	int fd;

	fd = new_uffd(c->feature);
	j.p = map_pages(4);
	j.moved = map_pages(2);
	assert_int_equal(vms_uffd_register(fd, addr(j.p), 4 * pg, UFFDIO_REGISTER_MODE_MISSING,
					   NULL), 0);
	assert_int_equal(vms_uffd_zeropage(fd, addr(j.p), 4 * pg, 0, &done), 0);

	/* The op blocks until the event is read, hence the thread. */
	assert_int_equal(pthread_create(&t, NULL, ev_main, &j), 0);
	assert_true(wait_msg(fd, &m, 2000));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(j.ret, 0);
	assert_int_equal(m.event, c->event);
	if (c->op == EV_MREMAP) {
		assert_int_equal(m.arg.remap.from, addr(j.p + pg));
		assert_int_equal(m.arg.remap.to, addr(j.moved));
		assert_int_equal(m.arg.remap.len, 2 * pg);
	} else {
		assert_int_equal(m.arg.remove.start, addr(j.p + pg));
		assert_int_equal(m.arg.remove.end, addr(j.p + 3 * pg));
	}
	/* Close first: with EVENT_UNMAP, munmap of the still-registered pages
	 * 0 and 3 would wait for a reader that this thread is. */
	close(fd);
	munmap(j.p, 4 * pg);
	munmap(j.moved, 2 * pg);
}

/* ---- privileges ---- */

struct unpriv_result {
	int open_full;          /* vms_uffd_open(0) */
	int open_user;          /* vms_uffd_open(UFFD_USER_MODE_ONLY) */
	int how_user;
	int hs_fork_required;
	int hs_fork_wanted;
	uint64_t enabled;
	int kernel_read_errno;  /* read(2) into a missing page of a user-mode-only uffd */
	char diag[2048];
};

static void unpriv_child(int wfd)
{
	struct unpriv_result r = { 0 };
	enum vms_uffd_source how = 0;
	int fd, fd2, pipefd[2];
	unsigned char *p;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		_exit(2);
	r.open_full = vms_uffd_open(0, &fd, &how);
	if (r.open_full == 0)
		close(fd);
	r.open_user = vms_uffd_open(UFFD_USER_MODE_ONLY, &fd, &how);
	r.how_user = (int)how;
	if (r.open_user == 0) {
		r.hs_fork_required = vms_uffd_handshake(fd, 0, UFFD_FEATURE_EVENT_FORK, NULL, NULL);
		r.hs_fork_wanted = vms_uffd_handshake(fd, VMS_UFFD_FEATURES_WANTED,
						      VMS_UFFD_FEATURES_REQUIRED, &r.enabled, NULL);
		p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED && pipe(pipefd) == 0 &&
		    vms_uffd_register(fd, addr(p), pg, UFFDIO_REGISTER_MODE_MISSING, NULL) == 0 &&
		    write(pipefd[1], "hello", 5) == 5)
			r.kernel_read_errno = read(pipefd[0], p, 5) < 0 ? errno : 0;
		fd2 = fd;
		close(fd2);
	}
	vms_uffd_diagnose(r.diag, sizeof(r.diag));
	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
	_exit(0);
}

static void test_unprivileged(void **state)
{
	struct unpriv_result r;
	int pfd[2], status;
	pid_t pid;

	need_features(0);
	if (geteuid() != 0)
		skip();  /* cannot become nobody */
	{
		char buf[4] = "";
		int s = open("/proc/sys/vm/unprivileged_userfaultfd", O_RDONLY);

		assert_true(s >= 0);
		assert_true(read(s, buf, 1) == 1);
		close(s);
		if (buf[0] != '0')
			skip();  /* this machine lets everyone in; nothing to diagnose */
	}
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		unpriv_child(pfd[1]);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &r, sizeof(r)), sizeof(r));
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Syscall EPERM, then the 0600 root device: EACCES. */
	assert_true(r.open_full == -EACCES || r.open_full == -EPERM);
	assert_int_equal(r.open_user, 0);
	assert_int_equal(r.how_user, VMS_UFFD_SOURCE_SYSCALL);
	assert_int_equal(r.hs_fork_required, -EPERM);
	assert_int_equal(r.hs_fork_wanted, 0);
	assert_false(r.enabled & UFFD_FEATURE_EVENT_FORK);
	assert_true((r.enabled & VMS_UFFD_FEATURES_REQUIRED) == VMS_UFFD_FEATURES_REQUIRED);
	assert_int_equal(r.kernel_read_errno, EFAULT);
	assert_non_null(strstr(r.diag, "sysctl vm.unprivileged_userfaultfd=1"));
	assert_non_null(strstr(r.diag, "only UFFD_USER_MODE_ONLY"));
	assert_non_null(strstr(r.diag, "/dev/userfaultfd"));
	assert_non_null(strstr(r.diag, "CAP_SYS_PTRACE"));
}

static void test_diagnose_privileged(void **state)
{
	char buf[2048];

	need_features(0);
	if (geteuid() != 0)
		skip();
	assert_int_equal(vms_uffd_diagnose(buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "verdict: full userfaultfd available (via userfaultfd(2))"));
	assert_null(strstr(buf, "fix:"));
	assert_int_equal(vms_uffd_diagnose(buf, 8), 0);
	assert_int_equal(strlen(buf), 7);  /* truncated, terminated */
	assert_int_equal(vms_uffd_diagnose(buf, 0), -EINVAL);
}

/* With the syscall refused by seccomp (ENOSYS), open falls back to the device. */
static void test_open_device_fallback(void **state)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_userfaultfd, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = f };
	int status;
	pid_t pid;

	need_features(0);
	if (access(VMS_USERFAULTFD_DEV, R_OK | W_OK) != 0)
		skip();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		enum vms_uffd_source how = 0;
		uint64_t enabled = 0;
		int fd;

		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(10);
		if (syscall(SYS_userfaultfd, O_CLOEXEC) >= 0 || errno != ENOSYS)
			_exit(11);
		if (vms_uffd_open(0, &fd, &how) != 0 || how != VMS_UFFD_SOURCE_DEVICE)
			_exit(12);
		if (!(fcntl(fd, F_GETFL) & O_NONBLOCK) || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
			_exit(13);
		if (vms_uffd_handshake(fd, 0, UFFD_FEATURE_EVENT_UNMAP, &enabled, NULL) != 0 ||
		    enabled != UFFD_FEATURE_EVENT_UNMAP)
			_exit(14);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_classify(void **state)
{
	static const struct {
		int err;
		enum vms_uffd_errclass cls;
	} cases[] = {
		{ 0, VMS_UFFD_OK },          { -ESRCH, VMS_UFFD_GONE },
		{ -ENOSPC, VMS_UFFD_GONE },  { -EAGAIN, VMS_UFFD_RETRY },
		{ -EEXIST, VMS_UFFD_EXISTS }, { ENOENT, VMS_UFFD_HOLE },
		{ -EBUSY, VMS_UFFD_BUSY },   { -EINVAL, VMS_UFFD_BUG },
		{ -EFAULT, VMS_UFFD_BUG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(vms_uffd_classify(cases[i].err), cases[i].cls);
}

/* One cmocka test per table row, named after the row, so that a skip or a
 * failure says which feature. */
#define ROW_TEST(func, row, name) { name, func, NULL, NULL, (void *)(row) }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compat_values),
		cmocka_unit_test(test_classify),
		ROW_TEST(test_handshake, &feature_cases[0], "handshake_missing"),
		ROW_TEST(test_handshake, &feature_cases[1], "handshake_wp"),
		ROW_TEST(test_handshake, &feature_cases[2], "handshake_move"),
		ROW_TEST(test_handshake, &feature_cases[3], "handshake_event_fork"),
		ROW_TEST(test_handshake, &feature_cases[4], "handshake_event_remap"),
		ROW_TEST(test_handshake, &feature_cases[5], "handshake_event_remove"),
		ROW_TEST(test_handshake, &feature_cases[6], "handshake_event_unmap"),
		cmocka_unit_test(test_handshake_required_missing),
		cmocka_unit_test(test_serve_copy_and_zeropage),
		cmocka_unit_test(test_fault_around_16),
		cmocka_unit_test(test_move_to_stash_and_back),
		cmocka_unit_test(test_copy_eexist_partial),
		cmocka_unit_test(test_move_hole),
		cmocka_unit_test(test_wp_blocks_until_resolved),
		ROW_TEST(test_event, &event_cases[0], "event_unmap_on_munmap"),
		ROW_TEST(test_event, &event_cases[1], "event_remove_on_dontneed"),
		ROW_TEST(test_event, &event_cases[2], "event_remap_on_mremap"),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_diagnose_privileged),
		cmocka_unit_test(test_open_device_fallback),
	};
	_Static_assert(sizeof(feature_cases) / sizeof(feature_cases[0]) == 7, "feature table");
	_Static_assert(sizeof(event_cases) / sizeof(event_cases[0]) == 3, "event table");

	return cmocka_run_group_tests_name("uffd", tests, group_setup, NULL);
}
