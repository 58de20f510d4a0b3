/* foreach: run a task command for every task a set of selectors picks,
 * as crash's `foreach`:
 *
 *   foreach [pid | task | name | 'regex' | STATE | user | kernel | active]...
 *           bt|ps|task|files|sig|vm [flags]
 *
 * With no selector every task is picked. Selectors of one kind add up
 * (foreach 137 138 bt); kinds narrow each other (foreach UN user bt: the
 * user tasks in D state). The command runs once, with the picked tasks'
 * addresses as its operands, so that bt sets up its unwinder once for
 * thousands of tasks.
 */
#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "kernel/tasks.h"

/* crash's state names (ps's ST column) */
static const char *const states[] = {
	"RU", "IN", "UN", "ST", "TR", "ZO", "DE", "SW", "ID", "NE", "PA", "WA",
	"LO",
};

static const char *const task_commands[] = { "bt", "ps", "task", "files",
					     "sig", "vm" };

struct picks {
	/* each kind: any of its values (none given: all) */
	int32_t *pids;
	size_t n_pids;
	uint64_t *addrs;
	size_t n_addrs;
	const char **names;
	size_t n_names;
	regex_t *res;
	size_t n_res;
	const char **states;
	size_t n_states;
	bool user, kernel, active;
};

static bool is_state(const char *a)
{
	for (size_t i = 0; i < sizeof(states) / sizeof(*states); i++)
		if (strcmp(a, states[i]) == 0)
			return true;
	return false;
}

static bool is_task_command(const char *a)
{
	for (size_t i = 0; i < sizeof(task_commands) / sizeof(*task_commands); i++)
		if (strcmp(a, task_commands[i]) == 0)
			return true;
	return false;
}

#define PUSH(arr, n, v) do {						\
	void *p_ = realloc((arr), ((n) + 1) * sizeof(*(arr)));		\
	if (!p_)							\
		return kdk_error(KDK_ERR_NOMEM, "out of memory");	\
	(arr) = p_;							\
	(arr)[(n)++] = (v);						\
} while (0)

static struct kdk_error *add_selector(struct picks *p, const char *a)
{
	size_t dec = strspn(a, "0123456789");
	size_t hex = strspn(a, "0123456789abcdefABCDEF");
	size_t len = strlen(a);

	if (strcmp(a, "user") == 0) {
		p->user = true;
	} else if (strcmp(a, "kernel") == 0) {
		p->kernel = true;
	} else if (strcmp(a, "active") == 0) {
		p->active = true;
	} else if (is_state(a)) {
		PUSH(p->states, p->n_states, a);
	} else if (dec == len && len && len <= 7) {
		PUSH(p->pids, p->n_pids, (int32_t)strtol(a, NULL, 10));
	} else if ((hex == len && len > 8) ||
		   (strncmp(a, "0x", 2) == 0 && a[2] &&
		    strspn(a + 2, "0123456789abcdefABCDEF") == len - 2)) {
		PUSH(p->addrs, p->n_addrs, strtoull(a, NULL, 16));
	} else if ((a[0] == '\'' && len >= 2 && a[len - 1] == '\'') ||
		   strpbrk(a, ".*[]^$+?|()\\")) {
		/* 'regex' (the session's quoting has taken the quotes off
		 * already; a command name has none of these characters) */
		bool quoted = a[0] == '\'' && len >= 2 && a[len - 1] == '\'';
		char *re = quoted ? strndup(a + 1, len - 2) : strdup(a);
		regex_t *v = realloc(p->res, (p->n_res + 1) * sizeof(*v));
		int rc;

		if (!re || !v) {
			free(re);
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		}
		p->res = v;
		rc = regcomp(&p->res[p->n_res], re, REG_EXTENDED | REG_NOSUB);
		free(re);
		if (rc)
			return kdk_error(KDK_ERR_USAGE, "%s: not a regular "
					 "expression", a);
		p->n_res++;
	} else {
		PUSH(p->names, p->n_names, a);
	}
	return NULL;
}

static void picks_free(struct picks *p)
{
	for (size_t i = 0; i < p->n_res; i++)
		regfree(&p->res[i]);
	free(p->res);
	free(p->pids);
	free(p->addrs);
	free(p->names);
	free(p->states);
}

/* Does t pass every kind of selector given? PIDs, addresses, names and
 * regexes together are one kind: the tasks named. */
