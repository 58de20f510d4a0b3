/* Every task of the dead kernel: what `ps` lists and what bt, foreach and
 * set will start from.
 *
 * Tasks are found three ways, and each task remembers which found it:
 * - the process list: init_task.tasks links every thread-group leader
 *   (kernel/fork.c: copy_process() adds a task to it only when it leads
 *   its group and has a pid), and each leader's signal->thread_head links
 *   the threads of its group (include/linux/sched/signal.h);
 * - the run queues: each possible CPU's struct rq (the per-CPU
 *   `runqueues` at __per_cpu_offset[cpu]) names its idle task, which is on
 *   no list (swapper/N, pid 0), and the task it was running (rq->curr),
 *   which is the CPU's active task;
 * - the pid namespace: init_pid_ns.idr maps every pid number to its struct
 *   pid, whose tasks[PIDTYPE_PID] is the task with that pid.
 * A task one way finds and another misses is kept and reported in
 * ktasks_problem(), never dropped.
 *
 * Layouts come from the kernel's BTF, by member presence (`__state` or
 * `state`, task->cpu or thread_info.cpu, mm rss counters as atomics (up
 * to 6.1) or percpu_counters (6.2+)); the state bits from the kernel's own
 * task_state_array (fs/proc/array.c) as crash reads them.
 */
#ifndef KDK_KERNEL_TASKS_H
#define KDK_KERNEL_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/btf.h"
#include "debuginfo/symtab.h"
#include "target/target.h"

#define KTASK_COMM_LEN 16	/* TASK_COMM_LEN */

/* How a task was found (ktask.found): a bit per way. */
enum ktask_found {
	KTASK_BY_LIST = 1 << 0,		/* init_task.tasks (group leaders) */
	KTASK_BY_THREADS = 1 << 1,	/* a leader's signal->thread_head */
	KTASK_BY_RQ_IDLE = 1 << 2,	/* some CPU's rq->idle */
	KTASK_BY_RQ_CURR = 1 << 3,	/* some CPU's rq->curr */
	KTASK_BY_PID = 1 << 4,		/* init_pid_ns.idr */
};

struct ktask {
	uint64_t addr;			/* its struct task_struct */
	int32_t pid, tgid;
	int32_t ppid;			/* real_parent->pid (as crash, drgn); -1 */
	uint64_t parent;		/* real_parent */
	int cpu;
	uint64_t state;			/* __state (or state) | exit_state */
	char st[5];			/* crash's name: "RU", "UN", "ID" ... */
	char comm[KTASK_COMM_LEN + 1];
	uint32_t flags;			/* PF_* */
	bool kthread;			/* PF_KTHREAD (crash's brackets) */
	uint64_t mm;			/* 0: no user memory */
	uint64_t rss_pages;		/* resident pages (file+anon+shmem) */
	uint64_t total_vm_pages;	/* mm->total_vm */
	uint64_t last_arrival;		/* sched_info.last_arrival, ns */
	uint64_t ksp;			/* saved kernel stack pointer */
	int policy;			/* SCHED_*; -1 unknown */
	int prio;
	bool active;			/* rq->curr of its CPU */
	bool idle;			/* rq->idle of its CPU */
	unsigned int found;		/* enum ktask_found bits */
};

struct ktasks;
struct task_state_bits;

/* Read every task. syms must have init_task; runqueues,
 * __per_cpu_offset, nr_cpu_ids, __cpu_possible_mask, _totalram_pages,
 * task_state_array and init_pid_ns are used when present, and what their
 * absence costs is said by ktasks_problem() / ktasks_states_source(). */
struct kdk_error *ktasks_load(struct target *t, const struct kbtf *btf,
			      const struct symtab *syms, struct ktasks **out);
void ktasks_free(struct ktasks *k);

/* In crash's order: by pid, the pid-0 idle tasks by CPU. */
size_t ktasks_count(const struct ktasks *k);
const struct ktask *ktasks_get(const struct ktasks *k, size_t i);
const struct ktask *ktasks_by_addr(const struct ktasks *k, uint64_t addr);
/* The first task with pid (the idle task of CPU 0 for pid 0). */
const struct ktask *ktasks_by_pid(const struct ktasks *k, int32_t pid);

/* CPUs the walk looked at (nr_cpu_ids), and each one's active task (NULL:
 * not known, e.g. no runqueues symbol, or not a possible CPU). */
int ktasks_cpus(const struct ktasks *k);
const struct ktask *ktasks_active(const struct ktasks *k, int cpu);
/* rq->clock of cpu in ns (for ps -m); false if unknown. */
bool ktasks_rq_clock(const struct ktasks *k, int cpu, uint64_t *ns);
/* CPU's struct rq (from runqueues, or found through its tasks). */
bool ktasks_rq(const struct ktasks *k, int cpu, uint64_t *rq);

/* The kernel's page size (VMCOREINFO PAGESIZE, else the dump's). */
uint32_t ktasks_page_size(const struct ktasks *k);
/* totalram_pages; 0 when unknown. */
uint64_t ktasks_totalram_pages(const struct ktasks *k);
/* %MEM's denominator as crash has it: the pages below __pa(high_memory)
 * (the direct map's end, holes included), else totalram_pages; 0. */
uint64_t ktasks_mem_pages(const struct ktasks *k);
/* "task_state_array" or the default it fell back to. */
const char *ktasks_states_source(const struct ktasks *k);
/* The state bits the states were named with (src/kernel/task_state.h). */
const struct task_state_bits *ktasks_state_bits(const struct ktasks *k);
/* Is the pid namespace cross-check done? */
bool ktasks_pid_checked(const struct ktasks *k);

/* Inconsistencies between the ways tasks were found, one sentence each:
 * "task ffff... (pid 12) is in the pid namespace but not on any task
 * list". */
size_t ktasks_problem_count(const struct ktasks *k);
const char *ktasks_problem(const struct ktasks *k, size_t i);

#endif
