/* Disassembly of kernel text, one instruction at a time, written as gdb
 * (and so crash's `dis`) writes it: AT&T syntax on x86_64 (capstone's
 * decoding, formatted here the way binutils formats it: no size suffix
 * where a register operand gives the size, "0x0(%rax,%rax,1)" when a
 * displacement is encoded, "# 0xTARGET <sym>" after %rip-relative
 * operands), and the ARM syntax on arm64.
 *
 * Addresses inside operands (branch targets, %rip-relative data) are
 * named through a callback, so this file knows no symbol table.
 */
#ifndef KDK_ARCH_DISASM_H
#define KDK_ARCH_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Write "<name+off>" (or "<name>") for addr into buf; false if no
 * symbol holds it. */
typedef bool disasm_symbol_fn(void *arg, uint64_t addr, char *buf,
			      size_t len);

struct disasm;

/* machine: "x86_64" or "aarch64" (dump_facts()->machine). */
struct kdk_error *disasm_new(const char *machine, struct disasm **out);
void disasm_free(struct disasm *d);

struct disasm_insn {
	uint64_t addr;
	unsigned int size;		/* bytes; 0: not an instruction */
	char text[512];			/* "mov    %rsp,%rbp" */
	bool ftrace_nop;		/* x86_64: the 5-byte NOP of a call
					 * site ftrace patches */
	bool padding;			/* a NOP or INT3: what aligns the
					 * next function, at a function's end */
	bool is_ret;
	bool is_call;
	uint64_t target;		/* is_call or a jump: where to */
	bool has_target;
};

/* Decode the instruction at addr from code[0..len). */
void disasm_one(struct disasm *d, const uint8_t *code, size_t len,
		uint64_t addr, disasm_symbol_fn *sym, void *arg,
		struct disasm_insn *out);

#endif
