/* ps: every task, one line each, in crash's columns
 * "PID PPID CPU TASK ST %MEM VSZ RSS COMM", and crash's other views of
 * the task list (-p parents, -c children, -g threads, -l/-m last run,
 * -S state counts). */
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/ps_rlimit.h"
#include "cmd/ps_views.h"
#include "dump/dump.h"
#include "kernel/tasks.h"

enum ps_view {
	VIEW_ROWS,
	VIEW_PARENTS,		/* -p */
	VIEW_CHILDREN,		/* -c */
	VIEW_THREADS,		/* -g */
	VIEW_LAST_RUN,		/* -l */
	VIEW_MSECS,		/* -m */
	VIEW_SUMMARY,		/* -S */
	VIEW_POLICY,		/* -Y */
	VIEW_RLIMIT,		/* -r */
	VIEW_TIMES,		/* -t */
	VIEW_ARGS,		/* -a */
};

/* include/uapi/linux/sched.h: SCHED_NORMAL 0 ... SCHED_DEADLINE 6; 4 was
 * SCHED_ISO, never merged, kept by crash. */
static const char *const policy_names[] = {
	"NORMAL", "FIFO", "RR", "BATCH", "ISO", "IDLE", "DEADLINE",
};
#define N_POLICIES (sizeof(policy_names) / sizeof(policy_names[0]))


struct operand {
	enum { BY_PID, BY_TASK, BY_COMM, BY_REGEX } kind;
	int64_t pid;
	uint64_t task;
	const char *comm;
	regex_t re;
};

struct ps {
	struct session *s;
	const struct ktasks *k;
	enum ps_view view;
	bool kernel_only, user_only, group, active_only, no_header;
	bool no_idle, kstackp;
	unsigned int policies;		/* -y: a bit per SCHED_* */
	struct kdk_error *err;		/* -r: the first task that failed */
	size_t blocks;			/* -r: tables printed */
	bool idle_shown;		/* -g listed the idle tasks */
	uint8_t cpus[1024];		/* -C: a bit per CPU */
	bool has_cpus;
	struct operand *ops;		/* one per operand */
	size_t n_ops;
	uint32_t page_size;
	const struct ktask **shown;	/* -G: leaders printed already */
	size_t n_shown;
};

static bool is_hex_digits(const char *s)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("0123456789abcdefABCDEF", *s))
			return false;
	return true;
}

