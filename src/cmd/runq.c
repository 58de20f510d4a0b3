/* runq: each CPU's run queue in crash's layout: the task running there,
 * the real-time tasks queued by priority (rq->rt.active.queue[]), and the
 * CFS tasks in the order the scheduler would pick them (the red-black
 * tree cfs_rq->tasks_timeline, leftmost first; a task group's entity is
 * walked into, as crash does without -g):
 *
 *   CPU 0 RUNQUEUE: ffff88ce3fa31980
 *     CURRENT: PID: 134    TASK: ffff88ce01809800  COMMAND: "insmod"
 *     RT PRIO_ARRAY: ffff88ce3fa31bc0
 *        [no tasks queued]
 *     CFS RB_ROOT: ffff88ce3fa31a30
 *        [120] PID: 113    TASK: ffff88ce024ab800  COMMAND: "cat"
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "cmd/kread.h"
#include "debuginfo/symtab.h"
#include "kernel/tasks.h"

enum {
	RQ_RT_ACTIVE, RQ_CFS, RTA_QUEUE, RT_RUN_LIST, RT_MY_Q, RTRQ_ACTIVE,
	CFS_TIMELINE, CFS_LEFTMOST, CFS_CURR, SE_RUN_NODE, SE_MY_Q, T_SE, T_RT,
	T_PRIO, RB_RIGHT, RB_LEFT, N_FIELDS
};

static const struct kfield fields[N_FIELDS] = {
	[RQ_RT_ACTIVE] = { "struct rq", "rt.active", 0, 0 },
	[RQ_CFS] = { "struct rq", "cfs", 0, 0 },
	[RTA_QUEUE] = { "struct rt_prio_array", "queue", 0, 0 },
	[RT_RUN_LIST] = { "struct sched_rt_entity", "run_list", 0, 0 },
	[RT_MY_Q] = { "struct sched_rt_entity", "my_q", 0, 0 },
	[RTRQ_ACTIVE] = { "struct rt_rq", "active", 0, 0 },
	[CFS_TIMELINE] = { "struct cfs_rq", "tasks_timeline", 0, 0 },
	[CFS_LEFTMOST] = { "struct cfs_rq", "tasks_timeline.rb_leftmost",
			   0, 0 },
	[CFS_CURR] = { "struct cfs_rq", "curr", 0, 0 },
	[SE_RUN_NODE] = { "struct sched_entity", "run_node", 0, 0 },
	[SE_MY_Q] = { "struct sched_entity", "my_q", 0, 0 },
	[T_SE] = { "struct task_struct", "se", 0, 0 },
	[T_RT] = { "struct task_struct", "rt", 0, 0 },
	[T_PRIO] = { "struct task_struct", "prio", 0, 0 },
	[RB_RIGHT] = { "struct rb_node", "rb_right", 0, 0 },
	[RB_LEFT] = { "struct rb_node", "rb_left", 0, 0 },
};

#define MAX_DEPTH 128		/* of a red-black tree and of task groups */
#define MAX_QUEUED (1u << 22)	/* tasks on one queue: more is a loop */

struct runq_ctx {
	struct session *s;
	const struct ktasks *k;
	struct kfield f[N_FIELDS];
	/* group scheduling (CONFIG_RT_GROUP_SCHED, CONFIG_FAIR_GROUP_SCHED:
	 * the my_q members) is not in every kernel: Debian's has no RT one */
	bool rt_groups, fair_groups;
	struct json_writer *w;
	uint64_t seen;
};

static struct kdk_error *entry(struct runq_ctx *c, int prio, uint64_t task)
{
	const struct ktask *t = ktasks_by_addr(c->k, task);
	char hex[24];

