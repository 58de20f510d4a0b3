/* set: the current task (crash's context) and the session's settings. */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/context.h"

static void print_radix(FILE *out, int radix)
{
	fprintf(out, "output radix: %d (%s)\n", radix,
		radix == 16 ? "hex" : "decimal");
}

static void print_settings(struct session *s)
{
	fprintf(s->out, "%14s: %d (%s)\n", "radix", s->radix,
		s->radix == 16 ? "hex" : "decimal");
	fprintf(s->out, "%14s: %s\n", "json", s->json ? "on" : "off");
	fprintf(s->out, "%14s: %s\n", "dumpfile",
		s->dump_path ? s->dump_path : "(none)");
	fprintf(s->out, "%14s: %s\n", "namelist",
		s->vmlinux_path ? s->vmlinux_path : "(none)");
}

static struct kdk_error *set_radix(struct session *s, const char *value)
{
	if (!value) {
		print_radix(s->out, s->radix);
		return NULL;
	}
	if (strcmp(value, "10") == 0 || strcmp(value, "decimal") == 0)
		s->radix = 10;
	else if (strcmp(value, "16") == 0 || strcmp(value, "hex") == 0)
		s->radix = 16;
	else
		return kdk_error(KDK_ERR_USAGE, "radix: %s: 10 or 16 only",
				 value);
	print_radix(s->out, s->radix);
	return NULL;
}

static struct kdk_error *set_json(struct session *s, const char *value)
{
	if (value && strcmp(value, "on") == 0)
		s->json = true;
	else if (value && strcmp(value, "off") == 0)
		s->json = false;
	else if (value)
		return kdk_error(KDK_ERR_USAGE, "json: %s: on or off", value);
	fprintf(s->out, "json: %s\n", s->json ? "on" : "off");
	return NULL;
}

/* The current task, as crash shows it after every change. */
static struct kdk_error *show(struct session *s, const struct ktasks *k,
			      const struct ktask *task)
{
	struct json_writer w;

	if (!s->json) {
		context_show(s, k, task);
		return NULL;
	}
	json_init(&w, s->out, true);
	json_begin_object(&w);
	context_json_members(s, k, &w, task);
	json_end_object(&w);
	json_finish(&w);
	return NULL;
}

static struct kdk_error *show_current(struct session *s)
{
	const struct ktasks *k;
	const struct ktask *task;
	struct kdk_error *err = session_tasks(s, &k);

	if (!err)
		err = session_context(s, k, &task);
	return err ? err : show(s, k, task);
}

static struct kdk_error *switch_to(struct session *s, const struct ktasks *k,
				   const struct ktask *task)
{
	session_set_context(s, task);
	return show(s, k, task);
}

static struct kdk_error *set_panic(struct session *s)
{
	const struct ktasks *k;
	const struct ktask *task;
	struct kdk_error *err = session_tasks(s, &k);

	if (err)
		return err;
	err = session_panic_task(s, k, &task);
	if (err)
		return kdk_error_wrap(err, "no panic task found");
	return switch_to(s, k, task);
}

static struct kdk_error *set_cpu(struct session *s, const char *arg)
{
	const struct ktasks *k;
	const struct ktask *task;
	struct kdk_error *err;
	char *end;
	long cpu;

	cpu = strtol(arg, &end, 10);
	if (!*arg || *end || cpu < 0)
		return command_usage(&cmd_set_def, "-c: '%s' is not a CPU "
				     "number", arg);
	err = session_tasks(s, &k);
	if (err)
		return err;
	if (cpu >= ktasks_cpus(k))
		return kdk_error(KDK_ERR_USAGE, "invalid cpu number: system "
				 "has only %d cpu%s", ktasks_cpus(k),
				 ktasks_cpus(k) == 1 ? "" : "s");
	task = ktasks_active(k, (int)cpu);
	if (!task)
		return kdk_error(KDK_ERR_NOT_FOUND, "cannot determine active "
				 "task on cpu %ld", cpu);
	return switch_to(s, k, task);
}

static struct kdk_error *set_task(struct session *s, const char *arg)
{
	const struct ktasks *k;
	const struct ktask *task;
	struct kdk_error *err = session_tasks(s, &k);

	if (!err)
		err = context_task_arg(k, arg, &task);
	return err ? err : switch_to(s, k, task);
}

