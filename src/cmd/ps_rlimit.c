/* ps -r: each task's resource limits (task->signal->rlim[]), in crash's
 * table. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd/ps_rlimit.h"
#include "debuginfo/types.h"
#include "target/target.h"

/* RLIMIT_* in their order (include/uapi/asm-generic/resource.h) */
static const char *const names[] = {
	"CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NPROC", "NOFILE",
	"MEMLOCK", "AS", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO",
	"RTTIME",
};
#define N_LIMITS (sizeof(names) / sizeof(names[0]))

/* text in a 14-wide column, as crash centres it */
static void cell(FILE *out, const char *text)
{
	int len = (int)strlen(text), left = 8 - len / 2;

	if (left < 0)
		left = 0;
	fprintf(out, "%*s%s%*s", left, "", text,
		14 - left - len > 0 ? 14 - left - len : 0, "");
}

static void value(FILE *out, uint64_t v)
{
	char buf[24];

	if (v == UINT64_MAX)
		snprintf(buf, sizeof(buf), "(unlimited)");
	else
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
	cell(out, buf);
}

static struct kdk_error *offset_of(struct types *ts, const char *type,
				   const char *member, uint64_t *off)
{
	struct type *t;
	struct type_path_hit hit;
	struct kdk_error *err = types_find(ts, type, &t);

	if (!err)
		err = type_member_path(type_strip(t), member, &hit);
	if (!err)
		*off = hit.bit_offset / 8;
	return err;
}

struct kdk_error *ps_print_rlimits(struct session *s, const struct ktask *t,
				   bool first)
{
	struct types *ts;
	uint64_t signal_off, rlim_off, signal;
	uint64_t rlim[N_LIMITS][2];
	struct kdk_error *err = session_types(s, &ts);

	if (!err)
		err = offset_of(ts, "struct task_struct", "signal", &signal_off);
	if (!err)
		err = offset_of(ts, "struct signal_struct", "rlim", &rlim_off);
	if (!err)
		err = target_read_kvaddr(s->target, t->addr + signal_off,
					 &signal, sizeof(signal));
	if (!err)
		err = target_read_kvaddr(s->target, signal + rlim_off, rlim,
					 sizeof(rlim));
	if (err)
		return kdk_error_wrap(err, "pid %d: resource limits", t->pid);
	fprintf(s->out, "%sPID: %-7d  TASK: %016" PRIx64 "  CPU: %-3d  "
		"COMMAND: \"%s\"\n", first ? "" : "\n", t->pid, t->addr,
		t->cpu, t->comm);
	fprintf(s->out, "%12s", "RLIMIT");
	cell(s->out, "CURRENT");
	cell(s->out, "MAXIMUM");
	fputc('\n', s->out);
	for (size_t i = 0; i < N_LIMITS; i++) {
		fprintf(s->out, "%12s", names[i]);
		value(s->out, rlim[i][0]);
		value(s->out, rlim[i][1]);
		fputc('\n', s->out);
	}
	return NULL;
}
