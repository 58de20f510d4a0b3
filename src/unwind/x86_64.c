/* x86_64 stack unwinding with ORC, as arch/x86/kernel/unwind_orc.c does
 * it (Linux 6.1), from the tables in the dump's memory. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/orc.h"
#include "unwind/unwind_arch.h"

/* struct pt_regs (arch/x86/include/asm/ptrace.h), in 8-byte words. */
enum {
	R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI,
	RDI, ORIG_RAX, RIP, CS, EFLAGS, RSP, SS, NREGS
};

static const char *const reg_names[NREGS] = {
	"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "rflags",
	"rsp", "ss",
};

/* An iret frame (ip, cs, flags, sp, ss) starts this far into pt_regs. */
#define IRET_FRAME_OFFSET (RIP * 8)
#define EXCEPTION_STKSZ 0x1000		/* without KASAN */
#define IRQ_STACK_SIZE 0x4000

/* The IST stacks, by their index in tss.x86_tss.ist[] (asm/page_64_types.h:
 * IST_INDEX_DF, NMI, DB, MCE, VC), named as crash names them. */
static const char *const ist_names[] = {
	"DOUBLEFAULT exception", "NMI exception", "DEBUG exception",
	"MCE exception", "VC exception",
};
#define N_IST (sizeof(ist_names) / sizeof(ist_names[0]))

struct x86_priv {
	struct orc_table kernel;
	/* struct module's arch.orc_unwind_ip, arch.orc_unwind,
	 * arch.num_orcs; has_mod_orc false if not known. */
	bool has_mod_orc;
	uint64_t mod_ip, mod_orc, mod_num;
};

struct stack_range {
	uint64_t lo, hi;
	const char *name;
};

struct walk {
	struct unwind *u;
	struct stack_range ranges[2 + N_IST];
	size_t n_ranges;
	/* The registers known now: all of them after a full pt_regs. */
	struct unwind_regs regs;
	bool regs_valid;
	uint64_t ip, sp, bp;
	bool signal;
	bool first;		/* the step from the starting registers */
	/* Each exception frame's pt_regs, kept until its frame is given. */
	struct unwind_regs frame_regs;
};

static struct kdk_error *orc_read(void *arg, uint64_t addr, void *buf,
				  size_t len)
{
	return target_read_kvaddr(arg, addr, buf, len);
}

static struct kdk_error *x86_open(struct unwind *u)
{
	struct x86_priv *p = calloc(1, sizeof(*p));
	uint64_t start_ip, stop_ip, blocks = 0;
	uint32_t nblocks;
	struct kbtf_member m;
	struct kdk_error *err;

	if (!p)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = sym_lookup_name(u->syms, "__start_orc_unwind_ip", &start_ip);
	if (!err)
		err = sym_lookup_name(u->syms, "__stop_orc_unwind_ip",
				      &stop_ip);
	if (!err)
		err = sym_lookup_name(u->syms, "__start_orc_unwind",
				      &p->kernel.orc_table);
	if (err) {
		free(p);
		return kdk_error_wrap(err, "the kernel's ORC tables (needs "
				      "CONFIG_UNWINDER_ORC, and the symbols of "
				      "CONFIG_KALLSYMS_ALL or a vmlinux)");
	}
	p->kernel.ip_table = start_ip;
	p->kernel.n = (stop_ip - start_ip) / 4;
	/* The fast path, if the kernel filled it (unwind_init()). */
	if (unwind_ok(sym_lookup_name(u->syms, "orc_lookup",
				      &p->kernel.lookup)) &&
	    unwind_ok(sym_lookup_name(u->syms, "lookup_num_blocks",
				      &blocks)) &&
	    unwind_ok(sym_lookup_name(u->syms, "_stext",
				      &p->kernel.text_start)) &&
	    unwind_ok(sym_lookup_name(u->syms, "_etext",
				      &p->kernel.text_end)) &&
	    unwind_ok(target_read_kvaddr(u->t, blocks, &nblocks,
					 sizeof(nblocks))))
		p->kernel.lookup_blocks = nblocks;
	else
		p->kernel.lookup = 0;
	if (u->btf && unwind_ok(kbtf_member(u->btf, "module",
					    "arch.orc_unwind_ip", &m))) {
		p->mod_ip = m.offset;
		if (unwind_ok(kbtf_member(u->btf, "module", "arch.orc_unwind",
					  &m))) {
			p->mod_orc = m.offset;
			if (unwind_ok(kbtf_member(u->btf, "module",
						  "arch.num_orcs", &m))) {
				p->mod_num = m.offset;
				p->has_mod_orc = true;
			}
		}
	}
	u->priv = p;
	return NULL;
}

