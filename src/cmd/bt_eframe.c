/* bt -e (bt_eframe.h): x86_64 and arm64. */
#include "cmd/bt_eframe.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/address.h"
#include "cmd/context.h"
#include "cmd/kread.h"
#include "debuginfo/symtab.h"
#include "debuginfo/types.h"
#include "target/target.h"

/* struct pt_regs, in words (arch/x86/include/asm/ptrace.h) */
enum {
	R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI,
	RDI, ORIG_RAX, RIP, CS, EFLAGS, RSP, SS, NREGS
};
#define PT_REGS (NREGS * 8)
/* RFLAGS bits that read as zero (crash's RAZ_MASK); bit 1 reads as one */
#define RAZ_MASK 0xffffffffffc08028ull
#define KERNEL_CS 0x10
#define KERNEL_SS 0x18
#define USER_CS 0x33
#define USER_SS 0x2b
#define USER_TOP 0x00007fffffffffffull
#define KERNEL_BOTTOM 0xffff800000000000ull

/* arm64: struct user_pt_regs (x0..x30, sp, pc, pstate), orig_x0, then
 * s32 syscallno; the unwinder's register order is the same */
enum { A_X29 = 29, A_X30 = 30, A_SP = 31, A_PC = 32, A_PSTATE = 33,
       A_SYSCALLNO = 35, A_NREGS = 36 };
#define PSR_MODE_MASK 0xfull
#define PSR_MODE32 0x10ull
#define PSR_EL0t 0x0ull
#define A_USER_TOP 0x0000ffffffffffffull	/* 48-bit user VA (52 with LVA) */

struct search {
	struct session *s;
	struct unwind *u;
	unwind_symbolize_fn *sym;
	void *sym_arg;
	uint64_t stext, etext, sinit, einit;
	bool arm64;
	uint64_t pt_regs;	/* arm64: sizeof(struct pt_regs) */
	uint64_t base, size;	/* the stack searched */
};

static bool sym_addr(struct session *s, const char *name, uint64_t *v)
{
	const struct sym *sym = sym_find_name(s->symbols, name);

	*v = sym ? sym->addr : 0;
	return sym != NULL;
}

static bool kernel_text(const struct search *x, uint64_t a)
{
	struct address_module_hit hit;
	struct kdk_error *err = NULL;

	if ((a >= x->stext && a < x->etext) || (a >= x->sinit && a < x->einit))
		return true;
	if (address_in_module(x->s, a, &hit, &err)) {
		kdk_error_free(err);
		return true;
	}
	return false;
}

/* Does a pt_regs at kvaddr with these words look like one the CPU or
 * the entry code wrote (crash's x86_64_eframe_verify, without the
 * exception-stack and Xen cases)? */
static bool verify(const struct search *x, uint64_t kvaddr, const uint64_t *v)
{
	uint64_t cs = v[CS], ss = v[SS], rip = v[RIP], rsp = v[RSP];
	bool kv = rsp >= KERNEL_BOTTOM;

	if ((v[EFLAGS] & RAZ_MASK) || !(v[EFLAGS] & 2))
		return false;
	if (cs == KERNEL_CS && ss == KERNEL_SS) {
		if (kernel_text(x, rip) && kv)
			return true;
		if (kvaddr + PT_REGS == rsp)
			return true;
	}
	if (cs == KERNEL_CS && kernel_text(x, rip) && kv &&
	    (rsp == kvaddr + PT_REGS || rsp == kvaddr + PT_REGS + 8))
		return true;
	if (cs == USER_CS && ss == USER_SS)
		return rip <= USER_TOP && rsp <= USER_TOP;
	return false;
}

static bool in_stack(const struct search *x, uint64_t a)
{
	return a >= x->base && a < x->base + x->size;
}

/* arm64 (crash's arm64_is_kernel_exception_frame): sp and x29 on this
 * stack, a 64-bit EL1/EL2 pstate, pc and the (PAC-stripped) lr in
 * kernel text; or the user-mode frame at the top: EL0t, user pc and sp. */
static bool verify_arm64(const struct search *x, uint64_t kvaddr,
			 const uint64_t *v)
{
	uint64_t mode = v[A_PSTATE] & PSR_MODE_MASK;

	if (v[A_PSTATE] & (0xffffffff00000000ull | PSR_MODE32))
		return false;
	if (mode == PSR_EL0t)	/* entry from EL0 puts it at the very top */
		return kvaddr + x->pt_regs == x->base + x->size &&
		       v[A_PC] <= A_USER_TOP && v[A_SP] <= A_USER_TOP;
	if (mode != 0x4 && mode != 0x5 && mode != 0x8 && mode != 0x9)
		return false;
	return in_stack(x, v[A_SP]) && in_stack(x, v[A_X29]) &&
	       kernel_text(x, v[A_PC]) &&
	       kernel_text(x, v[A_X30] | 0xffff000000000000ull);
}

