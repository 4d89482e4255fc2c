/* SPDX-License-Identifier: MIT */
/*
 * Unwinding and symbolizing a stopped thread of another process with libdw
 * (unwind.h).  One Dwfl per process: its module list from /proc/PID/maps,
 * a process state attached with our own callbacks (no ptrace: the thread is
 * already stopped by seccomp, and its memory is read through the pager).
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unwind.h"

/* DWARF register numbers of x86-64 (System V psABI, figure 3.36). */
#define DWARF_X86_64_RBP 6
#define DWARF_X86_64_RSP 7

/* Frame-pointer recovery (fp_recover): how far above a frame's stack
 * pointer its saved rbp is looked for, and how often per stack. */
#define FP_SCAN_BYTES (16u * 1024)
#define FP_MAX_RECOVERIES 8

struct vms_unwinder {
	pid_t pid;
	Dwfl *dwfl;
	/* The unwind in progress (the callbacks' state). */
	pid_t tid;
	uint64_t sp, pc;
	uint64_t rbp;                 /* initial rbp, when have_rbp */
	bool have_rbp;
	/* The last frame unwound: where a frame-pointer recovery starts. */
	uint64_t last_sp;
	bool last_sp_known, last_rbp_known;
	vms_unwind_read_fn read;
	void *read_ctx;
	uint64_t *pcs;
	size_t max, nr;
};

static char *debuginfo_path;   /* NULL: libdw's default (/usr/lib/debug) */

/*
 * Separate debug information by build-id only (/usr/lib/debug/.build-id,
 * where Debian's -dbg and -dbgsym packages put it).  Not
 * dwfl_standard_find_debuginfo: after the build-id and debuglink searches
 * it loads libdebuginfod (and libcurl: 100 ms, measured) and, with
 * DEBUGINFOD_URLS set, asks the network, with every process of the tree
 * waiting for the pager.  A binary built with -g has its DWARF in the file
 * itself and needs no search.
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	return dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
					    debuglink_file, debuglink_crc, debuginfo_file_name);
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	return 0;   /* threads are only ever asked for by tid */
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct vms_unwinder *u = arg;

	*thread_argp = u;
	return tid == u->tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct vms_unwinder *u = arg;
	uint64_t w;

	if (u->read(u->read_ctx, addr, &w, sizeof(w)) < 0)
		return false;
	*result = w;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct vms_unwinder *u = arg;
	Dwarf_Word sp = u->sp;

	if (!dwfl_thread_state_registers(thread, DWARF_X86_64_RSP, 1, &sp))
		return false;
	if (u->have_rbp) {
		Dwarf_Word bp = u->rbp;

		if (!dwfl_thread_state_registers(thread, DWARF_X86_64_RBP, 1, &bp))
			return false;
	}
	dwfl_thread_state_register_pc(thread, u->pc);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int report_modules(struct vms_unwinder *u)
{
	int r;

	dwfl_report_begin(u->dwfl);
	r = dwfl_linux_proc_report(u->dwfl, u->pid);
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0)
		return -EIO;
	if (r > 0)
		return -r;   /* an errno from reading /proc/PID/maps */
	return r < 0 ? -EIO : 0;
}

int vms_unwinder_new(pid_t pid, struct vms_unwinder **ret)
{
	struct vms_unwinder *u;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->pid = pid;
	u->dwfl = dwfl_begin(&proc_callbacks);
	if (!u->dwfl) {
		free(u);
		return -ENOMEM;
	}
	r = report_modules(u);
	if (r == 0 && !dwfl_attach_state(u->dwfl, NULL, pid, &thread_callbacks, u))
		r = -ENOEXEC;   /* no module told libdw the architecture */
	if (r < 0) {
		vms_unwinder_free(u);
		return r;
	}
	*ret = u;
	return 0;
}

void vms_unwinder_free(struct vms_unwinder *u)
{
	if (!u)
		return;
	if (u->dwfl)
		dwfl_end(u->dwfl);
	free(u);
}

