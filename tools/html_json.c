/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json_pointer.h>

#include "html_json.h"

struct json_object *vms_hj_get(struct json_object *o, const char *ptr)
{
	struct json_object *v = NULL;

	if (!o)
		return NULL;
	if (!*ptr)
		return o;
	if (json_pointer_get(o, ptr, &v) < 0)
		return NULL;
	return v;
}

struct json_object *vms_hj_object(struct json_object *o, const char *ptr)
{
	struct json_object *v = vms_hj_get(o, ptr);

	return v && json_object_is_type(v, json_type_object) ? v : NULL;
}

struct json_object *vms_hj_array(struct json_object *o, const char *ptr, size_t *ret_len)
{
	struct json_object *v = vms_hj_get(o, ptr);

	if (!v || !json_object_is_type(v, json_type_array)) {
		*ret_len = 0;
		return NULL;
	}
	*ret_len = json_object_array_length(v);
	return v;
}

const char *vms_hj_str(struct json_object *o, const char *ptr)
{
	struct json_object *v = vms_hj_get(o, ptr);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool vms_hj_is_num(struct json_object *v)
{
	return v && (json_object_is_type(v, json_type_int) ||
		     json_object_is_type(v, json_type_double));
}

bool vms_hj_num(struct json_object *o, const char *ptr, double *ret)
{
	struct json_object *v = vms_hj_get(o, ptr);

	if (!vms_hj_is_num(v))
		return false;
	*ret = json_object_get_double(v);
	return true;
}

bool vms_hj_bool(struct json_object *o, const char *ptr, bool *ret)
{
	struct json_object *v = vms_hj_get(o, ptr);

	if (!v || !json_object_is_type(v, json_type_boolean))
		return false;
	*ret = json_object_get_boolean(v);
	return true;
}

double vms_hj_num_or(struct json_object *o, const char *ptr, double dflt)
{
	double v;

	return vms_hj_num(o, ptr, &v) ? v : dflt;
}

int vms_hj_numbers(struct json_object *o, const char *ptr, const char *name, double **ret,
		   size_t *ret_len, char *why, size_t whylen)
{
	struct json_object *a = vms_hj_get(o, ptr);
	double *v = NULL;
	size_t n;

	if (!a || !json_object_is_type(a, json_type_array)) {
		snprintf(why, whylen, "%s is %s, not an array of numbers", name,
			 a ? json_type_to_name(json_object_get_type(a)) : "missing");
		return -EINVAL;
	}
	n = json_object_array_length(a);
	if (n) {
		v = calloc(n, sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!vms_hj_is_num(e)) {
			snprintf(why, whylen, "%s[%zu] is %s, not a number", name, i,
				 e ? json_type_to_name(json_object_get_type(e)) : "null");
			free(v);
			return -EINVAL;
		}
		v[i] = json_object_get_double(e);
	}
	*ret = v;
	*ret_len = n;
	return 0;
}
