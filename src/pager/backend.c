/* SPDX-License-Identifier: MIT */
/*
 * The engine's backend: how a page leaves a process and comes back when the
 * engine evicts it.
 *
 * Eviction must be atomic against the program's writers (a write between
 * "copy the bytes" and "drop the page" would be lost).  UFFDIO_MOVE gives
 * that for free: in one step the page leaves the program's address and lands
 * in the stash, a registered area of the same process; a writer either wrote
 * before (its write is in the page) or faults after (and waits for us).  The
 * pager then reads the stash page with process_vm_readv (present, so no
 * fault) and the agent empties whole stash chunks with MADV_DONTNEED, which
 * only the process itself can do.
 *
 * MOVE refuses pages shared copy-on-write after fork and pages of mappings
 * that are not writable (EBUSY, EINVAL).  Those are evicted by copy: write-
 * protect (writers now wait), read through /proc/PID/mem, and once the
 * engine has stored the bytes, ask the agent to drop the page; its REMOVE
 * event is recognised as ours, and the writers are woken after the drop to
 * fault the page back in.
 *
 * Nothing here waits: a full stash answers -EAGAIN, the engine puts the
 * victim back, and the fault is retried when the agent has replied.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pager.h"
#include "procmem.h"
#include "uffd.h"

#define CHUNK_BYTES ((uint64_t)VMS_STASH_CHUNK_PAGES * VMS_PAGE)

bool vms_stash_contains(const struct vms_proc *p, uint64_t addr)
{
	return p->stash_addr && addr >= p->stash_addr &&
	       addr < p->stash_addr + (uint64_t)VMS_STASH_PAGES * VMS_PAGE;
}

/* Asks the agent to empty the chunk being filled (when full, or when the
 * loop is idle and `partial`). */
void vms_stash_flush(struct vms_pager *pg, struct vms_proc *p, bool partial)
{
	int c = p->cur_chunk;
	uint64_t args[3];

	if (c < 0 || p->chunk_used[c] == 0)
		return;
	if (!partial && p->chunk_used[c] < VMS_STASH_CHUNK_PAGES)
		return;
	args[0] = p->stash_addr + (uint64_t)c * CHUNK_BYTES;
	args[1] = (uint64_t)p->chunk_used[c] * VMS_PAGE;
	args[2] = MADV_DONTNEED;
	if (vms_agent_call(pg, p, VMS_AGENT_MADVISE, args, VMS_CALL_STASH, (uint64_t)c, NULL) < 0)
		return;   /* no agent (yet): the chunk stays full */
	p->chunk_state[c] = VMS_CHUNK_CLEARING;
	p->cur_chunk = -1;
	pg->st.stash_flushes++;
}

void vms_stash_cleared(struct vms_pager *pg, struct vms_proc *p, uint32_t chunk)
{
	if (chunk >= VMS_STASH_NR_CHUNKS)
		return;
	p->chunk_state[chunk] = VMS_CHUNK_FREE;
	p->chunk_used[chunk] = 0;
}

/* The next empty stash page, or -EAGAIN while every chunk is full or being
 * emptied. */
static int stash_slot(struct vms_pager *pg, struct vms_proc *p, uint64_t *ret_addr)
{
	int c = p->cur_chunk;

	if (c >= 0 && p->chunk_used[c] == VMS_STASH_CHUNK_PAGES) {
		vms_stash_flush(pg, p, false);
		c = p->cur_chunk;
	}
	if (c < 0) {
		for (int i = 0; i < VMS_STASH_NR_CHUNKS; i++)
			if (p->chunk_state[i] == VMS_CHUNK_FREE) {
				c = i;
				break;
			}
		if (c < 0)
			return -EAGAIN;
		p->cur_chunk = c;
		p->chunk_state[c] = VMS_CHUNK_FILLING;
		p->chunk_used[c] = 0;
	}
	*ret_addr = p->stash_addr + (uint64_t)c * CHUNK_BYTES +
		    (uint64_t)p->chunk_used[c] * VMS_PAGE;
	return 0;
}

static void stash_commit(struct vms_pager *pg, struct vms_proc *p)
{
	p->chunk_used[p->cur_chunk]++;
	vms_stash_flush(pg, p, false);
}

static int memfd(struct vms_proc *p)
{
	if (p->memfd < 0 && vms_procmem_open(p->pid, &p->memfd) < 0)
		p->memfd = -1;
	return p->memfd;
}

bool vms_discard_pending(const struct vms_proc *p, uint64_t addr)
{
	for (const struct vms_discard *d = p->discards; d; d = d->next)
		if (d->addr == addr)
			return true;
	return false;
}

bool vms_discard_consume(struct vms_proc *p, uint64_t start, uint64_t end)
{
	for (struct vms_discard *d = p->discards; d; d = d->next)
		if (d->sent && !d->removed && d->addr == start && end == start + VMS_PAGE) {
			d->removed = true;
			return true;
		}
	return false;
}