	if (++c->seen > MAX_QUEUED)
		return kdk_error(KDK_ERR_FORMAT, "more than %u queued tasks: "
				 "a run queue loops", MAX_QUEUED);
	if (!t)
		return NULL;	/* crash skips what is no task it knows */
	if (!c->s->json) {
		fprintf(c->s->out, "     [%3d] PID: %-5d  TASK: %" PRIx64
			"  COMMAND: \"%s\"\n", prio, t->pid, t->addr, t->comm);
		return NULL;
	}
	json_begin_object(c->w);
	json_key_int(c->w, "prio", prio);
	json_key_int(c->w, "pid", t->pid);
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, t->addr);
	json_key_string(c->w, "task", hex);
	json_key_string(c->w, "command", t->comm);
	json_end_object(c->w);
	return NULL;
}

/* rt_prio_array at arr: each non-empty queue[i] in order, entities that
 * are groups (my_q) walked into. */
static struct kdk_error *rt_array(struct runq_ctx *c, uint64_t arr,
				  int depth, int *total)
{
	unsigned n = (unsigned)(c->f[RTA_QUEUE].size / 16);
	struct kdk_error *err = NULL;

	if (depth > MAX_DEPTH)
		return kdk_error(KDK_ERR_FORMAT, "RT groups nest deeper than "
				 "%d at 0x%" PRIx64, MAX_DEPTH, arr);
	for (unsigned i = 0; i < n && !err; i++) {
		uint64_t head = arr + c->f[RTA_QUEUE].off + 16ull * i, link;
		uint64_t count = 0;

		err = kread_u64(c->s, head, &link);
		while (!err && link != head) {
			uint64_t se = link - c->f[RT_RUN_LIST].off, my_q;

			if (++count > MAX_QUEUED)
				return kdk_error(KDK_ERR_FORMAT, "RT queue %u "
						 "at 0x%" PRIx64 " loops", i,
						 head);
			my_q = 0;
			if (c->rt_groups)
				err = kread_u64(c->s, se + c->f[RT_MY_Q].off,
						&my_q);
			if (!err && my_q)
				err = rt_array(c, my_q + c->f[RTRQ_ACTIVE].off,
					       depth + 1, total);
			else if (!err) {
				err = entry(c, (int)i, se - c->f[T_RT].off);
				++*total;
			}
			if (!err)
				err = kread_u64(c->s, link, &link);
		}
	}
	return err;
}

static struct kdk_error *cfs_entity(struct runq_ctx *c, uint64_t se,
				    int depth, int *total);

/* The cfs_rq's tree in order, leftmost first; first its running group
 * entity's queue, as crash reads it. */
static struct kdk_error *cfs_rq(struct runq_ctx *c, uint64_t rq, int depth,
				int *total)
{
	uint64_t stack[MAX_DEPTH], node, leftmost, curr, my_q = 0;
	int n = 0;
	struct kdk_error *err;

	if (depth > MAX_DEPTH)
		return kdk_error(KDK_ERR_FORMAT, "task groups nest deeper "
				 "than %d at cfs_rq 0x%" PRIx64, MAX_DEPTH, rq);
	err = kread_u64(c->s, rq + c->f[CFS_CURR].off, &curr);
	if (!err && curr && c->fair_groups)
		err = kread_u64(c->s, curr + c->f[SE_MY_Q].off, &my_q);
	if (!err && my_q)
		err = cfs_rq(c, my_q, depth + 1, total);
	if (!err)
		err = kread_u64(c->s, rq + c->f[CFS_LEFTMOST].off, &leftmost);
	if (!err)
		err = kread_u64(c->s, rq + c->f[CFS_TIMELINE].off, &node);
	if (err || !leftmost)
		return err;
	while (!err && (node || n)) {
		while (!err && node) {
			if (n == MAX_DEPTH)
				return kdk_error(KDK_ERR_FORMAT, "cfs_rq 0x%"
						 PRIx64 ": its tree is deeper "
						 "than %d", rq, MAX_DEPTH);
			stack[n++] = node;
			err = kread_u64(c->s, node + c->f[RB_LEFT].off, &node);
		}
		if (err)
			break;
		node = stack[--n];
		err = cfs_entity(c, node - c->f[SE_RUN_NODE].off, depth, total);
		if (!err)
			err = kread_u64(c->s, node + c->f[RB_RIGHT].off, &node);
	}
	return err;
}