static bool picked(const struct picks *p, const struct ktask *t)
{
	bool named = !p->n_pids && !p->n_addrs && !p->n_names && !p->n_res;
	bool state = !p->n_states;

	for (size_t i = 0; !named && i < p->n_pids; i++)
		named = t->pid == p->pids[i];
	for (size_t i = 0; !named && i < p->n_addrs; i++)
		named = t->addr == p->addrs[i];
	for (size_t i = 0; !named && i < p->n_names; i++)
		named = strcmp(t->comm, p->names[i]) == 0;
	for (size_t i = 0; !named && i < p->n_res; i++)
		named = regexec(&p->res[i], t->comm, 0, NULL, 0) == 0;
	for (size_t i = 0; !state && i < p->n_states; i++)
		state = strcmp(t->st, p->states[i]) == 0;
	if (!named || !state)
		return false;
	if (p->user && p->kernel)
		;	/* both: either */
	else if (p->user && t->kthread)
		return false;
	else if (p->kernel && !t->kthread)
		return false;
	return !p->active || t->active;
}

static struct kdk_error *cmd_foreach(struct session *s, int argc, char **argv)
{
	struct picks p = { 0 };
	const struct ktasks *k;
	const struct command *cmd;
	char **cargv = NULL, *addrs = NULL;
	int at = 1, cargc = 0;
	size_t n = 0;
	struct kdk_error *err = NULL;

	while (at < argc && !is_task_command(argv[at]) && !err)
		err = add_selector(&p, argv[at++]);
	if (!err && at == argc)
		err = command_usage(&cmd_foreach_def, "which command: bt, ps, "
				    "task, files, sig or vm");
	if (!err)
		err = session_tasks(s, &k);
	if (err) {
		picks_free(&p);
		return err;
	}
	cmd = command_find(argv[at]);
	/* the command, its flags, then every picked task's address */
	cargv = calloc(argc - at + ktasks_count(k) + 1, sizeof(*cargv));
	addrs = calloc(ktasks_count(k) + 1, 19);
	if (!cargv || !addrs || !cmd) {
		err = cmd ? kdk_error(KDK_ERR_NOMEM, "out of memory") :
			kdk_error(KDK_ERR_NOT_BUILT, "%s is not built yet",
				  argv[at]);
		goto out;
	}
	for (int i = at; i < argc; i++)
		cargv[cargc++] = argv[i];
	for (size_t i = 0; i < ktasks_count(k); i++) {
		const struct ktask *t = ktasks_get(k, i);

		if (!picked(&p, t))
			continue;
		snprintf(addrs + 19 * n, 19, "%" PRIx64, t->addr);
		cargv[cargc++] = addrs + 19 * n++;
	}
	if (!n) {
		err = kdk_error(KDK_ERR_NOT_FOUND, "no task is picked by "
				"those selectors");
		goto out;
	}
	err = command_run(s, cargc, cargv);
out:
	free(cargv);
	free(addrs);
	picks_free(&p);
	return err;
}

const struct command cmd_foreach_def = {
	.name = "foreach",
	.fn = cmd_foreach,
	.summary = "display command data for multiple tasks",
	.synopsis = "foreach [pid | task | name | 'regex' | state | user | "
		    "kernel | active] ... bt|ps|task|files|sig|vm [flags]",
	.help =
"Runs a task command for every task the selectors pick, in PID order.\n"
"With no selector, every task.\n"
"\n"
"  pid       a PID (decimal).\n"
"  task      a task_struct address (hex, 0x or longer than 8 digits).\n"
"  name      every task whose command name is name.\n"
"  'regex'   every task whose command name matches (extended regex).\n"
"  state     RU IN UN ST TR ZO DE SW ID NE PA WA: ps's ST column.\n"
"  user      tasks with user memory; kernel: kernel threads; active:\n"
"            the tasks running on a CPU.\n"
"\n"
"PIDs, addresses, names and regexes add up; states, user/kernel and\n"
"active narrow them: `foreach UN bt` is every stack in D state,\n"
"`foreach 'kworker.*' UN bt` the blocked kworkers'.\n"
"\n"
"The command (bt, ps, task, files, sig or vm) runs once with every\n"
"picked task, and its\n"
"flags are passed on: `foreach user task -R mm`.",
	.examples =
"  Who is blocked, and where:\n"
"    crash> foreach UN bt\n"
"  Every stack that went through a function:\n"
"    crash> foreach bt | grep -B12 rwsem_down_read_slowpath",
	.flags = CMD_NEEDS_TARGET | CMD_NEEDS_SYMBOLS,
};
