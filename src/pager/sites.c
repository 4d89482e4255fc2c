/* SPDX-License-Identifier: MIT */
/*
 * Allocation sites (sites.h): capture at the seccomp notification,
 * attribution at the agent's reply, bookkeeping at unmap, mremap, fork and
 * exit, and the queries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pager.h"
#include "peek.h"
#include "pyframes.h"
#include "sites.h"
#include "unwind.h"

#define PAGE_UP(x) (((x) + VMS_PAGE - 1) & ~(uint64_t)(VMS_PAGE - 1))

/* A process's part (vms_proc.sites), made at its first capture or fork. */
struct vms_proc_sites {
	struct vms_unwinder *unwinder;   /* NULL until the first capture */
	int unwinder_err;                /* why there is none (sticky), 0 */
	struct vms_py_target py;
	struct vms_site_ranges ranges;
	uint64_t brk_attributed;         /* the heap is attributed up to here (bytes) */
	bool brk_known;
	bool exit_counted;               /* vms_sites_finish() charged its holdings */
};

struct vms_sites {
	struct vms_sitetab *tab;
	struct vms_symbolizer *symbolizer;
	struct vms_sites_stats st;
	struct vms_peek_cache cache;     /* one unwind at a time: the loop's */
	uint64_t pcs[VMS_SITE_MAX_FRAMES];
	struct vms_site_frame frames[VMS_SITE_MAX_FRAMES];
	struct vms_py_frame py[VMS_SITE_MAX_PYFRAMES];
	struct vms_site_pyframe pyframes[VMS_SITE_MAX_PYFRAMES];
};

int vms_sites_init(struct vms_pager *pg)
{
	struct vms_sites *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	r = vms_sitetab_new(&s->tab);
	if (r == 0)
		r = vms_symbolizer_new(&s->symbolizer);
	if (r < 0) {
		vms_sitetab_free(s->tab);
		free(s);
		return r;
	}
	pg->sites = s;
	return 0;
}

static void proc_sites_free(struct vms_proc_sites *ps)
{
	vms_unwinder_free(ps->unwinder);
	vms_site_ranges_fini(&ps->ranges);
	free(ps);
}

void vms_sites_fini(struct vms_pager *pg)
{
	if (!pg->sites)
		return;
	for (struct vms_proc *p = pg->procs; p; p = p->next) {
		if (p->sites)
			proc_sites_free(p->sites);
		p->sites = NULL;
	}
	vms_sitetab_free(pg->sites->tab);
	vms_symbolizer_free(pg->sites->symbolizer);
	free(pg->sites);
	pg->sites = NULL;
}

static struct vms_proc_sites *proc_sites(struct vms_proc *p)
{
	if (!p->sites)
		p->sites = calloc(1, sizeof(*p->sites));
	return p->sites;
}

static int peek_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return vms_peek_read(ctx, addr, buf, len);
}

/* The Python frames of tid, interned; their number. */
static uint32_t python_frames(struct vms_sites *s, struct vms_proc_sites *ps, pid_t tid)
{
	size_t nr = 0;
	uint32_t n = 0;

	if (ps->py.status != VMS_PY_READY)
		return 0;
	vms_py_stack(&ps->py, tid, peek_read, &s->cache, s->py, VMS_SITE_MAX_PYFRAMES, &nr);
	for (size_t i = 0; i < nr; i++) {
		struct vms_site_pyframe *f = &s->pyframes[n];

		if (vms_sitetab_intern(s->tab, s->py[i].file, &f->file) < 0 ||
		    vms_sitetab_intern(s->tab, s->py[i].function, &f->function) < 0)
			break;
		f->line = s->py[i].line > 0 ? (uint32_t)s->py[i].line : 0;
		n++;
	}
	return n;
}

/* Why the site has no Python frames, for a Python process that cannot be read. */
static void note_python_missing(struct vms_sites *s, struct vms_proc_sites *ps, struct vms_site *site)
{
	vms_sitetab_intern(s->tab, ps->py.note, &site->py_note);
}

/* A new site: function, file and line of each frame, through the cache.
 * ps: the process just captured (s->pcs are the site's pcs), whose own
 * Dwfl names frames no module file can ([vdso]); NULL later. */
