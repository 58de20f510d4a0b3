#include "arch/disasm.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct disasm {
	csh cs;
	bool x86;
	cs_insn *insn;
};

struct kdk_error *disasm_new(const char *machine, struct disasm **out)
{
	struct disasm *d = calloc(1, sizeof(*d));
	cs_err e;

	if (!d)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (strcmp(machine, "x86_64") == 0) {
		d->x86 = true;
		e = cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs);
		if (e == CS_ERR_OK)
			cs_option(d->cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	} else if (strcmp(machine, "aarch64") == 0) {
		e = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &d->cs);
	} else {
		free(d);
		return kdk_error(KDK_ERR_OTHER, "no disassembler for %s",
				 machine);
	}
	if (e != CS_ERR_OK) {
		free(d);
		return kdk_error(KDK_ERR_OTHER, "capstone: %s", cs_strerror(e));
	}
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	d->insn = cs_malloc(d->cs);
	if (!d->insn) {
		cs_close(&d->cs);
		free(d);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	*out = d;
	return NULL;
}

void disasm_free(struct disasm *d)
{
	if (!d)
		return;
	cs_free(d->insn, 1);
	cs_close(&d->cs);
	free(d);
}

/* --- x86_64 in binutils' AT&T style --- */

struct buf {
	char *p;
	size_t len, used;
};

__attribute__((format(printf, 2, 3)))
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->used += (size_t)n < b->len - b->used ? (size_t)n :
			   b->len - b->used - 1;
}

static void put_signed_hex(struct buf *b, int64_t v)
{
	if (v < 0)
		put(b, "-0x%" PRIx64, -(uint64_t)v);
	else
		put(b, "0x%" PRIx64, (uint64_t)v);
}

static void put_symbol(struct buf *b, uint64_t addr, disasm_symbol_fn *sym,
		       void *arg)
{
	char name[200];

	if (sym && sym(arg, addr, name, sizeof(name)))
		put(b, " %s", name);
}

static bool in_group(const cs_insn *in, uint8_t group)
{
	for (uint8_t i = 0; i < in->detail->groups_count; i++)
		if (in->detail->groups[i] == group)
			return true;
	return false;
}

static bool is_branch(const cs_insn *in)
{
	return in_group(in, CS_GRP_JUMP) || in_group(in, CS_GRP_CALL);
}

/* Does the instruction encode a displacement (ModRM mod 1 or 2, or a
 * disp32 with no base)? Then binutils prints it, even when it is 0. */
static bool disp_encoded(const cs_x86 *x)
{
	uint8_t mod = x->modrm >> 6, rm = x->modrm & 7;

	if (mod == 1 || mod == 2)
		return true;
	if (mod == 0 && rm == 5)
		return true;
	return mod == 0 && rm == 4 && (x->sib & 7) == 5;
}

static void put_mem(struct disasm *d, struct buf *b, const cs_insn *in,
		    const cs_x86_op *op, disasm_symbol_fn *sym, void *arg,
		    struct buf *comment)
{
	const x86_op_mem *m = &op->mem;

	if (m->segment != X86_REG_INVALID)
		put(b, "%%%s:", cs_reg_name(d->cs, m->segment));
	if (m->base == X86_REG_RIP) {
		uint64_t target = in->address + in->size + m->disp;

		put_signed_hex(b, m->disp);
		put(b, "(%%rip)");
		put(comment, "        # 0x%" PRIx64, target);
		put_symbol(comment, target, sym, arg);
		return;
	}
	if (m->base == X86_REG_INVALID && m->index == X86_REG_INVALID) {
		put(b, "0x%" PRIx64, (uint64_t)m->disp);
		return;
	}
	if (m->disp || disp_encoded(&in->detail->x86))
		put_signed_hex(b, m->disp);
	put(b, "(");
	if (m->base != X86_REG_INVALID)
		put(b, "%%%s", cs_reg_name(d->cs, m->base));
	if (m->index != X86_REG_INVALID)
		put(b, ",%%%s,%d", cs_reg_name(d->cs, m->index), m->scale);
	put(b, ")");
}

