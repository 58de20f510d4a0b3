#include "shell/session.h"

#include <stdlib.h>
#include <string.h>

#include "debuginfo/btf.h"
#include "debuginfo/kallsyms.h"
#include "debuginfo/symtab.h"
#include "debuginfo/vmlinux.h"
#include "dump/dump.h"
#include "kernel/modules.h"
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
		/* kallsyms is read through it: the same reason */
		if (!keep_reason(err, &s->target_why) ||
		    !(s->symbols_why = strdup(s->target_why)))
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
	return session_open_dump_set(s, &path, 1, vmlinux);
}

static char *join_paths(const char *const *paths, size_t n)
{
	size_t len = 1;
	char *all;

	for (size_t i = 0; i < n; i++)
		len += strlen(paths[i]) + 1;
	all = malloc(len);
	if (!all)
		return NULL;
	all[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(all, " ");
		strcat(all, paths[i]);
	}
	return all;
}

struct kdk_error *session_open_dump_set(struct session *s,
					const char *const *paths, size_t n,
					const char *vmlinux)
{
	struct kdk_error *err;

	err = dump_open_set(paths, n, &s->dump);
	if (err)
		return err;
	s->dump_path = join_paths(paths, n);
	s->vmlinux_path = vmlinux ? strdup(vmlinux) : NULL;
	if (!s->dump_path || (vmlinux && !s->vmlinux_path))
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	return open_kernel(s);
}

struct kdk_error *session_modules(struct session *s,
				  const struct kmodules **out)
{
	struct kdk_error *err = NULL;
	const struct sym *head = NULL;

	if (!s->modules && !s->modules_why) {
		if (!s->symbols)
			err = kdk_error(KDK_ERR_NOT_FOUND, "no kernel symbols "
					"(%s)", s->symbols_why ?
					s->symbols_why : "no dump open");
		else if (!(head = sym_find_name(s->symbols, "modules")))
			err = kdk_error(KDK_ERR_NOT_FOUND, "`modules` is not in "
					"this kernel's kallsyms "
					"(CONFIG_KALLSYMS_ALL is off); give "
					"the vmlinux");
		else if (!s->btf)
			err = kbtf_load(s->target, s->symbols, &s->btf);
		if (!err)
			err = kmodules_load(s->target, s->btf, head->addr,
					    &s->modules);
		if (err && !keep_reason(err, &s->modules_why))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (!s->modules)
		return kdk_error(KDK_ERR_NOT_FOUND, "module list: %s",
				 s->modules_why);
	*out = s->modules;
	return NULL;
}

struct kdk_error *session_btf(struct session *s, const struct kbtf **out)
{
	struct kdk_error *err;

	*out = NULL;
	if (!s->btf) {
		if (!s->target || !s->symbols)
			return kdk_error(KDK_ERR_NOT_FOUND, "no kernel memory "
					 "or symbols to find BTF in");
		err = kbtf_load(s->target, s->symbols, &s->btf);
		if (err)
			return err;
	}
	*out = s->btf;
	return NULL;
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
	kmodules_free(s->modules);
	kbtf_free(s->btf);
	free(s->modules_why);
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
