#include "shell/session.h"

#include <stdlib.h>
#include <string.h>

#include "debuginfo/btf.h"
#include "debuginfo/dwarf.h"
#include "debuginfo/kallsyms.h"
#include "debuginfo/symtab.h"
#include "debuginfo/vmcoreinfo_derive.h"
#include "debuginfo/types_btf.h"
#include "debuginfo/types_dwarf.h"
#include "debuginfo/find.h"
#include "debuginfo/vmlinux.h"
#include "dump/dump.h"
#include "kernel/modules.h"
#include "kernel/tasks.h"
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

/* A dump with no VMCOREINFO anywhere opens with a vmlinux: the lines
 * the kernel would have written are made from it and the CPU state. */
static struct kdk_error *derive_vmcoreinfo(struct session *s)
{
	struct kdk_error *err;
	char *text;

	if (!s->vmlinux_path || dump_vmcoreinfo(s->dump))
		return NULL;
	err = vmcoreinfo_derive(s->dump, s->vmlinux_path, &text);
	if (!err) {
		err = dump_adopt_vmcoreinfo(s->dump, text, strlen(text));
		free(text);
	}
	return kdk_error_wrap(err, "the dump has no VMCOREINFO anywhere");
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

/* No vmlinux named: the one the system's debuginfo or a debuginfod
 * server has for this build-id, if any (find.h); why not, kept. */
static void find_vmlinux(struct session *s)
{
	struct kdk_error *err;

	err = debuginfo_find_vmlinux(s->dump, stderr, &s->vmlinux_path,
				     &s->vmlinux_how);
	if (err && !keep_reason(err, &s->vmlinux_why))
		s->vmlinux_why = NULL;
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
	s->dump_paths = calloc(n, sizeof(*s->dump_paths));
	if (!s->dump_paths)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (; s->n_dump_paths < n; s->n_dump_paths++)
		if (!(s->dump_paths[s->n_dump_paths] =
		      strdup(paths[s->n_dump_paths])))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	s->vmlinux_path = vmlinux ? strdup(vmlinux) : NULL;
	if (!s->dump_path || (vmlinux && !s->vmlinux_path))
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = derive_vmcoreinfo(s);
	if (err)
		return err;
	if (!vmlinux)
		find_vmlinux(s);
	return open_kernel(s);
}

struct kdk_error *session_btf(struct session *s, const struct kbtf **out)
{
	struct kdk_error *err = NULL;

	if (!s->btf && !s->btf_why) {
		if (!s->target)
			err = kdk_error(KDK_ERR_NOT_FOUND, "no kernel memory "
					"(%s)", s->target_why ?
					s->target_why : "no dump open");
		else if (!s->symbols)
			err = kdk_error(KDK_ERR_NOT_FOUND, "no kernel symbols "
					"(%s)", s->symbols_why ?
					s->symbols_why : "unknown");
		else
			err = kbtf_load(s->target, s->symbols, &s->btf);
		if (err && !keep_reason(err, &s->btf_why))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (!s->btf)
		return kdk_error(KDK_ERR_NOT_FOUND, "the kernel's BTF: %s",
				 s->btf_why);
	*out = s->btf;
	return NULL;
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
		else {
			const struct kbtf *btf;

			err = session_btf(s, &btf);
			if (!err)
				err = kmodules_load(s->target, btf, head->addr,
						    &s->modules);
		}
		if (err && !keep_reason(err, &s->modules_why))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (!s->modules)
		return kdk_error(KDK_ERR_NOT_FOUND, "module list: %s",
				 s->modules_why);
	*out = s->modules;
	return NULL;
}

struct kdk_error *session_tasks(struct session *s, const struct ktasks **out)
{
	const struct kbtf *btf;
	struct kdk_error *err;

	if (s->tasks && !dump_facts(s->dump)->live) {
		*out = s->tasks;
		return NULL;
	}
	ktasks_free(s->tasks);
	s->tasks = NULL;
	err = session_btf(s, &btf);
	if (!err)
		err = ktasks_load(s->target, btf, s->symbols, &s->tasks);
	if (err) {
		s->tasks = NULL;
		return err;
	}
	*out = s->tasks;
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

struct kdk_error *session_types(struct session *s, struct types **out)
{
	struct kdk_error *err = NULL;

	if (!s->types && !s->types_why) {
		struct kdwarf *kd;

		if (s->vmlinux_path && !(err = session_dwarf(s, &kd))) {
			err = types_from_dwarf(kd, &s->types);
		} else if (s->vmlinux_path) {
			/* a vmlinux without DWARF: its .BTF section */
			kdk_error_free(err);
			err = types_from_vmlinux_btf(s->vmlinux_path,
						     &s->types);
		} else {
			const struct kbtf *btf;

			err = session_btf(s, &btf);
			if (!err)
				err = types_from_btf(kbtf_libbpf(btf),
						     &s->types);
		}
		if (err && !keep_reason(err, &s->types_why))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (!s->types)
		return kdk_error(KDK_ERR_NOT_FOUND, "no types: %s",
				 s->types_why);
	*out = s->types;
	return NULL;
}

struct kdk_error *session_dwarf(struct session *s, struct kdwarf **out)
{
	struct kdk_error *err;

	if (!s->dwarf && !s->dwarf_why) {
		if (!s->vmlinux_path) {
			err = kdk_error(KDK_ERR_NOT_FOUND,
					"no vmlinux was given%s%s",
					s->vmlinux_why ? " or found: " : "",
					s->vmlinux_why ? s->vmlinux_why : "");
		} else {
			err = kdwarf_open(s->vmlinux_path, &s->dwarf);
			if (err)
				err = kdk_error_wrap(err, "%s",
						     s->vmlinux_path);
		}
		if (err && !keep_reason(err, &s->dwarf_why))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (!s->dwarf)
		return kdk_error(KDK_ERR_NOT_FOUND, "no DWARF: %s",
				 s->dwarf_why);
	*out = s->dwarf;
	return NULL;
}

bool session_source_line(struct session *s, uint64_t addr, char *file,
			 size_t len, int *line)
{
	struct kdwarf *kd;
	struct kdk_error *err = session_dwarf(s, &kd);

	if (err) {
		kdk_error_free(err);
		return false;
	}
	addr -= vmlinux_kaslr_offset(s->dump, s->target);
	return kdwarf_line(kd, addr, file, len, line);
}

void session_free(struct session *s)
{
	if (!s)
		return;
	types_free(s->types);	/* before the BTF or DWARF it reads */
	free(s->types_why);
	kdwarf_close(s->dwarf);
	free(s->dwarf_why);
	ktasks_free(s->tasks);
	free(s->panic_why);
	kmodules_free(s->modules);
	kbtf_free(s->btf);
	free(s->btf_why);
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
	for (size_t i = 0; i < s->n_dump_paths; i++)
		free(s->dump_paths[i]);
	free(s->dump_paths);
	free(s->vmlinux_path);
	free(s->vmlinux_how);
	free(s->vmlinux_why);
	free(s);
}