static void x86_close(struct unwind *u)
{
	free(u->priv);
}

/* The ORC table that covers ip: the kernel's, or its module's. */
static struct kdk_error *table_for(struct unwind *u, uint64_t ip,
				   struct orc_table *out)
{
	struct x86_priv *p = u->priv;
	uint64_t mod, ptrs[2];
	const char *name;
	uint32_t num;
	struct kdk_error *err;

	if (!u->mod_fn || !u->mod_fn(u->mod_arg, ip, &mod, &name)) {
		*out = p->kernel;
		return NULL;
	}
	if (!p->has_mod_orc)
		return kdk_error(KDK_ERR_NOT_FOUND, "%" PRIx64 " is in module "
				 "%s, whose ORC table is not known without "
				 "struct module's layout", ip, name);
	err = target_read_kvaddr(u->t, mod + p->mod_ip, &ptrs[0], 8);
	if (!err)
		err = target_read_kvaddr(u->t, mod + p->mod_orc,
					 &ptrs[1], 8);
	if (!err)
		err = target_read_kvaddr(u->t, mod + p->mod_num, &num,
					 sizeof(num));
	if (err)
		return kdk_error_wrap(err, "module %s's ORC table", name);
	memset(out, 0, sizeof(*out));
	out->ip_table = ptrs[0];
	out->orc_table = ptrs[1];
	out->n = num;
	return NULL;
}

static void add_range(struct walk *w, uint64_t lo, uint64_t hi,
		      const char *name)
{
	w->ranges[w->n_ranges++] = (struct stack_range){ lo, hi, name };
}

/* The stacks cpu can be on, from what the kernel says of them; any that
 * cannot be read are left out (their frames then show no stack name). */
static void find_stacks(struct walk *w, size_t cpu, uint64_t task)
{
	struct unwind *u = w->u;
	uint64_t addr, v, base;
	struct kbtf_member m;

	if (task && unwind_ok(unwind_task_stack(u, task, &base)))
		add_range(w, base, base + UNWIND_THREAD_SIZE, "task");
	/* arch/x86/kernel/irq_64.c: hardirq_stack_ptr is the top of the IRQ
	 * stack less 8 (its top word links back to the task stack). */
	if (unwind_ok(unwind_percpu_addr(u, "hardirq_stack_ptr", cpu, &addr)) &&
	    unwind_ok(unwind_read_u64(u, addr, &v)) && v)
		add_range(w, v + 8 - IRQ_STACK_SIZE, v + 8, "IRQ");
	/* The IST stacks' tops, as the CPU itself finds them: the TSS. */
	if (!u->btf || !unwind_ok(kbtf_member(u->btf, "tss_struct",
					      "x86_tss.ist", &m)))
		return;
	if (!unwind_ok(unwind_percpu_addr(u, "cpu_tss_rw", cpu, &addr)))
		return;
	for (size_t i = 0; i < N_IST; i++)
		if (unwind_ok(unwind_read_u64(u, addr + m.offset + 8 * i,
					      &v)) && v)
			add_range(w, v - EXCEPTION_STKSZ, v, ist_names[i]);
}

static const char *stack_of(const struct walk *w, uint64_t sp)
{
	for (size_t i = 0; i < w->n_ranges; i++)
		if (sp >= w->ranges[i].lo && sp < w->ranges[i].hi)
			return w->ranges[i].name;
	return NULL;
}

static struct kdk_error *read_stack(struct walk *w, uint64_t addr,
				    uint64_t *v)
{
	struct kdk_error *err = unwind_read_u64(w->u, addr, v);

	if (err)
		return kdk_error_wrap(err, "reading the stack at %" PRIx64,
				      addr);
	return NULL;
}

static bool x86_user(const struct unwind_regs *r)
{
	return (r->v[CS] & 3) != 0;
}

/* The register an ORC entry names, if the last pt_regs had it. */
static struct kdk_error *orc_reg(struct walk *w, int reg, uint64_t *v)
{
	static const int which[] = {
		[ORC_REG_DX] = RDX, [ORC_REG_DI] = RDI,
		[ORC_REG_R10] = R10, [ORC_REG_R13] = R13,
	};

