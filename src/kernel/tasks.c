#include "kernel/tasks.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/task_find.h"
#include "kernel/task_layout.h"
#include "kernel/task_state.h"
#include "kernel/task_walk.h"
#include "kernel/xarray.h"

/* include/linux/sched.h: a kernel thread, since 2.6.27. */
#define PF_KTHREAD 0x00200000u
/* A corrupt list must not run forever. */
#define MAX_TASKS (1u << 22)
/* include/linux/mm_types_task.h: enum { MM_FILEPAGES, MM_ANONPAGES,
 * MM_SWAPENTS, MM_SHMEMPAGES }; RSS is file + anon + shmem. */
static const int rss_counters[] = { 0, 1, 3 };

/* Is name missing from st? Else *addr is its address. */
bool task_no_sym(const struct symtab *st, const char *name, uint64_t *addr)
{
	const struct sym *s = sym_find_name(st, name);

	if (s)
		*addr = s->addr;
	return !s;
}

/* task_structs sit at multiples of their slab's object size, so their
 * low bits repeat: mix every bit in (splitmix64's finalizer). */
static size_t hash_addr(uint64_t a, size_t n)
{
	a ^= a >> 30;
	a *= 0xbf58476d1ce4e5b9ull;
	a ^= a >> 27;
	a *= 0x94d049bb133111ebull;
	a ^= a >> 31;
	return (size_t)a & (n - 1);
}

/* A table at least twice the tasks, so probing always ends. */
static struct kdk_error *grow_slots(struct ktasks *k)
{
	size_t n = k->n_slots ? k->n_slots * 2 : 1024;
	size_t *slots;

	while (n < 2 * (k->n + 1))
		n *= 2;
	slots = calloc(n, sizeof(*slots));

	if (!slots)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < k->n; i++) {
		size_t h = hash_addr(k->tasks[i].addr, n);

		while (slots[h])
			h = (h + 1) & (n - 1);
		slots[h] = i + 1;
	}
	free(k->slots);
	k->slots = slots;
	k->n_slots = n;
	return NULL;
}

static struct ktask *find(const struct ktasks *k, uint64_t addr)
{
	if (!k->n_slots)
		return NULL;
	for (size_t h = hash_addr(addr, k->n_slots); k->slots[h];
	     h = (h + 1) & (k->n_slots - 1))
		if (k->tasks[k->slots[h] - 1].addr == addr)
			return &k->tasks[k->slots[h] - 1];
	return NULL;
}

__attribute__((format(printf, 2, 3)))
struct kdk_error *task_walk_problem(struct ktasks *k, const char *fmt, ...)
{
	char **p = realloc(k->problems, (k->n_problems + 1) * sizeof(*p));
	va_list ap;
	int r;

	if (!p)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	k->problems = p;
	va_start(ap, fmt);
	r = vasprintf(&p[k->n_problems], fmt, ap);
	va_end(ap);
	if (r < 0)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	k->n_problems++;
	return NULL;
}

/* A read that failed costs what it was reading, not the whole walk:
 * keep it as a problem. Only running out of memory ends the walk. */
__attribute__((format(printf, 3, 4)))
struct kdk_error *task_walk_soft(struct ktasks *k, struct kdk_error *err,
			      const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (err->code == KDK_ERR_NOMEM)
		return err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	{
		struct kdk_error *kept = task_walk_problem(k, "%s (%s)", what,
						 err->msg ? err->msg : "?");

		kdk_error_free(err);
		return kept;
	}
}

static uint64_t get(const uint8_t *buf, const struct kbtf_member *m)
{
	uint64_t v = 0;

	/* both architectures are little-endian */
	memcpy(&v, buf + m->offset, m->size < 8 ? m->size : 8);
	return v;
}

static int64_t get_signed(const uint8_t *buf, const struct kbtf_member *m)
{
	uint64_t v = get(buf, m);

	if (m->size < 8 && (v >> (m->size * 8 - 1)) & 1)
		v |= ~0ull << (m->size * 8);
	return (int64_t)v;
}