static void symbolize(struct vms_sites *s, struct vms_proc_sites *ps, struct vms_site *site)
{
	for (uint32_t i = 0; i < site->nr_frames; i++) {
		struct vms_site_frame *f = &site->frames[i];
		struct vms_site_sym sym = { 0 };
		struct vms_unwind_sym u;

		if (!f->module)
			continue;
		if (!vms_sitetab_sym_find(s->tab, f->module, f->offset, &sym)) {
			if (vms_symbolize(s->symbolizer, vms_sitetab_string(s->tab, f->module),
					  f->offset, &u) == 0 ||
			    (ps && vms_unwind_symbolize(ps->unwinder, s->pcs[i], &u) == 0)) {
				vms_sitetab_intern(s->tab, u.function, &sym.function);
				vms_sitetab_intern(s->tab, u.file, &sym.file);
				sym.line = u.line > 0 ? (uint32_t)u.line : 0;
			}
			vms_sitetab_sym_add(s->tab, f->module, f->offset, &sym);
		}
		f->function = sym.function;
		f->file = sym.file;
		f->line = sym.line;
	}
}

/* p's unwinder, made at its first use (reading its maps and loading the
 * CFI of its modules: once per process); NULL if it cannot be had. */
static struct vms_unwinder *unwinder_of(struct vms_pager *pg, struct vms_proc *p,
					struct vms_proc_sites *ps)
{
	struct vms_sites *s = pg->sites;
	uint64_t t0;

	if (ps->unwinder || ps->unwinder_err)
		return ps->unwinder;
	t0 = vms_now_ns();
	vms_peek_cache_init(&s->cache, pg, p);
	ps->unwinder_err = vms_unwinder_new(p->pid, &ps->unwinder);
	if (ps->unwinder)
		vms_py_probe(&ps->py, ps->unwinder, peek_read, &s->cache);
	s->st.setups++;
	s->st.setup_ns += vms_now_ns() - t0;
	return ps->unwinder;
}

/*
 * The stack of thread tid of p, deduplicated into *ret_id: from its
 * registers in a syscall (regs NULL), or from regs = {sp, pc}.  The peek
 * cache must be initialised for p (and pinned, if a page is being filled).
 * Returns 0 or -errno.
 */
static int capture_stack(struct vms_pager *pg, struct vms_proc *p, struct vms_proc_sites *ps,
			 pid_t tid, const uint64_t *regs, uint32_t *ret_id, bool *ret_fresh,
			 unsigned *ret_recovered)
{
	struct vms_sites *s = pg->sites;
	size_t nr_pcs = 0;
	unsigned recovered = 0;
	uint32_t nr_py;
	int r;

	if (regs)
		r = vms_unwind_thread_at(ps->unwinder, tid, regs[0], regs[1], peek_read, &s->cache,
					 s->pcs, VMS_SITE_MAX_FRAMES, &nr_pcs, &recovered);
	else
		r = vms_unwind_thread(ps->unwinder, tid, peek_read, &s->cache, s->pcs,
				      VMS_SITE_MAX_FRAMES, &nr_pcs, &recovered);
	if (r < 0)
		return r;
	*ret_recovered = recovered;
	for (size_t i = 0; i < nr_pcs; i++) {
		struct vms_site_frame *f = &s->frames[i];
		const char *module;

		memset(f, 0, sizeof(*f));
		if (vms_unwind_module(ps->unwinder, s->pcs[i], &module, &f->offset) < 0 ||
		    vms_sitetab_intern(s->tab, module, &f->module) < 0) {
			f->module = 0;
			f->offset = s->pcs[i];
		}
	}
	nr_py = python_frames(s, ps, tid);
	return vms_sitetab_add(s->tab, s->frames, (uint32_t)nr_pcs, s->pyframes, nr_py, ret_id,
			       ret_fresh);
}