static struct kdk_error *cfs_entity(struct runq_ctx *c, uint64_t se,
				    int depth, int *total)
{
	uint64_t my_q = 0, task, prio;
	struct kdk_error *err = NULL;

	if (c->fair_groups)
		err = kread_u64(c->s, se + c->f[SE_MY_Q].off, &my_q);
	if (err)
		return err;
	if (my_q)
		return cfs_rq(c, my_q, depth + 1, total);
	task = se - c->f[T_SE].off;
	err = kread_field(c->s, task, &c->f[T_PRIO], &prio);
	if (err)
		return err;
	++*total;
	return entry(c, (int)(int32_t)prio, task);
}

static void none_queued(struct runq_ctx *c, int total)
{
	if (!total && !c->s->json)
		fputs("     [no tasks queued]\n", c->s->out);
}

static struct kdk_error *one_cpu(struct runq_ctx *c, int cpu, uint64_t rq,
				 bool first)
{
	const struct ktask *cur = ktasks_active(c->k, cpu);
	uint64_t rt = rq + c->f[RQ_RT_ACTIVE].off, cfs = rq + c->f[RQ_CFS].off;
	uint64_t root = cfs + c->f[CFS_TIMELINE].off;
	int total = 0;
	struct kdk_error *err;
	char hex[24];

	c->seen = 0;
	if (c->s->json) {
		json_begin_object(c->w);
		json_key_int(c->w, "cpu", cpu);
		snprintf(hex, sizeof(hex), "0x%016" PRIx64, rq);
		json_key_string(c->w, "runqueue", hex);
		if (cur)
			json_key_int(c->w, "current_pid", cur->pid);
		json_key(c->w, "rt");
		json_begin_array(c->w);
		err = rt_array(c, rt, 0, &total);
		json_end_array(c->w);
		json_key(c->w, "cfs");
		json_begin_array(c->w);
		if (!err)
			err = cfs_rq(c, cfs, 0, &total);
		json_end_array(c->w);
		json_end_object(c->w);
		return err;
	}
	fprintf(c->s->out, "%sCPU %d RUNQUEUE: %" PRIx64 "\n", first ? "" : "\n",
		cpu, rq);
	fputs("  CURRENT: ", c->s->out);
	if (cur)
		fprintf(c->s->out, "PID: %-5d  TASK: %" PRIx64 "  COMMAND: "
			"\"%s\"\n", cur->pid, cur->addr, cur->comm);
	else
		fputs("(unknown)\n", c->s->out);
	fprintf(c->s->out, "  RT PRIO_ARRAY: %" PRIx64 "\n", rt);
	err = rt_array(c, rt, 0, &total);
	if (err)
		return err;
	none_queued(c, total);
	total = 0;
	fprintf(c->s->out, "  CFS RB_ROOT: %" PRIx64 "\n", root);
	err = cfs_rq(c, cfs, 0, &total);
	none_queued(c, total);
	return err;
}

/* The members every kernel has, then the group ones where they are. */
static struct kdk_error *resolve(struct runq_ctx *c)
{
	struct kdk_error *err = NULL;

	for (int i = 0; i < N_FIELDS && !err; i++) {
		struct kdk_error *e = kfields_resolve(c->s, &c->f[i], 1);

		if (e && (i == RT_MY_Q || i == RTRQ_ACTIVE || i == SE_MY_Q))
			kdk_error_free(e);
		else
			err = e;
		if (!e && i == SE_MY_Q)
			c->fair_groups = true;
		if (!e && i == RT_MY_Q)
			c->rt_groups = true;
	}
	return err;
}

/* -t: the CPU's rq->clock, then its running task's last arrival on a
 * CPU, as wide (crash's dump_on_rq_timestamp). */
static struct kdk_error *timestamps(struct runq_ctx *c, int cpu)
{
	const struct ktask *cur = ktasks_active(c->k, cpu);
	uint64_t clock;
	char buf[32];
	int len;

