/* bt -v (bt_overflow.h). */
#include "cmd/bt_overflow.h"

#include <inttypes.h>

#include "base/json.h"
#include "cmd/context.h"
#include "cmd/kread.h"
#include "debuginfo/symtab.h"
#include "kernel/tasks.h"

#define STACK_END_MAGIC 0x57AC6E9Dull	/* include/uapi/linux/magic.h */

struct kdk_error *bt_check_overflows(struct session *s)
{
	struct kfield f = { "struct task_struct", "stack", 0, 0 };
	const struct sym *init = s->symbols ?
		sym_find_name(s->symbols, "init_task") : NULL;
	const struct ktasks *k;
	struct json_writer w;
	size_t total = 0;
	struct kdk_error *err = session_tasks(s, &k);

	if (!err)
		err = kfields_resolve(s, &f, 1);
	if (err)
		return err;
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	for (size_t i = 0; i < ktasks_count(k); i++) {
		const struct ktask *t = ktasks_get(k, i);
		uint64_t base, magic;
		struct kdk_error *e;
		char hex[24];

		/* the boot CPU's idle task runs on init_stack, which has no
		 * magic; crash leaves it out too */
		if (t->pid == 0 && (!init || t->addr == init->addr))
			continue;
		e = kread_u64(s, t->addr + f.off, &base);
		if (!e)
			e = kread_u64(s, base, &magic);
		if (e) {
			kdk_error_free(e);	/* crash skips it too */
			continue;
		}
		if (magic == STACK_END_MAGIC)
			continue;
		total++;
		if (s->json) {
			json_begin_object(&w);
			context_json_members(s, k, &w, t);
			snprintf(hex, sizeof(hex), "0x%016" PRIx64, base);
			json_key_string(&w, "stack_end", hex);
			snprintf(hex, sizeof(hex), "0x%" PRIx64, magic);
			json_key_string(&w, "found", hex);
			json_end_object(&w);
			continue;
		}
		context_print_header(s, t);
		fprintf(s->out, "  possible stack overflow: %" PRIx64 ": %" PRIx64
			" != STACK_END_MAGIC\n\n", base, magic);
	}
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	} else if (!total) {
		fputs("No stack overflows detected\n", s->out);
	}
	return NULL;
}