/* The stack of thread tid of p, as a site id; 0 if it could not be read. */
static uint32_t capture(struct vms_pager *pg, struct vms_proc *p, pid_t tid)
{
	struct vms_sites *s = pg->sites;
	struct vms_proc_sites *ps = proc_sites(p);
	uint64_t t0, dt;
	uint32_t id = 0;
	unsigned recovered = 0;
	struct vms_site *site;
	bool fresh;

	if (!s || !ps || p->pid <= 0)
		return 0;
	if (!unwinder_of(pg, p, ps)) {
		s->st.failures++;
		return 0;
	}
	t0 = vms_now_ns();
	vms_peek_cache_init(&s->cache, pg, p);
	if (capture_stack(pg, p, ps, tid, NULL, &id, &fresh, &recovered) < 0) {
		s->st.failures++;
		return 0;
	}
	dt = vms_now_ns() - t0;
	s->st.fp_recoveries += recovered;
	s->st.captures++;
	s->st.capture_ns += dt;
	if (dt > s->st.capture_max_ns)
		s->st.capture_max_ns = dt;
	site = vms_sitetab_get(s->tab, id);
	if (site->nr_pyframes)
		s->st.python_captures++;
	if (fresh || site->unsymbolized) {
		t0 = vms_now_ns();
		symbolize(s, ps, site);
		site->unsymbolized = false;
		if (ps->py.status == VMS_PY_UNAVAILABLE)
			note_python_missing(s, ps, site);
		s->st.symbolized++;
		s->st.symbolize_ns += vms_now_ns() - t0;
	}
	return id;
}

uint32_t vms_sites_capture_fault(struct vms_pager *pg, struct vms_proc *p, pid_t tid,
				 uint64_t sp, uint64_t pc, uint64_t pin_addr, const void *pin_page)
{
	struct vms_sites *s = pg->sites;
	struct vms_proc_sites *ps = proc_sites(p);
	const uint64_t regs[2] = { sp, pc };
	struct vms_site *site;
	uint32_t id = 0;
	unsigned recovered = 0;
	bool fresh;

	if (!s || !ps || p->pid <= 0 || tid <= 0 || !unwinder_of(pg, p, ps))
		return 0;
	vms_peek_cache_init(&s->cache, pg, p);
	vms_peek_cache_pin(&s->cache, pin_addr, pin_page);
	if (capture_stack(pg, p, ps, tid, regs, &id, &fresh, &recovered) < 0)
		return 0;
	site = vms_sitetab_get(s->tab, id);
	if (fresh) {
		/* Symbolized at the end (vms_sites_symbolize_site): the
		 * faulting thread waits meanwhile. */
		site->unsymbolized = true;
		site->fault_stack = true;
		s->st.fault_stacks++;
		if (ps->py.status == VMS_PY_UNAVAILABLE)
			note_python_missing(s, ps, site);
	}
	return id;
}

void vms_sites_symbolize_site(struct vms_pager *pg, uint32_t id)
{
	struct vms_site *site = pg->sites ? vms_sitetab_get(pg->sites->tab, id) : NULL;

	if (!site || !site->unsymbolized)
		return;
	symbolize(pg->sites, NULL, site);
	site->unsymbolized = false;
}

int vms_sites_locate(struct vms_pager *pg, struct vms_proc *p, uint64_t pc, uint32_t *ret_module,
		     uint64_t *ret_offset)
{
	struct vms_proc_sites *ps = proc_sites(p);
	struct vms_unwinder *u;
	const char *module;
	int r;

	if (!pg->sites || !ps || p->pid <= 0)
		return -ESRCH;
	u = unwinder_of(pg, p, ps);
	if (!u)
		return ps->unwinder_err ? ps->unwinder_err : -ESRCH;
	r = vms_unwind_module(u, pc, &module, ret_offset);
	if (r < 0)
		return r;
	return vms_sitetab_intern(pg->sites->tab, module, ret_module);
}

int vms_sites_symbolize_addr(struct vms_pager *pg, uint32_t module, uint64_t offset,
			     struct vms_site_sym *ret)
{
	struct vms_sites *s = pg->sites;
	struct vms_unwind_sym u;

	memset(ret, 0, sizeof(*ret));
	if (!s || !module)
		return -ENOENT;
	if (vms_sitetab_sym_find(s->tab, module, offset, ret))
		return 0;
	if (vms_symbolize(s->symbolizer, vms_sitetab_string(s->tab, module), offset, &u) == 0) {
		vms_sitetab_intern(s->tab, u.function, &ret->function);
		vms_sitetab_intern(s->tab, u.file, &ret->file);
		ret->line = u.line > 0 ? (uint32_t)u.line : 0;
	}
	return vms_sitetab_sym_add(s->tab, module, offset, ret);
}