struct kdk_error *task_read_u64(struct target *t, uint64_t addr,
				  uint64_t *v)
{
	return target_read_kvaddr(t, addr, v, 8);
}

struct kdk_error *task_read_sized(struct target *t, uint64_t addr,
				    size_t size, uint64_t *v)
{
	*v = 0;
	return target_read_kvaddr(t, addr, v, size < 8 ? size : 8);
}

/* Resident pages of one thread group's mm, as crash counts them: the
 * mm's counters, plus (with SPLIT_RSS_COUNTING) each thread's unsynced
 * task->rss_stat, negatives counted as 0 (include/linux/mm.h:
 * get_mm_counter()). The per-thread part is added in finish_rss(). */
static struct kdk_error *read_mm(struct walk *w, struct ktask *task)
{
	const struct task_layout *l = w->l;
	struct kdk_error *err;
	uint64_t rss = 0;

	err = task_read_u64(w->t, task->mm + l->mm_total_vm.offset,
		       &task->total_vm_pages);
	for (size_t i = 0; !err && i < 3; i++) {
		int c = rss_counters[i];
		int64_t count;

		if (l->rss_percpu) {
			err = percpu_counter_sum(w->t, l,
						 w->k->per_cpu_offsets,
						 w->k->cpus,
						 task->mm + l->mm_rss.offset +
						 (uint64_t)c * l->pcc_size,
						 &count);
		} else {
			uint64_t v;

			err = task_read_u64(w->t, task->mm + l->mm_rss.offset +
				       8 * (uint64_t)c, &v);
			count = (int64_t)v;
		}
		if (!err && count > 0)
			rss += (uint64_t)count;
	}
	if (err)
		return kdk_error_wrap(err, "pid %" PRId32 ": mm_struct at "
				      "0x%" PRIx64, task->pid, task->mm);
	task->rss_pages = rss;
	return NULL;
}

static void task_rss_cache(const struct walk *w, struct ktask *task)
{
	const struct task_layout *l = w->l;
	uint64_t sum = 0;

	if (!l->has_task_rss)
		return;
	for (size_t i = 0; i < 3; i++) {
		int32_t v;

		memcpy(&v, w->buf + l->task_rss.offset + 4 * rss_counters[i],
		       4);
		if (v > 0)
			sum += (uint64_t)v;
	}
	/* kept in rss_pages until finish_rss() moves it to the group */
	task->rss_pages = sum;
}

struct kdk_error *task_walk_add(struct walk *w, uint64_t addr,
				  unsigned int how, struct ktask **out)
{
	const struct task_layout *l = w->l;
	struct ktasks *k = w->k;
	struct ktask *task = find(k, addr);
	struct kdk_error *err;

	if (task) {
		task->found |= how;
		if (out)
			*out = task;
		return NULL;
	}
	if (k->n >= MAX_TASKS)
		return kdk_error(KDK_ERR_FORMAT, "more than %u tasks: a task "
				 "list is corrupt", MAX_TASKS);
	err = target_read_kvaddr(w->t, addr, w->buf, l->read_size);
	if (err)
		return kdk_error_wrap(err, "task_struct at 0x%" PRIx64, addr);
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 256;
		struct ktask *tasks = realloc(k->tasks, cap * sizeof(*tasks));

		if (!tasks)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		k->tasks = tasks;
		k->cap = cap;
	}
	if ((k->n + 1) * 2 > k->n_slots && (err = grow_slots(k)))
		return err;
	task = &k->tasks[k->n];
	memset(task, 0, sizeof(*task));
	task->addr = addr;
	task->found = how;
	task->pid = (int32_t)get_signed(w->buf, &l->pid);
	task->tgid = (int32_t)get_signed(w->buf, &l->tgid);
	task->parent = get(w->buf, &l->real_parent);
	task->cpu = (int)get(w->buf, &l->cpu);
	task->state = get(w->buf, &l->state) | get(w->buf, &l->exit_state);
	task->flags = (uint32_t)get(w->buf, &l->flags);
	task->kthread = (task->flags & PF_KTHREAD) != 0;
	task->mm = get(w->buf, &l->mm);
	memcpy(task->comm, w->buf + l->comm.offset, KTASK_COMM_LEN);
	task->comm[KTASK_COMM_LEN] = '\0';
	if (l->has_last_arrival)
		task->last_arrival = get(w->buf, &l->last_arrival);
	if (l->has_ksp)
		task->ksp = get(w->buf, &l->ksp);
	task->policy = -1;
	if (l->has_policy) {
		task->policy = (int)get(w->buf, &l->policy);
		task->prio = (int)get_signed(w->buf, &l->prio);
	}
	task_state_name(&k->bits, task->state, task->st);
	task_rss_cache(w, task);
	{
		size_t h = hash_addr(addr, k->n_slots);

		while (k->slots[h])
			h = (h + 1) & (k->n_slots - 1);
		k->slots[h] = k->n + 1;
	}
	k->n++;
	if (out)
		*out = task;
	return NULL;
}

