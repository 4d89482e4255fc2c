/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "pageset.h"

void pageset_init(struct pageset *s)
{
	memset(s, 0, sizeof(*s));
}

void pageset_fini(struct pageset *s)
{
	for (size_t i = 0; i < s->nr; i++)
		vms_pt_fini(&s->procs[i].pt);
	free(s->procs);
	memset(s, 0, sizeof(*s));
}

static struct vms_pagetable *proc_pt(struct pageset *s, uint32_t pid, bool create)
{
	for (size_t i = 0; i < s->nr; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i].pt;
	if (!create)
		return NULL;
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct pageset_proc *p = realloc(s->procs, cap * sizeof(*p));

		if (!p)
			return NULL;
		s->procs = p;
		s->cap = cap;
	}
	s->procs[s->nr].pid = pid;
	if (vms_pt_init(&s->procs[s->nr].pt) < 0)
		return NULL;
	return &s->procs[s->nr++].pt;
}

struct vms_pte *pageset_get(struct pageset *s, uint32_t pid, vms_vpn_t vpn)
{
	struct vms_pagetable *pt = proc_pt(s, pid, true);

	return pt ? vms_pt_get(pt, vpn) : NULL;
}

void pageset_set(struct pageset *s, uint32_t pid, vms_vpn_t vpn, struct vms_pte *e, uint64_t value)
{
	if (vms_pte_state(e) == VMS_PTE_NONE) {
		vms_pte_set_state(e, VMS_PTE_RESIDENT);
		vms_pt_note_used(proc_pt(s, pid, false), vpn);
	}
	e->payload = value;
}

struct remove_ctx {
	struct vms_pagetable *pt;
	uint32_t pid;
	void (*fn)(void *ctx, uint32_t pid, vms_vpn_t vpn, uint64_t value);
	void *ctx;
};

static int remove_visit(void *ctx, vms_vpn_t vpn, struct vms_pte *e)
{
	struct remove_ctx *c = ctx;

	if (c->fn)
		c->fn(c->ctx, c->pid, vpn, e->payload);
	memset(e, 0, sizeof(*e));
	vms_pt_note_unused(c->pt, vpn);
	return 0;
}

void pageset_remove_range(struct pageset *s, uint32_t pid, vms_vpn_t start, uint64_t nr_pages,
			  void (*fn)(void *ctx, uint32_t pid, vms_vpn_t vpn, uint64_t value), void *ctx)
{
	struct vms_pagetable *pt = proc_pt(s, pid, false);
	struct remove_ctx c = { pt, pid, fn, ctx };
	vms_vpn_t end;

	if (!pt || start > VMS_VPN_MAX)
		return;
	end = nr_pages > VMS_VPN_MAX + 1 - start ? VMS_VPN_MAX + 1 : start + nr_pages;
	vms_pt_walk(pt, start, end, remove_visit, &c);
	vms_pt_trim(pt, start, end);
}