uint64_t vms_sites_mmap_min_bytes(const struct vms_pager *pg)
{
	/* A profile attributes faults to every mapping: each is worth a
	 * capture (measured in docs/design.md, "Attribution"). */
	return pg->cfg.profile ? VMS_PAGE : VMS_SITES_MMAP_MIN_BYTES;
}

uint32_t vms_sites_capture_mmap(struct vms_pager *pg, struct vms_proc *p, pid_t tid,
				uint64_t len)
{
	if (len < vms_sites_mmap_min_bytes(pg))
		return 0;
	return capture(pg, p, tid);
}

uint32_t vms_sites_capture_brk(struct vms_pager *pg, struct vms_proc *p, pid_t tid, uint64_t end)
{
	struct vms_proc_sites *ps = proc_sites(p);

	if (!ps || end == 0)
		return 0;   /* brk(0) asks where the heap ends */
	if (!ps->brk_known) {
		ps->brk_attributed = PAGE_UP(p->heap_end);
		ps->brk_known = true;
	}
	if (PAGE_UP(end) < ps->brk_attributed + VMS_SITES_BRK_SAMPLE_BYTES)
		return 0;
	return capture(pg, p, tid);
}

static void charge(struct vms_pager *pg, uint32_t site, uint64_t bytes)
{
	struct vms_site *s = vms_sitetab_get(pg->sites->tab, site);

	if (s) {
		s->bytes_mapped += bytes;
		s->nr_regions++;
	}
}

void vms_sites_mapped(struct vms_pager *pg, struct vms_proc *p, uint32_t site, uint64_t start,
		      uint64_t len)
{
	struct vms_proc_sites *ps = site ? proc_sites(p) : p->sites;

	if (!pg->sites || !ps || !len)
		return;
	/* A failure to grow the range array loses this attribution only. */
	if (vms_site_ranges_set(&ps->ranges, start, start + len, site) == 0 && site) {
		charge(pg, site, len);
		pg->sites->st.mmaps++;
	}
}

void vms_sites_brk_done(struct vms_pager *pg, struct vms_proc *p, uint32_t site, uint64_t end)
{
	struct vms_proc_sites *ps = p->sites;

	if (!pg->sites || !ps || !ps->brk_known)
		return;
	if (end < ps->brk_attributed) {
		/* The heap shrank: growth past end is new growth again. */
		ps->brk_attributed = end;
		return;
	}
	if (!site || end == ps->brk_attributed)
		return;
	if (vms_site_ranges_set(&ps->ranges, ps->brk_attributed, end, site) == 0) {
		charge(pg, site, end - ps->brk_attributed);
		pg->sites->st.brks++;
	}
	ps->brk_attributed = end;
}

void vms_sites_unmapped(struct vms_pager *pg, struct vms_proc *p, uint64_t start, uint64_t end)
{
	if (p->sites && end > start)
		vms_site_ranges_set(&p->sites->ranges, start, end, 0);
}

void vms_sites_remapped(struct vms_pager *pg, struct vms_proc *p, uint64_t from, uint64_t to,
			uint64_t len)
{
	if (p->sites)
		vms_site_ranges_move(&p->sites->ranges, from, to, len);
}

void vms_sites_fork(struct vms_pager *pg, struct vms_proc *parent, struct vms_proc *child)
{
	struct vms_proc_sites *from = parent->sites, *to;

	if (!pg->sites || !from || !from->ranges.nr)
		return;
	to = proc_sites(child);
	if (!to)
		return;
	to->ranges.r = malloc(from->ranges.nr * sizeof(*to->ranges.r));
	if (!to->ranges.r)
		return;
	memcpy(to->ranges.r, from->ranges.r, from->ranges.nr * sizeof(*to->ranges.r));
	to->ranges.nr = to->ranges.cap = from->ranges.nr;
	to->brk_attributed = from->brk_attributed;
	to->brk_known = from->brk_known;
}

struct count_ctx {
	uint64_t resident, swapped;
};

static int count_page(void *ctx, vms_vpn_t vpn, struct vms_pte *pte)
{
	struct count_ctx *c = ctx;

	if (vms_pte_state(pte) == VMS_PTE_RESIDENT)
		c->resident++;
	else
		c->swapped++;   /* SWAPPED or SAME: in the store */
	return 0;
}

