/* arm64 stack unwinding with frame records (x29 chains), as
 * arch/arm64/kernel/stacktrace.c does it (Linux 6.1), plus the pt_regs
 * frames that the kernel's own unwinder walks through without naming. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/unwind_arch.h"

/* struct user_pt_regs, then the rest of struct pt_regs that crash shows. */
enum { X29 = 29, X30 = 30, SP = 31, PC = 32, PSTATE = 33, ORIG_X0 = 34,
       SYSCALLNO = 35, NREGS = 36, NOTE_REGS = 34 };

static const char *const reg_names[NREGS] = {
	"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10",
	"x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19", "x20",
	"x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29", "x30",
	"sp", "pc", "pstate", "orig_x0", "syscallno",
};

/* pt_regs: orig_x0 follows user_pt_regs, then s32 syscallno. */
#define PT_ORIG_X0 (34 * 8)
#define PT_SYSCALLNO (35 * 8)

struct arm64_priv {
	uint64_t pac_mask;		/* bits a PAC may occupy */
	uint64_t stackframe;		/* offsetof(struct pt_regs, stackframe);
					   0 if not known */
	uint64_t pt_regs_size;
	uint64_t irq_lo, irq_hi;	/* call_on_irq_stack's text */
};

static struct kdk_error *arm64_open(struct unwind *u)
{
	struct arm64_priv *p = calloc(1, sizeof(*p));
	const struct vmcoreinfo *vi = dump_vmcoreinfo(target_dump(u->t));
	const char *v;
	struct kbtf_member m;
	uint32_t id;
	int va_bits = 48;

	if (!p)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	/* VMCOREINFO says what bits the kernel's PAC uses (KERNELPACMASK,
	 * since 5.7); without it, every bit above VA_BITS. */
	if (vi && (v = vmcoreinfo_get(vi, "NUMBER(VA_BITS)")))
		va_bits = atoi(v);
	if (va_bits < 36 || va_bits > 52)
		va_bits = 48;
	p->pac_mask = ~((UINT64_C(1) << va_bits) - 1);
	if (vi && (v = vmcoreinfo_get(vi, "NUMBER(KERNELPACMASK)")))
		p->pac_mask |= strtoull(v, NULL, 0);
	if (u->btf &&
	    unwind_ok(kbtf_member(u->btf, "pt_regs", "stackframe", &m)) &&
	    unwind_ok(kbtf_find_struct(u->btf, "pt_regs", &id)) &&
	    unwind_ok(kbtf_type_size(u->btf, id, &p->pt_regs_size)))
		p->stackframe = m.offset;
	if (unwind_ok(sym_lookup_name(u->syms, "call_on_irq_stack",
				      &p->irq_lo))) {
		const char *name;
		uint64_t off, size;

		if (unwind_ok(sym_lookup_addr(u->syms, p->irq_lo, &name, &off,
					      &size)) && size)
			p->irq_hi = p->irq_lo + size;
	}
	u->priv = p;
	return NULL;
}

static void arm64_close(struct unwind *u)
{
	free(u->priv);
}

/* ptrauth_strip_kernel_insn_pac(): kernel addresses have bit 55 set and
 * every PAC bit one. */
static uint64_t strip_pac(const struct arm64_priv *p, uint64_t addr)
{
	if (addr & (UINT64_C(1) << 55))
		return addr | p->pac_mask;
	return addr & ~p->pac_mask;
}

static bool arm64_user(const struct unwind_regs *r)
{
	return (r->v[PSTATE] & 0xf) == 0;	/* EL0t (or AArch32 user) */
}

static bool el1(uint64_t pstate)
{
	return (pstate & 0x1f) == 0x4 || (pstate & 0x1f) == 0x5;
}

struct found_frame {
	enum unwind_frame_kind kind;
	uint64_t pc, sp, regs_addr;
	struct unwind_regs regs;
	const char *stack;
};

struct walk {
	struct unwind *u;
	struct found_frame *f;
	size_t n;
	uint64_t task_lo, irq_lo;	/* 0 if not known */
};

static struct found_frame *add(struct walk *w, enum unwind_frame_kind kind,
			       uint64_t pc, uint64_t sp)
{
	struct found_frame *f = &w->f[w->n++];

	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->pc = pc;
	f->sp = sp;
	return f;
}

static uint64_t region(uint64_t addr)
{
	return addr & ~(uint64_t)(UNWIND_THREAD_SIZE - 1);
}

/* Read the pt_regs whose stackframe is the record at fp. */
static struct kdk_error *read_regs(struct walk *w, uint64_t fp,
				   struct unwind_regs *r, uint64_t *at)
{
	struct arm64_priv *p = w->u->priv;
	uint64_t extra[2];
	struct kdk_error *err;

