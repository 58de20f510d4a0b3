#include "cmd/context.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "debuginfo/btf.h"
#include "kernel/task_state.h"

static bool all_digits(const char *s, int base)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (base == 10 ? !(*s >= '0' && *s <= '9') :
				 !((*s >= '0' && *s <= '9') ||
				   (*s >= 'a' && *s <= 'f') ||
				   (*s >= 'A' && *s <= 'F')))
			return false;
	return true;
}

struct kdk_error *context_task_arg(const struct ktasks *k, const char *arg,
				   const struct ktask **out)
{
	const char *hex = arg;
	const struct ktask *task = NULL;

	if (all_digits(arg, 10)) {
		char *end;
		long long pid;

		errno = 0;
		pid = strtoll(arg, &end, 10);
		if (!errno && pid <= INT32_MAX)
			task = ktasks_by_pid(k, (int32_t)pid);
	}
	if (!task && (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')))
		hex += 2;
	if (!task && all_digits(hex, 16) && strlen(hex) <= 16)
		task = ktasks_by_addr(k, strtoull(hex, NULL, 16));
	if (!task)
		return kdk_error(KDK_ERR_NOT_FOUND, "invalid task or pid "
				 "value: %s", arg);
	*out = task;
	return NULL;
}

static bool push(const struct ktask ***v, size_t *n, const struct ktask *t)
{
	const struct ktask **w = realloc(*v, (*n + 1) * sizeof(*w));

	if (!w)
		return false;
	w[(*n)++] = t;
	*v = w;
	return true;
}

struct kdk_error *context_tasks(struct session *s, const struct ktasks *k,
				int argc, char **argv,
				const struct ktask ***out, size_t *n)
{
	const struct ktask *task, **v = NULL;
	struct kdk_error *err = NULL;

	*n = 0;
	for (int i = 0; i < argc && !err; i++) {
		err = context_task_arg(k, argv[i], &task);
		if (err)
			break;
		if (!all_digits(argv[i], 10) || task->pid < 0) {
			if (!push(&v, n, task))
				err = kdk_error(KDK_ERR_NOMEM, "out of memory");
			continue;
		}
		for (size_t j = 0; j < ktasks_count(k) && !err; j++)
			if (ktasks_get(k, j)->pid == task->pid &&
			    !push(&v, n, ktasks_get(k, j)))
				err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (!err && !*n) {
		err = session_context(s, k, &task);
		if (!err && !push(&v, n, task))
			err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	*out = v;
	return NULL;
}

struct kdk_error *context_for_tasks(struct session *s, struct json_writer *w,
				    const struct ktask **tasks, size_t n,
				    context_task_fn *fn, void *arg)
{
	struct kdk_error *first = NULL;

	json_init(w, s->out, true);
	if (s->json)
		json_begin_array(w);
	for (size_t i = 0; i < n; i++)
		first = command_keep_first(first, fn(arg, tasks[i], i == 0));
	if (s->json) {
		json_end_array(w);
		json_finish(w);
	}
	return first;
}

size_t context_pid_count(const struct ktasks *k, const struct ktask *task)
{
	size_t n = 0;

	for (size_t i = 0; i < ktasks_count(k); i++)
		if (ktasks_get(k, i)->pid == task->pid)
			n++;
	return n;
}

void context_print_header(struct session *s, const struct ktask *task)
{
	char cpu[16];

	if (task->cpu >= 0)
		snprintf(cpu, sizeof(cpu), "%d", task->cpu);
	else
		snprintf(cpu, sizeof(cpu), "?");
	fprintf(s->out, "PID: %-7" PRId32 "  TASK: %016" PRIx64 "  CPU: %-3s"
		"  COMMAND: \"%s\"\n", task->pid, task->addr, cpu,
		task->comm);
}

static bool is_panic_task(struct session *s, const struct ktasks *k,
			  const struct ktask *task)
{
	const struct ktask *p;
	struct kdk_error *err = session_panic_task(s, k, &p);

	kdk_error_free(err);
	return !err && p->addr == task->addr;
}

/* Where struct thread_info is: in the task since 4.9 on x86_64 and arm64
 * (CONFIG_THREAD_INFO_IN_TASK; crash shows it beside the task). */
static bool thread_info_of(struct session *s, const struct ktask *task,
			   uint64_t *addr)
{
	const struct kbtf *btf;
	struct kbtf_member m;
	struct kdk_error *err = session_btf(s, &btf);

	if (!err)
		err = kbtf_member(btf, "task_struct", "thread_info", &m);
	kdk_error_free(err);
	if (err)
		return false;
	*addr = task->addr + m.offset;
	return true;
}

static void state_text(const struct ktasks *k, const struct ktask *task,
		       char *buf, size_t len)
{
	task_state_verbose(ktasks_state_bits(k), task->state, buf, len);
	if (!buf[0])
		snprintf(buf, len, "(unknown)");
}

void context_show(struct session *s, const struct ktasks *k,
		  const struct ktask *task)
{
	size_t same = context_pid_count(k, task);
	char state[128];
	uint64_t ti;

	fprintf(s->out, "    PID: %" PRId32 "\n", task->pid);
	fprintf(s->out, "COMMAND: \"%s\"\n", task->comm);
	fprintf(s->out, "   TASK: %" PRIx64 "  ", task->addr);
	if (same > 1)
		fprintf(s->out, "(1 of %zu)  ", same);
	if (thread_info_of(s, task, &ti))
		fprintf(s->out, "[THREAD_INFO: %" PRIx64 "]", ti);
	fputc('\n', s->out);
	if (task->cpu >= 0)
		fprintf(s->out, "    CPU: %d\n", task->cpu);
	else
		fprintf(s->out, "    CPU: (unknown)\n");
	state_text(k, task, state, sizeof(state));
	fprintf(s->out, "  STATE: %s ", state);
	if (task->active)
		fputs(is_panic_task(s, k, task) ? "(PANIC)" : "(ACTIVE)",
		      s->out);
	fputc('\n', s->out);
}

void context_json_members(struct session *s, const struct ktasks *k,
			  struct json_writer *w, const struct ktask *task)
{
	char buf[128];

	json_key_int(w, "pid", task->pid);
	json_key_string(w, "command", task->comm);
	snprintf(buf, sizeof(buf), "0x%016" PRIx64, task->addr);
	json_key_string(w, "task", buf);
	json_key_int(w, "cpu", task->cpu);
	json_key_string(w, "st", task->st);
	state_text(k, task, buf, sizeof(buf));
	json_key_string(w, "state", buf);
	json_key_bool(w, "active", task->active);
	json_key_bool(w, "panic", is_panic_task(s, k, task));
}