/* The tasks linked through member `link` of task_struct on the list
 * headed at head (itself not a task, unless head_task says it is). */
static struct kdk_error *walk_list(struct walk *w, uint64_t head,
				   uint64_t link, unsigned int how,
				   const char *what)
{
	struct kdk_error *err;
	uint64_t pos;
	size_t n = 0;

	err = task_read_u64(w->t, head, &pos);
	while (!err && pos != head) {
		/* n entries are n tasks: more than there are is a loop */
		if (++n > w->k->n + 1)
			return task_walk_problem(w->k, "%s at 0x%" PRIx64 " loops back "
				       "at 0x%" PRIx64 " without reaching its "
				       "head: the rest is not read", what,
				       head, pos);
		err = task_walk_add(w, pos - link, how, NULL);
		if (!err)
			err = task_read_u64(w->t, pos, &pos);
	}
	return err ? task_walk_soft(w->k, err, "%s at 0x%" PRIx64 ": the rest of the "
			  "list is not read", what, head) : NULL;
}

/* Each thread group: the leaders, then each leader's threads. */
static struct kdk_error *walk_groups(struct walk *w, uint64_t init_task)
{
	const struct task_layout *l = w->l;
	struct kdk_error *err;
	size_t n_leaders;

	err = task_walk_add(w, init_task, KTASK_BY_LIST, NULL);
	if (!err)
		err = walk_list(w, init_task + l->tasks.offset,
				l->tasks.offset, KTASK_BY_LIST,
				"init_task.tasks");
	if (err || !l->has_threads)
		return err;
	n_leaders = w->k->n;
	for (size_t i = 0; i < n_leaders; i++) {
		uint64_t signal;

		err = task_read_u64(w->t, w->k->tasks[i].addr + l->signal.offset,
			       &signal);
		if (err)
			err = task_walk_soft(w->k, err, "pid %" PRId32 ": its threads "
				   "are not read", w->k->tasks[i].pid);
		else if (signal)
			err = walk_list(w, signal + l->thread_head.offset,
					l->thread_node.offset,
					KTASK_BY_THREADS,
					"signal->thread_head");
		if (err)
			return err;
	}
	return NULL;
}

struct tgid_rss {
	int32_t tgid;
	uint64_t pages;
};

static int by_tgid(const void *a, const void *b)
{
	const struct tgid_rss *x = a, *y = b;

	return (x->tgid > y->tgid) - (x->tgid < y->tgid);
}

/* Every thread's unsynced counts belong to its group's mm: add them up
 * per tgid (crash's tgid_context rss_cache), then read each mm. */
static struct kdk_error *finish_rss(struct walk *w)
{
	struct ktasks *k = w->k;
	struct tgid_rss *sums = calloc(k->n + 1, sizeof(*sums));
	struct kdk_error *err = NULL;
	size_t n = 0;