	*at = fp - p->stackframe;
	memset(r, 0, sizeof(*r));
	err = target_read_kvaddr(w->u->t, *at, r->v, NOTE_REGS * 8);
	if (!err)
		err = target_read_kvaddr(w->u->t, *at + PT_ORIG_X0, extra,
					 sizeof(extra));
	if (err)
		return err;
	r->v[ORIG_X0] = extra[0];
	r->v[SYSCALLNO] = extra[1] & 0xffffffff;
	r->n = NREGS;
	return NULL;
}

/* Follow the frame records from regs; frames go into w. */
static struct kdk_error *follow(struct walk *w, const struct unwind_regs *regs)
{
	struct arm64_priv *p = w->u->priv;
	uint64_t fp = regs->v[X29], prev_fp = 0;
	uint64_t visited[8];
	size_t n_visited = 0;
	struct found_frame *f;
	struct kdk_error *err;

	if (arm64_user(regs)) {
		f = add(w, UNWIND_FRAME_USER, regs->v[PC], regs->v[SP]);
		f->regs = *regs;
		return NULL;
	}
	f = add(w, UNWIND_FRAME_START, regs->v[PC], regs->v[SP]);
	f->regs = *regs;
	visited[n_visited++] = region(regs->v[SP]);
	while (fp) {
		uint64_t rec[2], pc;

		if (w->n + 1 >= UNWIND_MAX_FRAMES)
			return kdk_error(KDK_ERR_FORMAT, "more than %d frames",
					 UNWIND_MAX_FRAMES);
		if (fp & 0xf)
			return kdk_error(KDK_ERR_FORMAT, "frame pointer %"
					 PRIx64 " is not 16-byte aligned", fp);
		/* On one stack records only go up; a stack left is not
		 * returned to (on_accessible_stack() in the kernel). */
		if (prev_fp && region(fp) == region(prev_fp)) {
			if (fp <= prev_fp)
				return kdk_error(KDK_ERR_FORMAT, "frame record "
						 "at %" PRIx64 " is below the "
						 "last one", fp);
		} else if (prev_fp) {
			for (size_t i = 0; i < n_visited; i++)
				if (visited[i] == region(fp))
					return kdk_error(KDK_ERR_FORMAT,
							 "frame record at %"
							 PRIx64 " returns to "
							 "a stack already "
							 "left", fp);
			if (n_visited == 8)
				return kdk_error(KDK_ERR_FORMAT, "too many "
						 "stack switches");
			visited[n_visited++] = region(fp);
		}
		err = target_read_kvaddr(w->u->t, fp, rec, sizeof(rec));
		if (err)
			return kdk_error_wrap(err, "reading the frame record "
					      "at %" PRIx64, fp);
		pc = strip_pac(p, rec[1]);
		if (p->stackframe) {
			struct unwind_regs r;
			uint64_t at;

			if (!rec[0] && !rec[1]) {
				/* The last record, in the pt_regs at the top of
				 * the task stack: user registers, unless a
				 * kernel thread's (all zero). */
				if (unwind_ok(read_regs(w, fp, &r, &at)) &&
				    arm64_user(&r) && r.v[PC]) {
					f = add(w, UNWIND_FRAME_USER, r.v[PC],
						r.v[SP]);
					f->regs = r;
					f->regs_addr = at;
				}
				return NULL;
			}
			/* kernel_entry for EL1 writes {x29, elr} into
			 * pt_regs->stackframe and points x29 at it. */
			if (unwind_ok(read_regs(w, fp, &r, &at)) &&
			    el1(r.v[PSTATE]) && r.v[PC] == pc &&
			    r.v[X29] == rec[0]) {
				f = add(w, UNWIND_FRAME_EXCEPTION, r.v[PC],
					r.v[SP]);
				f->regs = r;
				f->regs_addr = at;
				prev_fp = fp;
				fp = rec[0];
				continue;
			}
		}
		if (!pc)
			return NULL;
		f = add(w, UNWIND_FRAME_CALL, pc, fp);
		/* call_on_irq_stack's record, at the top of the IRQ stack,
		 * links back to the stack the interrupt came on. */
		if (p->irq_hi && pc >= p->irq_lo && pc < p->irq_hi)
			w->irq_lo = region(prev_fp ? prev_fp : regs->v[SP]);
		prev_fp = fp;
		fp = rec[0];
	}
	return NULL;
}

static const char *stack_of(const struct walk *w, uint64_t sp)
{
	if (w->task_lo && region(sp) == w->task_lo)
		return "task";
	if (w->irq_lo && region(sp) == w->irq_lo)
		return "IRQ";
	return NULL;
}

