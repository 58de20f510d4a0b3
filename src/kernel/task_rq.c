#include "kernel/task_walk.h"

#include <inttypes.h>
#include <stdlib.h>

static bool cpu_possible(const uint8_t *mask, size_t mask_len, int cpu)
{
	if (!mask)
		return true;
	return (size_t)cpu / 8 < mask_len && (mask[cpu / 8] >> (cpu % 8)) & 1;
}

/* One CPU's run queue: its idle task and its current one. */
static struct kdk_error *use_rq(struct walk *w, int cpu, uint64_t rq)
{
	const struct task_layout *l = w->l;
	struct ktasks *k = w->k;
	struct kdk_error *err;
	uint64_t curr, idle;
	struct ktask *task;

	err = task_read_u64(w->t, rq + l->rq_idle.offset, &idle);
	if (!err)
		err = task_read_u64(w->t, rq + l->rq_curr.offset, &curr);
	if (!err)
		err = task_read_u64(w->t, rq + l->rq_clock.offset, &k->rq_clock[cpu]);
	if (!err && idle) {
		err = task_walk_add(w, idle, KTASK_BY_RQ_IDLE, &task);
		if (!err)
			task->idle = true;
	}
	if (!err && curr) {
		err = task_walk_add(w, curr, KTASK_BY_RQ_CURR, &task);
		if (!err) {
			task->active = true;
			k->active[cpu] = curr;
		}
	}
	if (err)
		return task_walk_soft(k, err, "CPU %d: run queue at 0x%" PRIx64, cpu, rq);
	k->has_rq[cpu] = true;
	k->rq[cpu] = rq;
	return NULL;
}

/* Without runqueues: each CPU's rq from a task that ran there, through
 * its sched entity's cfs_rq (set_task_rq() points it at the CPU's own
 * queue, or a group's queue on that CPU, whose ->rq is the CPU's rq), and
 * kept only if rq->cpu says the same CPU. Every online CPU has tasks of
 * its own (ksoftirqd/N, migration/N). */
static struct kdk_error *walk_runqueues_by_tasks(struct walk *w)
{
	const struct task_layout *l = w->l;
	struct ktasks *k = w->k;
	size_t n = k->n;

	for (size_t i = 0; i < n; i++) {
		const struct ktask task = k->tasks[i];
		uint64_t cfs_rq = 0, rq = 0, cpu = 0;
		struct kdk_error *err;

		if (task.cpu < 0 || task.cpu >= k->cpus || k->has_rq[task.cpu])
			continue;
		err = task_read_u64(w->t, task.addr + l->se_cfs_rq.offset, &cfs_rq);
		if (!err && cfs_rq)
			err = task_read_u64(w->t, cfs_rq + l->cfs_rq_rq.offset, &rq);
		if (!err && cfs_rq)
			err = task_read_sized(w->t, rq + l->rq_cpu.offset,
					 l->rq_cpu.size, &cpu);
		if (err) {
			kdk_error_free(err);
			continue;
		}
		if (cfs_rq && rq && cpu == (uint64_t)task.cpu) {
			err = use_rq(w, task.cpu, rq);
			if (err)
				return err;
		}
	}
	for (int cpu = 0; cpu < k->cpus; cpu++)
		if (!k->has_rq[cpu])
			return task_walk_problem(k, "CPU %d: no run queue found through "
				       "its tasks: its idle and active task "
				       "are not known", cpu);
	return NULL;
}

/* x86 keeps each CPU's running task in the per-CPU current_task too
 * (arch/x86/include/asm/current.h); it and rq->curr part only inside a
 * context switch, which a dump should say. */
static struct kdk_error *check_current(struct walk *w, int cpu,
				       uint64_t addr)
{
	struct ktasks *k = w->k;
	struct kdk_error *err;
	struct ktask *task;
	uint64_t cur;

	err = task_read_u64(w->t, addr, &cur);
	if (err)
		return task_walk_soft(k, err, "CPU %d: current_task", cpu);
	if (!cur || cur == k->active[cpu])
		return NULL;
	err = task_walk_add(w, cur, KTASK_BY_RQ_CURR, &task);
	if (err)
		return task_walk_soft(k, err, "CPU %d: current_task", cpu);
	return task_walk_problem(k, "CPU %d: current_task is %" PRIx64 " (pid %" PRId32
		       ") but the run queue's curr is %" PRIx64 ": it was "
		       "switching tasks", cpu, cur, task->pid, k->active[cpu]);
}

/* Each possible CPU's run queue: the per-CPU `runqueues`. */
struct kdk_error *task_rq_walk(struct walk *w, const struct symtab *syms)
{
	struct ktasks *k = w->k;
	uint64_t runqueues, offsets, mask_addr, current_task = 0;
	uint8_t mask[MAX_CPUS / 8];
	bool have_mask, has_current;

	if (task_no_sym(syms, "runqueues", &runqueues) ||
	    task_no_sym(syms, "__per_cpu_offset", &offsets)) {
		if (w->l->has_se_rq)
			return walk_runqueues_by_tasks(w);
		return task_walk_problem(k, "runqueues or __per_cpu_offset is not in "
			       "the symbols: the idle tasks of CPUs other "
			       "than 0 and the active tasks are not known "
			       "(give the vmlinux)");
	}
	k->per_cpu_offsets = offsets;
	has_current = !task_no_sym(syms, "current_task", &current_task);
	have_mask = !task_no_sym(syms, "__cpu_possible_mask",
				     &mask_addr) &&
		    !target_read_kvaddr(w->t, mask_addr, mask,
					(size_t)(k->cpus + 7) / 8);
	for (int cpu = 0; cpu < k->cpus; cpu++) {
		struct kdk_error *err;
		uint64_t off;

		if (!cpu_possible(have_mask ? mask : NULL, sizeof(mask), cpu))
			continue;
		err = task_read_u64(w->t, offsets + 8 * (uint64_t)cpu, &off);
		if (!err)
			err = use_rq(w, cpu, runqueues + off);
		if (!err && has_current)
			err = check_current(w, cpu, current_task + off);
		if (err)
			return kdk_error_wrap(err, "CPU %d", cpu);
	}
	return NULL;
}

/* nr_cpu_ids, else the CPUs the tasks ran on (every online CPU has
 * kthreads of its own); then the per-CPU arrays. */
struct kdk_error *task_rq_size_cpus(struct walk *w, const struct symtab *syms)
{
	struct ktasks *k = w->k;
	uint64_t addr, v;

	k->cpus = 1;
	if (!task_no_sym(syms, "nr_cpu_ids", &addr) &&
	    !task_read_sized(w->t, addr, 4, &v) && v >= 1 && v <= MAX_CPUS) {
		k->cpus = (int)v;
	} else {
		for (size_t i = 0; i < k->n; i++)
			if (k->tasks[i].cpu >= k->cpus &&
			    k->tasks[i].cpu < MAX_CPUS)
				k->cpus = k->tasks[i].cpu + 1;
	}
	k->active = calloc((size_t)k->cpus, sizeof(*k->active));
	k->rq_clock = calloc((size_t)k->cpus, sizeof(*k->rq_clock));
	k->has_rq = calloc((size_t)k->cpus, sizeof(*k->has_rq));
	k->rq = calloc((size_t)k->cpus, sizeof(*k->rq));
	if (!k->active || !k->rq_clock || !k->has_rq || !k->rq)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	return NULL;
}

