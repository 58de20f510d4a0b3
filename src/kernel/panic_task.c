#include "kernel/panic_task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/printk.h"
#include "kernel/sysinfo.h"
#include "unwind/unwind.h"

/* The functions a panicking CPU's stack passes through, whatever started
 * it: panic() (vpanic() on newer kernels), and crash_kexec() or
 * __crash_kexec() when an oops goes to the capture kernel first. */
static const char *const panic_functions[] = {
	"panic", "vpanic", "crash_kexec", "__crash_kexec",
};

struct stack_search {
	const struct symtab *syms;
	bool found;
};

static struct kdk_error *panic_frame(void *arg, const struct unwind_frame *f)
{
	struct stack_search *ss = arg;
	const char *name;
	uint64_t off;

	if (f->kind != UNWIND_FRAME_CALL && f->kind != UNWIND_FRAME_START)
		return NULL;
	if (!unwind_ok(sym_lookup_addr(ss->syms, f->pc, &name, &off, NULL)))
		return NULL;
	for (size_t i = 0; i < sizeof(panic_functions) /
			       sizeof(panic_functions[0]); i++)
		if (strcmp(name, panic_functions[i]) == 0)
			ss->found = true;
	return NULL;
}

/* The kernel's panic_cpu: false if it cannot be read (no symbol); else
 * *out is the panic task, NULL when panic_cpu says nobody panicked
 * (PANIC_CPU_INVALID). */
static bool by_panic_cpu(struct target *t, const struct symtab *syms,
			 const struct ktasks *k, const struct ktask **out)
{
	uint64_t addr;
	int32_t cpu;

	if (!unwind_ok(sysinfo_symbol(target_dump(t), syms, "panic_cpu",
				      &addr)) ||
	    !unwind_ok(target_read_kvaddr(t, addr, &cpu, sizeof(cpu))))
		return false;
	*out = cpu >= 0 && cpu < ktasks_cpus(k) ? ktasks_active(k, cpu) : NULL;
	return true;
}

struct log_search {
	int cpu;
	int32_t pid;
};

/* lib/dump_stack.c: dump_stack_print_info() heads every oops, BUG,
 * WARN and panic stack dump with "CPU: %d PID: %d Comm: %.20s ...". */
static struct kdk_error *cpu_line(void *arg, const struct printk_record *r)
{
	struct log_search *ls = arg;
	char head[64];
	size_t n = r->text_len < sizeof(head) - 1 ? r->text_len :
		   sizeof(head) - 1;
	int cpu, pid;

	memcpy(head, r->text, n);
	head[n] = '\0';
	if (sscanf(head, "CPU: %d PID: %d Comm: ", &cpu, &pid) == 2) {
		ls->cpu = cpu;
		ls->pid = pid;
	}
	return NULL;
}

/*
 * The kernel's own last word on who crashed: the last "CPU: N PID: P"
 * line of its log, taken only if P is then the active task of CPU N. An
 * oops that goes straight to a capture kernel saves the faulting
 * registers, not a stack through panic(), so on arm64 without panic_cpu
 * this is what is left.
 */
static const struct ktask *by_log(struct target *t, const struct ktasks *k)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(target_dump(t));
	struct log_search ls = { .cpu = -1 };
	const struct ktask *task;

	if (!vi || !unwind_ok(printk_each(t, vi, cpu_line, &ls)) ||
	    ls.cpu < 0 || ls.cpu >= ktasks_cpus(k))
		return NULL;
	task = ktasks_active(k, ls.cpu);
	return task && task->pid == ls.pid ? task : NULL;
}

/*
 * The task of CPU note i, by the task list's own active tasks (which ps
 * shows, found without symbols too). A kdump kernel writes notes only
 * for the CPUs that stopped, in CPU order, with the PID of the task each
 * ran (kernel/crash_core.c: crash_save_cpu()); QEMU writes one per vCPU.
 * So with a note per CPU, note i is CPU i; with fewer, note i is the
 * next CPU whose active task has the note's PID.
 */
static const struct ktask *note_task(struct dump *d, const struct ktasks *k,
				     size_t note, size_t n_notes, int *next)
{
	struct dump_prstatus pr;

	if (n_notes >= (size_t)ktasks_cpus(k))
		return ktasks_active(k, (int)note);
	if (!unwind_ok(dump_cpu_prstatus(d, note, &pr)))
		return NULL;
	for (; *next < ktasks_cpus(k); (*next)++) {
		const struct ktask *task = ktasks_active(k, *next);

		if (task && task->pid == pr.pid) {
			(*next)++;
			return task;
		}
	}
	return NULL;
}

static const struct ktask *by_stack(struct target *t,
				    const struct symtab *syms,
				    const struct kbtf *btf,
				    const struct ktasks *k)
{
	struct stack_search ss = { .syms = syms };
	const struct ktask *hit = NULL;
	struct unwind *u;
	size_t n;
	int next = 0;

	if (!unwind_ok(unwind_open(t, syms, NULL, NULL, btf, &u)))
		return NULL;
	n = unwind_note_count(u);
	for (size_t note = 0; note < n && !hit; note++) {
		/* the unwinder's CPU for the note: its registers come by it */
		size_t cpu = unwind_note_cpu(u, note);
		const struct ktask *task = note_task(target_dump(t), k, note,
						     n, &next);
		struct unwind_regs regs;

		if (!task || !unwind_ok(unwind_cpu_regs(u, cpu, &regs)))
			continue;
		ss.found = false;
		kdk_error_free(unwind_from_regs(u, cpu, task->addr, &regs,
						panic_frame, &ss));
		if (ss.found)
			hit = task;
	}
	unwind_free(u);
	return hit;
}

struct kdk_error *panic_task_find(struct target *t, const struct symtab *syms,
				  const struct kbtf *btf,
				  const struct ktasks *k,
				  const struct ktask **out,
				  enum panic_task_source *how)
{
	const struct ktask *task = NULL;

	*how = PANIC_TASK_PANIC_CPU;
	if (!by_panic_cpu(t, syms, k, &task)) {
		*how = PANIC_TASK_STACK;
		task = syms ? by_stack(t, syms, btf, k) : NULL;
		if (!task) {
			*how = PANIC_TASK_LOG;
			task = by_log(t, k);
		}
	}
	if (!task)
		return kdk_error(KDK_ERR_NOT_FOUND, "no task panicked by what "
				 "the dump says (panic_cpu unset or unknown, "
				 "no CPU's stack through panic())");
	*out = task;
	return NULL;
}