	if (!w->regs_valid)
		return kdk_error(KDK_ERR_NOT_FOUND, "ORC needs a register "
				 "saved in a pt_regs at %" PRIx64 ", and none "
				 "was", w->ip);
	*v = w->regs.v[which[reg]];
	return NULL;
}

static struct kdk_error *emit(struct walk *w, enum unwind_frame_kind kind,
			      uint64_t pc, uint64_t sp,
			      const struct unwind_regs *regs,
			      uint64_t regs_addr, unwind_frame_fn *fn,
			      void *arg)
{
	struct unwind_frame f = {
		.kind = kind, .pc = pc, .sp = sp, .stack = stack_of(w, sp),
		.regs = regs, .regs_addr = regs_addr,
	};

	return fn(arg, &f);
}

/*
 * Some functions have no ORC at all: objtool skips them (__crash_kexec(),
 * where kdump's crash_setup_regs() saves the registers of a panic, is
 * one). For the starting registers only, the return address into their
 * caller is looked for on the stack: the first word above sp that points
 * just after a `call rel32` whose target is the function itself. The frame
 * is marked as found by scanning.
 */
static struct kdk_error *scan_call(struct walk *w, unwind_frame_fn *fn,
				   void *arg, bool *ok)
{
	uint64_t func, off, v;
	const char *name;
	unsigned char call[5];

	*ok = false;
	if (!unwind_ok(sym_lookup_addr(w->u->syms, w->ip, &name, &off, NULL)))
		return NULL;
	func = w->ip - off;
	for (uint64_t slot = w->sp; slot < w->sp + 2048; slot += 8) {
		int32_t rel;

		if (!unwind_ok(unwind_read_u64(w->u, slot, &v)))
			return NULL;
		if (v < 5 ||
		    !unwind_ok(sym_lookup_addr(w->u->syms, v, &name, &off,
					       NULL)) ||
		    !unwind_ok(target_read_kvaddr(w->u->t, v - 5, call,
						  sizeof(call))) ||
		    call[0] != 0xe8)
			continue;
		memcpy(&rel, call + 1, sizeof(rel));
		if (v + (int64_t)rel != func)
			continue;
		w->ip = v;
		w->sp = slot + 8;
		w->signal = false;
		w->regs_valid = false;
		*ok = true;
		struct unwind_frame f = {
			.kind = UNWIND_FRAME_CALL, .pc = v, .sp = slot,
			.stack = stack_of(w, slot), .scanned = true,
		};
		return fn(arg, &f);
	}
	return NULL;
}

/* One step: from the frame at w->ip/sp to its caller. *done at the end of
 * the stack. */