static uint64_t thread_size(struct session *s)
{
	struct types *ts;
	struct type *t;
	struct kdk_error *err = session_types(s, &ts);

	if (!err)
		err = types_find(ts, "union thread_union", &t);
	if (!err && type_strip(t) && type_strip(t)->size >= 4096)
		return type_strip(t)->size;
	kdk_error_free(err);
	return 16384;
}

static struct kdk_error *one(void *arg, const struct ktask *t, bool first)
{
	struct search *x = arg;
	struct kfield f = { "struct task_struct", "stack", 0, 0 };
	uint64_t base, size = thread_size(x->s), *words;
	struct kdk_error *err = kfields_resolve(x->s, &f, 1);
	size_t found = 0, nregs = x->arm64 ? A_NREGS : NREGS;

	if (!err)
		err = kread_u64(x->s, t->addr + f.off, &base);
	x->base = base;
	x->size = size;
	if (err)
		return kdk_error_wrap(err, "pid %d: its stack", t->pid);
	words = malloc(size);
	if (!words)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = target_read_kvaddr(x->s->target, base, words, size);
	if (err) {
		free(words);
		return kdk_error_wrap(err, "pid %d: its stack at 0x%" PRIx64,
				      t->pid, base);
	}
	fputs(first ? "\n" : "\n\n", x->s->out);
	context_print_header(x->s, t);
	for (uint64_t i = 0; i + nregs <= size / 8; i++) {
		uint64_t at = base + 8 * i;
		struct unwind_regs r = { .n = nregs };
		char block[4096];

		if (x->arm64 ? !verify_arm64(x, at, words + i) :
			       !verify(x, at, words + i))
			continue;
		memcpy(r.v, words + i, nregs * 8);
		if (x->arm64)
			r.v[A_SYSCALLNO] &= 0xffffffff;
		unwind_format_regs(x->u, &r, x->sym, x->sym_arg, block,
				   sizeof(block));
		fprintf(x->s->out, "\n  %s-MODE EXCEPTION FRAME AT: %" PRIx64
			"\n%s", unwind_regs_user(x->u, &r) ? "USER" : "KERNEL",
			at, block);
		found++;
	}
	if (!found)
		fputs("\n  (none found)\n", x->s->out);
	free(words);
	return NULL;
}

struct kdk_error *bt_eframe_search(struct session *s, struct unwind *u,
				   unwind_symbolize_fn *sym, void *sym_arg,
				   int argc, char **argv)
{
	struct search x = { .s = s, .u = u, .sym = sym, .sym_arg = sym_arg };
	const char *machine = dump_facts(s->dump)->machine;
	const struct ktasks *k;
	const struct ktask **tasks = NULL;
	struct json_writer w;
	size_t n = 0;
	struct kdk_error *err;

	x.arm64 = strcmp(machine, "aarch64") == 0 ||
		  strcmp(machine, "arm64") == 0 ||
		  strcmp(unwind_reg_name(u, 0), "x0") == 0;
	if (!x.arm64 && strcmp(machine, "x86_64") != 0)
		return kdk_error(KDK_ERR_NOT_BUILT, "bt -e searches x86_64 "
				 "and arm64 stacks only");
	if (x.arm64) {
		struct types *ts;
		struct type *pt;

		err = session_types(s, &ts);
		if (!err)
			err = types_find(ts, "struct pt_regs", &pt);
		if (err)
			return err;
		x.pt_regs = type_strip(pt)->size;
	}
	if (s->json)
		return kdk_error(KDK_ERR_USAGE, "bt -e prints text only: run "
				 "it without --json");
	if (!sym_addr(s, "_stext", &x.stext) || !sym_addr(s, "_etext", &x.etext))
		return kdk_error(KDK_ERR_NOT_FOUND, "no _stext/_etext: the "
				 "kernel's text is not known");
	sym_addr(s, "_sinittext", &x.sinit);
	sym_addr(s, "_einittext", &x.einit);
	err = session_tasks(s, &k);
	if (!err)
		err = context_tasks(s, k, argc, argv, &tasks, &n);
	if (!err)
		err = context_for_tasks(s, &w, tasks, n, one, &x);
	free(tasks);
	return err;
}
