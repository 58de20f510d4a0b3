/* dis: disassemble kernel text from the dump's memory (the code as it
 * ran, with the kernel's own run-time patches), in crash's layout:
 *
 *   0xffffffff834a89f5 <sysrq_handle_crash+5>:	call   0xffff... <panic>
 *
 * A function name (or its start address) alone disassembles the whole
 * function; any other address one instruction; a count that many. -r runs
 * from the function's start up to the address, -f from the address to the
 * function's end. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/disasm.h"
#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "debuginfo/symtab.h"
#include "dump/dump.h"
#include "kernel/modules.h"
#include "target/target.h"

#define MAX_INSN 16		/* x86_64's longest instruction */

struct dis_opts {
	bool reverse, forward, hex_offsets, lines;
	bool count_given;
	uint64_t count;
};

struct dis_ctx {
	struct session *s;
	bool hex_offsets;
	/* -l: the source line shown last, shown again when it changes */
	bool lines;
	char file[512];
	int line;
};

/* -l: "FILE: LINE" above the first instruction of each source line, as
 * crash shows it (from the vmlinux's DWARF line table). */
static void print_source_line(struct session *s, struct json_writer *w,
			      struct dis_ctx *c, uint64_t addr)
{
	char file[sizeof(c->file)];
	int line;

	if (!c->lines || !session_source_line(s, addr, file, sizeof(file),
					      &line))
		return;
	if (s->json) {
		json_key_string(w, "file", file);
		json_key_uint(w, "line", (uint64_t)line);
		return;
	}
	if (line == c->line && strcmp(file, c->file) == 0)
		return;
	fprintf(s->out, "%s: %d\n", file, line);
	snprintf(c->file, sizeof(c->file), "%s", file);
	c->line = line;
}

/* The function holding addr: its start, size (0: unknown) and name. */
static bool function_of(struct session *s, uint64_t addr, uint64_t *start,
			uint64_t *size, const char **name)
{
	const struct kmodules *mods;
	const struct kmodule *mod;
	const struct sym *sym;
	uint64_t off;
	struct kdk_error *err = session_modules(s, &mods);

	if (!err && kmodules_by_addr(mods, addr, NULL)) {
		err = kmodules_lookup_addr(mods, addr, &mod, &sym);
		if (!err)
			err = sym_lookup_addr(mod->symbols, addr, name, &off,
					      size);
	} else {
		kdk_error_free(err);
		err = s->symbols ? sym_lookup_addr(s->symbols, addr, name, &off,
						   size) :
			kdk_error(KDK_ERR_NOT_FOUND, "no symbols");
	}
	if (err) {
		kdk_error_free(err);
		return false;
	}
	*start = addr - off;
	return true;
}

/* The kernel image or a module: gdb names no other address (per-CPU
 * offsets such as 0x1fb40 <__preempt_count> stay numbers). */
static bool in_text(struct session *s, uint64_t addr)
{
	const struct kmodules *mods;
	struct kdk_error *err;

	if (address_in_image(s, addr))
		return true;
	err = session_modules(s, &mods);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	return kmodules_by_addr(mods, addr, NULL);
}

static bool symbolize(void *arg, uint64_t addr, char *buf, size_t len)
{
	struct dis_ctx *c = arg;
	uint64_t start, size;
	const char *name;

	if (!in_text(c->s, addr) ||
	    !function_of(c->s, addr, &start, &size, &name) ||
	    (size && addr - start >= size))
		return false;
	if (addr == start)
		snprintf(buf, len, "<%s>", name);
	else if (c->hex_offsets)
		snprintf(buf, len, "<%s+0x%" PRIx64 ">", name, addr - start);
	else
		snprintf(buf, len, "<%s+%" PRIu64 ">", name, addr - start);
	return true;
}

