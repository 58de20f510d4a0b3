/* The task walk's own state, shared by src/kernel/tasks.c (the lists,
 * the pid namespace, memory) and task_rq.c (the run queues). Private to
 * src/kernel/. */
#ifndef KDK_KERNEL_TASK_WALK_H
#define KDK_KERNEL_TASK_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "kernel/task_layout.h"
#include "kernel/task_state.h"
#include "kernel/tasks.h"
#include "target/target.h"

#define MAX_CPUS 8192

struct ktasks {
	struct ktask *tasks;
	size_t n, cap;
	/* task address -> index + 1, open addressing */
	size_t *slots;
	size_t n_slots;

	int cpus;
	uint64_t *active;		/* per CPU: rq->curr, 0 unknown */
	uint64_t *rq_clock;		/* per CPU: rq->clock */
	uint64_t *rq;			/* per CPU: its struct rq */
	bool *has_rq;
	uint64_t totalram;
	uint32_t page_size;
	uint64_t mem_pages;		/* __pa(high_memory) in pages; 0 */
	struct task_state_bits bits;
	bool pid_checked;
	bool init_task_scanned;		/* found by task_find_init_task() */
	uint64_t per_cpu_offsets;	/* __per_cpu_offset; 0 unknown */

	char **problems;
	size_t n_problems;
};

struct walk {
	struct target *t;
	const struct task_layout *l;
	struct ktasks *k;
	uint8_t *buf;			/* one task_struct */
};

/* Add the task at addr (read once) or mark how it was found again. */
struct kdk_error *task_walk_add(struct walk *w, uint64_t addr,
				unsigned int how, struct ktask **out);
/* Keep one sentence for ktasks_problem(). */
__attribute__((format(printf, 2, 3)))
struct kdk_error *task_walk_problem(struct ktasks *k, const char *fmt, ...);
/* err becomes a problem (and is freed), unless it is out of memory. */
__attribute__((format(printf, 3, 4)))
struct kdk_error *task_walk_soft(struct ktasks *k, struct kdk_error *err,
				 const char *fmt, ...);
struct kdk_error *task_read_u64(struct target *t, uint64_t addr,
				uint64_t *v);
struct kdk_error *task_read_sized(struct target *t, uint64_t addr,
				  size_t size, uint64_t *v);
/* Is name missing from st? Else *addr is its address. */
bool task_no_sym(const struct symtab *st, const char *name, uint64_t *addr);

/* task_rq.c: how many CPUs and their arrays; then each CPU's run queue. */
struct kdk_error *task_rq_size_cpus(struct walk *w, const struct symtab *syms);
struct kdk_error *task_rq_walk(struct walk *w, const struct symtab *syms);

#endif
