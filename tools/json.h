/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer: it tracks nesting and commas so callers
 * cannot produce malformed output, and escapes strings per RFC 8259.
 */
#ifndef VMS_JSON_H
#define VMS_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VMS_JSON_MAX_DEPTH 32

struct vms_json {
	FILE *out;
	int depth;
	bool need_comma[VMS_JSON_MAX_DEPTH];
	bool after_key;
	bool pretty;
};

void vms_json_init(struct vms_json *j, FILE *out, bool pretty);
void vms_json_begin_object(struct vms_json *j);
void vms_json_end_object(struct vms_json *j);
void vms_json_begin_array(struct vms_json *j);
void vms_json_end_array(struct vms_json *j);
void vms_json_key(struct vms_json *j, const char *key);
void vms_json_string(struct vms_json *j, const char *s);
void vms_json_u64(struct vms_json *j, uint64_t v);
void vms_json_i64(struct vms_json *j, int64_t v);
/* Non-finite values become null, as JSON has no NaN. */
void vms_json_double(struct vms_json *j, double v);
void vms_json_bool(struct vms_json *j, bool v);
void vms_json_null(struct vms_json *j);

/* key + value shorthands */
void vms_json_kv_string(struct vms_json *j, const char *key, const char *s);
void vms_json_kv_u64(struct vms_json *j, const char *key, uint64_t v);
void vms_json_kv_double(struct vms_json *j, const char *key, double v);
void vms_json_kv_bool(struct vms_json *j, const char *key, bool v);

#endif