static void print_insn(struct session *s, struct json_writer *w,
		       struct dis_ctx *c, const struct disasm_insn *in,
		       const uint8_t *bytes)
{
	char label[256] = "";

	symbolize(c, in->addr, label, sizeof(label));
	if (s->json) {
		json_begin_object(w);
		json_key_uint(w, "address", in->addr);
		json_key_string(w, "symbol", label);
		json_key_uint(w, "size", in->size);
		json_key_string(w, "text", in->text);
		json_key(w, "bytes");
		json_begin_array(w);
		for (unsigned int i = 0; i < in->size; i++)
			json_uint(w, bytes[i]);
		json_end_array(w);
		if (in->has_target)
			json_key_uint(w, "target", in->target);
		print_source_line(s, w, c, in->addr);
		json_end_object(w);
		return;
	}
	print_source_line(s, w, c, in->addr);
	fprintf(s->out, "0x%" PRIx64 " %s:\t%s%s\n", in->addr, label, in->text,
		in->ftrace_nop && strstr(label, "+") == NULL ?
		" [FTRACE NOP]" : "");
}

static struct kdk_error *read_insn(struct session *s, struct disasm *d,
				   struct dis_ctx *c, uint64_t addr,
				   uint8_t *code, struct disasm_insn *in)
{
	size_t n = MAX_INSN;
	struct kdk_error *err;

	/* the last instruction may end where readable memory does */
	while ((err = target_read_kvaddr(s->target, addr, code, n)) && n > 1) {
		kdk_error_free(err);
		n = (addr | 0xfff) - addr + 1 < n ? (addr | 0xfff) - addr + 1 :
		    n - 1;
	}
	if (err)
		return kdk_error_wrap(err, "reading text at 0x%" PRIx64, addr);
	disasm_one(d, code, n, addr, symbolize, c, in);
	if (!in->size)
		in->size = 1;
	return NULL;
}

/* Where a function's code ends: without the NOPs and INT3s that pad it
 * to the next function's alignment (kallsyms has no sizes; gdb's come
 * from the vmlinux's symbol table, which leaves the padding out). A RET
 * followed by four INT3s is x86_64's patched return thunk (5 bytes,
 * `jmp __x86_return_thunk` as compiled): those INT3s are the function's. */
#define RET_THUNK_INT3 4
static struct kdk_error *code_end(struct session *s, struct disasm *d,
				  struct dis_ctx *c, uint64_t addr,
				  uint64_t end, uint64_t *out)
{
	bool after_ret = false;
	unsigned int int3s = 0;

	*out = end;
	for (uint64_t a = addr; a < end;) {
		uint8_t code[MAX_INSN];
		struct disasm_insn in;
		struct kdk_error *err = read_insn(s, d, c, a, code, &in);

		if (err)
			return err;
		a += in.size;
		if (!in.padding) {
			*out = a;
			after_ret = in.is_ret;
			int3s = 0;
		} else if (after_ret && in.size == 1 && code[0] == 0xcc &&
			   int3s < RET_THUNK_INT3) {
			int3s++;
			*out = a;
		}
	}
	return NULL;
}

/* Instructions from addr: count of them, or up to end (exclusive). */
static struct kdk_error *run(struct session *s, struct disasm *d,
			     struct json_writer *w, struct dis_ctx *c,
			     uint64_t addr, uint64_t count, uint64_t end)
{
	for (uint64_t i = 0; i < count && addr < end; i++) {
		uint8_t code[MAX_INSN];
		struct disasm_insn in;
		struct kdk_error *err = read_insn(s, d, c, addr, code, &in);

		if (err)
			return err;
		print_insn(s, w, c, &in, code);
		addr += in.size;
	}
	return NULL;
}

static struct kdk_error *parse(struct session *s, int argc, char **argv,
			       struct dis_opts *o, int *ind)
{
	struct command_opts co;
	struct kdk_error *err;
	int c;

	memset(o, 0, sizeof(*o));
	o->hex_offsets = s->radix == 16;
	command_opts_init(&co, argc, argv);
	while ((c = command_opts_next(&co, &cmd_dis_def, "rfxdl", &err)) != 0) {
		if (err)
			return err;
		switch (c) {
		case 'r': o->reverse = true; break;
		case 'f': o->forward = true; break;
		case 'x': o->hex_offsets = true; break;
		case 'd': o->hex_offsets = false; break;
		case 'l': o->lines = true; break;
		}
	}
	*ind = co.ind;
	if (co.ind >= argc)
		return command_usage(&cmd_dis_def, "an address or a function "
				     "is needed");
	if (co.ind + 2 < argc)
		return command_usage(&cmd_dis_def, "one address and one count");
	if (o->reverse && o->forward)
		return command_usage(&cmd_dis_def, "-r and -f go opposite ways");
	if (co.ind + 1 < argc) {
		err = address_parse_number(s, argv[co.ind + 1], &o->count);
		if (err)
			return kdk_error_wrap(err, "count %s", argv[co.ind + 1]);
		o->count_given = true;
	}
	return NULL;
}

