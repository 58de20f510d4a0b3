/* task: the current task's (or the given tasks') task_struct, whole or
 * only some members, under crash's one-line task header. The values are
 * printed by `struct` (the type model and gdb's layout), so `task -R
 * se.load` and `struct task_struct.se.load ADDR` show the same lines. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/context.h"
#include "cmd/struct.h"
#include "debuginfo/btf.h"
#include "expr/value_print.h"
#include "target/target.h"

struct task_args {
	const struct ktasks *k;		/* session_tasks()'s */
	char format;			/* 'x', 'd' or 0: the session's radix */
	char *members;			/* "a,b.c" or NULL: the whole struct */
	const struct ktask **tasks;
	size_t n, cap;
};

static struct kdk_error *push_task(struct task_args *a, const struct ktask *t)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		const struct ktask **v = realloc(a->tasks, cap * sizeof(*v));

		if (!v)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		a->tasks = v;
		a->cap = cap;
	}
	a->tasks[a->n++] = t;
	return NULL;
}

/* Join another -R list (or member operand) to a->members. */
static struct kdk_error *add_members(struct task_args *a, const char *list)
{
	size_t old = a->members ? strlen(a->members) : 0;
	char *m = realloc(a->members, old + strlen(list) + 2);

	if (!m)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (old)
		m[old++] = ',';
	strcpy(m + old, list);
	a->members = m;
	return NULL;
}

static bool is_member(struct session *s, const char *type, const char *word)
{
	const struct kbtf *btf;
	struct kdk_error *err = session_btf(s, &btf);

	kdk_error_free(err);
	return !err && kbtf_has_member(btf, type, word);
}

/* Operands: PIDs and task addresses (every task of a PID, as crash), and
 * task_struct members as -R takes them. */
static struct kdk_error *add_operand(struct session *s,
				     const struct ktasks *k,
				     struct task_args *a, const char *arg)
{
	const struct ktask *task;
	struct kdk_error *err;

	if (strpbrk(arg, ",.[") || is_member(s, "task_struct", arg) ||
	    is_member(s, "thread_info", arg))
		return add_members(a, arg);
	err = context_task_arg(k, arg, &task);
	if (err)
		return err;
	if (task->pid >= 0 && ktasks_by_pid(k, task->pid) == task &&
	    strspn(arg, "0123456789") == strlen(arg)) {
		for (size_t i = 0; i < ktasks_count(k); i++) {
			const struct ktask *t = ktasks_get(k, i);

			if (t->pid != task->pid)
				continue;
			err = push_task(a, t);
			if (err)
				return err;
		}
		return NULL;
	}
	return push_task(a, task);
}

/* `struct [-x|-d] TYPE[.members] ADDR`, printing to s->out. */
static struct kdk_error *run_struct(struct session *s, const struct task_args *a,
				    const char *type, const char *members,
				    uint64_t addr)
{
	char spec[4096], where[32], flag[3] = { '-', a->format, 0 };
	char *argv[5];
	int argc = 0;

	if (members)
		snprintf(spec, sizeof(spec), "%s.%s", type, members);
	else
		snprintf(spec, sizeof(spec), "%s", type);
	snprintf(where, sizeof(where), "0x%" PRIx64, addr);
	argv[argc++] = "task";
	if (a->format)
		argv[argc++] = flag;
	argv[argc++] = spec;
	argv[argc++] = where;
	argv[argc] = NULL;
	return struct_command(s, &cmd_task_def, TYPE_STRUCT, argc, argv);
}

/* Does the task_struct hold its thread_info (crash then shows it too)? */
static bool thread_info_at(struct session *s, const struct ktask *task,
			   uint64_t *addr)
{
	const struct kbtf *btf;
	struct kbtf_member m;
	struct kdk_error *err = session_btf(s, &btf);

	if (!err)
		err = kbtf_member(btf, "task_struct", "thread_info", &m);
	kdk_error_free(err);
	*addr = task->addr + (err ? 0 : m.offset);
	return !err;
}

/* -R as crash takes it: each member from the task_struct, and a plain
 * name that thread_info has too (flags, cpu ...) from the thread_info
 * as well, one after the other. */
static struct kdk_error *print_members(struct session *s,
				       const struct task_args *a,
				       const struct ktask *task)
{
	char *list = strdup(a->members), *save = NULL;
	struct kdk_error *err = list ? NULL :
		kdk_error(KDK_ERR_NOMEM, "out of memory");
	uint64_t ti;

	for (char *m = list ? strtok_r(list, ",", &save) : NULL; m && !err;
	     m = strtok_r(NULL, ",", &save)) {
		bool plain = !strpbrk(m, ".[");
		bool in_ti = plain && thread_info_at(s, task, &ti) &&
			     is_member(s, "thread_info", m);

		if (!in_ti || is_member(s, "task_struct", m))
			err = run_struct(s, a, "task_struct", m, task->addr);
		if (!err && in_ti)
			err = run_struct(s, a, "thread_info", m, ti);
	}
	free(list);
	return err;
}

static struct kdk_error *print_text(struct session *s,
				    const struct task_args *a,
				    const struct ktask *task)
{
	struct kdk_error *err;
	uint64_t ti;

	context_print_header(s, task);
	if (a->members) {
		err = print_members(s, a, task);
	} else {
		err = run_struct(s, a, "task_struct", NULL, task->addr);
		if (!err && thread_info_at(s, task, &ti)) {
			fputc('\n', s->out);
			err = run_struct(s, a, "thread_info", NULL, ti);
		}
	}
	fputc('\n', s->out);
	return err;
}

