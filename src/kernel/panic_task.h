/* The task that panicked: what crash's context starts at.
 *
 * panic() (and, for an oops going straight to a capture kernel,
 * crash_kexec()) claims the kernel's panic_cpu (kernel/panic.c: an
 * atomic_t, PANIC_CPU_INVALID = -1 until then) for the CPU it runs on;
 * that CPU's current task is the panic task. Where the symbols lack
 * panic_cpu (arm64 kallsyms has text symbols only), the CPU is the one
 * whose saved registers unwind through panic(), vpanic() or
 * crash_kexec(), as crash looks for it too; failing that (an oops that
 * went straight to kdump saved the faulting registers), the CPU and PID
 * of the last "CPU: N PID: P Comm: ..." header the kernel logged, if P is
 * the task active on N. A panic_cpu that can be read and says nobody
 * panicked (a live kernel) is believed.
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
	PANIC_TASK_LOG,			/* the log's last CPU/PID header */
};

/* The panic task, or KDK_ERR_NOT_FOUND when nothing says a CPU panicked
 * (a live kernel, a dump taken without a panic). btf may be NULL (stacks
 * of tasks then unknown to the unwinder). */
struct kdk_error *panic_task_find(struct target *t, const struct symtab *syms,
				  const struct kbtf *btf,
				  const struct ktasks *k,
				  const struct ktask **out,
				  enum panic_task_source *how);

#endif