	if (!ktasks_rq_clock(c->k, cpu, &clock))
		return kdk_error(KDK_ERR_NOT_FOUND, "CPU %d: no run queue clock",
				 cpu);
	if (c->s->json) {
		json_begin_object(c->w);
		json_key_int(c->w, "cpu", cpu);
		json_key_uint(c->w, "clock", clock);
		if (cur) {
			json_key_int(c->w, "current_pid", cur->pid);
			json_key_uint(c->w, "last_arrival", cur->last_arrival);
		}
		json_end_object(c->w);
		return NULL;
	}
	len = snprintf(buf, sizeof(buf), c->s->radix == 16 ? "%" PRIx64 :
		       "%" PRIu64, clock);
	fprintf(c->s->out, "%sCPU %d: %s\n", cpu < 10 ? " " : "", cpu, buf);
	if (!cur) {
		fputc('\n', c->s->out);
		return NULL;
	}
	fprintf(c->s->out, c->s->radix == 16 ? "%*s%0*" PRIx64 :
		"%*s%0*" PRIu64, cpu < 10 ? 8 : cpu < 100 ? 8 : 9, "", len,
		cur->last_arrival);
	fprintf(c->s->out, "  PID: %-5d  TASK: %" PRIx64 "  COMMAND: \"%s\"\n",
		cur->pid, cur->addr, cur->comm);
	return NULL;
}

/* crash's translate_nanoseconds(): "D HH:MM:SS.mmm" */
static int days_hms_ms(uint64_t ns, char *buf, size_t n)
{
	uint64_t ms = ns / 1000000;

	return snprintf(buf, n, "%" PRIu64 " %02u:%02u:%02u.%03u",
			ms / 86400000, (unsigned)(ms / 3600000 % 24),
			(unsigned)(ms / 60000 % 60), (unsigned)(ms / 1000 % 60),
			(unsigned)(ms % 1000));
}

/* -m: how long each CPU's running task has run, rq->clock less its last
 * arrival (crash's dump_on_rq_milliseconds); the days column as wide as
 * CPU 0's clock would need. */
static struct kdk_error *running_for(struct runq_ctx *c, int cpu)
{
	const struct ktask *cur = ktasks_active(c->k, cpu);
	uint64_t clock, clock0 = 0;
	int n = ktasks_cpus(c->k);
	int indent = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
	int width, days;
	char buf[48];

	if (!ktasks_rq_clock(c->k, cpu, &clock))
		return kdk_error(KDK_ERR_NOT_FOUND, "CPU %d: no run queue clock",
				 cpu);
	for (int i = 0; i < n && !ktasks_rq_clock(c->k, i, &clock0); i++)
		;
	days_hms_ms(clock0, buf, sizeof(buf));
	width = (int)strcspn(buf, " ");
	indent -= cpu < 10 ? 0 : cpu < 100 ? 1 : cpu < 1000 ? 2 : 4;
	if (!cur) {
		fprintf(c->s->out, "%*sCPU %d: [unknown]\n", indent, "", cpu);
		return NULL;
	}
	days_hms_ms(clock > cur->last_arrival ? clock - cur->last_arrival : 0,
		    buf, sizeof(buf));
	days = (int)strcspn(buf, " ");
	if (c->s->json) {
		json_begin_object(c->w);
		json_key_int(c->w, "cpu", cpu);
		json_key_uint(c->w, "running_ns", clock > cur->last_arrival ?
			      clock - cur->last_arrival : 0);
		json_key_int(c->w, "current_pid", cur->pid);
		json_end_object(c->w);
		return NULL;
	}
	fprintf(c->s->out, "%*sCPU %d: [%*s%s]  PID: %-5d  TASK: %" PRIx64
		"  COMMAND: \"%s\"\n", indent, "", cpu,
		width > days ? width - days : 0, "", buf, cur->pid, cur->addr,
		cur->comm);
	return NULL;
}

/* -c: "1", "0,2", "1-3" */
static struct kdk_error *parse_cpus(const char *arg, int n, bool *want)
{
	char *copy = strdup(arg), *save = NULL;