static struct kdk_error *arm64_walk(struct unwind *u, size_t cpu,
				    uint64_t task,
				    const struct unwind_regs *regs,
				    unwind_frame_fn *fn, void *arg)
{
	struct walk w = { .u = u };
	struct kdk_error *err, *walk_err;
	uint64_t addr, v;

	w.f = calloc(UNWIND_MAX_FRAMES, sizeof(*w.f));
	if (!w.f)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (task && unwind_ok(unwind_task_stack(u, task, &v)))
		w.task_lo = v;
	/* arch/arm64/kernel/irq.c: irq_stack_ptr, where the symbols have it
	 * (a vmlinux); else call_on_irq_stack's record tells (follow()). */
	if (unwind_ok(unwind_percpu_addr(u, "irq_stack_ptr", cpu, &addr)) &&
	    unwind_ok(unwind_read_u64(u, addr, &v)) && v)
		w.irq_lo = region(v);
	walk_err = follow(&w, regs);
	err = NULL;
	for (size_t i = 0; i < w.n && !err; i++) {
		struct unwind_frame f = {
			.kind = w.f[i].kind, .pc = w.f[i].pc, .sp = w.f[i].sp,
			.stack = stack_of(&w, w.f[i].sp),
			.regs = w.f[i].kind == UNWIND_FRAME_CALL ? NULL
								 : &w.f[i].regs,
			.regs_addr = w.f[i].regs_addr,
		};

		err = fn(arg, &f);
	}
	free(w.f);
	if (err) {
		kdk_error_free(walk_err);
		return err;
	}
	return walk_err;
}

/* cpu_switch_to() saves x19-x28, fp, sp and lr (the return address into
 * __schedule()) in thread.cpu_context (asm/processor.h). */
static struct kdk_error *arm64_task_regs(struct unwind *u, uint64_t task,
					 struct unwind_regs *out)
{
	uint64_t ctx[13];
	struct kdk_error *err;

	err = unwind_read_member(u, task, "task_struct", "thread.cpu_context",
				 ctx, sizeof(ctx));
	if (err)
		return err;
	out->n = NOTE_REGS;
	for (int i = 0; i < 10; i++)
		out->v[19 + i] = ctx[i];
	out->v[X29] = ctx[10];
	out->v[SP] = ctx[11];
	out->v[PC] = strip_pac(u->priv, ctx[12]);
	out->v[PSTATE] = 0x5;		/* EL1h: not user mode */
	out->from_call = true;
	return NULL;
}

/* As crash prints a pt_regs (arm64.c: arm64_print_exception_frame()). */
static void arm64_format(const struct unwind *u, const struct unwind_regs *r,
			 unwind_symbolize_fn *sym, void *sym_arg, char *buf,
			 size_t len)
{
	const uint64_t *v = r->v;
	bool user = arm64_user(r);
	size_t at = 0;
	char name[160];

	buf[0] = '\0';
	if (user) {
		unwind_put(buf, len, &at, "     PC: %016" PRIx64 "   LR: %016"
			   PRIx64 "   SP: %016" PRIx64 "\n", v[PC], v[X30],
			   v[SP]);
	} else {
		/* The saved LR may carry a PAC, as crash strips it too. */
		const uint64_t show[2] = { v[PC], strip_pac(u->priv, v[X30]) };
		const char *label[2] = { "PC", "LR" };

		for (int i = 0; i < 2; i++) {
			name[0] = '\0';
			if (sym)
				sym(sym_arg, show[i], name, sizeof(name));
			unwind_put(buf, len, &at, "     %s: %016" PRIx64
				   "  [%s]\n", label[i], show[i],
				   name[0] ? name
					   : "unknown or invalid address");
		}
		unwind_put(buf, len, &at, "     SP: %016" PRIx64 "  PSTATE: %08"
			   PRIx64 "\n", v[SP], v[PSTATE]);
	}
	for (int i = 29, col = 1; i >= 0; i--, col++) {
		if (col == 1 || (col - 1) % 3 == 0)
			unwind_put(buf, len, &at, "    ");
		unwind_put(buf, len, &at, "%sX%d: %016" PRIx64,
			   i < 10 ? " " : "", i, v[i]);
		unwind_put(buf, len, &at, i == 0 || col % 3 == 0 ? "\n" : "  ");
	}
	if (user)
		unwind_put(buf, len, &at, "    ORIG_X0: %016" PRIx64
			   "  SYSCALLNO: %" PRIx64 "  PSTATE: %08" PRIx64 "\n",
			   v[ORIG_X0], v[SYSCALLNO], v[PSTATE]);
}

const struct unwind_arch_ops unwind_arm64_ops = {
	.arch = "arm64",
	.nregs = NREGS,
	.note_regs = NOTE_REGS,
	.reg_names = reg_names,
	.pc = PC,
	.sp = SP,
	.open = arm64_open,
	.close = arm64_close,
	.walk = arm64_walk,
	.task_regs = arm64_task_regs,
	.user = arm64_user,
	.format = arm64_format,
};