static bool is_decimal(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A quoted 'regex' arrives without its quotes (the shell takes them),
 * so an operand with a regex metacharacter is a regex; a plain name is
 * matched whole, as crash does. */
static bool looks_like_regex(const char *s)
{
	return strpbrk(s, "*?[]^$|()+\\{}") != NULL;
}

/* crash's rule: a number is a pid if some task has it, else a task
 * address if that is one. */
static struct kdk_error *parse_operand(struct ps *ps, const char *arg,
				       struct operand *op)
{
	if (is_decimal(arg) || is_hex_digits(arg)) {
		uint64_t v = strtoull(arg, NULL, is_decimal(arg) ? 10 : 16);
		uint64_t hex = strtoull(arg, NULL, 16);

		if (is_decimal(arg) && v <= INT32_MAX &&
		    ktasks_by_pid(ps->k, (int32_t)v)) {
			op->kind = BY_PID;
			op->pid = (int64_t)v;
			return NULL;
		}
		if (ktasks_by_addr(ps->k, hex)) {
			op->kind = BY_TASK;
			op->task = hex;
			return NULL;
		}
		if (is_decimal(arg) || arg[0] == '0')
			return kdk_error(KDK_ERR_NOT_FOUND, "invalid task or "
					 "pid value: %s", arg);
	}
	if (looks_like_regex(arg)) {
		int r = regcomp(&op->re, arg, REG_EXTENDED | REG_NOSUB);

		if (r)
			return kdk_error(KDK_ERR_USAGE, "invalid regular "
					 "expression: %s", arg);
		op->kind = BY_REGEX;
		return NULL;
	}
	op->kind = BY_COMM;
	op->comm = arg;
	return NULL;
}

static bool matches(const struct ps *ps, const struct operand *op,
		    const struct ktask *t)
{
	switch (op->kind) {
	case BY_PID:
		return t->pid == op->pid;
	case BY_TASK:
		return t->addr == op->task;
	case BY_COMM:
		/* crash: with -g or -G only the group's leader */
		return strncmp(t->comm, op->comm, KTASK_COMM_LEN) == 0 &&
		       (!(ps->group || ps->view == VIEW_THREADS) ||
			t->pid == t->tgid);
	case BY_REGEX:
		return regexec(&op->re, t->comm, 0, NULL, 0) == 0 &&
		       (!(ps->group || ps->view == VIEW_THREADS) ||
			t->pid == t->tgid);
	}
	return false;
}

static void print_task_header(FILE *out, const struct ktask *t)
{
	fprintf(out, "PID: %-7" PRId32 "  TASK: %016" PRIx64 "  CPU: %-3d  "
		"COMMAND: \"%s\"\n", t->pid, t->addr, t->cpu, t->comm);
}

static void format_mem(const struct ps *ps, const struct ktask *t,
		       char *buf, size_t len)
{
	uint64_t total = ktasks_mem_pages(ps->k);
	double pct = 0;

	if (total && !(t->kthread && !t->rss_pages))
		pct = (double)t->rss_pages * 100.0 / (double)total;
	snprintf(buf, len, "%.1f", pct);
	if (strlen(buf) == 3) {
		char tmp[8];

		snprintf(tmp, sizeof(tmp), " %s", buf);
		snprintf(buf, len, "%s", tmp);
	}
}

static void print_row(const struct ps *ps, const struct ktask *t)
{
	FILE *out = ps->s->out;
	char mem[32];

	fprintf(out, "%s%7" PRId32 " %7" PRId32 " %3d  ",
		t->active ? "> " : "  ", t->pid, t->ppid, t->cpu);
	if (!ps->kstackp)
		fprintf(out, "%016" PRIx64, t->addr);
	else if (t->active || !t->ksp)
		fprintf(out, "%7s--%7s", "", "");
	else
		fprintf(out, "%016" PRIx64, t->ksp);
	fprintf(out, " %3s%s", t->st, strlen(t->st) > 3 ? " " : "  ");
	format_mem(ps, t, mem, sizeof(mem));
	fprintf(out, "%s %8" PRIu64 " %8" PRIu64 "  ", mem,
		t->total_vm_pages * ps->page_size / 1024,
		t->rss_pages * ps->page_size / 1024);
	fprintf(out, t->kthread ? "[%s]\n" : "%s\n", t->comm);
}

static void print_policy_row(const struct ps *ps, const struct ktask *t)
{
	const char *name = t->policy >= 0 && (size_t)t->policy < N_POLICIES ?
			   policy_names[t->policy] : "UNKNOWN";

	fprintf(ps->s->out, "%s%7" PRId32 " %7" PRId32 " %3d  %016" PRIx64
		"  %-12s %4d  ", t->active ? "> " : "  ", t->pid, t->ppid,
		t->cpu, t->addr, name, t->prio);
	fprintf(ps->s->out, t->kthread ? "[%s]\n" : "%s\n", t->comm);
}

static void print_parents(const struct ps *ps, const struct ktask *t)
{
	const struct ktask *chain[256];
	size_t n = 0;

	/* up to the task that is its own parent (init_task) */
	while (t && n < sizeof(chain) / sizeof(chain[0])) {
		chain[n++] = t;
		if (t->parent == t->addr)
			break;
		t = ktasks_by_addr(ps->k, t->parent);
	}
	for (size_t i = n; i-- > 0;) {
		fprintf(ps->s->out, "%*s", (int)(n - 1 - i), "");
		print_task_header(ps->s->out, chain[i]);
	}
	fputc('\n', ps->s->out);
}

static void print_children(const struct ps *ps, const struct ktask *t)
{
	size_t n = 0;

	print_task_header(ps->s->out, t);
	for (size_t i = 0; i < ktasks_count(ps->k); i++) {
		const struct ktask *c = ktasks_get(ps->k, i);

		if (c->parent == t->addr && c != t) {
			fputs("  ", ps->s->out);
			print_task_header(ps->s->out, c);
			n++;
		}
	}
	if (!n)
		fputs("  (no children)\n", ps->s->out);
	fputc('\n', ps->s->out);
}

/* As crash: the idle tasks (all tgid 0) are swapper/0's "threads", and
 * are not listed again on their own. */
static void print_threads(struct ps *ps, const struct ktask *t)
{
	size_t n = 0;

	if (t->pid != t->tgid) {
		if (!ps->n_ops)
			return;
		t = ktasks_by_pid(ps->k, t->tgid);
		if (!t)
			return;
	}
	if (t->pid == 0 && ps->idle_shown)
		return;
	print_task_header(ps->s->out, t);
	for (size_t i = 0; i < ktasks_count(ps->k); i++) {
		const struct ktask *c = ktasks_get(ps->k, i);

		if (c != t && c->tgid == t->tgid) {
			fputs("  ", ps->s->out);
			print_task_header(ps->s->out, c);
			n++;
			if (c->pid == 0)
				ps->idle_shown = true;
		}
	}
	if (!n)
		fputs("  (no threads)\n", ps->s->out);
	fputc('\n', ps->s->out);
}

/* crash's translate_nanoseconds(): "D HH:MM:SS.mmm". */
static void format_ns(uint64_t ns, char *buf, size_t len)
{
	uint64_t v = ns / 1000000;

	snprintf(buf, len, "%" PRIu64 " %02" PRIu64 ":%02" PRIu64 ":%02"
		 PRIu64 ".%03" PRIu64, v / 86400000, v / 3600000 % 24,
		 v / 60000 % 60, v / 1000 % 60, v % 1000);
}

static int days_width(const char *buf)
{
	return (int)(strchr(buf, ' ') - buf);
}

static void print_last_run(const struct ps *ps, const struct ktask *t,
			   int width)
{
	FILE *out = ps->s->out;

	if (ps->view == VIEW_LAST_RUN) {
		fprintf(out, "[%*" PRIu64 "] ", width, t->last_arrival);
	} else {
		uint64_t clock = 0;
		char now[64], ago[64];
		int64_t delta;

		ktasks_rq_clock(ps->k, t->cpu, &clock);
		delta = (int64_t)(clock - t->last_arrival);
		format_ns(clock, now, sizeof(now));
		format_ns(delta < 0 ? 0 : (uint64_t)delta, ago, sizeof(ago));
		fprintf(out, "[%*s%s] ", days_width(now) - days_width(ago), "",
			ago);
	}
	fprintf(out, "[%s]  ", t->st);
	print_task_header(out, t);
}

static bool skip(struct ps *ps, const struct ktask *t)
{
	if (ps->user_only && t->kthread)
		return true;
	if (ps->kernel_only && !t->kthread)
		return true;
	if (ps->no_idle && t->idle)
		return true;
	if (ps->policies && (t->policy < 0 || t->policy >= 32 ||
			     !(ps->policies & (1u << t->policy))))
		return true;
	if (ps->active_only && !ps->n_ops && !t->active)
		return true;
	if (ps->group) {
		if (t->pid != t->tgid)
			return true;
		for (size_t i = 0; i < ps->n_shown; i++)
			if (ps->shown[i] == t)
				return true;
		ps->shown[ps->n_shown++] = t;
	}
	return false;
}

static void show(struct ps *ps, const struct ktask *t, int width)
{
	if (ps->group && t->pid != t->tgid && ps->n_ops) {
		t = ktasks_by_pid(ps->k, t->tgid);
		if (!t)
			return;
	}
	if (skip(ps, t))
		return;
	switch (ps->view) {
	case VIEW_ROWS:
		print_row(ps, t);
		break;
	case VIEW_PARENTS:
		print_parents(ps, t);
		break;
	case VIEW_CHILDREN:
		print_children(ps, t);
		break;
	case VIEW_THREADS:
		print_threads(ps, t);
		break;
	case VIEW_LAST_RUN:
	case VIEW_MSECS:
		print_last_run(ps, t, width);
		break;
	case VIEW_POLICY:
		print_policy_row(ps, t);
		break;
	case VIEW_RLIMIT:
		ps->err = command_keep_first(ps->err,
			ps_print_rlimits(ps->s, t, ps->blocks++ == 0));
		break;
	case VIEW_TIMES:
		ps->err = command_keep_first(ps->err,
			ps_print_times(ps->s, t, ps->blocks++ == 0));
		break;
	case VIEW_ARGS:
		ps->err = command_keep_first(ps->err,
			ps_print_args(ps->s, t, ps->blocks++ == 0));
		break;
	case VIEW_SUMMARY:
		break;
	}
}

static void print_summary(const struct ps *ps)
{
	char names[32][5];
	size_t counts[32] = { 0 }, n = 0;

	/* in the order the states first appear, as crash counts them */
	for (size_t i = 0; i < ktasks_count(ps->k); i++) {
		const struct ktask *t = ktasks_get(ps->k, i);
		size_t j;

		for (j = 0; j < n && strcmp(names[j], t->st); j++)
			;
		if (j == n && n < 32)
			strcpy(names[n++], t->st);
		if (j < n)
			counts[j]++;
	}
	for (size_t j = 0; j < n; j++)
		fprintf(ps->s->out, "  %s: %zu\n", names[j], counts[j]);
}

/* ps -l and -m list the most recently run first. */
static int by_last_run(const void *a, const void *b)
{
	const struct ktask *x = *(const struct ktask *const *)a;
	const struct ktask *y = *(const struct ktask *const *)b;

	return (x->last_arrival < y->last_arrival) -
	       (x->last_arrival > y->last_arrival);
}

static const struct ktask **task_order(const struct ps *ps)
{
	size_t n = ktasks_count(ps->k);
	const struct ktask **order = malloc((n + 1) * sizeof(*order));

	if (!order)
		return NULL;
	for (size_t i = 0; i < n; i++)
		order[i] = ktasks_get(ps->k, i);
	if (ps->view == VIEW_LAST_RUN || ps->view == VIEW_MSECS)
		qsort(order, n, sizeof(*order), by_last_run);
	return order;
}

static bool cpu_selected(const struct ps *ps, int cpu)
{
	return cpu >= 0 && cpu < (int)sizeof(ps->cpus) * 8 &&
	       (ps->cpus[cpu / 8] >> (cpu % 8)) & 1;
}

static void show_all(struct ps *ps, const struct ktask **order)
{
	size_t n = ktasks_count(ps->k);
	char buf[32];
	int width = 1;

	if (n && ps->view == VIEW_LAST_RUN)
		width = snprintf(buf, sizeof(buf), "%" PRIu64,
				 order[0]->last_arrival);
	if (!ps->has_cpus) {
		for (size_t i = 0; i < n; i++) {
			if (!ps->n_ops) {
				show(ps, order[i], width);
				continue;
			}
			for (size_t j = 0; j < ps->n_ops; j++)
				if (matches(ps, &ps->ops[j], order[i]))
					show(ps, order[i], width);
		}
		return;
	}
	for (int cpu = 0, others = 0; cpu < ktasks_cpus(ps->k); cpu++) {
		if (!cpu_selected(ps, cpu))
			continue;
		fprintf(ps->s->out, "%sCPU: %d\n", others++ ? "\n" : "", cpu);
		for (size_t i = 0; i < n; i++)
			if (order[i]->cpu == cpu)
				show(ps, order[i], width);
	}
}

static void hex_key(struct json_writer *w, const char *key, uint64_t v)
{
	char hex[24];

	snprintf(hex, sizeof(hex), "0x%016" PRIx64, v);
	json_key_string(w, key, hex);
}

static void print_json(struct ps *ps)
{
	static const char *const ways[] = { "tasks", "threads", "rq_idle",
					    "rq_curr", "pid_idr" };
	struct json_writer w;

	json_init(&w, ps->s->out, true);
	json_begin_array(&w);
	for (size_t i = 0; i < ktasks_count(ps->k); i++) {
		const struct ktask *t = ktasks_get(ps->k, i);
		bool hit = !ps->n_ops;
		char mem[32];

		for (size_t j = 0; j < ps->n_ops && !hit; j++)
			hit = matches(ps, &ps->ops[j], t);
		if (!hit || skip(ps, t))
			continue;
		format_mem(ps, t, mem, sizeof(mem));
		json_begin_object(&w);
		json_key_int(&w, "pid", t->pid);
		json_key_int(&w, "tgid", t->tgid);
		json_key_int(&w, "ppid", t->ppid);
		hex_key(&w, "parent", t->parent);
		json_key_int(&w, "cpu", t->cpu);
		hex_key(&w, "task", t->addr);
		json_key_string(&w, "st", t->st);
		json_key_uint(&w, "state", t->state);
		json_key_string(&w, "comm", t->comm);
		json_key_bool(&w, "kthread", t->kthread);
		json_key_uint(&w, "flags", t->flags);
		hex_key(&w, "mm", t->mm);
		json_key_string(&w, "mem_pct", mem[0] == ' ' ? mem + 1 : mem);
		json_key_uint(&w, "vsz_kb", t->total_vm_pages *
			      ps->page_size / 1024);
		json_key_uint(&w, "rss_kb", t->rss_pages * ps->page_size / 1024);
		json_key_uint(&w, "total_vm_pages", t->total_vm_pages);
		json_key_uint(&w, "rss_pages", t->rss_pages);
		json_key_uint(&w, "last_arrival_ns", t->last_arrival);
		if (t->policy >= 0 && (size_t)t->policy < N_POLICIES)
			json_key_string(&w, "policy",
					policy_names[t->policy]);
		else
			json_key_int(&w, "policy", t->policy);
		json_key_int(&w, "prio", t->prio);
		json_key_bool(&w, "active", t->active);
		json_key_bool(&w, "idle", t->idle);
		json_key(&w, "found_by");
		json_begin_array(&w);
		for (size_t b = 0; b < 5; b++)
			if (t->found & (1u << b))
				json_string(&w, ways[b]);
		json_end_array(&w);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_finish(&w);
}

/* -y NORMAL,FIFO or numbers (0x1 too), as crash takes them. */
static struct kdk_error *parse_policies(struct ps *ps, const char *spec)
{
	char *copy = strdup(spec), *save = NULL;
	struct kdk_error *err = NULL;

	if (!copy)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (char *w = strtok_r(copy, ",", &save); w && !err;
	     w = strtok_r(NULL, ",", &save)) {
		size_t i;
		char *end;
		unsigned long n = strtoul(w, &end, 0);

		for (i = 0; i < N_POLICIES; i++)
			if (strcasecmp(w, policy_names[i]) == 0 ||
			    (!*end && end != w && n == i))
				break;
		if (i == N_POLICIES)
			err = command_usage(&cmd_ps_def, "%s: invalid "
					    "scheduling policy", w);
		else
			ps->policies |= 1u << i;
	}
	free(copy);
	return err;
}

/* "-C 0,2-3" or "-C all". */
static struct kdk_error *parse_cpus(struct ps *ps, const char *spec)
{
	const char *p = spec;

	ps->has_cpus = true;
	if (strcmp(spec, "all") == 0 || strcmp(spec, "a") == 0) {
		memset(ps->cpus, 0xff, sizeof(ps->cpus));
		return NULL;
	}
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p)
				goto bad;
		}
		if (hi < lo || hi >= sizeof(ps->cpus) * 8)
			goto bad;
		for (unsigned long c = lo; c <= hi; c++)
			ps->cpus[c / 8] |= (uint8_t)(1u << (c % 8));
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	return NULL;
bad:
	return command_usage(&cmd_ps_def, "-C %s: not a CPU list", spec);
}