static struct kdk_error *step(struct walk *w, unwind_frame_fn *fn,
			      void *arg, bool *done)
{
	struct orc_table table;
	struct orc_entry e;
	uint64_t lookup_ip = w->signal ? w->ip : w->ip - 1, cfa, prev_sp;
	const char *prev_stack = stack_of(w, w->sp);
	bool found;
	struct kdk_error *err;

	err = table_for(w->u, lookup_ip, &table);
	if (!err)
		err = orc_table_find(&table, orc_read, w->u->t, lookup_ip, &e,
				     NULL, &found);
	if (err)
		return err;
	if (!found)
		return kdk_error(KDK_ERR_NOT_FOUND, "no ORC data for %" PRIx64,
				 w->ip);
	if (e.sp_reg == ORC_REG_UNDEFINED && !e.end && w->first) {
		bool ok;

		w->first = false;
		err = scan_call(w, fn, arg, &ok);
		if (err || ok)
			return err;
	}
	w->first = false;
	if (e.sp_reg == ORC_REG_UNDEFINED) {
		if (e.end) {
			*done = true;
			return NULL;
		}
		return kdk_error(KDK_ERR_NOT_FOUND, "ORC has no rule at %"
				 PRIx64, w->ip);
	}
	switch (e.sp_reg) {
	case ORC_REG_SP:
		cfa = w->sp + e.sp_offset;
		break;
	case ORC_REG_BP:
		cfa = w->bp + e.sp_offset;
		break;
	case ORC_REG_SP_INDIRECT:
		/* call_on_stack(): the old stack pointer was saved at the top
		 * of the new stack. */
		err = read_stack(w, w->sp, &cfa);
		cfa += e.sp_offset;
		break;
	case ORC_REG_BP_INDIRECT:
		err = read_stack(w, w->bp + e.sp_offset, &cfa);
		break;
	case ORC_REG_DX:
	case ORC_REG_DI:
	case ORC_REG_R10:
	case ORC_REG_R13:
		err = orc_reg(w, e.sp_reg, &cfa);
		break;
	default:
		return kdk_error(KDK_ERR_FORMAT, "unknown ORC sp_reg %u at %"
				 PRIx64, e.sp_reg, w->ip);
	}
	if (err)
		return err;

	prev_sp = w->sp;
	switch (e.type) {
	case ORC_TYPE_CALL: {
		uint64_t ret;

		err = read_stack(w, cfa - 8, &ret);
		if (err)
			return err;
		w->ip = ret;
		w->sp = cfa;
		w->signal = false;
		/* Registers other than the stack's are not known past a call
		 * (ORC says nothing of callee-saved ones but rbp). */
		w->regs_valid = false;
		err = emit(w, UNWIND_FRAME_CALL, ret, cfa - 8, NULL, 0, fn,
			   arg);
		break;
	}
	case ORC_TYPE_REGS:
	case ORC_TYPE_REGS_PARTIAL: {
		bool full = e.type == ORC_TYPE_REGS;
		uint64_t at = full ? cfa : cfa - IRET_FRAME_OFFSET;
		struct unwind_regs *r = &w->frame_regs;

		memset(r, 0, sizeof(*r));
		r->n = NREGS;
		err = target_read_kvaddr(w->u->t, full ? at : cfa,
					 full ? &r->v[0] : &r->v[RIP],
					 full ? NREGS * 8
					      : (NREGS - RIP) * 8);
		if (err)
			return kdk_error_wrap(err, "reading pt_regs at %"
					      PRIx64, at);
		w->ip = r->v[RIP];
		w->sp = r->v[RSP];
		w->signal = true;
		if (full) {
			w->regs = *r;
			w->regs_valid = true;
		} else {
			w->regs_valid = false;
		}
		if (x86_user(r)) {
			*done = true;
			return emit(w, UNWIND_FRAME_USER, r->v[RIP], r->v[RSP],
				    r, at, fn, arg);
		}
		err = emit(w, UNWIND_FRAME_EXCEPTION, r->v[RIP], r->v[RSP], r,
			   at, fn, arg);
		break;
	}
	default:
		return kdk_error(KDK_ERR_FORMAT, "unknown ORC type %u at %"
				 PRIx64, e.type, w->ip);
	}
	if (err)
		return err;

	/* The caller's frame pointer. */
	switch (e.bp_reg) {
	case ORC_REG_UNDEFINED:
		if (w->regs_valid)
			w->bp = w->regs.v[RBP];
		break;
	case ORC_REG_PREV_SP:
		err = read_stack(w, cfa + e.bp_offset, &w->bp);
		break;
	case ORC_REG_BP:
		err = read_stack(w, w->bp + e.bp_offset, &w->bp);
		break;
	default:
		return kdk_error(KDK_ERR_FORMAT, "unknown ORC bp_reg %u at %"
				 PRIx64, e.bp_reg, w->ip);
	}
	if (err)
		return err;
	/* Bad data must not loop: on one stack, frames only go up. */
	if (stack_of(w, w->sp) == prev_stack && w->sp <= prev_sp)
		return kdk_error(KDK_ERR_FORMAT, "the stack pointer went from %"
				 PRIx64 " back to %" PRIx64 " at %" PRIx64,
				 prev_sp, w->sp, w->ip);
	return NULL;
}

static struct kdk_error *x86_walk(struct unwind *u, size_t cpu, uint64_t task,
				  const struct unwind_regs *regs,
				  unwind_frame_fn *fn, void *arg)
{
	struct walk *w = calloc(1, sizeof(*w));
	struct kdk_error *err;
	bool done = false;

	if (!w)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	w->u = u;
	find_stacks(w, cpu, task);
	w->regs = *regs;
	w->regs_valid = true;
	w->ip = regs->v[RIP];
	w->sp = regs->v[RSP];
	w->bp = regs->v[RBP];
	w->signal = !regs->from_call;
	w->first = !regs->from_call;
	if (x86_user(regs)) {
		err = emit(w, UNWIND_FRAME_USER, w->ip, w->sp, regs, 0, fn,
			   arg);
		free(w);
		return err;
	}
	err = emit(w, UNWIND_FRAME_START, w->ip, w->sp, regs, 0, fn, arg);
	for (int i = 0; !err && !done; i++) {
		if (i == UNWIND_MAX_FRAMES) {
			err = kdk_error(KDK_ERR_FORMAT, "more than %d frames",
					UNWIND_MAX_FRAMES);
			break;
		}
		err = step(w, fn, arg, &done);
	}
	free(w);
	return err;
}

