/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "vmsandbox/policy.h"

const struct vms_policy_ops *const vms_policies[] = {
	&vms_policy_fifo,
	&vms_policy_clock,
	&vms_policy_eclock,
	&vms_policy_lru,
	&vms_policy_lfu,
	&vms_policy_arc,
	&vms_policy_wsclock,
	&vms_policy_random,
	&vms_policy_opt,
	NULL,
};

const struct vms_policy_ops *vms_policy_find(const char *name)
{
	for (size_t i = 0; vms_policies[i]; i++)
		if (strcmp(vms_policies[i]->name, name) == 0)
			return vms_policies[i];
	return NULL;
}

int vms_policy_create(struct vms_policy *p, const struct vms_policy_ops *ops,
		      const struct vms_policy_config *cfg, struct vms_frame_table *ft)
{
	void *state = NULL;
	int r;

	if (!ops || cfg->nr_frames == 0)
		return -EINVAL;
	r = ops->create(cfg, ft, &state);
	if (r < 0)
		return r;
	p->ops = ops;
	p->state = state;
	return 0;
}

void vms_policy_destroy(struct vms_policy *p)
{
	if (!p || !p->ops)
		return;
	p->ops->destroy(p->state);
	p->ops = NULL;
	p->state = NULL;
}
