/* The task that panicked: what crash's context starts at.
 *
 * panic() (and, for an oops going straight to a capture kernel,
 * crash_kexec()) claims the kernel's panic_cpu (kernel/panic.c: an
 * atomic_t, PANIC_CPU_INVALID = -1 until then) for the CPU it runs on;
 * that CPU's current task is the panic task. Where the symbols lack
 * panic_cpu (arm64 kallsyms has text symbols only), the CPU is the one
 * whose saved registers unwind through panic(), vpanic() or
 * crash_kexec(), as crash looks for it too.
 */
#ifndef KDK_KERNEL_PANIC_TASK_H
#define KDK_KERNEL_PANIC_TASK_H

#include "base/error.h"
#include "debuginfo/btf.h"
#include "debuginfo/symtab.h"
#include "kernel/tasks.h"
#include "target/target.h"

/* How the panic task was found (for messages and JSON). */
enum panic_task_source {
	PANIC_TASK_PANIC_CPU,		/* the kernel's panic_cpu */
	PANIC_TASK_STACK,		/* a CPU's stack through panic() */
};

/* The panic task, or KDK_ERR_NOT_FOUND when nothing says a CPU panicked
 * (a live kernel, a dump taken without a panic). btf may be NULL (no
 * stack search then on x86_64 module code; names of stacks unknown). */
struct kdk_error *panic_task_find(struct target *t, const struct symtab *syms,
				  const struct kbtf *btf,
				  const struct ktasks *k,
				  const struct ktask **out,
				  enum panic_task_source *how);

#endif