/* __switch_to_asm() pushes the callee-saved registers and leaves
 * thread.sp at them: struct inactive_task_frame (asm/switch_to.h), r15
 * r14 r13 r12 bx bp, then the return address into __schedule(). A task
 * that never ran returns to ret_from_fork, which has its own rule there
 * (the kernel's __unwind_start() looks it up as a signal frame). */
static struct kdk_error *x86_task_regs(struct unwind *u, uint64_t task,
				       struct unwind_regs *out)
{
	uint64_t sp, frame[7], fork = 0;
	struct kdk_error *err;

	err = unwind_read_member(u, task, "task_struct", "thread.sp", &sp,
				 sizeof(sp));
	if (err)
		return err;
	err = target_read_kvaddr(u->t, sp, frame, sizeof(frame));
	if (err)
		return kdk_error_wrap(err, "reading the saved context of task "
				      "%" PRIx64, task);
	out->n = NREGS;
	out->v[R15] = frame[0];
	out->v[R14] = frame[1];
	out->v[R13] = frame[2];
	out->v[R12] = frame[3];
	out->v[RBX] = frame[4];
	out->v[RBP] = frame[5];
	out->v[RIP] = frame[6];
	out->v[RSP] = sp + sizeof(frame);
	out->v[CS] = 0x10;		/* __KERNEL_CS: not user mode */
	out->v[SS] = 0x18;
	kdk_error_free(sym_lookup_name(u->syms, "ret_from_fork", &fork));
	out->from_call = frame[6] != fork;
	return NULL;
}

/* As crash prints a pt_regs (x86_64.c: x86_64_exception_frame()). */
static void x86_format(const struct unwind *u, const struct unwind_regs *r,
		       unwind_symbolize_fn *sym, void *sym_arg, char *buf,
		       size_t len)
{
	const uint64_t *v = r->v;
	size_t at = 0;
	char name[160];

	(void)u;
	buf[0] = '\0';
	if (!x86_user(r)) {
		name[0] = '\0';
		if (sym)
			sym(sym_arg, v[RIP], name, sizeof(name));
		unwind_put(buf, len, &at, "    [exception RIP: %s]\n",
		    name[0] ? name : "unknown or invalid address");
	}
	unwind_put(buf, len, &at, "    RIP: %016" PRIx64 "  RSP: %016" PRIx64
	    "  RFLAGS: %08" PRIx64 "\n", v[RIP], v[RSP], v[EFLAGS]);
	unwind_put(buf, len, &at, "    RAX: %016" PRIx64 "  RBX: %016" PRIx64
	    "  RCX: %016" PRIx64 "\n", v[RAX], v[RBX], v[RCX]);
	unwind_put(buf, len, &at, "    RDX: %016" PRIx64 "  RSI: %016" PRIx64
	    "  RDI: %016" PRIx64 "\n", v[RDX], v[RSI], v[RDI]);
	unwind_put(buf, len, &at, "    RBP: %016" PRIx64 "   R8: %016" PRIx64
	    "   R9: %016" PRIx64 "\n", v[RBP], v[R8], v[R9]);
	unwind_put(buf, len, &at, "    R10: %016" PRIx64 "  R11: %016" PRIx64
	    "  R12: %016" PRIx64 "\n", v[R10], v[R11], v[R12]);
	unwind_put(buf, len, &at, "    R13: %016" PRIx64 "  R14: %016" PRIx64
	    "  R15: %016" PRIx64 "\n", v[R13], v[R14], v[R15]);
	unwind_put(buf, len, &at, "    ORIG_RAX: %016" PRIx64 "  CS: %04" PRIx64
	    "  SS: %04" PRIx64 "\n", v[ORIG_RAX], v[CS], v[SS]);
}

const struct unwind_arch_ops unwind_x86_64_ops = {
	.arch = "x86_64",
	.nregs = NREGS,
	.note_regs = NREGS,
	.reg_names = reg_names,
	.pc = RIP,
	.sp = RSP,
	.open = x86_open,
	.close = x86_close,
	.walk = x86_walk,
	.task_regs = x86_task_regs,
	.user = x86_user,
	.format = x86_format,
};
