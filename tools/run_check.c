/* SPDX-License-Identifier: MIT */
/*
 * Pre-flight checks of the program `vmsandbox PROGRAM` is asked to run:
 * resolve it as execvp(3) would, and refuse what the sandbox cannot manage
 * before any pager starts, with the shell's exit statuses (127 not found,
 * 126 found but not runnable).  The sandbox works by preloading a shim into
 * the program, so the program must be (or be run by an interpreter that is)
 * a dynamically linked x86-64 ELF: only the dynamic loader honours
 * LD_PRELOAD.
 *
 * What the kernel would refuse with ENOEXEC (no ELF, no "#!") is left to
 * exec: the supervisor reports it as 126.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_options.h"

/* glibc's execvp searches this when PATH is unset. */
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/* Linux reads the first 256 bytes of a file to find its "#!" line
 * (BINPRM_BUF_SIZE) and runs at most 5 interpreters deep; we follow
 * interpreters this far and let exec judge deeper chains. */
#define HEAD_BYTES       256
#define MAX_SCRIPT_DEPTH 4

/* Room for a nested message ("SCRIPT: its interpreter: INTERP: ..."). */
#define INNER_MSG_BYTES  1024

#define STATIC_EXPLAINED \
	"statically linked (its ELF headers name no program interpreter): vmsandbox " \
	"manages memory through a preload library, which only the dynamic loader can " \
	"load, so a static program's memory cannot be managed; link it dynamically " \
	"(without -static), or run it without vmsandbox"

#define X86_64_ONLY \
	"vmsandbox's preload library is built for x86-64 only; use an x86-64 build of the program"

static int check_file(const char *path, int depth, char *msg, size_t msglen);

/* "dir/name" with an empty dir meaning the current directory; "./name"
 * rather than "name" so that the result never needs a PATH search again. */
static char *join_path(const char *dir, size_t dirlen, const char *name)
{
	char *p;

	if (dirlen == 0)
		return asprintf(&p, "./%s", name) < 0 ? NULL : p;
	return asprintf(&p, "%.*s/%s", (int)dirlen, dir, name) < 0 ? NULL : p;
}

static bool is_runnable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == 0;
}

/*
 * execvp's search: a name with '/' is used as is; otherwise the first
 * runnable regular file named `name` in a PATH directory wins.  If there is
 * none but something of that name exists (not executable, a directory), the
 * first such is returned, as execvp then fails with EACCES (126), not
 * ENOENT (127); check_file() then says what is wrong with it.
 */
static int resolve(const char *name, char **ret_path, char *msg, size_t msglen)
{
	const char *dirs = getenv("PATH");
	const char *dir, *end;
	char *denied = NULL, *candidate;
	struct stat st;

	if (strchr(name, '/')) {
		*ret_path = strdup(name);
		if (*ret_path)
			return 0;
		goto out_nomem;
	}
	if (!dirs)
		dirs = DEFAULT_PATH;
	for (dir = dirs; name[0] != '\0'; dir = end + 1) {
		end = strchrnul(dir, ':');
		candidate = join_path(dir, (size_t)(end - dir), name);
		if (!candidate)
			goto out_nomem;
		if (is_runnable_file(candidate)) {
			free(denied);
			*ret_path = candidate;
			return 0;
		}
		if (!denied && stat(candidate, &st) == 0)
			denied = candidate;
		else
			free(candidate);
		if (*end == '\0')
			break;
	}
	if (denied) {
		*ret_path = denied;
		return 0;
	}
	snprintf(msg, msglen, "%s: command not found", name);
	return VMS_EXIT_NOTFOUND;

out_nomem:
	free(denied);
	snprintf(msg, msglen, "%s: out of memory", name);
	return VMS_EXIT_INTERNAL;
}

static const char *machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386:     return "i386";
	case EM_ARM:     return "32-bit Arm";
	case EM_AARCH64: return "AArch64";
	case EM_RISCV:   return "RISC-V";
	case EM_PPC64:   return "PowerPC 64";
	case EM_S390:    return "s390";
	default:         return "another architecture";
	}
}

/* The program interpreter's path (the dynamic loader) from PT_INTERP;
 * false if the segment is malformed. */
static bool read_interp(int fd, const GElf_Phdr *ph, char *buf, size_t len)
{
	ssize_t n;

	if (ph->p_filesz < 2 || ph->p_filesz > len || ph->p_offset > (GElf_Off)INT64_MAX)
		return false;
	n = pread(fd, buf, ph->p_filesz, (off_t)ph->p_offset);
	return n == (ssize_t)ph->p_filesz && buf[n - 1] == '\0' && buf[0] != '\0';
}

