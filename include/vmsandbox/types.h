/* SPDX-License-Identifier: MIT */
/*
 * Basic vocabulary of the core: page numbers, frame numbers, swap slots and
 * page keys are distinct names so that a reader (and -Wconversion) can tell
 * them apart.  Everything here is pure data; no syscalls.
 */
#ifndef VMSANDBOX_TYPES_H
#define VMSANDBOX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMS_PAGE_SHIFT 12
#define VMS_PAGE_SIZE  (1u << VMS_PAGE_SHIFT)

/* Virtual page number: a 48-bit virtual address shifted right by 12. */
typedef uint64_t vms_vpn_t;
#define VMS_VPN_BITS 36
#define VMS_VPN_MAX  ((UINT64_C(1) << VMS_VPN_BITS) - 1)

/* Index into the global frame table, 0 .. nr_frames-1. */
typedef uint32_t vms_frame_t;
#define VMS_FRAME_NONE UINT32_MAX

/* Index into the swap store's slot table. */
typedef uint32_t vms_slot_t;
#define VMS_SLOT_NONE UINT32_MAX

/*
 * A page key names one page of one address space: the address space id in
 * the top 28 bits, the vpn in the low 36.  Policies that remember pages that
 * are not resident (ARC's ghost lists), the TLB model (the id is the ASID)
 * and the miss-ratio engine use it.
 */
typedef uint64_t vms_key_t;
#define VMS_ASID_BITS 28
#define VMS_ASID_MAX  ((UINT32_C(1) << VMS_ASID_BITS) - 1)

static inline vms_key_t vms_key(uint32_t asid, vms_vpn_t vpn)
{
	return ((uint64_t)asid << VMS_VPN_BITS) | (vpn & VMS_VPN_MAX);
}

static inline uint32_t vms_key_asid(vms_key_t key)
{
	return (uint32_t)(key >> VMS_VPN_BITS);
}

static inline vms_vpn_t vms_key_vpn(vms_key_t key)
{
	return key & VMS_VPN_MAX;
}

/* "Never used again" for OPT's next-use times. */
#define VMS_TIME_NEVER UINT64_MAX

/*
 * One reference as the policies see it.  `time` is virtual time: the index
 * of the reference in the stream (replay) or the fault count (live).
 * `next_use` is only meaningful for offline policies (OPT): the time of the
 * next reference to the same page, VMS_TIME_NEVER if there is none.
 */
struct vms_ref {
	vms_key_t key;
	uint64_t time;
	uint64_t next_use;
	bool write;
};

#endif
