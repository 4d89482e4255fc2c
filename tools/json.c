/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <math.h>

#include "json.h"

void vms_json_init(struct vms_json *j, FILE *out, bool pretty)
{
	*j = (struct vms_json){ .out = out, .pretty = pretty };
}

static void indent(struct vms_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Emits the separator a new value needs at the current position. */
static void before_value(struct vms_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			fputc(',', j->out);
		indent(j);
		j->need_comma[j->depth] = true;
	}
}

static void open(struct vms_json *j, char c)
{
	before_value(j);
	fputc(c, j->out);
	if (j->depth + 1 < VMS_JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct vms_json *j, char c)
{
	bool had_items = j->need_comma[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had_items)
		indent(j);
	fputc(c, j->out);
	if (j->depth == 0 && j->pretty)
		fputc('\n', j->out);
}

void vms_json_begin_object(struct vms_json *j) { open(j, '{'); }
void vms_json_end_object(struct vms_json *j) { close_(j, '}'); }
void vms_json_begin_array(struct vms_json *j) { open(j, '['); }
void vms_json_end_array(struct vms_json *j) { close_(j, ']'); }

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void vms_json_key(struct vms_json *j, const char *key)
{
	before_value(j);
	put_string(j->out, key);
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = true;
}

void vms_json_string(struct vms_json *j, const char *s)
{
	before_value(j);
	put_string(j->out, s);
}

void vms_json_u64(struct vms_json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->out, "%" PRIu64, v);
}

void vms_json_i64(struct vms_json *j, int64_t v)
{
	before_value(j);
	fprintf(j->out, "%" PRId64, v);
}

void vms_json_double(struct vms_json *j, double v)
{
	before_value(j);
	if (isfinite(v))
		fprintf(j->out, "%.6g", v);
	else
		fputs("null", j->out);
}

void vms_json_bool(struct vms_json *j, bool v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->out);
}

void vms_json_null(struct vms_json *j)
{
	before_value(j);
	fputs("null", j->out);
}

void vms_json_kv_string(struct vms_json *j, const char *key, const char *s)
{
	vms_json_key(j, key);
	vms_json_string(j, s);
}

void vms_json_kv_u64(struct vms_json *j, const char *key, uint64_t v)
{
	vms_json_key(j, key);
	vms_json_u64(j, v);
}

void vms_json_kv_double(struct vms_json *j, const char *key, double v)
{
	vms_json_key(j, key);
	vms_json_double(j, v);
}

void vms_json_kv_bool(struct vms_json *j, const char *key, bool v)
{
	vms_json_key(j, key);
	vms_json_bool(j, v);
}
