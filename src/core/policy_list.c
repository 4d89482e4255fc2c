/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "policy_list.h"

int vms_list_policy_create(const struct vms_policy_config *cfg, struct vms_frame_table *ft,
			   void **ret_state)
{
	struct vms_list_policy *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->link = calloc(cfg->nr_frames, sizeof(*s->link));
	if (!s->link) {
		free(s);
		return -ENOMEM;
	}
	vms_flist_init(&s->list);
	s->ft = ft;
	*ret_state = s;
	return 0;
}

void vms_list_policy_destroy(void *state)
{
	struct vms_list_policy *s = state;

	if (!s)
		return;
	free(s->link);
	free(s);
}

void vms_list_policy_append(void *state, vms_frame_t f, const struct vms_ref *ref)
{
	struct vms_list_policy *s = state;

	vms_flist_push_tail(&s->list, s->link, f);
}

void vms_list_policy_remove(void *state, vms_frame_t f)
{
	struct vms_list_policy *s = state;

	vms_flist_remove(&s->list, s->link, f);
}

vms_frame_t vms_list_policy_pop_head(void *state, const struct vms_ref *ref)
{
	struct vms_list_policy *s = state;

	return vms_flist_pop_head(&s->list, s->link);
}
