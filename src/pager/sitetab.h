/* SPDX-License-Identifier: MIT */
/*
 * The allocation-site tables: pure data, no syscalls (unit-tested in
 * tests/unit/test_sitetab.c).
 *
 *  - strings, interned: a module path, a function or file name is stored
 *    once and named by a 32-bit id (0 is "none");
 *  - stacks ("sites"), deduplicated: a stack is its native frames as
 *    (module, module-relative address) pairs, which do not depend on where
 *    the process mapped the module, plus its Python frames as (file,
 *    function, line).  The same leak in two processes of a tree, or hit a
 *    thousand times, is one site;
 *  - a symbol cache per (module, address): function, file and line, so a
 *    frame shared by many stacks (libc's mmap, malloc) is symbolized once;
 *  - per process, address ranges -> site, where a new mapping replaces
 *    whatever range it lands on.
 */
#ifndef VMSANDBOX_PAGER_SITETAB_H
#define VMSANDBOX_PAGER_SITETAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits on what one capture keeps (deeper stacks are cut). */
#define VMS_SITE_MAX_FRAMES 48
#define VMS_SITE_MAX_PYFRAMES 24

struct vms_site_frame {
	uint32_t module;              /* string id of the module's path; 0: no module */
	uint64_t offset;              /* ELF address in the module (the absolute pc
				       * when there is no module) */
	/* Symbolized once, when the stack is first seen (0: unknown). */
	uint32_t function;
	uint32_t file;
	uint32_t line;
};

struct vms_site_pyframe {
	uint32_t file;                /* string ids */
	uint32_t function;
	uint32_t line;                /* 0: unknown */
};

struct vms_site {
	uint32_t id;                  /* 1, 2, ... in order of first capture */
	uint32_t nr_frames;
	uint32_t nr_pyframes;
	uint32_t py_note;             /* string id: why Python frames are missing, 0 */
	bool fault_stack;             /* first captured at a page fault (attrib.c) */
	bool unsymbolized;            /* its frames' symbols are still to be looked up */
	uint64_t hash;
	struct vms_site_frame *frames;        /* innermost first */
	struct vms_site_pyframe *pyframes;    /* innermost first */
	/* Accounting over the run. */
	uint64_t bytes_mapped;        /* mmaps and sampled brk growth attributed to it */
	uint64_t nr_regions;          /* how many */
	uint64_t pages_at_exit;       /* resident + swapped pages in its ranges when
				       * their process ended (summed over processes) */
	uint64_t nr_exits;            /* processes whose exit counted above */
};

struct vms_sitetab;

int vms_sitetab_new(struct vms_sitetab **ret);
/* Accepts NULL. */
void vms_sitetab_free(struct vms_sitetab *t);

/* The id of s (added if new); NULL or "" is 0.  -ENOMEM. */
int vms_sitetab_intern(struct vms_sitetab *t, const char *s, uint32_t *ret_id);
/* The string of id, NULL for 0 or an unknown id. */
const char *vms_sitetab_string(const struct vms_sitetab *t, uint32_t id);

/*
 * The site of this stack: frames compare by (module, offset), Python frames
 * by all fields.  A new site copies the frames (their symbol fields as
 * given, usually 0: the caller fills them in when *ret_new) and gets the
 * next id.  -ENOMEM, -EINVAL for an empty stack or one over the limits.
 */
int vms_sitetab_add(struct vms_sitetab *t, const struct vms_site_frame *frames, uint32_t nr,
		    const struct vms_site_pyframe *py, uint32_t nr_py, uint32_t *ret_id,
		    bool *ret_new);
/* The site with that id, or NULL. */
struct vms_site *vms_sitetab_get(struct vms_sitetab *t, uint32_t id);
const struct vms_site *vms_sitetab_get_const(const struct vms_sitetab *t, uint32_t id);
uint32_t vms_sitetab_count(const struct vms_sitetab *t);

/* Symbol cache, keyed by (module, offset). */
struct vms_site_sym {
	uint32_t function, file, line;
};
bool vms_sitetab_sym_find(const struct vms_sitetab *t, uint32_t module, uint64_t offset,
			  struct vms_site_sym *ret);
int vms_sitetab_sym_add(struct vms_sitetab *t, uint32_t module, uint64_t offset,
			const struct vms_site_sym *sym);

/* Address ranges of one process -> site, sorted, never overlapping;
 * neighbours with the same site are merged. */
struct vms_site_range {
	uint64_t start, end;          /* bytes, [start, end) */
	uint32_t site;
};

struct vms_site_ranges {
	struct vms_site_range *r;
	size_t nr, cap;
};

/* [start, end) now belongs to site (0: to none, i.e. forget it), whatever
 * it belonged to before.  -EINVAL if end <= start, -ENOMEM (the ranges are
 * unchanged then). */
int vms_site_ranges_set(struct vms_site_ranges *rs, uint64_t start, uint64_t end, uint32_t site);
/* mremap: what was at [from, from+len) is now at [to, to+len); whatever
 * was at the destination is replaced.  -ENOMEM. */
int vms_site_ranges_move(struct vms_site_ranges *rs, uint64_t from, uint64_t to, uint64_t len);
/* The site at addr, 0 if none. */
uint32_t vms_site_ranges_lookup(const struct vms_site_ranges *rs, uint64_t addr);
void vms_site_ranges_fini(struct vms_site_ranges *rs);

#endif
