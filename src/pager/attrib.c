/* SPDX-License-Identifier: MIT */
/*
 * Attribution by region and by code location (attrib.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "attrib.h"
#include "procmem.h"
#include "sites.h"

/* Open /proc/TID/syscall files kept, by tid modulo this. */
#define TID_FDS 64
/* Pages of program counters no module holds (JIT code), per process: not
 * looked up again (each miss re-reads /proc/PID/maps). */
#define NOMODULE_PAGES 8

struct attrib_region {
	uint32_t as_id;
	uint8_t kind;                 /* enum vms_region_kind */
	bool check_data;              /* a MAP_FIXED mmap: a .bss if it follows a module */
	bool open;                    /* finish: still mapped at the end */
	uint32_t site;
	uint32_t ident;               /* thread number, module string id */
	uint64_t start, end;          /* bytes: widest extent over its life */
	struct vms_region_counts c;
};

/* One per address space (a process, or its image before an exec), kept
 * after it ends: its regions name it. */
struct attrib_as {
	pid_t pid;
	char comm[64];
	bool ended;
	uint32_t heap, stack, other;  /* region index + 1, 0: none yet */
	uint32_t threads;             /* thread stacks mapped so far */
	struct vms_site_ranges ranges;   /* bytes -> region index + 1 */
	uint64_t hit_start, hit_end;  /* the last range found, [start, end) */
	uint32_t hit;                 /* its region + 1, 0: none */
	uint64_t nomodule[NOMODULE_PAGES];
	uint32_t nomodule_next;
};

struct attrib_loc {
	struct vms_attrib_location pub;
	uint32_t as_id;               /* without a module: the pc is the process's */
};

struct vms_attrib {
	struct attrib_region *regions;
	size_t nr_regions, cap_regions;
	struct attrib_as **as;        /* by address-space id */
	size_t nr_as;
	struct vms_pairmap touched;   /* (region, vpn): pages referenced */
	struct vms_pairmap loc_index; /* (module or as_id << 32 | 1 << 63, offset) */
	struct attrib_loc *locs;
	size_t nr_locs, cap_locs;
	struct vms_pairmap stack_index;   /* (location, site) -> stack */
	struct { uint32_t loc, site; uint64_t samples; } *stacks;
	size_t nr_stacks, cap_stacks;
	struct { pid_t tid; int fd; } fds[TID_FDS];
	uint8_t page[VMS_PAGE];       /* the bytes of a page being swapped in */
	struct vms_attrib_stats st;
	/* vms_attrib_finish */
	bool finished;
	struct vms_attrib_row *rows;
	struct vms_attrib_location *sorted;
	struct vms_attrib_stack *stack_out;
	struct vms_attrib_result result;
};

int vms_attrib_init(struct vms_pager *pg)
{
	struct vms_attrib *a;

	if (!pg->cfg.profile)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < TID_FDS; i++)
		a->fds[i].fd = -1;
	pg->attrib = a;
	return 0;
}

void vms_attrib_fini(struct vms_pager *pg)
{
	struct vms_attrib *a = pg->attrib;

	if (!a)
		return;
	for (size_t i = 0; i < TID_FDS; i++)
		if (a->fds[i].fd >= 0)
			close(a->fds[i].fd);
	for (size_t i = 0; i < a->nr_as; i++) {
		if (a->as[i])
			vms_site_ranges_fini(&a->as[i]->ranges);
		free(a->as[i]);
	}
	free(a->as);
	free(a->regions);
	vms_pairmap_fini(&a->touched);
	vms_pairmap_fini(&a->loc_index);
	vms_pairmap_fini(&a->stack_index);
	free(a->locs);
	free(a->stacks);
	free(a->rows);
	free(a->sorted);
	free(a->stack_out);
	free(a);
	pg->attrib = NULL;
}

/* ---- address spaces and regions ---- */

static struct attrib_as *as_state(struct vms_attrib *a, const struct vms_proc *p)
{
	uint32_t id = p->as->id;
	struct attrib_as *s;