/* A PID or task address rather than a setting's name: digits, or hex. */
static bool is_task_operand(const char *arg)
{
	if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X'))
		arg += 2;
	return *arg && strspn(arg, "0123456789abcdefABCDEF") == strlen(arg);
}

static struct kdk_error *cmd_set(struct session *s, int argc, char **argv)
{
	struct command_opts o;
	struct kdk_error *err;
	const char *value;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_set_def, "pvc:", &err)) != 0) {
		if (err)
			return err;
		if (o.ind < argc)
			return command_usage(&cmd_set_def, "-%c takes no "
					     "other operand", c);
		if (c == 'v') {
			print_settings(s);
			return NULL;
		}
		if (!s->target)
			return kdk_error(KDK_ERR_NOT_FOUND, "no tasks without "
					 "kernel memory: %s", s->target_why ?
					 s->target_why : "no dump open");
		return c == 'p' ? set_panic(s) : set_cpu(s, o.arg);
	}
	if (argc == 1) {
		if (!s->dump) {
			print_settings(s);
			return NULL;
		}
		return show_current(s);
	}
	if (argc > 3)
		return command_usage(&cmd_set_def, "one setting at a time");
	value = argc == 3 ? argv[2] : NULL;
	if (strcmp(argv[1], "radix") == 0)
		return set_radix(s, value);
	if (strcmp(argv[1], "json") == 0)
		return set_json(s, value);
	if (is_task_operand(argv[1]) && argc == 2) {
		if (!s->target)
			return kdk_error(KDK_ERR_NOT_FOUND, "no tasks without "
					 "kernel memory: %s", s->target_why ?
					 s->target_why : "no dump open");
		return set_task(s, argv[1]);
	}
	return command_usage(&cmd_set_def, "no setting '%s'", argv[1]);
}

const struct command cmd_set_def = {
	.name = "set",
	.fn = cmd_set,
	.summary = "set a process context or internal variables",
	.synopsis = "set [pid | taskp | -c cpu | -p | -v] | set radix [10|16] "
		    "| set json [on|off]",
	.help =
"With no argument, shows the current task: the one commands such as\n"
"task, bt, rd -u and vtop -u work on when given none. It starts as the\n"
"task that panicked: the current task of the kernel's panic_cpu; where\n"
"the symbols lack it (arm64 without a vmlinux), of the CPU whose stack\n"
"runs through panic() or crash_kexec(), else of the CPU the log's last\n"
"\"CPU: N PID: P\" header names, if P is running there. On a live\n"
"kernel, or a dump where no CPU panicked, CPU 0's current task.\n"
"\n"
"  pid     make the task with this PID the current task (the first one,\n"
"          for pid 0: CPU 0's idle task).\n"
"  taskp   the same for the task_struct at this hexadecimal address.\n"
"  -c cpu  the task that was running on this CPU.\n"
"  -p      the task that panicked.\n"
"  -v      every setting.\n"
"\n"
"The block shown is crash's: PID, COMMAND, TASK (with \"(1 of N)\" when N\n"
"tasks share the PID, and the address of its thread_info), CPU, and\n"
"STATE with \"(PANIC)\" for the task that panicked and \"(ACTIVE)\" for\n"
"a task running on its CPU.\n"
"\n"
"With a setting's name, shows it; with a value too, changes it.\n"
"\n"
"  radix  10 or 16: the base commands print numbers in where crash\n"
"         lets the user choose. The aliases \"hex\" and \"dec\" set it.\n"
"  json   on or off: commands print JSON instead of text, as with\n"
"         kdumpkit's --json flag.\n"
"\n"
"With --json, the current task as {pid, command, task, cpu, st, state,\n"
"active, panic}.",
	.examples =
"  crash> set\n"
"      PID: 136\n"
"  COMMAND: \"sh\"\n"
"     TASK: ffff8beb425d9800  [THREAD_INFO: ffff8beb425d9800]\n"
"      CPU: 1\n"
"    STATE: TASK_RUNNING (PANIC)\n"
"\n"
"  crash> set -c 0\n"
"      PID: 0\n"
"  COMMAND: \"swapper/0\"\n"
"     TASK: ffffffff8481aa40  (1 of 2)  [THREAD_INFO: ffffffff8481aa40]\n"
"      CPU: 0\n"
"    STATE: TASK_RUNNING (ACTIVE)\n"
"\n"
"  crash> set radix 16\n"
"  output radix: 16 (hex)",
};