/* For each range of p: fn(ctx, site, resident, swapped). */
static void for_each_holding(struct vms_proc *p,
			     void (*fn)(void *ctx, uint32_t site, uint64_t resident,
					uint64_t swapped), void *ctx)
{
	const struct vms_site_ranges *rs = &p->sites->ranges;

	for (size_t i = 0; i < rs->nr; i++) {
		struct count_ctx c = { 0 };

		vms_pt_walk(&p->as->pt, rs->r[i].start / VMS_PAGE, rs->r[i].end / VMS_PAGE,
			    count_page, &c);
		fn(ctx, rs->r[i].site, c.resident, c.swapped);
	}
}

static void add_to_exit(void *ctx, uint32_t site, uint64_t resident, uint64_t swapped)
{
	struct vms_site *s = vms_sitetab_get(ctx, site);

	if (s)
		s->pages_at_exit += resident + swapped;
}

/* Charges p's sites with what p holds now, once. */
static void count_exit(struct vms_pager *pg, struct vms_proc *p)
{
	struct vms_sitetab *tab = pg->sites->tab;
	struct vms_site_ranges *rs = &p->sites->ranges;

	if (p->sites->exit_counted || !p->as)
		return;
	p->sites->exit_counted = true;
	for_each_holding(p, add_to_exit, tab);
	/* nr_exits: each site once per process that had a range of it. */
	for (size_t i = 0; i < rs->nr; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = rs->r[j].site == rs->r[i].site;
		if (!seen && vms_sitetab_get(tab, rs->r[i].site))
			vms_sitetab_get(tab, rs->r[i].site)->nr_exits++;
	}
}

void vms_sites_proc_exit(struct vms_pager *pg, struct vms_proc *p)
{
	if (!p->sites)
		return;
	if (pg->sites)
		count_exit(pg, p);
	proc_sites_free(p->sites);
	p->sites = NULL;
}

void vms_sites_finish(struct vms_pager *pg)
{
	if (!pg->sites)
		return;
	for (struct vms_proc *p = pg->procs; p; p = p->next)
		if (p->sites && p->as)
			count_exit(pg, p);
}

/* ---- queries ---- */

struct held_ctx {
	struct vms_site_held *by_site;   /* indexed by site id */
};

static void add_held(void *ctx, uint32_t site, uint64_t resident, uint64_t swapped)
{
	struct held_ctx *c = ctx;

	c->by_site[site].site = site;
	c->by_site[site].resident_pages += resident;
	c->by_site[site].swapped_pages += swapped;
}

static int by_held_desc(const void *a, const void *b)
{
	const struct vms_site_held *x = a, *y = b;
	uint64_t nx = x->resident_pages + x->swapped_pages, ny = y->resident_pages + y->swapped_pages;

	if (nx != ny)
		return nx < ny ? 1 : -1;
	return (x->site > y->site) - (x->site < y->site);
}

size_t vms_sites_top_held(struct vms_pager *pg, struct vms_proc *p, struct vms_site_held *out,
			  size_t k)
{
	uint32_t nr_sites = pg->sites ? vms_sitetab_count(pg->sites->tab) : 0;
	struct held_ctx c;
	size_t n = 0;

	if (!nr_sites || !k)
		return 0;
	c.by_site = calloc(nr_sites + 1, sizeof(*c.by_site));
	if (!c.by_site)
		return 0;
	for (struct vms_proc *q = pg->procs; q; q = q->next)
		if ((!p || q == p) && q->sites && q->as)
			for_each_holding(q, add_held, &c);
	for (uint32_t i = 1; i <= nr_sites; i++)
		if (c.by_site[i].resident_pages + c.by_site[i].swapped_pages)
			c.by_site[n++] = c.by_site[i];
	qsort(c.by_site, n, sizeof(*c.by_site), by_held_desc);
	if (n > k)
		n = k;
	memcpy(out, c.by_site, n * sizeof(*out));
	free(c.by_site);
	return n;
}

const struct vms_sites_stats *vms_sites_stats(const struct vms_pager *pg)
{
	static const struct vms_sites_stats none;

	return pg->sites ? &pg->sites->st : &none;
}