	if (!sums)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < k->n; i++)
		if (k->tasks[i].mm)
			sums[n++] = (struct tgid_rss){ k->tasks[i].tgid,
						       k->tasks[i].rss_pages };
	qsort(sums, n, sizeof(*sums), by_tgid);
	for (size_t i = 0, j = 0; i < n; i = j) {
		uint64_t total = 0;

		for (j = i; j < n && sums[j].tgid == sums[i].tgid; j++)
			total += sums[j].pages;
		for (size_t m = i; m < j; m++)
			sums[m].pages = total;
	}
	for (size_t i = 0; !err && i < k->n; i++) {
		struct ktask *task = &k->tasks[i];
		struct tgid_rss key = { task->tgid, 0 }, *group;

		task->rss_pages = 0;
		if (!task->mm || (task->state & k->bits.zombie))
			continue;
		group = bsearch(&key, sums, n, sizeof(*sums), by_tgid);
		err = read_mm(w, task);
		if (!err && group && w->l->has_task_rss)
			task->rss_pages += group->pages;
	}
	free(sums);
	return err;
}

static struct kdk_error *add_pid_task(void *arg, uint64_t index,
				      uint64_t pid)
{
	struct walk *w = arg;
	struct kdk_error *err;
	uint64_t first;

	/* pid->tasks[PIDTYPE_PID].first: the pid_links[PIDTYPE_PID] of the
	 * task with this pid, NULL while it is not attached */
	err = task_read_u64(w->t, pid + w->l->pid_tasks.offset, &first);
	if (!err && first)
		err = task_walk_add(w, first - w->l->pid_links.offset,
			       KTASK_BY_PID, NULL);
	return err ? task_walk_soft(w->k, err, "pid idr entry %" PRIu64 ": struct pid "
			  "at 0x%" PRIx64, index, pid) : NULL;
}

static struct kdk_error *walk_pids(struct walk *w, uint64_t ns)
{
	const struct task_layout *l = w->l;
	struct xarray_layout xl = {
		.shift = l->xa_shift.offset, .slots = l->xa_slots.offset,
		.chunk = (unsigned int)(l->xa_slots.size / 8),
	};
	struct kdk_error *err;
	uint64_t head;

	err = task_read_u64(w->t, ns + l->ns_idr_head.offset, &head);
	if (!err)
		err = xarray_each(w->t, &xl, head, add_pid_task, w);
	return err ? kdk_error_wrap(err, "init_pid_ns.idr") : NULL;
}

static int by_pid(const void *a, const void *b)
{
	const struct ktask *x = a, *y = b;

	if (x->pid == 0 && y->pid == 0)
		return (x->cpu > y->cpu) - (x->cpu < y->cpu);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return (x->addr > y->addr) - (x->addr < y->addr);
}

static struct kdk_error *parents(struct ktasks *k)
{
	for (size_t i = 0; i < k->n; i++) {
		struct ktask *task = &k->tasks[i];
		const struct ktask *p = find(k, task->parent);

		if (task->pid == 0 && task->parent == task->addr)
			task->ppid = 0;
		else if (p)
			task->ppid = p->pid;
		else
			task->ppid = -1;
	}
	return NULL;
}

/* What one way found and another missed. */
static struct kdk_error *cross_check(struct ktasks *k)
{
	struct kdk_error *err = NULL;

	for (size_t i = 0; !err && i < k->n; i++) {
		const struct ktask *t = &k->tasks[i];
		bool listed = t->found & (KTASK_BY_LIST | KTASK_BY_THREADS);

		if (t->idle)
			continue;
		if (!listed)
			err = task_walk_problem(k, "task %" PRIx64 " (pid %" PRId32 ", %s)"
				      " is %s but on no task list", t->addr,
				      t->pid, t->comm,
				      t->found & KTASK_BY_PID ?
				      "in the pid namespace" :
				      "a CPU's current task");
		else if (k->pid_checked && !(t->found & KTASK_BY_PID))
			err = task_walk_problem(k, "task %" PRIx64 " (pid %" PRId32 ", %s)"
				      " is on the task list but not in the pid "
				      "namespace", t->addr, t->pid, t->comm);
	}
	return err;
}

