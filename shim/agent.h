/* SPDX-License-Identifier: MIT */
#ifndef VMSANDBOX_SHIM_AGENT_H
#define VMSANDBOX_SHIM_AGENT_H

#include "channel.h"

/* Lives at the bottom of the agent's MAP_SHARED stack block. */
struct vms_agent_ctx {
	int sock;                 /* the agent's channel to the supervisor */
	int uffd;                 /* kept open: see agent.c */
	int stash_uffd;           /* the stash's own uffd (shim.c), for UFFDIO_MOVE */
	int tgid;
	uint64_t stash;           /* VMS_STASH_PAGES pages, registered with stash_uffd */
	uint64_t park;            /* the park area (channel.h), registered with stash_uffd; 0 if none */
	uint64_t park_pages;
	long delay_ns;            /* $VMSANDBOX_TEST_AGENT_DELAY_US (shim.c), 0 */
	int state;                /* futex: 0 while waiting for the welcome, then 1 */
	int status;               /* the welcome's status, or -errno of the handshake */
	struct vms_hello hello;   /* prepared by the constructor, sent by the agent */
};

/* The agent thread's entry point (restricted context, see agent.c). */
int vms_agent_main(void *arg);

#endif
