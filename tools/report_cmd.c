/* SPDX-License-Identifier: MIT */
/*
 * `vmsandbox report`: renders a saved JSON report (`--report FILE` of a live
 * run) as the self-contained HTML page --html writes at the end of a run.
 * The page is rendered in memory first, so a report that cannot be read
 * leaves no half-written OUT behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html_report.h"
#include "report_cmd.h"

#define EXIT_USAGE 2
#define EXIT_BAD_INPUT 1
/* No report comes near this; a bigger file is not one. */
#define MAX_REPORT_BYTES (1ul << 30)

void vms_report_usage(FILE *out)
{
	fputs("usage: vmsandbox report [OPTIONS] FILE.json\n"
	      "Renders a JSON report (vmsandbox --report FILE; - for stdin) as one\n"
	      "self-contained HTML page: the run's summary and, for a run with --profile,\n"
	      "the page heatmap, working set and fault rate over time, the miss-ratio\n"
	      "curve and the regions and code that took the faults.\n"
	      "\n"
	      "      --html OUT        write the page to OUT (- for stdout)\n"
	      "  -h, --help            this text\n"
	      "\n"
	      "exit status: 0 written, 1 FILE unreadable or not a vmsandbox report, or OUT\n"
	      "not writable, 2 usage error\n", out);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmsandbox report: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	vms_report_usage(stderr);
	return EXIT_USAGE;
}

/* All of fd into a malloc'ed buffer: 0, or -errno (-EFBIG: too large). */
static int read_all(int fd, char **ret, size_t *ret_len)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap >= MAX_REPORT_BYTES) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;

			free(buf);
			return -err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int read_input(const char *path, char **ret, size_t *ret_len)
{
	int fd, r;

	if (strcmp(path, "-") == 0)
		return read_all(STDIN_FILENO, ret, ret_len);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = read_all(fd, ret, ret_len);
	close(fd);
	return r;
}

static int write_output(const char *path, const char *data, size_t len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "we");
	int r = 0;

	if (!f)
		return -errno;
	if (fwrite(data, 1, len, f) != len)
		r = -errno;
	if (f == stdout) {
		if (fflush(f) != 0 && !r)
			r = -errno;
	} else if (fclose(f) != 0 && !r) {
		r = -errno;
	}
	return r;
}

int vms_report_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *html = NULL, *in, *name;
	char *text = NULL, *page = NULL, why[1024];
	size_t len, page_len = 0;
	FILE *mem;
	int c, r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (!*optarg)
				return usage_error("--html needs a file name (or - for stdout)");
			html = optarg;
			break;
		case 'h':
			vms_report_usage(stdout);
			return 0;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("missing FILE.json (a report written by --report, or - for "
				   "stdin)");
	if (optind + 1 < argc)
		return usage_error("one report at a time: unexpected '%s'", argv[optind + 1]);
	if (!html)
		return usage_error("nothing to do: give --html OUT");
	in = argv[optind];
	name = strcmp(in, "-") == 0 ? "standard input" : in;
	r = read_input(in, &text, &len);
	if (r < 0) {
		fprintf(stderr, "vmsandbox report: cannot read %s: %s\n", name,
			r == -EFBIG ? "larger than 1 GiB, not a report" : strerror(-r));
		return EXIT_BAD_INPUT;
	}
	mem = open_memstream(&page, &page_len);
	if (!mem) {
		fprintf(stderr, "vmsandbox report: %s\n", strerror(errno));
		free(text);
		return EXIT_BAD_INPUT;
	}
	r = vms_html_render(text, len, mem, why, sizeof(why));
	free(text);
	if (fclose(mem) != 0 && r == 0) {
		r = -errno;
		snprintf(why, sizeof(why), "%s", strerror(errno));
	}
	if (r < 0) {
		fprintf(stderr, "vmsandbox report: %s: %s\n", name, why);
		free(page);
		return EXIT_BAD_INPUT;
	}
	r = write_output(html, page, page_len);
	free(page);
	if (r < 0) {
		fprintf(stderr, "vmsandbox report: cannot write %s: %s\n",
			strcmp(html, "-") == 0 ? "standard output" : html, strerror(-r));
		return EXIT_BAD_INPUT;
	}
	return 0;
}