/* The kernel's page size (VMCOREINFO PAGESIZE): a QEMU ELF dump of an
 * arm64 guest does not say it, and the dump's own guess can be wrong. */
static uint32_t kernel_page_size(struct target *t)
{
	const struct dump *d = target_dump(t);
	const char *v = dump_vmcoreinfo_get(d, "PAGESIZE");
	unsigned long n = v ? strtoul(v, NULL, 10) : 0;

	if (n >= 4096 && n <= 65536)
		return (uint32_t)n;
	return dump_facts(d)->page_size ? dump_facts(d)->page_size : 4096;
}

/* crash's %MEM denominator: the pages below __pa(high_memory), the end
 * of the direct map (memory.c: vt->total_pages). high_memory itself need
 * not be mapped: translate the byte before it. */
static uint64_t high_memory_pages(struct target *t, const struct symtab *syms)
{
	struct kdk_error *err;
	uint64_t addr, high, pa;

	if (task_no_sym(syms, "high_memory", &addr) ||
	    task_read_u64(t, addr, &high) || !high)
		return 0;
	err = target_kvaddr_to_paddr(t, high - 1, &pa);
	if (err) {
		kdk_error_free(err);
		return 0;
	}
	return (pa + 1) / kernel_page_size(t);
}

/* Without high_memory: where the dump's memory ends, which is where the
 * direct map ends on 64-bit (high_memory = __va(max_pfn << PAGE_SHIFT)). */
static uint64_t dump_memory_pages(struct target *t)
{
	const struct dump_range *r;
	uint64_t end = 0;
	size_t n = 0;

	r = dump_ranges(target_dump(t), &n);
	for (size_t i = 0; r && i < n; i++)
		if (r[i].end > end)
			end = r[i].end;
	return end / kernel_page_size(t);
}

/* init_pid_ns, else where init_task's pid says it lives. */
static bool find_pid_ns(struct walk *w, const struct symtab *syms,
			uint64_t init_task, uint64_t *ns)
{
	const struct task_layout *l = w->l;
	struct kdk_error *err;
	uint64_t pid;

	if (!task_no_sym(syms, "init_pid_ns", ns))
		return true;
	if (!l->has_pid_ns_path)
		return false;
	err = task_read_u64(w->t, init_task + l->thread_pid.offset, &pid);
	if (!err)
		err = task_read_u64(w->t, pid + l->pid_ns.offset, ns);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	return *ns != 0;
}