static struct kdk_error *set_view(struct ps *ps, enum ps_view v, int c)
{
	if (ps->view != VIEW_ROWS && ps->view != v)
		return command_usage(&cmd_ps_def, "-%c cannot be used with "
				     "the other view flags (-p -c -g -l -m -S "
				     "-Y)",
				     c);
	ps->view = v;
	return NULL;
}

static struct kdk_error *parse_flags(struct ps *ps, struct command_opts *o)
{
	struct kdk_error *err = NULL;
	int c;

	while (!err && (c = command_opts_next(o, &cmd_ps_def,
					      "kuGApcglmSYsHIC:y:tar",
					      &err)) != 0) {
		if (err)
			break;
		switch (c) {
		case 'k':
		case 'u':
			if (ps->kernel_only || ps->user_only)
				return command_usage(&cmd_ps_def, "-u and -k "
						     "are mutually exclusive");
			*(c == 'k' ? &ps->kernel_only : &ps->user_only) = true;
			break;
		case 'G': ps->group = true; break;
		case 'A': ps->active_only = true; break;
		case 'H': ps->no_header = true; break;
		case 'I': ps->no_idle = true; break;
		case 's': ps->kstackp = true; break;
		case 'p': err = set_view(ps, VIEW_PARENTS, c); break;
		case 'c': err = set_view(ps, VIEW_CHILDREN, c); break;
		case 'g': err = set_view(ps, VIEW_THREADS, c); break;
		case 'l': err = set_view(ps, VIEW_LAST_RUN, c); break;
		case 'm': err = set_view(ps, VIEW_MSECS, c); break;
		case 'S': err = set_view(ps, VIEW_SUMMARY, c); break;
		case 'Y': err = set_view(ps, VIEW_POLICY, c); break;
		case 'r': err = set_view(ps, VIEW_RLIMIT, c); break;
		case 't': err = set_view(ps, VIEW_TIMES, c); break;
		case 'a': err = set_view(ps, VIEW_ARGS, c); break;
		case 'y': err = parse_policies(ps, o->arg); break;
		case 'C': err = parse_cpus(ps, o->arg); break;
		default:
			return kdk_error(KDK_ERR_NOT_BUILT, "-%c is not built "
					 "yet", c);
		}
	}
	if (err)
		return err;
	if (ps->has_cpus && ps->view != VIEW_LAST_RUN &&
	    ps->view != VIEW_MSECS)
		return command_usage(&cmd_ps_def, "-C is only applicable with "
				     "-l and -m");
	if (ps->group && (ps->view == VIEW_LAST_RUN || ps->view == VIEW_MSECS))
		return command_usage(&cmd_ps_def, "-G not supported with -l "
				     "or -m");
	return NULL;
}