/* "NR ARG1 .. ARG6 SP PC" of a thread blocked in a syscall (proc(5)). */
static int read_syscall_regs(pid_t pid, pid_t tid, uint64_t *ret_sp, uint64_t *ret_pc)
{
	char path[64], buf[256];
	unsigned long long v[9];
	long nr;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ESRCH;
	buf[n] = 0;
	if (strncmp(buf, "running", 7) == 0)
		return -EAGAIN;
	if (sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx %llx %llx", &nr, &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]) != 9 || nr < 0)
		return -EAGAIN;
	*ret_sp = v[6];
	*ret_pc = v[7];
	return 0;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct vms_unwinder *u = arg;
	Dwarf_Addr pc;
	bool activation;

	Dwarf_Word v;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	/* A return address points after the call; its line is the next
	 * statement's.  The call itself is one byte before. */
	u->pcs[u->nr++] = activation ? pc : pc - 1;
	u->last_sp_known = dwfl_frame_reg(state, DWARF_X86_64_RSP, &v) == 0;
	u->last_sp = v;
	u->last_rbp_known = dwfl_frame_reg(state, DWARF_X86_64_RBP, &v) == 0;
	return u->nr < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* The start of the function holding pc, 0 if unknown. */
static uint64_t function_start(struct vms_unwinder *u, uint64_t pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, pc);
	GElf_Off off = 0;
	GElf_Sym sym;

	if (!mod || !dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL))
		return 0;
	return sym.st_size && off < sym.st_size ? pc - off : 0;
}

/*
 * Does a call to target reach callee?  Directly, or through a PLT stub:
 * [endbr64] [bnd] jmp *GOT(%rip), whose GOT slot holds callee (resolved,
 * since the call was made).
 */
static bool reaches(struct vms_unwinder *u, uint64_t target, uint64_t callee)
{
	static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	uint8_t stub[16];
	size_t i = 0;
	int32_t disp;
	uint64_t slot;

	if (target == callee)
		return true;
	if (u->read(u->read_ctx, target, stub, sizeof(stub)) < 0)
		return false;
	if (memcmp(stub, endbr64, sizeof(endbr64)) == 0)
		i += sizeof(endbr64);
	if (stub[i] == 0xf2)
		i++;
	if (stub[i] != 0xff || stub[i + 1] != 0x25)
		return false;
	memcpy(&disp, &stub[i + 2], sizeof(disp));
	return u->read(u->read_ctx, target + i + 6 + (uint64_t)(int64_t)disp, &slot,
		       sizeof(slot)) == 0 && slot == callee;
}

/*
 * Is ra the return address of a call to the function starting at callee?
 * 2: certainly (E8 rel32 reaching callee), 1: plausibly (FF /2,
 * a call through a register or memory, whose target cannot be checked),
 * 0: no.
 */
static int call_before(struct vms_unwinder *u, uint64_t ra, uint64_t callee)
{
	uint8_t code[8];
	int32_t rel;

	if (ra < sizeof(code) || !dwfl_addrmodule(u->dwfl, ra) ||
	    u->read(u->read_ctx, ra - sizeof(code), code, sizeof(code)) < 0)
		return 0;
	if (code[3] == 0xe8) {
		memcpy(&rel, &code[4], sizeof(rel));
		if (reaches(u, ra + (uint64_t)(int64_t)rel, callee))
			return 2;
	}
	for (int k = 2; k <= 7; k++)
		if (code[8 - k] == 0xff && ((code[8 - k + 1] >> 3) & 7) == 2)
			return 1;
	return 0;
}

/*
 * A frame whose CFA is computed from rbp (code built with frame pointers,
 * or at -O0) cannot be unwound when rbp is unknown: /proc/PID/syscall gives
 * only rsp and rip, and the system call wrappers below it never save rbp.
 * Such a frame pushed its caller's rbp just below its return address:
 * above the last frame's stack pointer, find the first slot W such that
 * W + 8 holds the return address of a call to that frame's function (a
 * direct call must reach it, directly or through a PLT stub; an indirect
 * call, whose target is unknown, also needs [W], the caller's rbp, to point
 * further up the stack).  The caller's state is then
 * rsp = W + 16, rbp = [W], pc = [W + 8].  Returns true with u's initial
 * registers set to it.
 */
static bool fp_recover(struct vms_unwinder *u)
{
	uint64_t callee = function_start(u, u->pcs[u->nr - 1]);
	uint64_t w = u->last_sp;

	/* Without the function's start (a local symbol of a stripped
	 * library, hand-written assembly) no call can be checked, and an
	 * unchecked match made up callers (ffi_call_unix64 "returned" to
	 * __libc_start_call_main): the stack ends there instead. */
	if (!u->last_sp_known || u->last_rbp_known || !callee)
		return false;   /* unknown stack, not stuck for rbp, or unknown function */
	for (; w < u->last_sp + FP_SCAN_BYTES; w += 8) {
		uint64_t slot[2];
		int how;

		if (u->read(u->read_ctx, w, slot, sizeof(slot)) < 0)
			return false;
		how = call_before(u, slot[1], callee);
		if (how == 2 || (how == 1 && slot[0] > w + 16 && slot[0] < w + (8u << 20))) {
			u->sp = w + 16;
			u->rbp = slot[0];
			u->have_rbp = true;
			/* Inside the call: CFI and line of the call site. */
			u->pc = slot[1] - 1;
			return true;
		}
	}
	return false;
}

