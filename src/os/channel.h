/* SPDX-License-Identifier: MIT */
/*
 * The wire format between the supervisor and the shim's agent in each
 * sandboxed process: fixed-size messages on a SOCK_SEQPACKET Unix socket
 * (one message per datagram, no framing, no partial reads).  The shim
 * connects to the abstract address named by $VMSANDBOX_SOCKET and starts the
 * agent, which sends HELLO with the userfaultfd attached (SCM_RIGHTS); the
 * supervisor may send requests before its WELCOME (making room while it
 * takes the pages already present); the agent executes each request inside
 * the process and replies.
 *
 * Used by the shim, so it must stay free of anything but plain types.
 */
#ifndef VMSANDBOX_OS_CHANNEL_H
#define VMSANDBOX_OS_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#define VMS_CHANNEL_ENV      "VMSANDBOX_SOCKET"
#define VMS_CHANNEL_MAGIC    0x564d5342u   /* "VMSB" */
#define VMS_CHANNEL_VERSION  4

/*
 * The mark of the agent's own mmap and brk calls, which the seccomp filter
 * lets through without a notification: the agent maps on the supervisor's
 * request, so asking the supervisor again would only cost another round trip
 * (two more wakeups across CPUs; 700 of them in a python run).  It goes in an
 * argument the kernel ignores: mmap's fd with MAP_ANONYMOUS (programs pass -1
 * or 0), and brk's second register, which brk does not read (a program's brk
 * leaves whatever was there; this value by chance is not a concern).
 */
#define VMS_AGENT_MARK       0x766d73616e64ull   /* "vmsand" */

/* Pages dropped by one DROP request, and the size of the stash they are
 * moved into (UFFDIO_MOVE, which makes no uffd event) before the agent
 * empties it with one MADV_DONTNEED (one REMOVE event for the batch). */
#define VMS_AGENT_MAX_DROP 64
#define VMS_STASH_PAGES    VMS_AGENT_MAX_DROP

/*
 * Soft unmaps (reference bits, the live TLB model, working-set samples): a
 * resident page is taken out of the program's view without being discarded,
 * by UFFDIO_MOVE into the agent's park area (slot = the page's frame number
 * in the budget), so that its next touch is a missing fault the supervisor
 * serves by copying the page back from the slot.  The area is
 * $VMSANDBOX_PARK_PAGES pages of reserved address space (no memory until
 * used), registered with the stash's uffd; absent or 0: no area.
 */
#define VMS_PARK_ENV        "VMSANDBOX_PARK_PAGES"
/* Entries of one PARK request: pairs (program address or 0, slot address). */
#define VMS_AGENT_MAX_PARK  (VMS_AGENT_MAX_DROP / 2)
/* Ranges of one WAKE request: pairs (start, length). */
#define VMS_AGENT_MAX_WAKE  (VMS_AGENT_MAX_DROP / 2)

/* Agent -> supervisor, first message of each exec'ed image (or fork child),
 * with the uffd attached. */
struct vms_hello {
	uint32_t magic;
	uint32_t version;
	int32_t pid;             /* getpid() */
	int32_t ppid;
	int32_t agent_tid;       /* the agent's own syscalls are let through */
	uint32_t flags;          /* VMS_HELLO_* */
	uint64_t features;       /* UFFD features enabled on the attached fd */
	uint64_t stash_addr;     /* VMS_STASH_PAGES pages, anonymous private, registered with
				  * the agent's own stash uffd: never the supervisor's */
	uint64_t agent_stack;    /* the agent's own memory: never registered */
	uint64_t agent_stack_len;
	uint64_t park_addr;      /* the park area (VMS_PARK_ENV), 0 if none */
	uint64_t park_pages;
};

#define VMS_HELLO_FORKED 0x1u  /* a fork child: its memory is its parent's copy */

/* Supervisor -> agent: the answer to HELLO, once the process's memory is
 * registered and its present pages taken into the page table. */
struct vms_welcome {
	uint32_t magic;
	int32_t status;          /* 0: go on; -errno: the shim reports and exits 125 */
};

enum vms_agent_op {
	VMS_AGENT_MMAP = 1,          /* args: addr len prot flags fd off; the agent
				      * passes VMS_AGENT_MARK as fd */
	VMS_AGENT_BRK,           /* args: addr */
	VMS_AGENT_MADVISE,       /* args: addr len advice */
	VMS_AGENT_DROP,          /* addr[nr]: evicted pages (write-protected, bytes
	                            stored) to remove from the process; ret = how
	                            many could be neither moved nor discarded */
	VMS_AGENT_PARK,          /* nr/2 pairs addr[2i], addr[2i+1]: move the page at
				    addr[2i] into the slot at addr[2i+1] (a soft unmap;
				    a slot still holding a stale copy is emptied first),
				    or with addr[2i] == 0 empty the slot; ret = bit i
				    set for each pair that failed */
	VMS_AGENT_WAKE,          /* nr/2 pairs addr[2i], addr[2i+1]: start and length
				    of ranges whose faulting threads the supervisor
				    kept asleep until the requests before this one
				    were done; UFFDIO_WAKE each (program's uffd);
				    no reply */
};

struct vms_agent_req {
	uint32_t op;
	uint32_t seq;
	uint64_t args[6];
	uint32_t nr;
	uint32_t pad;
	uint64_t addr[VMS_AGENT_MAX_DROP];   /* DROP only; the message ends after addr[nr-1] */
};

#define VMS_AGENT_REQ_BYTES(nr) (offsetof(struct vms_agent_req, addr) + (size_t)(nr) * 8)

struct vms_agent_reply {
	uint32_t op;
	uint32_t seq;
	int64_t ret;             /* the raw syscall result: value or -errno */
};

#endif