static int check_elf(int fd, const char *path, char *msg, size_t msglen)
{
	char interp[PATH_MAX];
	GElf_Ehdr eh;
	GElf_Phdr ph;
	size_t nr_phdrs, i;
	bool found = false;
	int r = 0;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(msg, msglen, "%s: libelf cannot be initialised: %s", path, elf_errmsg(-1));
		return VMS_EXIT_INTERNAL;
	}
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		snprintf(msg, msglen, "%s: not a valid ELF file (%s)", path, elf_errmsg(-1));
		r = VMS_EXIT_NOEXEC;
		goto out_end;
	}
	if (gelf_getclass(e) != ELFCLASS64) {
		snprintf(msg, msglen, "%s: a 32-bit program: " X86_64_ONLY, path);
		r = VMS_EXIT_NOEXEC;
		goto out_end;
	}
	if (eh.e_machine != EM_X86_64) {
		snprintf(msg, msglen, "%s: a program for %s (ELF machine %u), not x86-64: " X86_64_ONLY,
			 path, machine_name(eh.e_machine), (unsigned)eh.e_machine);
		r = VMS_EXIT_NOEXEC;
		goto out_end;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		snprintf(msg, msglen, "%s: an ELF file but not an executable (an object file or a core dump)",
			 path);
		r = VMS_EXIT_NOEXEC;
		goto out_end;
	}
	if (elf_getphdrnum(e, &nr_phdrs) < 0) {
		snprintf(msg, msglen, "%s: not a valid ELF file (%s)", path, elf_errmsg(-1));
		r = VMS_EXIT_NOEXEC;
		goto out_end;
	}
	for (i = 0; i < nr_phdrs && !found; i++)
		found = gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP;
	if (!found) {
		snprintf(msg, msglen, "%s: " STATIC_EXPLAINED, path);
		r = VMS_EXIT_NOEXEC;
	} else if (!read_interp(fd, &ph, interp, sizeof(interp))) {
		snprintf(msg, msglen, "%s: not a valid ELF file (bad PT_INTERP segment)", path);
		r = VMS_EXIT_NOEXEC;
	} else if (access(interp, F_OK) < 0) {
		/* The kernel fails such an exec with ENOENT, hence 127 as in bash. */
		snprintf(msg, msglen, "%s: its dynamic loader %s: %s (a program built for another "
			 "system or C library?)", path, interp, strerror(errno));
		r = errno == ENOENT ? VMS_EXIT_NOTFOUND : VMS_EXIT_NOEXEC;
	}
out_end:
	elf_end(e);
	return r;
}

/* Checks what `#!/usr/bin/env ARG` will run: env looks its command up in
 * PATH.  Linux passes the rest of the "#!" line as one argument, so without
 * -S, "python3 -u" is one (missing) command name. */
static int check_env_command(const char *arg, int depth, char *msg, size_t msglen)
{
	char *name, *path = NULL;
	size_t len;
	int r;

	if (strncmp(arg, "-S", 2) == 0) {
		arg += 2 + strspn(arg + 2, " \t");
		len = strcspn(arg, " \t");
	} else {
		len = strlen(arg);
		if (arg[strcspn(arg, " \t")] != '\0') {
			snprintf(msg, msglen, "env will look for a command named '%s' (Linux passes "
				 "the rest of the #! line as one argument); write '#!/usr/bin/env -S %s'",
				 arg, arg);
			return VMS_EXIT_NOTFOUND;
		}
	}
	/* Options, VAR=value assignments and -S quoting are env's to interpret. */
	if (len == 0 || arg[0] == '-' || memchr(arg, '=', len) || strpbrk(arg, "\"'\\$"))
		return 0;
	name = strndup(arg, len);
	if (!name) {
		snprintf(msg, msglen, "out of memory");
		return VMS_EXIT_INTERNAL;
	}
	r = resolve(name, &path, msg, msglen);
	if (r == 0)
		r = check_file(path, depth, msg, msglen);
	free(path);
	free(name);
	return r;
}

/*
 * A "#!" script: its interpreter must pass the same checks (the shim is
 * loaded into the interpreter, which then runs the script).  The kernel
 * takes the interpreter path as is (no PATH search) and the rest of the line,
 * trimmed, as one argument.
 */