/* Sends the drops of pages the engine has now stored (see restore_page). */
void vms_discard_send(struct vms_pager *pg, struct vms_proc *p)
{
	for (struct vms_discard *d = p->discards; d; d = d->next) {
		uint64_t args[3] = { d->addr, VMS_PAGE, MADV_DONTNEED };

		if (d->sent)
			continue;
		if (vms_agent_call(pg, p, VMS_AGENT_MADVISE, args, VMS_CALL_DISCARD, d->addr,
				   &d->seq) < 0) {
			vms_pager_fatal(pg, -ENOTCONN, "process %d (%s) has no agent to drop an "
					"evicted page", (int)p->pid, p->comm);
			return;
		}
		d->sent = true;
	}
}

void vms_discard_done(struct vms_pager *pg, struct vms_proc *p, uint32_t seq, int64_t ret)
{
	for (struct vms_discard **dd = &p->discards; *dd; dd = &(*dd)->next) {
		struct vms_discard *d = *dd;

		if (!d->sent || d->seq != seq)
			continue;
		*dd = d->next;
		if (ret < 0)
			vms_pager_fatal(pg, (int)ret, "process %d (%s) could not drop evicted page "
					"0x%llx (locked in memory?)", (int)p->pid, p->comm,
					(unsigned long long)d->addr);
		else
			vms_uffd_wake(p->uffd, d->addr, VMS_PAGE);
		free(d);
		return;
	}
}

static int add_discard(struct vms_proc *p, uint64_t addr)
{
	struct vms_discard *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->addr = addr;
	d->next = p->discards;
	p->discards = d;
	return 0;
}

/* Evicts by copy (see the head comment); buf NULL for a clean page. */
static int evict_by_copy(struct vms_pager *pg, struct vms_proc *p, uint64_t addr, void *buf)
{
	int r, fd;

	if (buf) {
		r = vms_uffd_writeprotect(p->uffd, addr, VMS_PAGE, true, false);
		if (r < 0)
			return r;
		fd = memfd(p);
		r = fd < 0 ? -ESRCH : vms_procmem_pread(fd, addr, buf, VMS_PAGE);
		if (r < 0) {
			vms_uffd_writeprotect(p->uffd, addr, VMS_PAGE, false, false);
			return r;
		}
	}
	r = add_discard(p, addr);
	if (r == 0)
		pg->st.evict_copies++;
	return r;
}

static int take_or_drop(struct vms_pager *pg, struct vms_proc *p, vms_vpn_t vpn, void *buf)
{
	uint64_t addr = (uint64_t)vpn * VMS_PAGE, slot, done;
	int r;

	if (p->gone)
		return -EAGAIN;
	r = stash_slot(pg, p, &slot);
	if (r < 0)
		return r;
	r = vms_uffd_move(p->uffd, slot, addr, VMS_PAGE, 0, &done);
	if (r == 0) {
		stash_commit(pg, p);
		pg->st.evict_moves++;
		if (!buf)
			return 0;
		r = vms_procmem_read(p->pid, slot, buf, VMS_PAGE);
		if (r == 0)
			return 0;
		/* Put it back rather than lose it. */
		vms_uffd_move(p->uffd, addr, slot, VMS_PAGE, 0, &done);
		return r;
	}
	switch (vms_uffd_classify(r)) {
	case VMS_UFFD_RETRY:
		return -EAGAIN;
	case VMS_UFFD_GONE:
		p->gone = true;
		return -EAGAIN;
	case VMS_UFFD_BUSY:
		return evict_by_copy(pg, p, addr, buf);
	case VMS_UFFD_BUG:
		if (r == -EINVAL)
			return evict_by_copy(pg, p, addr, buf);
		return r;
	default:
		vms_pager_fatal(pg, r, "page 0x%llx of process %d (%s) is resident in the page "
				"table but cannot be moved out of the process",
				(unsigned long long)addr, (int)p->pid, p->comm);
		return r;
	}
}

static int take_page(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf)
{
	return take_or_drop(ctx, as->owner, vpn, buf);
}

static int drop_page(void *ctx, struct vms_as *as, vms_vpn_t vpn)
{
	return take_or_drop(ctx, as->owner, vpn, NULL);
}

static int restore_page(void *ctx, struct vms_as *as, vms_vpn_t vpn, const void *buf)
{
	struct vms_proc *p = as->owner;
	uint64_t addr = (uint64_t)vpn * VMS_PAGE, done;

	/* Evicted by copy: the page never left; forget the drop. */
	for (struct vms_discard **dd = &p->discards; *dd; dd = &(*dd)->next)
		if ((*dd)->addr == addr && !(*dd)->sent) {
			struct vms_discard *d = *dd;

			*dd = d->next;
			free(d);
			return vms_uffd_writeprotect(p->uffd, addr, VMS_PAGE, false, false);
		}
	return vms_uffd_copy(p->uffd, addr, buf, VMS_PAGE, 0, &done);
}

static int peek_page(void *ctx, struct vms_as *as, vms_vpn_t vpn, void *buf)
{
	struct vms_proc *p = as->owner;
	int fd = memfd(p);

	if (fd < 0)
		return -ESRCH;
	return vms_procmem_pread(fd, (uint64_t)vpn * VMS_PAGE, buf, VMS_PAGE);
}

const struct vms_mm_backend vms_pager_backend_ops = {
	.take_page = take_page,
	.drop_page = drop_page,
	.restore_page = restore_page,
	.peek_page = peek_page,
};
