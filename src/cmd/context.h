/* Tasks as set, task, vtop -c and friends name and show them, in crash's
 * words: a PID or a task_struct address as operand, the one-line header
 * ("PID: 136  TASK: ffff...  CPU: 1  COMMAND: "sh""), and the block `set`
 * prints for the current task. */
#ifndef KDK_CMD_CONTEXT_H
#define KDK_CMD_CONTEXT_H

#include <stddef.h>

#include "base/error.h"
#include "base/json.h"
#include "kernel/tasks.h"
#include "shell/session.h"

/* A PID (decimal) or a task address (hex, 0x optional), as crash's
 * str_to_context() takes them: a PID that exists wins, then a task at
 * that address. The first task of the PID (pid 0: CPU 0's idle task);
 * *n_same, if asked, the number of tasks with that PID. An operand that
 * is neither is "invalid task or pid value: ARG". */
struct kdk_error *context_task_arg(const struct ktasks *k, const char *arg,
				   const struct ktask **out);

/* The tasks argv names, as files, sig and vm take them: PIDs (every
 * thread of the PID) and task addresses; none: the current task. *out
 * (free it) has *n tasks. */
struct kdk_error *context_tasks(struct session *s, const struct ktasks *k,
				int argc, char **argv,
				const struct ktask ***out, size_t *n);

/* fn(arg, task, first) for each of tasks, with --json inside one array
 * of w (set up here, for fn to write to); the first error is returned
 * and the other tasks still shown. */
typedef struct kdk_error *context_task_fn(void *arg, const struct ktask *t,
					  bool first);
struct kdk_error *context_for_tasks(struct session *s, struct json_writer *w,
				    const struct ktask **tasks, size_t n,
				    context_task_fn *fn, void *arg);

/* How many tasks have task's PID (crash's "(1 of 2)" for the idle
 * tasks). */
size_t context_pid_count(const struct ktasks *k, const struct ktask *task);

/* crash's print_task_header() line. */
void context_print_header(struct session *s, const struct ktask *task);

/* crash's show_context() block (PID, COMMAND, TASK, CPU, STATE), as `set`
 * prints it. k: session_tasks()'s, which task is one of. */
void context_show(struct session *s, const struct ktasks *k,
		  const struct ktask *task);

/* The same facts as JSON object members (pid, command, task, cpu, st,
 * state, active, panic). */
void context_json_members(struct session *s, const struct ktasks *k,
			  struct json_writer *w, const struct ktask *task);

#endif