struct kdk_error *ktasks_load(struct target *t, const struct kbtf *btf,
			      const struct symtab *syms, struct ktasks **out)
{
	struct task_layout l;
	struct ktasks *k;
	struct walk w;
	struct kdk_error *err;
	uint64_t init_task, addr, v;

	err = task_layout_find(btf, &l);
	if (err)
		return kdk_error_wrap(err, "task layout from BTF");
	k = calloc(1, sizeof(*k));
	w = (struct walk){ .t = t, .l = &l, .k = k,
			   .buf = malloc(l.task_size) };
	if (!k || !w.buf) {
		free(w.buf);
		free(k);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (task_no_sym(syms, "init_task", &init_task)) {
		err = task_find_init_task(t, &l, syms, &init_task);
		if (err)
			goto out;
		k->init_task_scanned = true;
	}
	if ((!task_no_sym(syms, "_totalram_pages", &addr) ||
	     !task_no_sym(syms, "totalram_pages", &addr)) &&
	    !task_read_u64(t, addr, &v))
		k->totalram = v;
	k->mem_pages = high_memory_pages(t, syms);
	if (!k->mem_pages && !k->totalram)
		k->mem_pages = dump_memory_pages(t);
	k->page_size = kernel_page_size(t);
	if (task_no_sym(syms, "task_state_array", &addr) ||
	    (err = task_state_bits_read(t, addr, &k->bits))) {
		kdk_error_free(err);
		err = NULL;
		task_state_bits_default(&k->bits);
	}
	err = walk_groups(&w, init_task);
	if (!err)
		err = task_rq_size_cpus(&w, syms);
	if (!err)
		err = task_rq_walk(&w, syms);
	if (!err && find_pid_ns(&w, syms, init_task, &addr)) {
		size_t before = k->n_problems;

		err = walk_pids(&w, addr);
		if (err)
			err = task_walk_soft(k, err, "the pid namespace is not "
				   "cross-checked");
		k->pid_checked = !err && k->n_problems == before;
	}
	if (!err)
		err = finish_rss(&w);
	if (!err)
		err = parents(k);
	if (!err)
		err = cross_check(k);
	if (!err) {
		qsort(k->tasks, k->n, sizeof(*k->tasks), by_pid);
		k->n_slots = 0;
		free(k->slots);
		k->slots = NULL;
		err = grow_slots(k);
	}
out:
	free(w.buf);
	if (err) {
		ktasks_free(k);
		return err;
	}
	*out = k;
	return NULL;
}

void ktasks_free(struct ktasks *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n_problems; i++)
		free(k->problems[i]);
	free(k->problems);
	free(k->tasks);
	free(k->slots);
	free(k->active);
	free(k->rq_clock);
	free(k->has_rq);
	free(k->rq);
	free(k);
}

size_t ktasks_count(const struct ktasks *k)
{
	return k->n;
}

const struct ktask *ktasks_get(const struct ktasks *k, size_t i)
{
	return i < k->n ? &k->tasks[i] : NULL;
}

const struct ktask *ktasks_by_addr(const struct ktasks *k, uint64_t addr)
{
	return find(k, addr);
}

const struct ktask *ktasks_by_pid(const struct ktasks *k, int32_t pid)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->tasks[i].pid == pid)
			return &k->tasks[i];
	return NULL;
}

int ktasks_cpus(const struct ktasks *k)
{
	return k->cpus;
}

const struct ktask *ktasks_active(const struct ktasks *k, int cpu)
{
	if (cpu < 0 || cpu >= k->cpus || !k->active[cpu])
		return NULL;
	return find(k, k->active[cpu]);
}

bool ktasks_rq(const struct ktasks *k, int cpu, uint64_t *rq)
{
	if (cpu < 0 || cpu >= k->cpus || !k->has_rq[cpu])
		return false;
	*rq = k->rq[cpu];
	return true;
}

bool ktasks_rq_clock(const struct ktasks *k, int cpu, uint64_t *ns)
{
	if (cpu < 0 || cpu >= k->cpus || !k->has_rq[cpu])
		return false;
	*ns = k->rq_clock[cpu];
	return true;
}

uint64_t ktasks_totalram_pages(const struct ktasks *k)
{
	return k->totalram;
}

uint32_t ktasks_page_size(const struct ktasks *k)
{
	return k->page_size;
}

uint64_t ktasks_mem_pages(const struct ktasks *k)
{
	return k->mem_pages ? k->mem_pages : k->totalram;
}

const struct task_state_bits *ktasks_state_bits(const struct ktasks *k)
{
	return &k->bits;
}

const char *ktasks_states_source(const struct ktasks *k)
{
	return k->bits.from_kernel ? "task_state_array"
				   : "Linux 4.14+ defaults";
}

bool ktasks_pid_checked(const struct ktasks *k)
{
	return k->pid_checked;
}

size_t ktasks_problem_count(const struct ktasks *k)
{
	return k->n_problems;
}

const char *ktasks_problem(const struct ktasks *k, size_t i)
{
	return i < k->n_problems ? k->problems[i] : NULL;
}
