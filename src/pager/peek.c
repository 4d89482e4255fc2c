/* SPDX-License-Identifier: MIT */
/*
 * Peeks at a sandboxed process's memory through the pager's page table
 * (peek.h says why and from where).
 */
#include <errno.h>
#include <string.h>

#include "pager.h"
#include "peek.h"
#include "procmem.h"

static const struct vms_pending_fill *pending_fill(const struct vms_proc *p, vms_vpn_t vpn)
{
	for (const struct vms_pending_fill *f = p->fills; f; f = f->next)
		if (f->vpn == vpn)
			return f;
	return NULL;
}

struct find_map_ctx {
	uint64_t addr;
	const struct vms_proc *p;
	int registered;               /* 1 registered, 0 mapped but not ours, -1 unmapped */
};

static int find_map(void *ctx, const struct vms_map *m)
{
	struct find_map_ctx *c = ctx;

	if (c->addr < m->start || c->addr >= m->end)
		return 0;
	/* What proc.c registers: private anonymous memory, except the
	 * agent's own areas (the stash and the park area). */
	c->registered = vms_map_is_private_anon(m) && !vms_stash_contains(c->p, c->addr) &&
			!(c->p->park_addr && c->addr >= c->p->park_addr &&
			  c->addr < c->p->park_addr + c->p->park_pages * VMS_PAGE);
	return 1;
}

/*
 * A page the page table does not know and /proc/PID/mem would not read:
 * zeros if it is registered memory never touched (or discarded since),
 * else nothing.  Only on this rare path is /proc/PID/maps read.
 */
static int untouched_page(const struct vms_proc *p, uint64_t addr, void *buf)
{
	struct find_map_ctx c = { .addr = addr, .p = p, .registered = -1 };
	int r = vms_procmem_for_each_map(p->pid, find_map, &c);

	if (r < 0)
		return r;
	if (c.registered < 0)
		return -EFAULT;
	if (!c.registered)
		return -EIO;
	memset(buf, 0, VMS_PAGE);
	return 0;
}

/* The bytes of a page the engine counts resident. */
static int resident_page(struct vms_pager *pg, struct vms_proc *p, vms_frame_t f, uint64_t addr,
			 void *buf, enum vms_peek_source *src)
{
	const struct vms_park_rec *rec = pg->park ? &pg->park[f] : NULL;
	int r;

	if (rec && rec->as_id == p->as->id && rec->state == VMS_PARK_PARKED) {
		*src = VMS_PEEK_PARK;
		return vms_park_read_slot(pg, p, f, buf);
	}
	*src = VMS_PEEK_PROCESS;
	r = vms_proc_read_page(p, addr, buf);
	/* A soft unmap in flight: the agent may have moved the page already. */
	if (r == -EIO && rec && rec->as_id == p->as->id && rec->state == VMS_PARK_SENT) {
		*src = VMS_PEEK_PARK;
		r = vms_park_read_slot(pg, p, f, buf);
	}
	/* Otherwise -EIO is a frame shared since a fork whose copy this
	 * process has not got yet (fault.c, fill_from_sharer): not safe to
	 * guess, the caller stops. */
	return r;
}

int vms_peek_page(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, void *buf,
		  enum vms_peek_source *ret_src)
{
	enum vms_peek_source src = VMS_PEEK_PROCESS;
	vms_vpn_t vpn = addr / VMS_PAGE;
	const struct vms_pending_fill *fill;
	const struct vms_pte *pte;
	int r;

	addr = vpn * VMS_PAGE;
	if (!p->as || p->pid <= 0 || p->gone)
		return -ESRCH;
	pte = vms_pt_lookup(&p->as->pt, vpn);
	fill = pending_fill(p, vpn);
	if (fill) {
		src = VMS_PEEK_FILL;
		if (fill->zero)
			memset(buf, 0, VMS_PAGE);
		else
			memcpy(buf, fill->data, VMS_PAGE);
		r = 0;
	} else if (pte && vms_pte_state(pte) == VMS_PTE_RESIDENT) {
		r = resident_page(pg, p, (vms_frame_t)pte->payload, addr, buf, &src);
	} else if (pte && vms_pte_state(pte) == VMS_PTE_SWAPPED) {
		src = VMS_PEEK_SWAP;
		r = vms_swap_peek(vms_mm_swap(pg->mm), (vms_slot_t)pte->payload, buf);
	} else if (pte && vms_pte_state(pte) == VMS_PTE_SAME) {
		src = VMS_PEEK_SWAP;
		for (size_t i = 0; i < VMS_PAGE; i += sizeof(pte->payload))
			memcpy((uint8_t *)buf + i, &pte->payload, sizeof(pte->payload));
		r = 0;
	} else {
		/* Not in the page table: a page of a mapping we do not
		 * manage, a registered page present but not taken into the
		 * page table yet (arrival), or one never touched.  A remote
		 * read of a missing registered page fails with EIO instead of
		 * faulting, so trying it is safe. */
		r = vms_proc_read_page(p, addr, buf);
		if (r == -EIO) {
			src = VMS_PEEK_ZERO;
			r = untouched_page(p, addr, buf);
		}
	}
	if (r < 0) {
		pg->peek.failed++;
		return r;
	}
	pg->peek.pages[src]++;
	if (ret_src)
		*ret_src = src;
	return 0;
}

void vms_peek_cache_init(struct vms_peek_cache *c, struct vms_pager *pg, struct vms_proc *p)
{
	c->pg = pg;
	c->p = p;
	c->next = 0;
	c->pinned = false;
	for (uint32_t i = 0; i < VMS_PEEK_CACHE_PAGES; i++)
		c->slot[i].valid = 0;
}

void vms_peek_cache_pin(struct vms_peek_cache *c, uint64_t addr, const void *page)
{
	c->pinned = true;
	c->pin_vpn = addr / VMS_PAGE;
	c->pin = page;
}

/* The cached page vpn (peeked now if absent); its index, or -errno. */
static int cached_page(struct vms_peek_cache *c, vms_vpn_t vpn)
{
	uint32_t i;

	for (i = 0; i < VMS_PEEK_CACHE_PAGES; i++)
		if (c->slot[i].valid && c->slot[i].vpn == vpn)
			return c->slot[i].err ? c->slot[i].err : (int)i;
	i = c->next;
	c->next = (c->next + 1) % VMS_PEEK_CACHE_PAGES;
	c->slot[i].valid = 1;
	c->slot[i].vpn = vpn;
	c->slot[i].err = vms_peek_page(c->pg, c->p, vpn * VMS_PAGE, c->data[i], NULL);
	return c->slot[i].err ? c->slot[i].err : (int)i;
}

int vms_peek_read(struct vms_peek_cache *c, uint64_t addr, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		uint64_t off = addr % VMS_PAGE;
		size_t n = VMS_PAGE - off < len ? VMS_PAGE - off : len;
		int i;

		if (c->pinned && addr / VMS_PAGE == c->pin_vpn) {
			if (c->pin)
				memcpy(out, c->pin + off, n);
			else
				memset(out, 0, n);
			out += n;
			addr += n;
			len -= n;
			continue;
		}
		i = cached_page(c, addr / VMS_PAGE);
		if (i < 0)
			return i;
		memcpy(out, c->data[i] + off, n);
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}
