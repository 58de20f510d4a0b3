/* Stack unwinding: from one register set to the chain of calls that led
 * there, as the kernel itself unwinds.
 *
 *  - x86_64 (x86_64.c): ORC, read from the dump's own memory (kernel and
 *    module tables; no vmlinux needed), through pt_regs frames (interrupts,
 *    exceptions, the user-mode entry at the top of a task stack) and across
 *    the IRQ stack and the IST exception stacks (NMI, #DF, #DB, #MC).
 *  - arm64 (arm64.c): the frame-record chain (x29, x30), with return
 *    addresses stripped of PAC bits, pt_regs frames found through the frame
 *    record each exception entry writes into pt_regs->stackframe (Linux
 *    5.x+ arch/arm64/kernel/entry.S), and the IRQ stack left through
 *    call_on_irq_stack.
 *
 * Frames are handed to a callback innermost first. Nothing here prints or
 * names symbols: the caller does (cmd/bt.c).
 */
#ifndef KDK_UNWIND_UNWIND_H
#define KDK_UNWIND_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/btf.h"
#include "debuginfo/symtab.h"
#include "target/target.h"

/* Registers in the order of the arch's pt_regs, which is also the order
 * of NT_PRSTATUS's elf_gregset_t as far as pt_regs goes: x86_64 r15 ..
 * ss (21), arm64 x0 .. x30, sp, pc, pstate (34; a pt_regs read from
 * the stack adds orig_x0 and syscallno). */
#define UNWIND_MAX_REGS 36

struct unwind_regs {
	uint64_t v[UNWIND_MAX_REGS];
	size_t n;
	bool from_call;		/* the pc is a return address (a sleeping
				   task's), not where an instruction stopped */
};

enum unwind_frame_kind {
	UNWIND_FRAME_START,	/* the register set unwinding began with */
	UNWIND_FRAME_CALL,	/* a return address found on the stack */
	UNWIND_FRAME_EXCEPTION,	/* a kernel-mode pt_regs: interrupt,
				   exception, NMI; pc is where it hit */
	UNWIND_FRAME_USER,	/* the user-mode pt_regs at the top of the
				   task stack: the end */
};

struct unwind_frame {
	enum unwind_frame_kind kind;
	uint64_t pc;		/* CALL: the return address (PAC stripped) */
	/* Where the frame was found: CALL: the address of the return address
	 * (x86_64) or of the frame record (arm64); START/EXCEPTION/USER: the
	 * stack pointer of the register set. */
	uint64_t sp;
	const char *stack;	/* the stack sp is on: "task", "IRQ", "NMI
				   exception" ... or NULL if not known */
	/* EXCEPTION/USER: the pt_regs and where it is in memory. */
	const struct unwind_regs *regs;
	uint64_t regs_addr;
	bool scanned;		/* found by scanning the stack, not by the
				   unwind rules (a function without them) */
};

typedef struct kdk_error *unwind_frame_fn(void *arg,
					  const struct unwind_frame *f);

struct unwind;

/* For reads whose failure only means "not known": true on success; an
 * error is freed. */
static inline bool unwind_ok(struct kdk_error *err)
{
	kdk_error_free(err);
	return !err;
}

/* The module whose memory holds addr: its struct module and name; false
 * if none. (The module list is the kernel/ layer's, above this one.) */
typedef bool unwind_module_fn(void *arg, uint64_t addr, uint64_t *module,
			      const char **name);

/*
 * Set up unwinding for t. syms: the kernel's symbols (kallsyms or a
 * vmlinux); mod_fn and btf may be NULL (module code then cannot be
 * unwound on x86_64; stacks are then not named). Errors when the arch
 * has no unwinder or (x86_64) no ORC table is found.
 */
struct kdk_error *unwind_open(struct target *t, const struct symtab *syms,
			      unwind_module_fn *mod_fn, void *mod_arg,
			      const struct kbtf *btf, struct unwind **out);
void unwind_free(struct unwind *u);

/*
 * The CPUs that saved registers: one NT_PRSTATUS note each, in CPU order
 * (kdump dumps and QEMU's alike). A kdump kernel writes notes only for
 * the CPUs that stopped (an arm64 CPU spinning with interrupts off never
 * does), so when there are fewer notes than CPUs (nr_cpu_ids) each note is
 * matched, in order, to the CPU whose current task has the note's pr_pid.
 * unwind_note_cpu() gives note i's CPU.
 */
size_t unwind_note_count(const struct unwind *u);
size_t unwind_note_cpu(const struct unwind *u, size_t note);
/* Whether the notes were matched to CPUs by PID, or taken as CPUs 0..n-1
 * without knowing (no runqueues or nr_cpu_ids in the symbols). */
bool unwind_notes_guessed(const struct unwind *u);

/* The registers CPU cpu saved; an error if it saved none. */
struct kdk_error *unwind_cpu_regs(struct unwind *u, size_t cpu,
				  struct unwind_regs *out);

/*
 * Where a task that is not running stopped: its context saved by the
 * last context switch (x86_64: the inactive_task_frame at thread.sp, as
 * __switch_to_asm pushed it; arm64: thread.cpu_context, as cpu_switch_to
 * saved it). Only the registers the switch saved are filled. Needs BTF.
 */
struct kdk_error *unwind_task_regs(struct unwind *u, uint64_t task,
				   struct unwind_regs *out);

/* The task current on cpu (runqueues.curr), 0 if not known. */
struct kdk_error *unwind_cpu_task(struct unwind *u, size_t cpu,
				  uint64_t *task);

/*
 * Unwind from regs, which CPU cpu held (for its IRQ and exception stacks;
 * task: the task it ran, for its stack bounds; 0 if not known). fn gets
 * every frame; a non-NULL return stops the walk and is returned. A frame
 * that cannot be unwound ends the walk with an error that says why, after
 * the frames found so far.
 */
struct kdk_error *unwind_from_regs(struct unwind *u, size_t cpu,
				   uint64_t task,
				   const struct unwind_regs *regs,
				   unwind_frame_fn *fn, void *arg);

/* Names an address for unwind_format_regs ("sysrq_handle_crash+24"); ""
 * if it cannot. */
typedef void unwind_symbolize_fn(void *arg, uint64_t addr, char *buf,
				 size_t len);

/* The architecture's names of regs->v[i] ("r15", "x0" ...), NULL past
 * the end, and the register block crash prints for a pt_regs: lines
 * ending in '\n', indented, into buf (truncated to len). */
const char *unwind_reg_name(const struct unwind *u, size_t i);
void unwind_format_regs(const struct unwind *u, const struct unwind_regs *r,
			unwind_symbolize_fn *sym, void *sym_arg, char *buf,
			size_t len);

/* Is a pt_regs from user mode? */
bool unwind_regs_user(const struct unwind *u, const struct unwind_regs *r);
uint64_t unwind_regs_pc(const struct unwind *u, const struct unwind_regs *r);
uint64_t unwind_regs_sp(const struct unwind *u, const struct unwind_regs *r);

#endif
