/* SPDX-License-Identifier: MIT */
/*
 * The compressed swap store: the swap device of the pager.  Each evicted
 * page becomes one slot, a dense uint32 index, kept in one of four forms:
 *
 *   same-filled  the page is one 64-bit word repeated (zero pages included):
 *                only the word is kept, never compressed, 0 bytes of data;
 *   compressed   the compressor's output, when it is at most
 *                VMS_SWAP_MAX_COMPRESSED_BYTES;
 *   raw          the page as is, when compression would not save enough;
 *   reserved     no data at all (replay simulates swapping without page
 *                contents); a get says -ENODATA.
 *
 * Slots are refcounted so that a fork can share them copy-on-write, and are
 * recycled through a LIFO free list: the same sequence of calls always gives
 * the same slot numbers.  Every stored page round-trips bit-exactly.
 *
 * Pure and single-threaded: no syscalls, no globals, no locking, never
 * prints.  Allocates (slot table growth, one buffer per data-holding slot)
 * but never from a restricted context: it runs in the supervisor.
 */
#ifndef VMSANDBOX_SWAP_H
#define VMSANDBOX_SWAP_H

#include "vmsandbox/compress.h"
#include "vmsandbox/types.h"

/*
 * A page is kept compressed only if its compressed form is at most 3/4 of a
 * page, i.e. compression saves at least 1 KiB; otherwise it is kept raw.
 * Below that saving the decompression paid on every swap-in buys little, and
 * a size-class allocator (zsmalloc) cannot pack such objects better than one
 * per page anyway (zram's "huge class" is the same idea, at ~3.2 KiB).
 * The limit is also the output capacity handed to the compressor, so lz4
 * and zstd stop early on incompressible pages.
 */
#define VMS_SWAP_MAX_COMPRESSED_BYTES (VMS_PAGE_SIZE / 4 * 3)

/*
 * A zeroed configuration is the default: lz4, zstd level 1 if zstd is
 * chosen, no limits.
 */
struct vms_swap_config {
	enum vms_compressor compressor;
	int zstd_level;          /* 0 = VMS_ZSTD_DEFAULT_LEVEL; zstd only */
	uint64_t capacity_bytes; /* 0 = unlimited; limit on bytes held (compressed + raw) */
	uint32_t max_slots;      /* 0 = unlimited (grow); limit on slots in use at once */
};

/*
 * The statistics, in one list that the struct, printers and tests share:
 * X(field, description).  "put" below means an accepted vms_swap_put().
 */
#define VMS_SWAP_STATS_LIST(X)                                                          \
	X(pages_out, "puts accepted (reserves not included)")                           \
	X(pages_in, "successful gets")                                                  \
	X(stored_pages, "slots in use now, reserved ones included")                     \
	X(peak_stored_pages, "highest stored_pages ever")                               \
	X(bytes_in, "uncompressed bytes given to accepted puts")                        \
	X(bytes_stored, "bytes of data held now (compressed + raw)")                    \
	X(peak_bytes_stored, "highest bytes_stored ever")                               \
	X(compressed_bytes_total, "bytes of data produced by all puts (raw counts 4096)") \
	X(same_filled, "puts kept as a fill value")                                     \
	X(incompressible, "puts kept raw (compressor none: every other page)")          \
	X(rejects, "puts and reserves refused with -ENOSPC")                            \
	X(reserved, "reserves accepted")

struct vms_swap_stats {
#define VMS_SWAP_STATS_FIELD(name, desc) uint64_t name;
	VMS_SWAP_STATS_LIST(VMS_SWAP_STATS_FIELD)
#undef VMS_SWAP_STATS_FIELD
};

struct vms_swap;

/* cfg may be NULL for the defaults.  -EINVAL on a bad compressor or level. */
int vms_swap_new(const struct vms_swap_config *cfg, struct vms_swap **ret);

/* Frees every slot, live or not.  Accepts NULL. */
void vms_swap_free(struct vms_swap *swap);

/*
 * True if the VMS_PAGE_SIZE bytes at page are one 64-bit word repeated; the
 * word (in memory order, so the page is rebuilt by storing it repeatedly)
 * goes to *ret_value.  Exits at the first differing word.  page need not be
 * aligned.
 */
bool vms_page_same_filled(const void *page, uint64_t *ret_value);

/*
 * Store a copy of the VMS_PAGE_SIZE bytes at page in a new slot with
 * refcount 1.  -ENOSPC if the slot limit or the capacity would be exceeded
 * (counted in rejects; nothing else changes), -ENOMEM if allocation fails.
 */
int vms_swap_put(struct vms_swap *swap, const void *page, vms_slot_t *ret_slot);

/*
 * Rebuild the page of slot into page_out (VMS_PAGE_SIZE bytes).  The slot
 * stays allocated.  -EINVAL for a free or out-of-range slot, -ENODATA for a
 * reserved slot (page_out untouched in both cases), -EIO if the stored data
 * fails to decompress to exactly one page (must never happen; page_out is
 * then zeroed rather than left holding a partial page).
 */
int vms_swap_get(struct vms_swap *swap, vms_slot_t slot, void *page_out);

/*
 * vms_swap_get() for a reader that is not a swap-in (the pager reading a
 * program's evicted stack to unwind it): the same bytes and errors, and no
 * statistic changes.
 */
int vms_swap_peek(struct vms_swap *swap, vms_slot_t slot, void *page_out);

/*
 * A data-less slot with refcount 1: counts as a stored page holding 0 bytes.
 * Respects max_slots (-ENOSPC, counted in rejects).
 */
int vms_swap_reserve(struct vms_swap *swap, vms_slot_t *ret_slot);

/*
 * Refcounting for fork's copy-on-write sharing.  The slot must be in use
 * (asserted); release frees it, and its bytes, when the count reaches 0.
 */
void vms_swap_dup(struct vms_swap *swap, vms_slot_t slot);
void vms_swap_release(struct vms_swap *swap, vms_slot_t slot);

/* 0 for a free or out-of-range slot. */
uint32_t vms_swap_refcount(const struct vms_swap *swap, vms_slot_t slot);

/* True, with the fill word in *ret_value, if slot holds a same-filled page. */
bool vms_swap_slot_same(const struct vms_swap *swap, vms_slot_t slot, uint64_t *ret_value);

/* The compressor the store was created with. */
enum vms_compressor vms_swap_compressor(const struct vms_swap *swap);

void vms_swap_get_stats(const struct vms_swap *swap, struct vms_swap_stats *ret);

/*
 * Compression ratio over all puts: bytes_in / compressed_bytes_total.
 * Same-filled pages count 4096 bytes in and 0 out, raw pages 4096 and 4096.
 * 1.0 when nothing was put; INFINITY when pages were put but none produced
 * data (all same-filled).  Reserves do not enter it.
 */
double vms_swap_ratio(const struct vms_swap_stats *stats);

#endif