static int check_script(const char *path, char *head, size_t len, int depth,
			char *msg, size_t msglen)
{
	char inner[INNER_MSG_BYTES];
	char *interp, *arg, *p;
	const char *base;
	int r;

	if (depth >= MAX_SCRIPT_DEPTH)
		return 0;
	head[len] = '\0';
	p = strchr(head, '\n');
	if (!p && len == HEAD_BYTES) {
		snprintf(msg, msglen, "%s: its #! line is longer than the %d bytes Linux reads",
			 path, HEAD_BYTES);
		return VMS_EXIT_NOEXEC;
	}
	if (p)
		*p = '\0';
	interp = head + 2 + strspn(head + 2, " \t");
	arg = interp + strcspn(interp, " \t");
	if (*arg) {
		*arg++ = '\0';
		arg += strspn(arg, " \t");
		for (p = arg + strlen(arg); p > arg && (p[-1] == ' ' || p[-1] == '\t'); p--)
			p[-1] = '\0';
	}
	if (*interp == '\0') {
		snprintf(msg, msglen, "%s: its #! line names no interpreter", path);
		return VMS_EXIT_NOEXEC;
	}
	r = check_file(interp, depth + 1, inner, sizeof(inner));
	if (r) {
		snprintf(msg, msglen, "%s: its interpreter: %s%s", path, inner,
			 strchr(interp, '\r') ? " (the #! line ends in a carriage return: "
			 "convert the script's DOS line endings)" : "");
		return r;
	}
	base = strrchr(interp, '/');
	base = base ? base + 1 : interp;
	if (strcmp(base, "env") != 0)
		return 0;
	r = check_env_command(arg, depth + 1, inner, sizeof(inner));
	if (r)
		snprintf(msg, msglen, "%s: #!%s %s: %s", path, interp, arg, inner);
	return r;
}

/*
 * Set-user-ID and set-group-ID programs run in secure-execution mode, where
 * the dynamic loader ignores LD_PRELOAD; and the supervisor's seccomp filter
 * needs no_new_privs, which makes the kernel ignore the bits.  Either way
 * the program would not run as intended.  The bits are harmless when they
 * name who we already are.
 */
static bool changes_identity(const struct stat *st)
{
	return ((st->st_mode & S_ISUID) && st->st_uid != geteuid()) ||
	       ((st->st_mode & S_ISGID) && st->st_gid != getegid());
}

/* The checks of one file; `path` already resolved.  See run_options.h. */
static int check_file(const char *path, int depth, char *msg, size_t msglen)
{
	char head[HEAD_BYTES + 1];
	struct stat st;
	ssize_t n;
	int fd, r = 0;

	if (stat(path, &st) < 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? VMS_EXIT_NOTFOUND : VMS_EXIT_NOEXEC;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(msg, msglen, "%s: is a directory", path);
		return VMS_EXIT_NOEXEC;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, msglen, "%s: not a regular file", path);
		return VMS_EXIT_NOEXEC;
	}
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0) {
		snprintf(msg, msglen, "%s: cannot execute: %s (no execute permission, or a noexec "
			 "file system; chmod +x?)", path, strerror(errno));
		return VMS_EXIT_NOEXEC;
	}
	if (changes_identity(&st)) {
		snprintf(msg, msglen, "%s: a set-user-ID or set-group-ID program: the dynamic loader "
			 "ignores LD_PRELOAD for it, so it cannot be sandboxed; run a copy without "
			 "the bit, or run it as its owner", path);
		return VMS_EXIT_NOEXEC;
	}
	/* An execute-only file cannot be inspected; exec can still run it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return 0;
	do
		n = pread(fd, head, HEAD_BYTES, 0);
	while (n < 0 && errno == EINTR);
	if (n >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0)
		r = check_elf(fd, path, msg, msglen);
	else if (n >= 2 && head[0] == '#' && head[1] == '!')
		r = check_script(path, head, (size_t)n, depth, msg, msglen);
	close(fd);
	return r;
}

/* Control characters from file names or "#!" lines (a DOS '\r') would
 * garble the terminal the message is printed on. */
static void make_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int vms_run_check_program(struct vms_run_options *opts, char *msg, size_t msglen)
{
	char *path = NULL;
	int r;

	r = resolve(opts->argv[0], &path, msg, msglen);
	if (r == 0)
		r = check_file(path, 0, msg, msglen);
	if (r) {
		if (msglen)
			make_printable(msg);
		free(path);
		return r;
	}
	free(opts->program_path);
	opts->program_path = path;
	return 0;
}
