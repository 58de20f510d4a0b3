#include "kernel/task_layout.h"

#include <inttypes.h>
#include <stddef.h>

struct want {
	const char *type, *path;
	struct kbtf_member *out;
};

static struct kdk_error *find_all(const struct kbtf *btf,
				  const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct kdk_error *err = kbtf_member(btf, w[i].type, w[i].path,
						    w[i].out);
		if (err)
			return err;
	}
	return NULL;
}

/* The first of the paths struct type has. */
static struct kdk_error *first_of(const struct kbtf *btf, const char *type,
				  const char *const *paths,
				  struct kbtf_member *out)
{
	for (size_t i = 0; paths[i]; i++)
		if (kbtf_has_member(btf, type, paths[i]))
			return kbtf_member(btf, type, paths[i], out);
	return kdk_error(KDK_ERR_NOT_FOUND, "struct %s has none of %s ...",
			 type, paths[0]);
}

static void extend(uint64_t *end, const struct kbtf_member *m)
{
	if (m->offset + m->size > *end)
		*end = m->offset + m->size;
}

static void set_read_size(struct task_layout *l)
{
	const struct kbtf_member *used[] = {
		&l->tasks, &l->pid, &l->tgid, &l->real_parent, &l->comm,
		&l->mm, &l->flags, &l->state, &l->exit_state, &l->cpu,
		&l->pid_links,
	};
	uint64_t end = 0;

	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		extend(&end, used[i]);
	if (l->has_threads) {
		extend(&end, &l->signal);
		extend(&end, &l->thread_node);
	}
	if (l->has_last_arrival)
		extend(&end, &l->last_arrival);
	if (l->has_ksp)
		extend(&end, &l->ksp);
	if (l->has_policy) {
		extend(&end, &l->policy);
		extend(&end, &l->prio);
	}
	if (l->has_task_rss)
		extend(&end, &l->task_rss);
	if (l->has_se_rq)
		extend(&end, &l->se_cfs_rq);
	l->read_size = end < l->task_size ? end : l->task_size;
}

static const char *const state_paths[] = { "__state", "state", NULL };
static const char *const cpu_paths[] = { "cpu", "thread_info.cpu", NULL };
static const char *const ksp_paths[] = { "thread.sp", "thread.cpu_context.sp",
					 "thread.ksp", NULL };

struct kdk_error *task_layout_find(const struct kbtf *btf,
				   struct task_layout *l)
{
	const struct want base[] = {
		{ "task_struct", "tasks", &l->tasks },
		{ "task_struct", "pid", &l->pid },
		{ "task_struct", "tgid", &l->tgid },
		{ "task_struct", "real_parent", &l->real_parent },
		{ "task_struct", "comm", &l->comm },
		{ "task_struct", "mm", &l->mm },
		{ "task_struct", "flags", &l->flags },
		{ "task_struct", "exit_state", &l->exit_state },
		{ "task_struct", "pid_links", &l->pid_links },
		{ "mm_struct", "total_vm", &l->mm_total_vm },
		{ "mm_struct", "rss_stat", &l->mm_rss },
		{ "rq", "curr", &l->rq_curr },
		{ "rq", "idle", &l->rq_idle },
		{ "rq", "clock", &l->rq_clock },
		{ "pid", "tasks", &l->pid_tasks },
		{ "pid_namespace", "idr.idr_rt.xa_head", &l->ns_idr_head },
		{ "xa_node", "shift", &l->xa_shift },
		{ "xa_node", "slots", &l->xa_slots },
	};
	struct kbtf_member numbers = { 0 };
	struct kdk_error *err;
	uint32_t id;

