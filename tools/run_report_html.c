/* SPDX-License-Identifier: MIT */
/*
 * --html FILE at the end of a live run: the JSON report, written into
 * memory exactly as --report writes it, rendered by the same code as
 * `vmsandbox report` (html_report.c), so the two pages are the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "html_report.h"
#include "run.h"

int vms_run_report_html(const struct vms_pager *pg, const struct vms_run_options *opts,
			const char *path, char *why, size_t whylen)
{
	char *json = NULL, *page = NULL;
	size_t json_len = 0, page_len = 0;
	FILE *mem, *out;
	int r;

	mem = open_memstream(&json, &json_len);
	if (!mem)
		goto oom;
	r = vms_run_report_json_file(pg, opts, mem);
	if (fclose(mem) != 0 || r < 0) {
		free(json);
		goto oom;
	}
	mem = open_memstream(&page, &page_len);
	if (!mem) {
		free(json);
		goto oom;
	}
	r = vms_html_render(json, json_len, mem, why, whylen);
	free(json);
	if (fclose(mem) != 0 && r == 0) {
		free(page);
		goto oom;
	}
	if (r < 0) {
		free(page);
		return r;
	}
	out = fopen(path, "we");
	if (!out) {
		r = -errno;
		snprintf(why, whylen, "%s", strerror(errno));
		free(page);
		return r;
	}
	if (fwrite(page, 1, page_len, out) != page_len)
		r = -errno;
	if (fclose(out) != 0 && r == 0)
		r = -errno;
	free(page);
	if (r < 0)
		snprintf(why, whylen, "%s", strerror(-r));
	return r;
oom:
	snprintf(why, whylen, "out of memory for the report");
	return -ENOMEM;
}
