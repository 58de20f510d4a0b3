/* bt -r: a task's whole kernel stack as rd -s shows memory (crash's
 * raw_stack_dump): from the stack's base, THREAD_SIZE bytes, each word a
 * symbol when it is one. */
#include "cmd/bt_raw.h"

#include <inttypes.h>
#include <stdlib.h>

#include "cmd/commands.h"
#include "cmd/context.h"
#include "cmd/kread.h"
#include "debuginfo/types.h"

/* THREAD_SIZE: sizeof(union thread_union) where the types have it, else
 * 16 KiB (x86_64 and arm64 without KASAN). */
static uint64_t thread_size(struct session *s)
{
	struct types *ts;
	struct type *t;
	struct kdk_error *err = session_types(s, &ts);

	if (!err)
		err = types_find(ts, "union thread_union", &t);
	if (!err && type_strip(t) && type_strip(t)->size >= 4096)
		return type_strip(t)->size;
	kdk_error_free(err);
	return 16384;
}

static struct kdk_error *one(void *arg, const struct ktask *t, bool first)
{
	struct session *s = arg;
	struct kfield f = { "struct task_struct", "stack", 0, 0 };
	char base[24], count[24], *argv[5];
	uint64_t stack;
	struct kdk_error *err = kfields_resolve(s, &f, 1);

	if (!err)
		err = kread_u64(s, t->addr + f.off, &stack);
	if (err)
		return kdk_error_wrap(err, "pid %d: its stack", t->pid);
	if (!first)
		fputc('\n', s->out);
	context_print_header(s, t);
	snprintf(base, sizeof(base), "0x%" PRIx64, stack);
	snprintf(count, sizeof(count), "%" PRIu64, thread_size(s) / 8);
	argv[0] = (char *)"rd";
	argv[1] = (char *)"-s";
	argv[2] = base;
	argv[3] = count;
	argv[4] = NULL;
	return cmd_rd_def.fn(s, 4, argv);
}

struct kdk_error *bt_raw_stacks(struct session *s, int argc, char **argv)
{
	const struct ktasks *k;
	const struct ktask **tasks = NULL;
	struct json_writer w;
	size_t n = 0;
	struct kdk_error *err;

	if (s->json)
		return kdk_error(KDK_ERR_USAGE, "bt -r prints text only: run "
				 "it without --json");
	err = session_tasks(s, &k);
	if (!err)
		err = context_tasks(s, k, argc, argv, &tasks, &n);
	if (!err)
		err = context_for_tasks(s, &w, tasks, n, one, s);
	free(tasks);
	return err;
}
