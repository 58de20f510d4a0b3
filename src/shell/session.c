#include "shell/session.h"

#include <stdlib.h>
#include <string.h>

#include "debuginfo/kallsyms.h"
#include "debuginfo/symtab.h"
#include "debuginfo/vmlinux.h"
#include "dump/dump.h"
#include "shell/alias.h"
#include "target/target.h"

struct kdk_error *session_new(struct session **out)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	s->radix = 10;
	s->out = stdout;
	s->aliases = alias_table_new();
	if (!s->aliases) {
		free(s);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	*out = s;
	return NULL;
}

/* Keep err's message as the reason something is missing; false only
 * when even that copy fails. */
static bool keep_reason(struct kdk_error *err, char **why)
{
	*why = strdup(err->msg ? err->msg : "unknown error");
	kdk_error_free(err);
	return *why != NULL;
}

/* Kernel virtual memory, then kallsyms (which needs it) unless a
 * vmlinux was given. Each is worth having without the other layers
 * above, so a failure is remembered, not returned: `help` and `eval`
 * still work on a dump without them. */
static struct kdk_error *open_kernel(struct session *s)
{
	struct kdk_error *err;

	err = target_open(s->dump, &s->target);
	if (err) {
		s->target = NULL;
		if (!keep_reason(err, &s->target_why) ||
		    !(s->symbols_why = strdup("no kernel virtual memory")))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (s->vmlinux_path)
		return NULL;	/* session_load_vmlinux() gives them */
	err = kallsyms_load(s->target, &s->symbols);
	if (err) {
		s->symbols = NULL;
		if (!keep_reason(err, &s->symbols_why))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	return NULL;
}

struct kdk_error *session_open_dump(struct session *s, const char *path,
				    const char *vmlinux)
{
	struct kdk_error *err;

	err = dump_open(path, &s->dump);
	if (err)
		return err;
	s->dump_path = strdup(path);
	s->vmlinux_path = vmlinux ? strdup(vmlinux) : NULL;
	if (!s->dump_path || (vmlinux && !s->vmlinux_path))
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	return open_kernel(s);
}

/* A vmlinux given but unreadable or of another kernel ends the session
 * rather than falling back to kallsyms: its symbols would be silently
 * not the ones the user asked for, and `sys` would name a file they did
 * not come from. */
struct kdk_error *session_load_vmlinux(struct session *s)
{
	struct kdk_error *err;

	if (!s->vmlinux_path)
		return NULL;
	err = vmlinux_load(s->vmlinux_path, s->dump, s->target, &s->symbols);
	if (err) {
		s->symbols = NULL;
		return err;
	}
	free(s->symbols_why);
	s->symbols_why = NULL;
	return NULL;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	symtab_free(s->symbols);
	if (s->target)
		target_close(s->target);
	if (s->dump)
		dump_close(s->dump);
	free(s->target_why);
	free(s->symbols_why);
	alias_table_free(s->aliases);
	free(s->dump_path);
	free(s->vmlinux_path);
	free(s);
}
