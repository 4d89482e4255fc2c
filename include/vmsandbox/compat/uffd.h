/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd and PAGEMAP_SCAN definitions newer than the build headers.
 *
 * Debian 12 ships linux-libc-dev 6.1; vmsandbox runs on newer kernels (6.18
 * on the project's machines) and asks the kernel at run time what it offers
 * (UFFDIO_API).  Everything below is what 6.1's headers lack and we use.
 * Each block is guarded, so newer headers win; the values are the kernel's
 * uapi values (include/uapi/linux/userfaultfd.h and fs.h, checked against
 * torvalds/linux), and tests/os/test_uffd.c pins sizes, offsets and ioctl
 * numbers so that a typo cannot pass the build.
 *
 * Include this instead of <linux/userfaultfd.h> / <linux/fs.h>.
 */
#ifndef VMSANDBOX_COMPAT_UFFD_H
#define VMSANDBOX_COMPAT_UFFD_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>

/* ---- /dev/userfaultfd (5.11) ---- */
#ifndef USERFAULTFD_IOC
#define USERFAULTFD_IOC 0xAA
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(USERFAULTFD_IOC, 0x00)
#endif
#define VMS_USERFAULTFD_DEV "/dev/userfaultfd"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* ---- features (uffdio_api.features) ---- */
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)  /* 6.1 */
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)      /* 6.4 */
#endif
#ifndef UFFD_FEATURE_POISON
#define UFFD_FEATURE_POISON (1 << 14)              /* 6.6 */
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)            /* 6.7 */
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE (1 << 16)                /* 6.8 */
#endif

/* ---- UFFDIO_CONTINUE_MODE_WP (6.5) ---- */
#ifndef UFFDIO_CONTINUE_MODE_WP
#define UFFDIO_CONTINUE_MODE_WP ((__u64)1 << 1)
#endif

/* ---- UFFDIO_POISON (6.6) ---- */
#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON (0x08)
#endif
#ifndef UFFDIO_POISON
struct uffdio_poison {
	struct uffdio_range range;
#define UFFDIO_POISON_MODE_DONTWAKE ((__u64)1 << 0)
	__u64 mode;
	__s64 updated;  /* written by the kernel: bytes done or -errno */
};
#define UFFDIO_POISON _IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

/* ---- UFFDIO_MOVE (6.8) ---- */
#ifndef _UFFDIO_MOVE
#define _UFFDIO_MOVE (0x05)
#endif
#ifndef UFFDIO_MOVE
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
#define UFFDIO_MOVE_MODE_DONTWAKE        ((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ((__u64)1 << 1)
	__u64 mode;
	__s64 move;     /* written by the kernel: bytes moved or -errno */
};
#define UFFDIO_MOVE _IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif

/* ---- PAGEMAP_SCAN on /proc/PID/pagemap (6.7) ---- */
#ifndef PROCFS_IOCTL_MAGIC
#define PROCFS_IOCTL_MAGIC 'f'
#endif
#ifndef PAGEMAP_SCAN
/* Categories: masks in pm_scan_arg, reported in page_region.categories. */
#define PAGE_IS_WPALLOWED  (1 << 0)
#define PAGE_IS_WRITTEN    (1 << 1)
#define PAGE_IS_FILE       (1 << 2)
#define PAGE_IS_PRESENT    (1 << 3)
#define PAGE_IS_SWAPPED    (1 << 4)
#define PAGE_IS_PFNZERO    (1 << 5)
#define PAGE_IS_HUGE       (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

struct page_region {
	__u64 start;
	__u64 end;         /* exclusive */
	__u64 categories;  /* PAGE_IS_* */
};

#define PM_SCAN_WP_MATCHING   (1 << 0)  /* write-protect the pages matched */
#define PM_SCAN_CHECK_WPASYNC (1 << 1)  /* abort on a non-WP_ASYNC page */

struct pm_scan_arg {
	__u64 size;                /* sizeof(struct pm_scan_arg) */
	__u64 flags;               /* PM_SCAN_* */
	__u64 start;
	__u64 end;
	__u64 walk_end;            /* written by the kernel: where the walk stopped */
	__u64 vec;                 /* struct page_region array */
	__u64 vec_len;
	__u64 max_pages;           /* 0 = no limit */
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN _IOWR(PROCFS_IOCTL_MAGIC, 16, struct pm_scan_arg)
#endif
#ifndef PAGE_IS_GUARD
#define PAGE_IS_GUARD (1 << 8)  /* 6.15: MADV_GUARD_INSTALL page */
#endif

#endif /* VMSANDBOX_COMPAT_UFFD_H */