static struct kdk_error *print_json(struct session *s, struct json_writer *w,
				    const struct task_args *a,
				    const struct ktask *task)
{
	struct types *ts;
	struct type *t;
	uint8_t *data = NULL;
	struct kdk_error *err = session_types(s, &ts);

	if (!err)
		err = types_find(ts, "struct task_struct", &t);
	if (!err && !(data = malloc(type_strip(t)->size)))
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (!err)
		err = kdk_error_wrap(target_read_kvaddr(s->target, task->addr,
							data,
							type_strip(t)->size),
				     "task_struct at %" PRIx64, task->addr);
	if (err) {
		free(data);
		return err;
	}
	json_begin_object(w);
	context_json_members(s, a->k, w, task);
	json_key(w, "task_struct");
	if (!a->members) {
		value_json_member(w, t, data, 0, 0, task->addr);
	} else {
		char *list = strdup(a->members), *save = NULL;

		json_begin_object(w);
		for (char *m = list ? strtok_r(list, ",", &save) : NULL; m;
		     m = strtok_r(NULL, ",", &save)) {
			struct type_path_hit hit;

			err = type_member_path(t, m, &hit);
			if (err) {
				err = kdk_error_wrap(err, "invalid data "
						     "structure reference: %s",
						     m);
				break;
			}
			json_key(w, m);
			value_json_member(w, hit.type, data, hit.bit_offset,
					  hit.bit_size, task->addr);
		}
		json_end_object(w);
		if (!list)
			err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		free(list);
	}
	json_end_object(w);
	free(data);
	return err;
}

static struct kdk_error *parse(struct session *s, int argc, char **argv,
			       struct task_args *a)
{
	const struct ktasks *k;
	struct command_opts o;
	struct kdk_error *err;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_task_def, "xdhR:", &err))) {
		if (err)
			return err;
		if (c == 'R') {
			err = add_members(a, o.arg);
			if (err)
				return err;
			continue;
		}
		if (c == 'h')
			c = 'x';
		if (a->format && a->format != c)
			return command_usage(&cmd_task_def, "-d and -x are "
					     "mutually exclusive");
		a->format = (char)c;
	}
	err = session_tasks(s, &k);
	a->k = k;
	for (int i = o.ind; !err && i < argc; i++)
		err = add_operand(s, k, a, argv[i]);
	if (!err && !a->n) {
		const struct ktask *cur;

		err = session_context(s, k, &cur);
		if (!err)
			err = push_task(a, cur);
	}
	if (!a->format && s->radix == 16)
		a->format = 'x';
	return err;
}

static struct kdk_error *cmd_task(struct session *s, int argc, char **argv)
{
	struct task_args a = { 0 };
	struct kdk_error *err = parse(s, argc, argv, &a), *first = NULL;
	struct json_writer w;

	if (err) {
		free(a.members);
		free(a.tasks);
		return err;
	}
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	for (size_t i = 0; i < a.n; i++)
		first = command_keep_first(first, s->json ?
			print_json(s, &w, &a, a.tasks[i]) :
			print_text(s, &a, a.tasks[i]));
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	free(a.members);
	free(a.tasks);
	return first;
}

const struct command cmd_task_def = {
	.name = "task",
	.fn = cmd_task,
	.summary = "task_struct contents",
	.synopsis = "task [-R member[,member]] [-x|-d] [pid | taskp] ... "
		    "[member ...]",
	.help =
"Shows the task_struct of the current task (see set), or of each task\n"
"given, under the task's one-line header (PID, TASK, CPU, COMMAND), in\n"
"the layout of struct. With no member asked, the thread_info the task\n"
"holds follows, as crash shows it.\n"
"\n"
"  pid      every task with this PID.\n"
"  taskp    the task_struct at this hexadecimal address.\n"
"  -R member[,member...]\n"
"           only these members; a member may be a path through nested\n"
"           structs and arrays (se.load, pid_links[0]). -R may be given\n"
"           more than once, and an operand that names a task_struct\n"
"           member (or has a ',', '.' or '[') is taken as -R. As in\n"
"           crash, a plain name that struct thread_info has too (flags,\n"
"           cpu) is shown from both.\n"
"  -x, -d   integers in hexadecimal or decimal, whatever the radix\n"
"           (set radix) says.\n"
"\n"
"With --json, an array with one object per task: pid, command, task,\n"
"cpu, st, state, active, panic and task_struct (the whole struct, or an\n"
"object of the members asked), values as struct --json gives them.",
	.examples =
"  crash> task -R pid,comm\n"
"  PID: 136      TASK: ffff8beb425d9800  CPU: 1    COMMAND: \"sh\"\n"
"    pid = 136,\n"
"    comm = \"sh\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\",\n"
"\n"
"  crash> task -x -R se.load 1\n"
"  PID: 1        TASK: ffff8beb411f9800  CPU: 0    COMMAND: \"init\"\n"
"    se.load = {\n"
"      weight = 0x100000,\n"
"      inv_weight = 0x400000\n"
"    },",
	.flags = CMD_NEEDS_TARGET,
};