static bool is_segment(x86_reg r)
{
	return r == X86_REG_CS || r == X86_REG_DS || r == X86_REG_ES ||
	       r == X86_REG_FS || r == X86_REG_GS || r == X86_REG_SS;
}

static void put_imm(struct buf *b, const cs_x86_op *op)
{
	uint64_t v = (uint64_t)op->imm;

	if (op->size && op->size < 8)
		v &= (1ull << (op->size * 8)) - 1;
	put(b, "$0x%" PRIx64, v);
}

/* binutils leaves out the size suffix when a register operand gives the
 * size, and on stack and branch instructions (64-bit anyway). */
static void mnemonic(const cs_insn *in, const char *name, bool has_reg,
		     char *out, size_t len)
{
	static const char *const no_suffix[] = {
		"push", "pop", "call", "jmp", "ret", "leave", "pushf", "popf",
		"lret",
	};
	static const char *const string_ops[] = {
		"stos", "lods", "movs", "scas", "cmps", "ins", "outs",
	};
	char m[64];
	const char *word;
	size_t n;

	snprintf(m, sizeof(m), "%s", in->mnemonic);
	word = strrchr(m, ' ');
	word = word ? word + 1 : m;
	n = strlen(word);
	if (n > 1 && strchr("bwlq", word[n - 1])) {
		char base[64];
		bool strip = false;

		snprintf(base, sizeof(base), "%.*s", (int)(n - 1), word);
		for (size_t i = 0; i < sizeof(no_suffix) / sizeof(*no_suffix); i++)
			strip |= strcmp(base, no_suffix[i]) == 0;
		for (size_t i = 0; has_reg &&
		     i < sizeof(string_ops) / sizeof(*string_ops); i++)
			strip |= strcmp(base, string_ops[i]) == 0;
		if (!strip && has_reg)
			strip = name && strcmp(base, name) == 0;
		if (strip)
			m[word - m + n - 1] = '\0';
	}
	snprintf(out, len, "%s", m);
}

/* String instructions as binutils writes them: the implied operands in
 * full, with their segments ("rep stos %rax,%es:(%rdi)"), and the size
 * suffix only where no register gives the size. */
static bool string_op(const cs_insn *in, char *out, size_t len)
{
	static const char *const regs[] = { "al", "ax", "eax", "rax" };
	const char *word = strrchr(in->mnemonic, ' ');
	size_t prefix;
	const char *kind;
	int size;

	word = word ? word + 1 : in->mnemonic;
	prefix = word - in->mnemonic;
	if (strlen(word) != 5 || !strchr("bwlq", word[4]))
		return false;
	size = word[4] == 'b' ? 0 : word[4] == 'w' ? 1 : word[4] == 'l' ? 2 : 3;
	kind = word;
	if (strncmp(kind, "stos", 4) == 0)
		snprintf(out, len, "%.*s%-*s %%%s,%%es:(%%rdi)", (int)prefix,
			 in->mnemonic, 6 - (int)prefix, "stos", regs[size]);
	else if (strncmp(kind, "lods", 4) == 0)
		snprintf(out, len, "%.*s%-*s %%ds:(%%rsi),%%%s", (int)prefix,
			 in->mnemonic, 6 - (int)prefix, "lods", regs[size]);
	else if (strncmp(kind, "scas", 4) == 0)
		snprintf(out, len, "%.*s%-*s %%es:(%%rdi),%%%s", (int)prefix,
			 in->mnemonic, 6 - (int)prefix, "scas", regs[size]);
	else if (strncmp(kind, "movs", 4) == 0)
		snprintf(out, len, "%.*s%-*s %%ds:(%%rsi),%%es:(%%rdi)",
			 (int)prefix, in->mnemonic, 6 - (int)prefix, word);
	else if (strncmp(kind, "cmps", 4) == 0)
		snprintf(out, len, "%.*s%-*s %%es:(%%rdi),%%ds:(%%rsi)",
			 (int)prefix, in->mnemonic, 6 - (int)prefix, word);
	else
		return false;
	return true;
}