	err = kbtf_find_struct(btf, "task_struct", &id);
	if (!err)
		err = kbtf_type_size(btf, id, &l->task_size);
	if (!err)
		err = find_all(btf, base, sizeof(base) / sizeof(base[0]));
	if (!err)
		err = first_of(btf, "task_struct", state_paths, &l->state);
	if (!err)
		err = first_of(btf, "task_struct", cpu_paths, &l->cpu);
	if (err)
		return err;
	l->has_threads = kbtf_has_member(btf, "task_struct", "thread_node") &&
			 kbtf_has_member(btf, "signal_struct", "thread_head");
	if (l->has_threads) {
		const struct want threads[] = {
			{ "task_struct", "signal", &l->signal },
			{ "task_struct", "thread_node", &l->thread_node },
			{ "signal_struct", "thread_head", &l->thread_head },
		};

		err = find_all(btf, threads, 3);
		if (err)
			return err;
	}
	l->has_last_arrival = !kbtf_member(btf, "task_struct",
					   "sched_info.last_arrival",
					   &l->last_arrival);
	l->has_policy = !kbtf_member(btf, "task_struct", "policy", &l->policy) &&
			!kbtf_member(btf, "task_struct", "prio", &l->prio);
	l->has_ksp = true;
	err = first_of(btf, "task_struct", ksp_paths, &l->ksp);
	if (err) {
		kdk_error_free(err);
		l->has_ksp = false;
	}
	/* 6.1: struct mm_rss_stat { atomic_long_t count[]; };
	 * 6.2: struct percpu_counter rss_stat[NR_MM_COUNTERS]. */
	l->rss_percpu = !kbtf_has_member(btf, "mm_struct", "rss_stat.count");
	if (l->rss_percpu) {
		const struct want pcc[] = {
			{ "percpu_counter", "count", &l->pcc_count },
			{ "percpu_counter", "counters", &l->pcc_counters },
		};

		err = kbtf_find_struct(btf, "percpu_counter", &id);
		if (!err)
			err = kbtf_type_size(btf, id, &l->pcc_size);
		if (!err)
			err = find_all(btf, pcc, 2);
		if (err)
			return err;
	} else {
		err = kbtf_member(btf, "mm_struct", "rss_stat.count",
				  &l->mm_rss);
		if (err)
			return err;
	}
	l->has_task_rss = !kbtf_member(btf, "task_struct", "rss_stat.count",
				       &l->task_rss);
	l->has_se_rq = !kbtf_member(btf, "task_struct", "se.cfs_rq",
				    &l->se_cfs_rq) &&
		       !kbtf_member(btf, "cfs_rq", "rq", &l->cfs_rq_rq) &&
		       !kbtf_member(btf, "rq", "cpu", &l->rq_cpu);
	/* numbers[] is a flexible array in 6.1's BTF: numbers[0] by hand */
	l->has_pid_ns_path = !kbtf_member(btf, "task_struct", "thread_pid",
					  &l->thread_pid) &&
			     !kbtf_member(btf, "pid", "numbers", &numbers) &&
			     !kbtf_member(btf, "upid", "ns", &l->pid_ns);
	l->pid_ns.offset += numbers.offset;
	set_read_size(l);
	return NULL;
}

struct kdk_error *percpu_counter_sum(struct target *t,
				     const struct task_layout *l,
				     uint64_t per_cpu_offsets, int cpus,
				     uint64_t addr, int64_t *sum)
{
	struct kdk_error *err;
	int64_t total;
	uint64_t counters;

	err = target_read_kvaddr(t, addr + l->pcc_count.offset, &total, 8);
	if (!err)
		err = target_read_kvaddr(t, addr + l->pcc_counters.offset,
					 &counters, 8);
	/* the per-CPU shares are s32 (lib/percpu_counter.c) */
	for (int cpu = 0; !err && counters && cpu < cpus; cpu++) {
		uint64_t off;
		int32_t v;

		err = target_read_kvaddr(t, per_cpu_offsets + 8 * (uint64_t)cpu,
					 &off, 8);
		if (!err)
			err = target_read_kvaddr(t, counters + off, &v, 4);
		if (!err)
			total += v;
	}
	if (err)
		return kdk_error_wrap(err, "percpu_counter at 0x%" PRIx64,
				      addr);
	*sum = total;
	return NULL;
}