	if (id >= a->nr_as) {
		size_t nr = id + 16;
		struct attrib_as **v = realloc(a->as, nr * sizeof(*v));

		if (!v)
			return NULL;
		memset(v + a->nr_as, 0, (nr - a->nr_as) * sizeof(*v));
		a->as = v;
		a->nr_as = nr;
	}
	s = a->as[id];
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		a->as[id] = s;
	}
	/* A fork child learns its pid at its first fault. */
	if (s->pid != p->pid && p->pid > 0) {
		s->pid = p->pid;
		memcpy(s->comm, p->comm, sizeof(s->comm));
	}
	return s;
}

/* A new region; its index, or -ENOMEM. */
static long region_new(struct vms_attrib *a, uint32_t as_id, enum vms_region_kind kind,
		       uint32_t site, uint32_t ident)
{
	struct attrib_region *r;

	if (a->nr_regions == a->cap_regions) {
		size_t cap = a->cap_regions ? a->cap_regions * 2 : 64;

		r = realloc(a->regions, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		a->regions = r;
		a->cap_regions = cap;
	}
	r = &a->regions[a->nr_regions];
	memset(r, 0, sizeof(*r));
	r->as_id = as_id;
	r->kind = (uint8_t)kind;
	r->site = site;
	r->ident = ident;
	r->start = UINT64_MAX;
	return (long)a->nr_regions++;
}

/* [start, end) of s now belongs to region idx (whatever it was before). */
static void region_cover(struct vms_attrib *a, struct attrib_as *s, size_t idx, uint64_t start,
			 uint64_t end)
{
	struct attrib_region *r = &a->regions[idx];

	if (end <= start || vms_site_ranges_set(&s->ranges, start, end, (uint32_t)idx + 1) < 0)
		return;
	if (start < r->start)
		r->start = start;
	if (end > r->end)
		r->end = end;
	s->hit = 0;
}

/* What /proc/PID/maps says about the mapping at addr. */
struct maps_ctx {
	uint64_t addr;
	bool found, anon, have_prev;
	uint64_t start, end;
	char path[256];
	uint64_t prev_end, prev_inode;
	char prev_perms[5];
	char prev_path[256];
};

static int maps_find(void *ctx, const struct vms_map *m)
{
	struct maps_ctx *c = ctx;

	if (c->addr < m->start) {
		return 1;   /* in no mapping: the lines are sorted */
	} else if (c->addr < m->end) {
		c->found = true;
		c->anon = vms_map_is_private_anon(m);
		c->start = m->start;
		c->end = m->end;
		snprintf(c->path, sizeof(c->path), "%s", m->path);
		return 1;
	}
	c->have_prev = true;
	c->prev_end = m->end;
	c->prev_inode = m->inode;
	memcpy(c->prev_perms, m->perms, sizeof(c->prev_perms));
	snprintf(c->prev_path, sizeof(c->prev_path), "%s", m->path);
	return 0;
}

static bool read_maps(struct vms_attrib *a, pid_t pid, uint64_t addr, struct maps_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	if (pid <= 0)
		return false;
	a->st.maps_reads++;
	return vms_procmem_for_each_map(pid, maps_find, c) >= 0 && c->found;
}

/* The region of s holding one of its kind (heap, stack, other), made if new. */
static long singleton(struct vms_attrib *a, struct attrib_as *s, uint32_t as_id, uint32_t *slot,
		      enum vms_region_kind kind)
{
	long idx;

	if (*slot)
		return *slot - 1;
	idx = region_new(a, as_id, kind, 0, 0);
	if (idx >= 0)
		*slot = (uint32_t)idx + 1;
	return idx;
}

/*
 * Page addr of process p is in no known region: memory it had at its
 * arrival, heap or stack growth, or a mapping we missed.  Classified from
 * /proc/PID/maps; the region covers the mapping as far as no other region
 * does.  Returns the region, or -errno.
 */
static long classify(struct vms_pager *pg, struct vms_attrib *a, struct attrib_as *s,
		     struct vms_proc *p, uint64_t addr)
{
	const struct vms_site_ranges *rs = &s->ranges;
	uint64_t lo = 0, hi = UINT64_MAX, start = addr, end = addr + VMS_PAGE;
	struct maps_ctx c;
	size_t i = 0, n = rs->nr;
	long idx;

	/* The gap of the range map around addr. */
	while (i < n) {
		size_t mid = i + (n - i) / 2;

		if (rs->r[mid].end <= addr)
			i = mid + 1;
		else
			n = mid;
	}
	if (i > 0)
		lo = rs->r[i - 1].end;
	if (i < rs->nr)
		hi = rs->r[i].start;
	if (!read_maps(a, p->pid, addr, &c) || !c.anon) {
		idx = singleton(a, s, p->as->id, &s->other, VMS_REGION_OTHER);
	} else {
		start = c.start;
		end = c.end;
		if (strcmp(c.path, "[heap]") == 0) {
			idx = singleton(a, s, p->as->id, &s->heap, VMS_REGION_HEAP);
		} else if (strcmp(c.path, "[stack]") == 0) {
			idx = singleton(a, s, p->as->id, &s->stack, VMS_REGION_STACK);
		} else if (i > 0 && rs->r[i - 1].end == lo && lo > c.start) {
			/* The mapping below grew in place (mremap, whose growth
			 * the kernel reports to no one): still that region. */
			idx = (long)rs->r[i - 1].site - 1;
		} else if (c.have_prev &&
			   vms_region_is_data(c.start, c.prev_end, c.prev_inode, c.prev_perms)) {
			uint32_t module = 0;

			vms_sites_intern(pg, c.prev_path, &module);
			idx = region_new(a, p->as->id, VMS_REGION_DATA, 0, module);
		} else {
			idx = region_new(a, p->as->id, VMS_REGION_MMAP, 0, 0);
		}
	}
	if (idx < 0)
		return idx;
	region_cover(a, s, (size_t)idx, start > lo ? start : lo, end < hi ? end : hi);
	return idx;
}

/* A MAP_FIXED anonymous mmap right after a module's writable segment is
 * the loader's .bss of a library (dlopen): checked at its first use. */
static void check_data(struct vms_pager *pg, struct vms_attrib *a, struct vms_proc *p,
		       struct attrib_region *r, uint64_t addr)
{
	struct maps_ctx c;

	r->check_data = false;
	if (read_maps(a, p->pid, addr, &c) && c.anon && c.have_prev &&
	    vms_region_is_data(c.start, c.prev_end, c.prev_inode, c.prev_perms)) {
		r->kind = VMS_REGION_DATA;
		vms_sites_intern(pg, c.prev_path, &r->ident);
	}
}

/* The region of page vpn of p (classified now if unknown), or -errno. */
static long region_of(struct vms_pager *pg, struct vms_attrib *a, struct attrib_as *s,
		      struct vms_proc *p, vms_vpn_t vpn)
{
	uint64_t addr = vpn * VMS_PAGE;
	const struct vms_site_ranges *rs = &s->ranges;
	size_t i = 0, n = rs->nr;
	long idx;

	if (s->hit && addr >= s->hit_start && addr < s->hit_end)
		return s->hit - 1;
	while (i < n) {
		size_t mid = i + (n - i) / 2;

		if (rs->r[mid].end <= addr)
			i = mid + 1;
		else
			n = mid;
	}
	if (i < rs->nr && rs->r[i].start <= addr) {
		idx = (long)rs->r[i].site - 1;
		s->hit = rs->r[i].site;
		s->hit_start = rs->r[i].start;
		s->hit_end = rs->r[i].end;
	} else {
		idx = classify(pg, a, s, p, addr);
	}
	if (idx >= 0 && a->regions[idx].check_data)
		check_data(pg, a, p, &a->regions[idx], addr);
	return idx;
}

void vms_attrib_evicted(struct vms_pager *pg, struct vms_as *as, vms_vpn_t vpn, int delta)
{
	struct vms_attrib *a = pg->attrib;
	struct vms_proc *q = as->owner;
	struct attrib_as *s;
	long idx;

	if (!a || a->finished || !q || !(s = as_state(a, q)))
		return;
	idx = region_of(pg, a, s, q, vpn);
	if (idx >= 0)
		a->regions[idx].c.evictions += (uint64_t)(int64_t)delta;
}

/* ---- code locations ---- */

/* The registers of thread tid, blocked (in a fault, or in a syscall). */
static int read_regs(struct vms_attrib *a, pid_t tid, struct vms_thread_regs *ret)
{
	char path[64], buf[256];
	__typeof__(a->fds[0]) *f = &a->fds[(uint32_t)tid % TID_FDS];
	ssize_t n = -1;

	if (tid <= 0)
		return -ESRCH;
	for (int tries = 0; tries < 2 && n <= 0; tries++) {
		/* A cached fd of a thread that died (its tid maybe reused
		 * since) fails with ESRCH: open the tid's file again. */
		if (f->tid != tid || f->fd < 0 || tries) {
			if (f->fd >= 0)
				close(f->fd);
			snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
			f->fd = open(path, O_RDONLY | O_CLOEXEC);
			f->tid = tid;
			if (f->fd < 0)
				return -errno;
		}
		n = pread(f->fd, buf, sizeof(buf) - 1, 0);
	}
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	return vms_thread_regs_parse(buf, ret);
}

static bool nomodule_known(const struct attrib_as *s, uint64_t pc)
{
	for (size_t i = 0; i < NOMODULE_PAGES; i++)
		if (s->nomodule[i] == pc / VMS_PAGE + 1)
			return true;
	return false;
}

/* The location of pc in p; NULL on allocation failure. */
static struct attrib_loc *location(struct vms_pager *pg, struct vms_attrib *a,
				   struct attrib_as *s, struct vms_proc *p, uint64_t pc)
{
	uint32_t module = 0, idx;
	uint64_t offset = pc, key_a;
	bool fresh;

	if (!nomodule_known(s, pc) && vms_sites_locate(pg, p, pc, &module, &offset) < 0) {
		module = 0;
		offset = pc;
		s->nomodule[s->nomodule_next++ % NOMODULE_PAGES] = pc / VMS_PAGE + 1;
	}
	/* Without a module the pc is an address of this process only. */
	key_a = module ? module : (1ull << 63) | p->as->id;
	if (a->nr_locs == a->cap_locs) {
		size_t cap = a->cap_locs ? a->cap_locs * 2 : 256;
		struct attrib_loc *v = realloc(a->locs, cap * sizeof(*v));

		if (!v)
			return NULL;
		a->locs = v;
		a->cap_locs = cap;
	}
	if (vms_pairmap_get_or_add(&a->loc_index, key_a, offset, (uint32_t)a->nr_locs, &idx,
				   &fresh) < 0)
		return NULL;
	if (fresh) {
		memset(&a->locs[idx], 0, sizeof(a->locs[idx]));
		a->locs[idx].pub.module = module;
		a->locs[idx].pub.offset = offset;
		a->locs[idx].pub.syscall = -1;
		a->locs[idx].as_id = p->as->id;
		a->nr_locs++;
	}
	return &a->locs[idx];
}

static void count_sample(struct vms_attrib *a, uint32_t loc, uint32_t site)
{
	uint32_t idx;
	bool fresh;

	if (a->nr_stacks == a->cap_stacks) {
		size_t cap = a->cap_stacks ? a->cap_stacks * 2 : 256;
		__typeof__(a->stacks) v = realloc(a->stacks, cap * sizeof(*v));

		if (!v)
			return;
		a->stacks = v;
		a->cap_stacks = cap;
	}
	if (vms_pairmap_get_or_add(&a->stack_index, loc, site, (uint32_t)a->nr_stacks, &idx,
				   &fresh) < 0)
		return;
	if (fresh) {
		a->stacks[idx].loc = loc;
		a->stacks[idx].site = site;
		a->stacks[idx].samples = 0;
		a->nr_stacks++;
	}
	a->stacks[idx].samples++;
}

/* The bytes page vpn will have once the fault is served: what an unwind
 * of the faulting thread must read there (NULL: zeros).  *ret_pin false:
 * the process has the page (a write-protect fault), read it there. */
static const void *incoming_page(struct vms_pager *pg, struct vms_attrib *a,
				 const struct vms_ref_result *res, bool *ret_pin)
{
	*ret_pin = true;
	if (pg->ref_kind == VMS_REFK_WP) {
		*ret_pin = false;
		return NULL;
	}
	if (pg->ref_kind == VMS_REFK_SOFT)
		return pg->page;   /* fault.c claimed it from its park slot */
	switch (res->outcome) {
	case VMS_REF_FAULT_SAME:
		for (size_t i = 0; i < VMS_PAGE; i += sizeof(res->value))
			memcpy(a->page + i, &res->value, sizeof(res->value));
		return a->page;
	case VMS_REF_FAULT_SWAPIN:
		if (vms_swap_peek(vms_mm_swap(pg->mm), res->slot, a->page) == 0)
			return a->page;
		*ret_pin = false;
		return NULL;
	default:
		return NULL;
	}
}

/* A fault of pg->fault_tid on page vpn of p: its location and, every
 * stack_period'th time, its stack.  c: what it counts. */
static void code_fault(struct vms_pager *pg, struct vms_attrib *a, struct attrib_as *s,
		       struct vms_proc *p, vms_vpn_t vpn, const struct vms_ref_result *res,
		       const struct vms_region_counts *c)
{
	struct vms_thread_regs regs;
	struct attrib_loc *loc;
	uint64_t t0 = vms_now_ns();
	int r;

	a->st.faults_seen++;
	r = read_regs(a, (pid_t)pg->fault_tid, &regs);
	a->st.ip_reads++;
	a->st.ip_read_ns += vms_now_ns() - t0;
	loc = r == 0 ? location(pg, a, s, p, regs.pc) : NULL;
	if (!loc) {
		a->st.ip_failures++;
		vms_region_counts_add(&a->st.unlocated, c);
		return;
	}
	vms_region_counts_add(&loc->pub.c, c);
	if (regs.nr >= 0) {
		loc->pub.syscall = regs.nr;
		a->st.in_syscall++;
	}
	if (pg->cfg.stack_period && a->st.faults_seen % pg->cfg.stack_period == 0) {
		bool pin;
		const void *page = incoming_page(pg, a, res, &pin);
		uint32_t site;

		t0 = vms_now_ns();
		site = vms_sites_capture_fault(pg, p, (pid_t)pg->fault_tid, regs.sp, regs.pc,
					       pin ? vpn * VMS_PAGE : 0, page);
		a->st.unwind_ns += vms_now_ns() - t0;
		a->st.unwinds++;
		if (site)
			count_sample(a, (uint32_t)(loc - a->locs), site);
		else
			a->st.unwind_failures++;
	}
}

void vms_attrib_after_ref(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, bool write,
			  const struct vms_ref_result *res)
{
	struct vms_attrib *a = pg->attrib;
	struct vms_region_counts c = { 0 };
	struct attrib_as *s;
	uint64_t t0;
	long idx;
	uint32_t v;
	bool fresh, fault = false;

	if (!a || a->finished)
		return;
	t0 = vms_now_ns();
	a->st.references++;
	s = as_state(a, p);
	idx = s ? region_of(pg, a, s, p, vpn) : -ENOMEM;
	/* Each reference counts once: a page brought in is a fault whatever
	 * the message was (a write-protect fault can take back a page the
	 * engine had evicted: a swap-in for the engine, fault.c); otherwise
	 * the kind of fault that made the reference. */
	if (pg->ref_kind == VMS_REFK_ADOPT) {
		c.adopted = 1;
	} else if (res->outcome == VMS_REF_FAULT_ZERO || res->outcome == VMS_REF_FAULT_SAME) {
		c.faults = c.zero_fills = 1;
		fault = true;
	} else if (res->outcome == VMS_REF_FAULT_SWAPIN) {
		c.faults = c.swap_ins = 1;
		fault = true;
	} else if (pg->ref_kind == VMS_REFK_SOFT) {
		c.soft_faults = 1;
		fault = true;
	} else if (pg->ref_kind == VMS_REFK_WP) {
		c.wp_faults = 1;
		fault = true;
	}
	if (idx >= 0) {
		if (vms_pairmap_get_or_add(&a->touched, (uint64_t)idx, vpn, 0, &v, &fresh) == 0 &&
		    fresh)
			a->regions[idx].c.pages_touched++;
		vms_region_counts_add(&a->regions[idx].c, &c);
	}
	/* The victim's region was charged as it left (vms_attrib_evicted). */
	if (res->evicted)
		c.evictions = 1;   /* caused by this fault */
	a->st.account_ns += vms_now_ns() - t0;
	if (fault && s)
		code_fault(pg, a, s, p, vpn, res, &c);
}

/* ---- the address space changes ---- */

void vms_attrib_mapped(struct vms_pager *pg, struct vms_proc *p, uint32_t site, uint64_t start,
		       uint64_t len, uint64_t flags)
{
	struct vms_attrib *a = pg->attrib;
	const struct vms_site *st = site ? vms_sites_get(pg, site) : NULL;
	const char *functions[VMS_SITE_MAX_FRAMES];
	enum vms_region_kind kind = VMS_REGION_MMAP;
	struct attrib_as *s;
	uint32_t ident = 0;
	long idx;

	if (!a || !len || !(s = as_state(a, p)))
		return;
	for (uint32_t i = 0; st && i < st->nr_frames; i++)
		functions[i] = vms_sites_string(pg, st->frames[i].function);
	if ((flags & MAP_STACK) || (st && vms_region_is_thread_stack(functions, st->nr_frames))) {
		kind = VMS_REGION_THREAD_STACK;
		ident = ++s->threads + 1;   /* the main thread is thread 1 */
	}
	idx = region_new(a, p->as->id, kind, site, ident);
	if (idx < 0)
		return;
	a->regions[idx].check_data = kind == VMS_REGION_MMAP && (flags & MAP_FIXED);
	region_cover(a, s, (size_t)idx, start, start + len);
}

void vms_attrib_brk(struct vms_pager *pg, struct vms_proc *p, uint64_t from, uint64_t end)
{
	struct vms_attrib *a = pg->attrib;
	struct attrib_as *s;
	long idx;

	if (!a || from == end || !(s = as_state(a, p)))
		return;
	if (end < from) {
		/* The heap shrank: its pages past end are gone. */
		vms_site_ranges_set(&s->ranges, end, from, 0);
		s->hit = 0;
		return;
	}
	idx = singleton(a, s, p->as->id, &s->heap, VMS_REGION_HEAP);
	if (idx >= 0)
		region_cover(a, s, (size_t)idx, from, end);
}

void vms_attrib_unmapped(struct vms_pager *pg, struct vms_proc *p, uint64_t start, uint64_t end)
{
	struct vms_attrib *a = pg->attrib;
	struct attrib_as *s;

	if (!a || end <= start || !p->as || !(s = as_state(a, p)))
		return;
	vms_site_ranges_set(&s->ranges, start, end, 0);
	s->hit = 0;
}

void vms_attrib_remapped(struct vms_pager *pg, struct vms_proc *p, uint64_t from, uint64_t to,
			 uint64_t len)
{
	struct vms_attrib *a = pg->attrib;
	struct attrib_as *s;

	if (!a || !p->as || !(s = as_state(a, p)))
		return;
	vms_site_ranges_move(&s->ranges, from, to, len);
	for (size_t i = 0; i < s->ranges.nr; i++) {
		struct attrib_region *r = &a->regions[s->ranges.r[i].site - 1];

		if (s->ranges.r[i].start < r->start)
			r->start = s->ranges.r[i].start;
		if (s->ranges.r[i].end > r->end)
			r->end = s->ranges.r[i].end;
	}
	s->hit = 0;
}

void vms_attrib_fork(struct vms_pager *pg, struct vms_proc *parent, struct vms_proc *child)
{
	struct vms_attrib *a = pg->attrib;
	struct attrib_as *from, *to;
	struct vms_pairmap copies = { 0 };

	if (!a || !parent->as || !child->as || !(from = as_state(a, parent)) ||
	    !(to = as_state(a, child)))
		return;
	memcpy(to->comm, from->comm, sizeof(to->comm));
	to->threads = from->threads;
	/* Each of the parent's regions once, with its ranges. */
	for (size_t i = 0; i < from->ranges.nr; i++) {
		const struct vms_site_range *rg = &from->ranges.r[i];
		const struct attrib_region *pr = &a->regions[rg->site - 1];
		uint32_t copy;
		bool fresh;
		long idx;

		if (vms_pairmap_get_or_add(&copies, rg->site, 0, (uint32_t)a->nr_regions, &copy,
					   &fresh) < 0)
			break;
		if (fresh) {
			idx = region_new(a, child->as->id, (enum vms_region_kind)pr->kind, pr->site,
					 pr->ident);
			if (idx < 0)
				break;
			pr = &a->regions[rg->site - 1];   /* moved by the realloc */
			a->regions[idx].check_data = pr->check_data;
			if (from->heap == rg->site)
				to->heap = (uint32_t)idx + 1;
			if (from->stack == rg->site)
				to->stack = (uint32_t)idx + 1;
			if (from->other == rg->site)
				to->other = (uint32_t)idx + 1;
		}
		region_cover(a, to, copy, rg->start, rg->end);
	}
	vms_pairmap_fini(&copies);
}

void vms_attrib_proc_exit(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_attrib *a = pg->attrib;
	struct attrib_as *s;

	if (!a || !p->as || a->finished || !(s = as_state(a, p)))
		return;
	memcpy(s->comm, p->comm, sizeof(s->comm));
	s->ended = true;
	vms_site_ranges_fini(&s->ranges);
	s->hit = 0;
}

/* ---- the results ---- */

static int loc_by_faults(const void *pa, const void *pb)
{
	const struct vms_attrib_location *x = pa, *y = pb;
	uint64_t fx = x->c.faults, fy = y->c.faults;

	if (fx != fy)
		return fx < fy ? 1 : -1;
	fx = x->c.soft_faults + x->c.wp_faults;
	fy = y->c.soft_faults + y->c.wp_faults;
	if (fx != fy)
		return fx < fy ? 1 : -1;
	if (x->module != y->module)
		return x->module < y->module ? -1 : 1;
	return (x->offset > y->offset) - (x->offset < y->offset);
}

static int stack_by_samples(const void *pa, const void *pb)
{
	const struct vms_attrib_stack *x = pa, *y = pb;

	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	return (x->site > y->site) - (x->site < y->site);
}

static void finish_rows(struct vms_attrib *a)
{
	size_t n = a->nr_regions;
	struct vms_region_row *rows;

	/* Open: a live process still maps some of it. */
	for (size_t i = 0; i < a->nr_as; i++) {
		const struct attrib_as *s = a->as[i];

		for (size_t k = 0; s && !s->ended && k < s->ranges.nr; k++)
			a->regions[s->ranges.r[k].site - 1].open = true;
	}
	rows = calloc(n ? n : 1, sizeof(*rows));
	a->rows = calloc(n ? n : 1, sizeof(*a->rows));
	if (!rows || !a->rows) {
		free(rows);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct attrib_region *r = &a->regions[i];

		rows[i] = (struct vms_region_row){
			.key = { .as_id = r->as_id, .kind = r->kind, .site = r->site,
				 .ident = r->ident },
			.start = r->start == UINT64_MAX ? 0 : r->start,
			.end = r->end,
			.bytes = r->end > r->start ? r->end - r->start : 0,
			.mappings = 1,
			.open = r->open,
			.first = (uint32_t)i,
			.c = r->c,
		};
	}
	n = vms_region_rows_merge(rows, n);
	for (size_t i = 0; i < n; i++) {
		const struct attrib_as *s = rows[i].key.as_id < a->nr_as ? a->as[rows[i].key.as_id]
									 : NULL;

		a->rows[i].r = rows[i];
		a->rows[i].pid = s ? s->pid : 0;
		a->rows[i].process = s ? s->comm : "";
	}
	a->result.rows = a->rows;
	a->result.nr_rows = n;
	free(rows);
}

static void finish_locations(struct vms_pager *pg, struct vms_attrib *a)
{
	size_t n = a->nr_locs, at = 0;
	size_t *first;

	a->sorted = calloc(n ? n : 1, sizeof(*a->sorted));
	a->stack_out = calloc(a->nr_stacks ? a->nr_stacks : 1, sizeof(*a->stack_out));
	first = calloc(n + 1, sizeof(*first));
	if (!a->sorted || !a->stack_out || !first) {
		free(first);
		return;
	}
	/* Stacks grouped by location (a counting sort), then by samples. */
	for (size_t i = 0; i < a->nr_stacks; i++)
		first[a->stacks[i].loc + 1]++;
	for (size_t i = 0; i < n; i++)
		first[i + 1] += first[i];
	for (size_t i = 0; i < a->nr_stacks; i++) {
		size_t k = first[a->stacks[i].loc] + a->locs[a->stacks[i].loc].pub.nr_stacks++;

		a->stack_out[k].site = a->stacks[i].site;
		a->stack_out[k].samples = a->stacks[i].samples;
	}
	for (size_t i = 0; i < n; i++) {
		struct vms_attrib_location *l = &a->locs[i].pub;

		l->stacks = a->stack_out + first[i];
		qsort(l->stacks, l->nr_stacks, sizeof(*l->stacks), stack_by_samples);
		if (l->nr_stacks > VMS_ATTRIB_MAX_STACKS)
			l->nr_stacks = VMS_ATTRIB_MAX_STACKS;
		a->sorted[at++] = *l;
	}
	qsort(a->sorted, at, sizeof(*a->sorted), loc_by_faults);
	/* Symbols only for what the report shows: debug information makes
	 * each new address cost tens of microseconds. */
	for (size_t i = 0; i < at && i < VMS_ATTRIB_MAX_LOCATIONS; i++) {
		struct vms_attrib_location *l = &a->sorted[i];

		if (l->module)
			vms_sites_symbolize_addr(pg, l->module, l->offset, &l->sym);
		for (size_t k = 0; k < l->nr_stacks; k++)
			vms_sites_symbolize_site(pg, l->stacks[k].site);
	}
	a->result.locations = a->sorted;
	a->result.nr_locations = at;
	free(first);
}

void vms_attrib_finish(struct vms_pager *pg)
{
	struct vms_attrib *a = pg->attrib;
	uint64_t t0 = vms_now_ns();

	if (!a || a->finished)
		return;
	a->finished = true;
	finish_rows(a);
	finish_locations(pg, a);
	a->st.symbolize_ns = vms_now_ns() - t0;
	a->result.stack_period = pg->cfg.stack_period;
	a->result.st = a->st;
}

const struct vms_attrib_result *vms_attrib_result(const struct vms_pager *pg)
{
	return pg->attrib && pg->attrib->finished ? &pg->attrib->result : NULL;
}