static void x86_format(struct disasm *d, const cs_insn *in,
		       disasm_symbol_fn *sym, void *arg,
		       struct disasm_insn *out)
{
	const cs_x86 *x = &in->detail->x86;
	char ops[200] = "", com[200] = "", mn[64];
	struct buf b = { ops, sizeof(ops), 0 }, c = { com, sizeof(com), 0 };
	bool has_reg = false, branch = is_branch(in);

	if (string_op(in, out->text, sizeof(out->text)))
		return;
	if (in->size == 1 && in->bytes[0] == 0x90) {
		snprintf(out->text, sizeof(out->text), "nop");	/* unpadded */
		out->padding = true;
		return;
	}
	if (in->size == 2 && in->bytes[0] == 0x66 && in->bytes[1] == 0x90) {
		/* capstone calls it nop; binutils writes what it encodes */
		snprintf(out->text, sizeof(out->text), "xchg   %%ax,%%ax");
		out->padding = true;
		return;
	}

	/* shifts and rotates by one (D0, D1): binutils leaves the 1 out */
	bool by_one = (x->opcode[0] == 0xd0 || x->opcode[0] == 0xd1) &&
		      x->op_count == 2 && x->operands[0].type == X86_OP_IMM;

	for (int i = by_one; i < x->op_count; i++) {
		const cs_x86_op *op = &x->operands[i];

		if (i > by_one)
			put(&b, ",");
		switch (op->type) {
		case X86_OP_REG:
			has_reg |= !is_segment(op->reg);
			put(&b, "%s%%%s", branch ? "*" : "",
			    cs_reg_name(d->cs, op->reg));
			break;
		case X86_OP_IMM:
			if (branch) {
				out->has_target = true;
				out->target = (uint64_t)op->imm;
				put(&b, "0x%" PRIx64, (uint64_t)op->imm);
				put_symbol(&b, (uint64_t)op->imm, sym, arg);
			} else {
				put_imm(&b, op);
			}
			break;
		case X86_OP_MEM:
			if (branch)
				put(&b, "*");
			put_mem(d, &b, in, op, sym, arg, &c);
			break;
		default:
			break;
		}
	}
	mnemonic(in, cs_insn_name(d->cs, in->id), has_reg, mn, sizeof(mn));
	out->is_call = in_group(in, CS_GRP_CALL);
	snprintf(out->text, sizeof(out->text), "%-6s %s%s", mn, ops, com);
	out->is_ret = strcmp(mn, "ret") == 0;
	out->padding = strncmp(mn, "nop", 3) == 0 || strcmp(mn, "int3") == 0 ||
		       strcmp(out->text, "xchg   %ax,%ax") == 0 ||
		       strncmp(mn, "data16", 6) == 0;
	out->ftrace_nop = in->size == 5 &&
			  memcmp(in->bytes, "\x0f\x1f\x44\x00\x00", 5) == 0;
}

/* --- arm64: capstone's own text, gdb's tab between mnemonic and
 * operands, branch targets named --- */

/* binutils' preferred aliases where capstone 4 writes the base form:
 * MOVZ/MOVN of a value as "mov", the pointer-authentication hints by
 * name. True if out was written. */
static bool arm64_alias(struct disasm *d, const cs_insn *in,
			struct disasm_insn *out)
{
	static const struct { int64_t imm; const char *name; } hints[] = {
		{ 25, "paciasp" }, { 27, "pacibsp" }, { 29, "autiasp" },
		{ 31, "autibsp" }, { 32, "bti" }, { 34, "bti\tc" },
		{ 36, "bti\tj" }, { 38, "bti\tjc" }, { 7, "xpaclri" },
	};
	const cs_arm64 *a = &in->detail->arm64;
	bool movz = strcmp(in->mnemonic, "movz") == 0;
	bool movn = strcmp(in->mnemonic, "movn") == 0;