uint32_t vms_sites_count(const struct vms_pager *pg)
{
	return pg->sites ? vms_sitetab_count(pg->sites->tab) : 0;
}

const struct vms_site *vms_sites_get(const struct vms_pager *pg, uint32_t site)
{
	return pg->sites ? vms_sitetab_get_const(pg->sites->tab, site) : NULL;
}

int vms_sites_intern(struct vms_pager *pg, const char *str, uint32_t *ret_id)
{
	*ret_id = 0;
	return pg->sites ? vms_sitetab_intern(pg->sites->tab, str, ret_id) : -ENOMEM;
}

const char *vms_sites_string(const struct vms_pager *pg, uint32_t id)
{
	return pg->sites ? vms_sitetab_string(pg->sites->tab, id) : NULL;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

/* The C library, the loader, the C++ runtime, malloc replacements and the
 * sanitizers' runtimes (which interpose malloc and mmap): frames of the
 * allocator, not of the allocation's caller. */
static bool runtime_module(const char *path)
{
	static const char *const prefixes[] = { "libc.so", "libc-", "ld-linux", "libstdc++",
						"libvmsandbox-shim", "libpthread", "libjemalloc",
						"libtcmalloc", "libmimalloc", "libasan", "libtsan",
						"liblsan", "libubsan", "libhwasan" };
	const char *b = base_name(path);

	for (size_t i = 0; b && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(b, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

uint32_t vms_sites_first_user_frame(const struct vms_pager *pg, const struct vms_site *s)
{
	for (uint32_t i = 0; i < s->nr_frames; i++)
		if (s->frames[i].module && !runtime_module(vms_sites_string(pg, s->frames[i].module)))
			return i;
	return s->nr_frames;
}

/* Python's own library ("/usr/lib/python3.11/random.py", frozen modules),
 * not the program's code; installed packages count as the program's. */
static bool python_stdlib(const char *file)
{
	if (!file)
		return false;
	if (strncmp(file, "<frozen ", 8) == 0)
		return true;
	return strstr(file, "/lib/python3") && !strstr(file, "-packages/");
}

int vms_sites_describe(const struct vms_pager *pg, uint32_t id, char *buf, size_t len)
{
	const struct vms_site *s = vms_sites_get(pg, id);
	const struct vms_site_frame *f;
	uint32_t i;

	if (!s)
		return snprintf(buf, len, "?");
	if (s->nr_pyframes) {
		/* The program's own line that called into the standard library
		 * (randbytes allocating for render): what the user can change. */
		const struct vms_site_pyframe *py = &s->pyframes[0], *user = py;
		int n;

		const char *fn;

		for (i = 0; i < s->nr_pyframes; i++)
			if (!python_stdlib(vms_sites_string(pg, s->pyframes[i].file))) {
				user = &s->pyframes[i];
				break;
			}
		fn = vms_sites_string(pg, user->function);
		n = snprintf(buf, len, "%s:%u %s", base_name(vms_sites_string(pg, user->file)),
			     user->line, fn ? fn : "?");
		fn = vms_sites_string(pg, py->function);
		if (user != py && n >= 0 && (size_t)n < len)
			n += snprintf(buf + n, len - (size_t)n, " (in %s:%u %s)",
				      base_name(vms_sites_string(pg, py->file)), py->line,
				      fn ? fn : "?");
		return n;
	}
	i = vms_sites_first_user_frame(pg, s);
	if (i == s->nr_frames)
		i = 0;
	if (!s->nr_frames)
		return snprintf(buf, len, "?");
	f = &s->frames[i];
	if (f->function && f->file && f->line)
		return snprintf(buf, len, "%s (%s:%u)", vms_sites_string(pg, f->function),
				base_name(vms_sites_string(pg, f->file)), f->line);
	if (f->function)
		return snprintf(buf, len, "%s (%s)", vms_sites_string(pg, f->function),
				base_name(vms_sites_string(pg, f->module)));
	if (f->module)
		return snprintf(buf, len, "%s+0x%llx", base_name(vms_sites_string(pg, f->module)),
				(unsigned long long)f->offset);
	return snprintf(buf, len, "0x%llx", (unsigned long long)f->offset);
}
