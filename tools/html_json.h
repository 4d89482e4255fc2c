/* SPDX-License-Identifier: MIT */
/*
 * Typed reads of a parsed report (json-c).  Paths are JSON pointers
 * ("/profile/mrc/knee", RFC 6901).  Every reader treats a missing member,
 * JSON null and a value of another type alike, as "absent", so that the
 * renderer can say what it could not draw instead of drawing nonsense; the
 * array readers say which element was wrong.
 */
#ifndef VMS_HTML_JSON_H
#define VMS_HTML_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* The value at ptr ("" is o itself), or NULL: absent or null. */
struct json_object *vms_hj_get(struct json_object *o, const char *ptr);
struct json_object *vms_hj_object(struct json_object *o, const char *ptr);
/* The array at ptr and its length, or NULL (*ret_len = 0). */
struct json_object *vms_hj_array(struct json_object *o, const char *ptr, size_t *ret_len);
const char *vms_hj_str(struct json_object *o, const char *ptr);
bool vms_hj_is_num(struct json_object *v);
/* A number (int or float); false and *ret untouched otherwise. */
bool vms_hj_num(struct json_object *o, const char *ptr, double *ret);
bool vms_hj_bool(struct json_object *o, const char *ptr, bool *ret);
/* The number at ptr, or dflt. */
double vms_hj_num_or(struct json_object *o, const char *ptr, double dflt);

/* The numbers of the array at ptr, in a malloc'ed array (NULL for an empty
 * one): 0, or -EINVAL with why ("profile.timeline.wss_pages[3] is a
 * string") naming the array as `name`, or -ENOMEM. */
int vms_hj_numbers(struct json_object *o, const char *ptr, const char *name, double **ret,
		   size_t *ret_len, char *why, size_t whylen);

#endif
