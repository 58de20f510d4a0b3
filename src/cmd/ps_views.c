/* ps -t and ps -a (ps_views.h). */
#include "cmd/ps_views.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/context.h"
#include "cmd/kread.h"
#include "debuginfo/btf.h"
#include "kernel/sysinfo.h"
#include "kernel/task_mm.h"
#include "target/target.h"

/* more of a user stack than any argv and environment take */
#define ARGS_MAX (1u << 20)

struct start {
	const struct ktask *t;
	uint64_t ns;
};

static int by_start(const void *a, const void *b)
{
	const struct start *x = a, *y = b;

	return (x->ns > y->ns) - (x->ns < y->ns);
}

struct kdk_error *ps_sort_by_start(struct session *s,
				   const struct ktask **order, size_t n)
{
	struct kfield f = { "struct task_struct", "start_time", 0, 0 };
	struct start *v = calloc(n + 1, sizeof(*v));
	struct kdk_error *err = kfields_resolve(s, &f, 1);

	if (!v) {
		kdk_error_free(err);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < n && !err; i++) {
		v[i].t = order[i];
		err = kread_field(s, order[i]->addr, &f, &v[i].ns);
	}
	if (!err) {
		qsort(v, n, sizeof(*v), by_start);
		for (size_t i = 0; i < n; i++)
			order[i] = v[i].t;
	}
	free(v);
	return err;
}

/* crash's convert_time(): "hh:mm:ss", with "N days, " before past one. */
static void hms(uint64_t secs, char *buf, size_t n)
{
	uint64_t days = secs / 86400;
	unsigned h = secs / 3600 % 24, m = secs / 60 % 60, sec = secs % 60;

	if (days)
		snprintf(buf, n, "%" PRIu64 " days, %02u:%02u:%02u", days, h, m,
			 sec);
	else
		snprintf(buf, n, "%02u:%02u:%02u", h, m, sec);
}

struct kdk_error *ps_print_times(struct session *s, const struct ktask *t,
				 bool first)
{
	struct kfield f[3] = {
		{ "struct task_struct", "start_time", 0, 0 },
		{ "struct task_struct", "utime", 0, 0 },
		{ "struct task_struct", "stime", 0, 0 },
	};
	uint64_t v[3], run = 0;
	struct sysinfo si;
	char buf[48];
	struct kdk_error *err = kfields_resolve(s, f, 3);

	for (int i = 0; i < 3 && !err; i++)
		err = kread_field(s, t->addr, &f[i], &v[i]);
	if (err)
		return kdk_error_wrap(err, "pid %d: times", t->pid);
	sysinfo_read(s->dump, s->target, s->symbols, &si);
	if (si.has_uptime && si.has_hz && si.hz) {
		/* crash: jiffies since boot less the start in whole seconds,
		 * times HZ */
		uint64_t now = si.uptime_ms * si.hz / 1000;
		uint64_t began = v[0] / 1000000000u * si.hz;

		run = now > began ? (now - began) / si.hz : 0;
	}
	hms(run, buf, sizeof(buf));
	if (!first)
		fputc('\n', s->out);
	context_print_header(s, t);
	fprintf(s->out, "    RUN TIME: %s\n", si.has_uptime ? buf :
		"(unknown)");
	fprintf(s->out, "  START TIME: %" PRIu64 "\n", v[0]);
	fprintf(s->out, "       UTIME: %" PRIu64 "\n", v[1]);
	fprintf(s->out, "       STIME: %" PRIu64 "\n", v[2]);
	return NULL;
}

/* The strings between start and end of the task's user memory; false
 * (after crash's message) if a page of them is not in the dump. */
static bool read_user(struct session *s, uint64_t root, uint64_t start,
		      uint64_t end, char **out, size_t *len)
{
	char *buf;
	struct kdk_error *err;

	*out = NULL;
	*len = end > start ? end - start : 0;
	if (*len > ARGS_MAX)
		*len = ARGS_MAX;
	buf = malloc(*len + 1);
	if (!buf)
		return false;
	for (size_t at = 0; at < *len;) {
		size_t chunk = 4096 - ((start + at) & 4095);

		if (chunk > *len - at)
			chunk = *len - at;
		err = target_read_uvaddr(s->target, root, start + at, buf + at,
					 chunk);
		if (err) {
			kdk_error_free(err);
			fprintf(s->out, "ps: cannot access user stack address: "
				"%" PRIx64 "\n", start + at);
			free(buf);
			return false;
		}
		at += chunk;
	}
	buf[*len] = '\0';
	*out = buf;
	return true;
}

struct kdk_error *ps_print_args(struct session *s, const struct ktask *t,
				bool first)
{
	struct kfield f[4] = {
		{ "struct mm_struct", "arg_start", 0, 0 },
		{ "struct mm_struct", "arg_end", 0, 0 },
		{ "struct mm_struct", "env_start", 0, 0 },
		{ "struct mm_struct", "env_end", 0, 0 },
	};
	const struct kbtf *btf;
	uint64_t v[4], root;
	char *buf;
	size_t len;
	int c = 0, d = 0;
	struct kdk_error *err;

	if (!first)
		fputc('\n', s->out);
	context_print_header(s, t);
	if (!t->mm) {
		fputs("ps: no user stack\n", s->out);
		return NULL;
	}
	err = kfields_resolve(s, f, 4);
	for (int i = 0; i < 4 && !err; i++)
		err = kread_u64(s, t->mm + f[i].off, &v[i]);
	if (!err)
		err = session_btf(s, &btf);
	if (!err)
		err = task_user_root(s->target, btf, t, &root);
	if (err)
		return kdk_error_wrap(err, "pid %d: arguments", t->pid);
	if (!read_user(s, root, v[0], v[1], &buf, &len))
		return NULL;
	fputs("ARG: ", s->out);
	for (size_t i = 0; i < len; i++) {
		if (!buf[i]) {
			if (c)
				fputc(' ', s->out);
			c = 0;
		} else {
			fputc(buf[i], s->out);
			c++;
		}
	}
	free(buf);
	if (!read_user(s, root, v[2], v[3], &buf, &len))
		return NULL;
	fputs("\nENV: ", s->out);
	c = 0;
	for (size_t i = 0; i < len; i++) {
		if (!buf[i]) {
			if (c)
				fputc('\n', s->out);
			c = 0;
		} else {
			fprintf(s->out, "%s%c", !c && i ? "     " : "", buf[i]);
			c++, d++;
		}
	}
	fputs(d ? "\n" : "\n\n", s->out);
	free(buf);
	return NULL;
}