/* One unwind from u's initial registers, stepping over frame-pointer
 * frames; the frames in u->pcs[0, u->nr). */
static void unwind_from_registers(struct vms_unwinder *u, pid_t tid, size_t max,
				  unsigned *recovered)
{
	/* A read the pager refused ends the stack: whatever was unwound
	 * counts.  A stack that ends with rbp unknown may end at a frame-
	 * pointer frame: recover its caller and go on from there.  libdw
	 * ends a stack it cannot unwind further as it ends a complete one
	 * (returning 0): fp_recover() tells them apart by rbp, known at a
	 * stack's true end (_start, clone3). */
	for (;;) {
		dwfl_getthread_frames(u->dwfl, tid, frame_cb, u);
		if (!u->nr || u->nr >= max || *recovered == FP_MAX_RECOVERIES || !fp_recover(u))
			break;
		(*recovered)++;
	}
}

/* The unwind of tid from the registers in u->sp, u->pc. */
static int unwind_at(struct vms_unwinder *u, pid_t tid, vms_unwind_read_fn read, void *ctx,
		     uint64_t *pcs, size_t max, size_t *ret_nr, unsigned *ret_recovered)
{
	uint64_t sp = u->sp, pc = u->pc;
	unsigned recovered = 0;

	if (!max)
		return -EINVAL;
	u->tid = tid;
	u->read = read;
	u->read_ctx = ctx;
	u->pcs = pcs;
	u->max = max;
	u->nr = 0;
	u->have_rbp = false;
	/* A library loaded since the modules were listed (dlopen: Python's
	 * extension modules) has no CFI here: list them again and start
	 * over, once, if the stack ends in a pc no module holds. */
	for (int listed = 0;; listed++) {
		unwind_from_registers(u, tid, max, &recovered);
		if (listed || !u->nr || dwfl_addrmodule(u->dwfl, u->pcs[u->nr - 1]) ||
		    report_modules(u) < 0)
			break;
		u->nr = 0;
		u->have_rbp = false;
		recovered = 0;
		u->sp = sp;
		u->pc = pc;
	}
	u->read = NULL;
	u->pcs = NULL;
	if (u->nr == 0) {
		pcs[0] = pc;
		u->nr = 1;
	}
	*ret_nr = u->nr;
	*ret_recovered = recovered;
	return 0;
}

int vms_unwind_thread(struct vms_unwinder *u, pid_t tid, vms_unwind_read_fn read, void *ctx,
		      uint64_t *pcs, size_t max, size_t *ret_nr, unsigned *ret_recovered)
{
	int r = read_syscall_regs(u->pid, tid, &u->sp, &u->pc);

	if (r < 0)
		return r;
	return unwind_at(u, tid, read, ctx, pcs, max, ret_nr, ret_recovered);
}

int vms_unwind_thread_at(struct vms_unwinder *u, pid_t tid, uint64_t sp, uint64_t pc,
			 vms_unwind_read_fn read, void *ctx, uint64_t *pcs, size_t max,
			 size_t *ret_nr, unsigned *ret_recovered)
{
	u->sp = sp;
	u->pc = pc;
	return unwind_at(u, tid, read, ctx, pcs, max, ret_nr, ret_recovered);
}

static Dwfl_Module *module_of(struct vms_unwinder *u, uint64_t pc)
{
	Dwfl_Module *mod = dwfl_addrmodule(u->dwfl, pc);

	if (!mod && report_modules(u) == 0)
		mod = dwfl_addrmodule(u->dwfl, pc);
	return mod;
}

int vms_unwind_module(struct vms_unwinder *u, uint64_t pc, const char **ret_module,
		      uint64_t *ret_offset)
{
	Dwfl_Module *mod = module_of(u, pc);
	Dwarf_Addr bias = 0;

	if (!mod)
		return -ENOENT;
	/* The ELF is loaded already (its CFI unwound this frame). */
	if (!dwfl_module_getelf(mod, &bias))
		return -ENOENT;
	*ret_module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	*ret_offset = pc - bias;
	return 0;
}

/* The innermost function (an inlined one included) at pc, from DWARF. */
static const char *dwarf_function(Dwfl_Module *mod, uint64_t pc)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &bias);
	Dwarf_Die *scopes = NULL;
	const char *name = NULL;
	int n;

	if (!cu)
		return NULL;
	n = dwarf_getscopes(cu, pc - bias, &scopes);
	for (int i = 0; i < n && !name; i++) {
		int tag = dwarf_tag(&scopes[i]);

		Dwarf_Attribute attr;

		/* The name of an inlined instance or a clone (foo.constprop.0)
		 * is on its abstract origin: integrate follows it. */
		if ((tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) &&
		    dwarf_attr_integrate(&scopes[i], DW_AT_name, &attr))
			name = dwarf_formstring(&attr);
	}
	free(scopes);
	return name;
}

