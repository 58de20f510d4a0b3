/* The session's current task (crash's "context"): what `set` shows and
 * changes, and what task, bt, rd -u and vtop -u work on when no task is
 * named. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/panic_task.h"
#include "kernel/tasks.h"
#include "shell/session.h"

struct kdk_error *session_panic_task(struct session *s, const struct ktasks *k,
				     const struct ktask **out)
{
	const struct ktask *task = NULL;
	struct kdk_error *err;

	if (!s->panic_looked) {
		const struct kbtf *btf = NULL;
		enum panic_task_source how;

		kdk_error_free(session_btf(s, &btf));
		err = panic_task_find(s->target, s->symbols, btf, k, &task,
				      &how);
		if (err) {
			s->panic_why = strdup(err->msg);
			kdk_error_free(err);
			if (!s->panic_why)
				return kdk_error(KDK_ERR_NOMEM,
						 "out of memory");
		} else {
			s->panic_task = task->addr;
		}
		s->panic_looked = true;
	}
	if (!s->panic_task)
		return kdk_error(KDK_ERR_NOT_FOUND, "%s", s->panic_why);
	task = ktasks_by_addr(k, s->panic_task);
	if (!task)
		return kdk_error(KDK_ERR_NOT_FOUND, "the panic task %" PRIx64
				 " is not in the task list", s->panic_task);
	*out = task;
	return NULL;
}

/* crash's first context: the panic task; a live kernel has none, and
 * CPU 0's current task (or its idle task) stands in. */
static struct kdk_error *default_context(struct session *s,
					 const struct ktasks *k,
					 uint64_t *addr)
{
	const struct ktask *task;
	struct kdk_error *err = session_panic_task(s, k, &task);

	if (err) {
		kdk_error_free(err);
		task = ktasks_active(k, 0);
		if (!task)
			task = ktasks_by_pid(k, 0);
	}
	if (!task)
		return kdk_error(KDK_ERR_NOT_FOUND, "no task to start from: "
				 "no panic task, no task on CPU 0");
	*addr = task->addr;
	return NULL;
}

struct kdk_error *session_context(struct session *s, const struct ktasks *k,
				  const struct ktask **out)
{
	const struct ktask *task;
	struct kdk_error *err;

	if (!s->context) {
		err = default_context(s, k, &s->context);
		if (err)
			return err;
	}
	task = ktasks_by_addr(k, s->context);
	if (!task)	/* a live kernel's task that has exited since */
		return kdk_error(KDK_ERR_NOT_FOUND, "the current task %" PRIx64
				 " is gone; choose another with set",
				 s->context);
	*out = task;
	return NULL;
}

void session_set_context(struct session *s, const struct ktask *task)
{
	s->context = task->addr;
	s->context_chosen = true;
}
