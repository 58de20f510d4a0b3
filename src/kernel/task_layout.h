/* Where struct task_struct and its neighbours keep what the task walk
 * reads, from the kernel's BTF, with the variants decided by member
 * presence. Private to src/kernel/tasks*.c. */
#ifndef KDK_KERNEL_TASK_LAYOUT_H
#define KDK_KERNEL_TASK_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/btf.h"
#include "target/target.h"

struct task_layout {
	uint64_t task_size;		/* sizeof(struct task_struct) */
	/* The bytes the walk reads: up to the end of the last member used.
	 * x86 allocates less than sizeof (arch_task_struct_size: the FPU
	 * state at the end is as big as the CPU needs), so reading the
	 * whole type can run into a page that is not the task's. */
	uint64_t read_size;
	struct kbtf_member tasks, pid, tgid, real_parent, comm, mm, flags;
	struct kbtf_member state;	/* __state (5.14+) or state */
	struct kbtf_member exit_state;
	struct kbtf_member cpu;		/* task->cpu or thread_info.cpu */
	struct kbtf_member pid_links;	/* pid_links[PIDTYPE_PID] */
	/* Threads: signal->thread_head, task->thread_node (3.14+). */
	bool has_threads;
	struct kbtf_member signal, thread_head, thread_node;
	/* sched_info.last_arrival (ps -l), the saved kernel sp (ps -s),
	 * policy and prio (ps -y, -Y) */
	bool has_last_arrival, has_ksp, has_policy;
	struct kbtf_member last_arrival, ksp, policy, prio;
	/* mm: total_vm, rss_stat: atomic_long_t count[] (to 6.1) or
	 * struct percpu_counter [] (6.2+). */
	struct kbtf_member mm_total_vm, mm_rss;
	bool rss_percpu;
	uint64_t pcc_size;
	struct kbtf_member pcc_count, pcc_counters;
	/* SPLIT_RSS_COUNTING: task->rss_stat.count[] (int), to 6.1 */
	bool has_task_rss;
	struct kbtf_member task_rss;
	/* struct rq */
	struct kbtf_member rq_curr, rq_idle, rq_clock;
	/* Without a runqueues symbol, a task's rq: se.cfs_rq->rq
	 * (CONFIG_FAIR_GROUP_SCHED), checked by rq->cpu. */
	bool has_se_rq;
	struct kbtf_member se_cfs_rq, cfs_rq_rq, rq_cpu;
	/* struct pid: tasks[PIDTYPE_PID].first */
	struct kbtf_member pid_tasks;
	/* Without an init_pid_ns symbol: init_task.thread_pid (that is
	 * init_struct_pid) ->numbers[0].ns */
	bool has_pid_ns_path;
	struct kbtf_member thread_pid, pid_ns;
	/* init_pid_ns.idr's xarray head; xa_node shift and slots */
	struct kbtf_member ns_idr_head, xa_shift, xa_slots;
};

struct kdk_error *task_layout_find(const struct kbtf *btf,
				   struct task_layout *l);

/* percpu_counter_sum(): count plus every CPU's share, from the counter
 * at addr (6.2+ mm rss). per_cpu_offsets: __per_cpu_offset. */
struct kdk_error *percpu_counter_sum(struct target *t,
				     const struct task_layout *l,
				     uint64_t per_cpu_offsets, int cpus,
				     uint64_t addr, int64_t *sum);

#endif