static struct kdk_error *cmd_dis(struct session *s, int argc, char **argv)
{
	struct dis_opts o;
	struct dis_ctx c = { .s = s };
	struct disasm *d;
	struct json_writer w;
	uint64_t addr, start = 0, size = 0, end = UINT64_MAX, count;
	const char *name = NULL;
	bool in_function;
	struct kdk_error *err;
	int ind = 0;

	err = parse(s, argc, argv, &o, &ind);
	if (err)
		return err;
	c.hex_offsets = o.hex_offsets;
	c.lines = o.lines;
	if (o.lines) {
		struct kdwarf *kd;

		err = session_dwarf(s, &kd);
		if (err)
			return kdk_error_wrap(err, "-l needs the vmlinux's "
					      "line table");
	}
	err = address_parse(s, argv[ind], &addr);
	if (err)
		return err;
	in_function = function_of(s, addr, &start, &size, &name) &&
		      (!size || addr - start < size);
	if ((o.reverse || o.forward) && (!in_function || !size))
		return kdk_error(KDK_ERR_NOT_FOUND, "0x%" PRIx64 " is in no "
				 "function of known size", addr);
	if (o.reverse) {
		end = addr + 1;
		addr = start;
		count = UINT64_MAX;
	} else if (o.forward) {
		end = start + size;
		count = UINT64_MAX;
	} else if (o.count_given) {
		count = o.count;
	} else if (in_function && addr == start && size) {
		end = start + size;
		count = UINT64_MAX;
	} else {
		count = 1;
	}
	err = disasm_new(dump_facts(s->dump)->machine, &d);
	if (err)
		return err;
	if (count == UINT64_MAX && !o.reverse)
		err = code_end(s, d, &c, addr, end, &end);
	if (err) {
		disasm_free(d);
		return err;
	}
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	err = run(s, d, &w, &c, addr, count, end);
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	disasm_free(d);
	return err;
}

const struct command cmd_dis_def = {
	.name = "dis",
	.fn = cmd_dis,
	.summary = "disassemble",
	.synopsis = "dis [-r|-f] [-l] [-x|-d] address|function [count]",
	.help =
"Disassembles kernel text as it is in the dump's memory, which is the code\n"
"that ran, with the kernel's own run-time patches (alternatives, static\n"
"keys, ftrace NOPs), and works without a vmlinux. x86_64 is written in\n"
"AT&T syntax as gdb and crash write it, arm64 in ARM syntax. Branch\n"
"targets and %rip-relative operands are named by symbol.\n"
"\n"
"  address   a kernel address or an expression of symbols; a function's\n"
"            name (or start) alone disassembles the whole function, any\n"
"            other address one instruction.\n"
"  count     how many instructions.\n"
"  -r        from the start of the function up to the address: the\n"
"            instructions that led to a return address in a backtrace.\n"
"  -f        from the address to the end of its function.\n"
"  -x, -d    offsets from symbols in hexadecimal, or decimal (the\n"
"            default follows `set radix`).\n"
"  -l        the source file and line above the first instruction of\n"
"            each line, from the vmlinux's DWARF (so only with one).",
	.examples =
"  crash> dis -r ffffffff834a8a06\n"
"  0xffffffff834a89f0 <sysrq_handle_crash>:\tnopl   0x0(%rax,%rax,1) [FTRACE NOP]\n"
"  0xffffffff834a89f5 <sysrq_handle_crash+5>:\tcall   0xffffffff82f28270 <__rcu_read_unlock>\n"
"  ...",
	.flags = CMD_NEEDS_TARGET,
};