	if (!copy)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (char *p = strtok_r(copy, ",", &save); p;
	     p = strtok_r(NULL, ",", &save)) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (*end || end == p || a < 0 || b < a || b >= n) {
			free(copy);
			return kdk_error(KDK_ERR_USAGE, "-c %s: CPUs are 0-%d",
					 arg, n - 1);
		}
		for (long i = a; i <= b; i++)
			want[i] = true;
	}
	free(copy);
	return NULL;
}

static struct kdk_error *cmd_runq(struct session *s, int argc, char **argv)
{
	struct runq_ctx c = { .s = s };
	struct command_opts o;
	struct json_writer w;
	struct kdk_error *err = NULL;
	const char *cpus = NULL;
	bool *want, stamps = false, since = false;
	int ch, n;

	command_opts_init(&o, argc, argv);
	while ((ch = command_opts_next(&o, &cmd_runq_def, "c:tTmgd", &err))) {
		if (err)
			return err;
		if (ch == 'c')
			cpus = o.arg;
		else if (ch == 't')
			stamps = true;
		else if (ch == 'm')
			since = true;
		else
			return kdk_error(KDK_ERR_NOT_BUILT, "runq -%c is not "
					 "built yet; runq and runq -c CPU are",
					 ch);
	}
	if (o.ind < argc)
		return command_usage(&cmd_runq_def, "no operands: %s",
				     argv[o.ind]);
	memcpy(c.f, fields, sizeof(fields));
	err = session_tasks(s, &c.k);
	if (!err)
		err = resolve(&c);
	if (err)
		return err;
	n = ktasks_cpus(c.k);
	want = calloc(n > 0 ? n : 1, sizeof(*want));
	if (!want)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (cpus)
		err = parse_cpus(cpus, n, want);
	else
		memset(want, 1, n * sizeof(*want));
	c.w = &w;
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	for (int cpu = 0, shown = 0; cpu < n && !err; cpu++) {
		uint64_t rq;

		if (!want[cpu])
			continue;
		if (stamps || since) {
			err = stamps ? timestamps(&c, cpu) : running_for(&c, cpu);
			continue;
		}
		if (!ktasks_rq(c.k, cpu, &rq)) {
			if (!s->json)
				fprintf(s->out, "%sCPU %d [RUN QUEUE NOT FOUND]"
					"\n", shown++ ? "\n" : "", cpu);
			continue;
		}
		err = one_cpu(&c, cpu, rq, !shown++);
		if (err)
			err = kdk_error_wrap(err, "CPU %d's run queue", cpu);
	}
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	free(want);
	return err;
}

const struct command cmd_runq_def = {
	.name = "runq",
	.fn = cmd_runq,
	.summary = "run queue",
	.synopsis = "runq [-t | -m] [-c cpu(s)]",
	.help =
"Shows each CPU's run queue: the task running there, then the tasks\n"
"waiting, real-time ones by priority (the rt_prio_array queue index),\n"
"then CFS ones leftmost first (the order the scheduler picks them),\n"
"each with its prio; task groups are walked into, as crash does without\n"
"-g. A CPU with nothing waiting says \"[no tasks queued]\".\n"
"\n"
"  -c cpus   these CPUs only: 1, 0,2, 0-3.\n"
"  -t        each CPU's rq->clock, and under it the last arrival on a\n"
"            CPU (sched_info.last_arrival) of the task running there.\n"
"  -m        how long each CPU's running task has run (rq->clock less\n"
"            its last arrival), days hh:mm:ss.ms.\n"
"\n"
"Not built yet: -T, -g (per task group), -d.\n"
"With --json: [{cpu, runqueue, current_pid, rt: [{prio, pid, task,\n"
"command}], cfs: [...]}]; with -t [{cpu, clock, current_pid,\n"
"last_arrival}]; with -m [{cpu, running_ns, current_pid}].",
	.examples =
"  What else wanted CPU 1 when it locked up:\n"
"    crash> runq -c 1",
	.flags = CMD_NEEDS_TARGET | CMD_NEEDS_SYMBOLS,
};