static void warn_problems(const struct ps *ps)
{
	for (size_t i = 0; i < ktasks_problem_count(ps->k); i++)
		fprintf(stderr, "ps: WARNING: %s\n", ktasks_problem(ps->k, i));
}

static struct kdk_error *cmd_ps(struct session *s, int argc, char **argv)
{
	struct ps *ps = calloc(1, sizeof(*ps));
	const struct ktask **order = NULL;
	struct kdk_error *err;
	struct command_opts o;

	if (!ps)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	ps->s = s;
	command_opts_init(&o, argc, argv);
	err = parse_flags(ps, &o);
	if (!err)
		err = session_tasks(s, &ps->k);
	if (err)
		goto out;
	ps->page_size = ktasks_page_size(ps->k);
	if (ps->view == VIEW_SUMMARY && o.ind < argc) {
		err = command_usage(&cmd_ps_def, "-S takes no arguments");
		goto out;
	}
	if (ps->has_cpus && o.ind < argc) {
		err = command_usage(&cmd_ps_def, "-C is not applicable with "
				    "specified tasks");
		goto out;
	}
	ps->ops = calloc(argc + 1, sizeof(*ps->ops));
	if (!ps->ops) {
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (; o.ind < argc; o.ind++) {
		err = parse_operand(ps, argv[o.ind], &ps->ops[ps->n_ops]);
		if (err)
			goto out;
		ps->n_ops++;
	}
	ps->shown = calloc(ktasks_count(ps->k) + 1, sizeof(*ps->shown));
	order = task_order(ps);
	if (!ps->shown || !order) {
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (ps->view == VIEW_TIMES) {
		err = ps_sort_by_start(s, order, ktasks_count(ps->k));
		if (err)
			goto out;
	}
	warn_problems(ps);
	if (s->json) {
		print_json(ps);
	} else if (ps->view == VIEW_SUMMARY) {
		print_summary(ps);
	} else {
		if (ps->view == VIEW_ROWS && !ps->no_header)
			fprintf(s->out, "      PID    PPID  CPU %s  ST  %%MEM    "
				"  VSZ      RSS  COMM\n", ps->kstackp ?
				"     KSTACKP    " : "      TASK      ");
		if (ps->view == VIEW_POLICY && !ps->no_header)
			fprintf(s->out, "      PID    PPID  CPU       TASK       "
				" POLICY       PRIO  COMM\n");
		show_all(ps, order);
		err = ps->err;
		ps->err = NULL;
	}
out:
	for (size_t i = 0; i < ps->n_ops; i++)
		if (ps->ops[i].kind == BY_REGEX)
			regfree(&ps->ops[i].re);
	free(order);
	free(ps->shown);
	free(ps->ops);
	free(ps);
	return err;
}

const struct command cmd_ps_def = {
	.name = "ps",
	.fn = cmd_ps,
	.summary = "display process status information",
	.synopsis = "ps [-k|-u|-G|-A|-I|-H|-s] [-y policy] "
		    "[-p|-c|-g|-l|-m [-C cpus]|-S|-Y|-r|-t|-a] "
		    "[pid | task | command | 'regex'] ...",
	.help =
"Lists every task of the dumped kernel, one line each: PID, parent PID,\n"
"CPU, task_struct address, state, %MEM (resident memory as a share of\n"
"the memory below high_memory, as crash has it), VSZ and RSS in KB, and the command name. Kernel threads\n"
"are in [brackets]. A '>' marks each CPU's active task (its run queue's\n"
"curr). Tasks are sorted by PID; the idle tasks (pid 0, swapper/N) by CPU.\n"
"\n"
"Tasks are found on init_task's task list (every thread-group leader),\n"
"each group's thread list, every CPU's run queue (its idle and current\n"
"task) and the pid namespace's idr; a task one way finds and another\n"
"misses is listed and a WARNING line on stderr says so (on x86_64 also a\n"
"CPU whose current_task is not its run queue's curr). The state names\n"
"are crash's: RU running, IN interruptible, UN uninterruptible, ID idle\n"
"(TASK_IDLE), ST stopped, TR traced, ZO zombie, DE dead, PA parked, WA\n"
"waking, NE new; their bits are read from the kernel's task_state_array.\n"
"\n"
"  -k  kernel threads only.         -u  user tasks only.\n"
"  -G  one line per thread group (its leader).\n"
"  -A  each CPU's active task only. -I  leave out the idle tasks.\n"
"  -H  no header line.              -s  KSTACKP: the saved kernel stack\n"
"                                       pointer instead of TASK.\n"
"  -p  the parents of each task, up to init_task.\n"
"  -c  the children of each task.   -g  the threads of each group.\n"
"  -l  sched_info.last_arrival (ns) of each task, most recent first.\n"
"  -m  the same as time before its CPU's run-queue clock\n"
"      (days hh:mm:ss.ms).          -C cpus  with -l or -m: per CPU\n"
"                                       (\"0,2-3\" or \"all\").\n"
"  -S  how many tasks are in each state.\n"
"  -Y  POLICY and PRIO instead of the memory columns.\n"
"  -r  each task's resource limits (signal->rlim): current, maximum.\n"
"  -t  each task's run time (uptime less its start, h:m:s), start time,\n"
"      user and system time (ns), oldest first.\n"
"  -a  each task's arguments and environment, read from its user stack\n"
"      (a dump filtered with -d 31 has no user pages: it says so).\n"
"  -y policy[,policy]  only tasks of these scheduling policies: NORMAL\n"
"      FIFO RR BATCH IDLE DEADLINE, or their numbers.\n"
"\n"
"Operands select tasks: a PID, a task_struct address in hex, a command\n"
"name, or a regular expression over command names (an operand with a\n"
"regex character such as * . [ is one; quote it for the shell:\n"
"'kworker.*'). -t and -a are not built yet. Any number of operands.\n"
"\n"
"Needs the kernel's BTF (in the dump's memory) and init_task: arm64\n"
"kallsyms has no data symbols, so there give the vmlinux.\n"
"\n"
"With --json, an array of the selected tasks with every field: pid,\n"
"tgid, ppid, parent, cpu, task, st, state, comm, kthread, flags, mm,\n"
"mem_pct, vsz_kb, rss_kb, pages, last_arrival_ns, policy, prio,\n"
"active, idle, and\n"
"found_by (tasks, threads, rq_idle, rq_curr, pid_idr).",
	.examples =
"  crash> ps | grep UN\n"
"      137     136   1  ffff8e51c2a64800  UN   0.1     2464      988  "
"crashme-reader\n"
"  crash> ps -k kworker.*\n"
"  crash> ps -p 137",
	.flags = CMD_NEEDS_SYMBOLS | CMD_NEEDS_TARGET,
};