	if (strcmp(in->mnemonic, "hint") == 0 && a->op_count == 1 &&
	    a->operands[0].type == ARM64_OP_IMM) {
		for (size_t i = 0; i < sizeof(hints) / sizeof(*hints); i++)
			if (hints[i].imm == a->operands[0].imm) {
				snprintf(out->text, sizeof(out->text), "%s",
					 hints[i].name);
				return true;
			}
		return false;
	}
	if ((movz || movn) && a->op_count == 2 &&
	    a->operands[0].type == ARM64_OP_REG &&
	    a->operands[1].type == ARM64_OP_IMM) {
		const char *reg = cs_reg_name(d->cs, a->operands[0].reg);
		unsigned int shift = a->operands[1].shift.value;
		uint64_t v = (uint64_t)a->operands[1].imm << shift;

		if (movn)
			v = ~v;
		if (reg[0] == 'w')
			v &= 0xffffffffu;
		/* binutils keeps movn for a 32-bit value that is all ones
		 * but in a movz form; the lab's kernels never hit that */
		snprintf(out->text, sizeof(out->text), "mov\t%s, #0x%" PRIx64,
			 reg, v);
		return true;
	}
	return false;
}

static void arm64_format(struct disasm *d, const cs_insn *in,
			 disasm_symbol_fn *sym, void *arg,
			 struct disasm_insn *out)
{
	const cs_arm64 *a = &in->detail->arm64;
	char ops[200];
	struct buf b = { ops, sizeof(ops), 0 };

	bool adr = strcmp(in->mnemonic, "adrp") == 0 ||
		   strcmp(in->mnemonic, "adr") == 0;

	if ((is_branch(in) || adr) && a->op_count >= 1 &&
	    a->operands[a->op_count - 1].type == ARM64_OP_IMM) {
		const char *hash = strrchr(in->op_str, '#');

		/* gdb writes the target as an address: "b 0xffff... <f+8>" */
		out->has_target = !adr;
		out->target = (uint64_t)a->operands[a->op_count - 1].imm;
		put(&b, "%.*s0x%" PRIx64, hash ? (int)(hash - in->op_str) : 0,
		    in->op_str, out->target);
		put_symbol(&b, out->target, sym, arg);
	} else {
		put(&b, "%s", in->op_str);
	}
	out->is_call = in_group(in, CS_GRP_CALL);
	out->is_ret = strcmp(in->mnemonic, "ret") == 0;
	if (!arm64_alias(d, in, out))
		snprintf(out->text, sizeof(out->text), "%s%s%s", in->mnemonic,
			 ops[0] ? "\t" : "", ops);
}

void disasm_one(struct disasm *d, const uint8_t *code, size_t len,
		uint64_t addr, disasm_symbol_fn *sym, void *arg,
		struct disasm_insn *out)
{
	const uint8_t *p = code;
	size_t n = len;
	uint64_t a = addr;

	memset(out, 0, sizeof(*out));
	out->addr = addr;
	if (!cs_disasm_iter(d->cs, &p, &n, &a, d->insn)) {
		/* arm64 instructions are 4 bytes, even those capstone 4 does
		 * not know (LSE atomics, PAC); x86_64 resyncs byte by byte */
		if (!d->x86 && len >= 4) {
			uint32_t w = code[0] | code[1] << 8 | code[2] << 16 |
				     (uint32_t)code[3] << 24;

			snprintf(out->text, sizeof(out->text),
				 ".inst\t0x%08x ; undefined", w);
			out->size = 4;
			return;
		}
		/* capstone 4 predates the protection-key instructions */
		if (d->x86 && len >= 3 && code[0] == 0x0f && code[1] == 0x01 &&
		    (code[2] == 0xee || code[2] == 0xef)) {
			snprintf(out->text, sizeof(out->text), "%-6s ",
				 code[2] == 0xee ? "rdpkru" : "wrpkru");
			out->size = 3;
			return;
		}
		snprintf(out->text, sizeof(out->text), "(bad)");
		out->size = len ? 1 : 0;
		return;
	}
	out->size = d->insn->size;
	if (d->x86)
		x86_format(d, d->insn, sym, arg, out);
	else
		arm64_format(d, d->insn, sym, arg, out);
}