static void symbolize_in(Dwfl_Module *mod, uint64_t pc, struct vms_unwind_sym *ret)
{
	GElf_Off off = 0;
	GElf_Sym sym;
	Dwfl_Line *line;

	ret->function = dwarf_function(mod, pc);
	if (!ret->function) {
		ret->function = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
		/* Only .dynsym in a stripped library: the nearest exported
		 * symbol below a static function is not its name. */
		if (ret->function && sym.st_size && off >= sym.st_size)
			ret->function = NULL;
	}
	line = dwfl_module_getsrc(mod, pc);
	if (line)
		ret->file = dwfl_lineinfo(line, NULL, &ret->line, NULL, NULL, NULL);
}

int vms_unwind_symbolize(struct vms_unwinder *u, uint64_t pc, struct vms_unwind_sym *ret)
{
	Dwfl_Module *mod = module_of(u, pc);

	memset(ret, 0, sizeof(*ret));
	if (!mod)
		return -ENOENT;
	symbolize_in(mod, pc, ret);
	return 0;
}

/*
 * The symbolizer: one offline Dwfl for the whole run, each module file
 * reported once.  A library's DWARF (libc6-dbg's is 100 ms to index) is
 * then loaded once per run, not once per process that allocates.
 */
struct symbolizer_module {
	char *path;
	Dwfl_Module *mod;             /* NULL: the file could not be read */
};

struct vms_symbolizer {
	Dwfl *dwfl;
	struct symbolizer_module *mods;
	size_t nr, cap;
};

/* Modules are reported by path: there is nothing else to find. */
static int no_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		       char **file_name, Elf **elfp)
{
	return -1;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = no_find_elf,
	.find_debuginfo = find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

int vms_symbolizer_new(struct vms_symbolizer **ret)
{
	struct vms_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->dwfl = dwfl_begin(&offline_callbacks);
	if (!s->dwfl) {
		free(s);
		return -ENOMEM;
	}
	*ret = s;
	return 0;
}

void vms_symbolizer_free(struct vms_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr; i++)
		free(s->mods[i].path);
	free(s->mods);
	dwfl_end(s->dwfl);
	free(s);
}

static struct symbolizer_module *symbolizer_module(struct vms_symbolizer *s, const char *path)
{
	struct symbolizer_module *m;

	for (size_t i = 0; i < s->nr; i++)
		if (strcmp(s->mods[i].path, path) == 0)
			return &s->mods[i];
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		m = realloc(s->mods, cap * sizeof(*m));
		if (!m)
			return NULL;
		s->mods = m;
		s->cap = cap;
	}
	m = &s->mods[s->nr];
	m->path = strdup(path);
	if (!m->path)
		return NULL;
	s->nr++;
	/* Only real files: "[vdso]" and "(deleted)" paths fail here and the
	 * caller falls back on the process's own Dwfl. */
	dwfl_report_begin_add(s->dwfl);
	m->mod = path[0] == '/' ? dwfl_report_offline(s->dwfl, path, path, -1) : NULL;
	dwfl_report_end(s->dwfl, NULL, NULL);
	return m;
}

int vms_symbolize(struct vms_symbolizer *s, const char *module, uint64_t elf_addr,
		  struct vms_unwind_sym *ret)
{
	struct symbolizer_module *m = module ? symbolizer_module(s, module) : NULL;
	Dwarf_Addr bias = 0;

	memset(ret, 0, sizeof(*ret));
	if (!m || !m->mod || !dwfl_module_getelf(m->mod, &bias))
		return -ENOENT;
	symbolize_in(m->mod, elf_addr + bias, ret);
	return 0;
}

struct find_symbol_ctx {
	const char *hint;
	const char *name;
	uint64_t addr;
};

static int find_symbol_in(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr start, void *arg)
{
	struct find_symbol_ctx *c = arg;
	int n;

	if (c->hint && (!modname || !strstr(modname, c->hint)))
		return DWARF_CB_OK;
	n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Addr addr;
		GElf_Sym sym;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);

		if (s && sym.st_shndx != SHN_UNDEF && strcmp(s, c->name) == 0) {
			c->addr = addr;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

uint64_t vms_unwind_find_symbol(struct vms_unwinder *u, const char *module_hint, const char *name)
{
	struct find_symbol_ctx c = { .hint = module_hint, .name = name };

	dwfl_getmodules(u->dwfl, find_symbol_in, &c, 0);
	return c.addr;
}
