/* One analysis session: the dump being looked at, how output is written,
 * and the user's aliases. Everything a command needs hangs off it; there
 * is no other state.
 */
#ifndef KDK_SHELL_SESSION_H
#define KDK_SHELL_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"

struct dump;
struct target;
struct symtab;
struct alias_table;
struct kbtf;
struct kmodules;
struct types;
struct ktasks;
struct ktask;
struct kdwarf;

struct session {
	char *dump_path;
	/* The files as given: one, or the parts of a split dump. */
	char **dump_paths;
	size_t n_dump_paths;
	char *vmlinux_path;		/* NULL: none given or found */
	/* How vmlinux_path was found when the user did not name it
	 * (debuginfo_find_vmlinux); NULL when they did. vmlinux_why: why
	 * none was found. */
	char *vmlinux_how;
	char *vmlinux_why;
	struct dump *dump;
	/* Kernel virtual memory, and the symbols (the vmlinux's, else
	 * kallsyms from the dump); each NULL if it could not be set up. */
	struct target *target;
	struct symtab *symbols;
	/* Why target or symbols is NULL, for commands that need them. */
	char *target_why;
	char *symbols_why;
	/* Read on first use by session_modules(); why: the reason it
	 * failed, so a failure is not retried. */
	struct kbtf *btf;
	char *btf_why;
	struct kmodules *modules;
	char *modules_why;
	/* The type model, made on first use by session_types(). */
	struct types *types;
	char *types_why;
	/* The vmlinux's DWARF, opened on first use by session_dwarf(). */
	struct kdwarf *dwarf;
	char *dwarf_why;
	/* The tasks, read by session_tasks(): once for a dump, again for
	 * each command on a live kernel. */
	struct ktasks *tasks;
	/* The current task (crash's context, `set`): the address of its
	 * task_struct, 0 until session_context() first picks the default;
	 * context_chosen once `set` changed it. */
	uint64_t context;
	bool context_chosen;
	/* The panic task (panic_task_find()), looked for once: 0 and
	 * panic_why say why there is none. */
	bool panic_looked;
	uint64_t panic_task;
	char *panic_why;

	/* Output settings (`set`). */
	int radix;			/* 10 or 16 */
	bool json;			/* --json: commands print JSON */
	/* Values p has shown: gdb's (and crash's) "$N = " numbers them. */
	unsigned int values_shown;

	struct alias_table *aliases;

	/* Where the current command writes: stdout, a file or a pipe. */
	FILE *out;
	bool interactive;		/* a terminal: prompt and history */
	bool quit;			/* q/exit was run */
};

/* A session with no dump yet: defaults, builtin aliases. */
struct kdk_error *session_new(struct session **out);

/* Open the dump at path (and remember vmlinux, may be NULL). Errors
 * name neither path: the caller says which file failed. The kernel's
 * virtual memory and, without a vmlinux, its kallsyms are set up too; if
 * either fails the dump still opens, and target_why/symbols_why say
 * why. */
struct kdk_error *session_open_dump(struct session *s, const char *path,
				    const char *vmlinux);

/* The same for the n parts of a split dump (dump_open_set()), whose
 * errors name the files; dump_path becomes their names, space-separated. */
struct kdk_error *session_open_dump_set(struct session *s,
					const char *const *paths, size_t n,
					const char *vmlinux);

/* The kernel's BTF, read from the dump on first use (kbtf_load()). */
struct kdk_error *session_btf(struct session *s, const struct kbtf **out);

/* The loaded modules, read on first use: the kernel's BTF from the dump,
 * then the list at `modules` in the session's symbols. */
struct kdk_error *session_modules(struct session *s,
				  const struct kmodules **out);


/* Every task (src/kernel/tasks.h). The pointer lives until the next call
 * (a live kernel's tasks are read afresh) or the session's end. */
struct kdk_error *session_tasks(struct session *s,
				const struct ktasks **out);

/* The current task, as crash's context: at first the task that
 * panicked, else CPU 0's active task (a live kernel), else CPU 0's idle
 * task; then whichever `set` chose. k is session_tasks()'s (these never
 * read the tasks again, so k and its tasks stay valid). */
struct kdk_error *session_context(struct session *s, const struct ktasks *k,
				  const struct ktask **out);
/* Make task (one of session_tasks()'s) the current task. */
void session_set_context(struct session *s, const struct ktask *task);
/* The task that panicked, looked for once; KDK_ERR_NOT_FOUND when none
 * did. */
struct kdk_error *session_panic_task(struct session *s, const struct ktasks *k,
				     const struct ktask **out);

/* After session_open_dump, the symbols of the vmlinux it was given,
 * checked against the dump; nothing without one. An unreadable vmlinux
 * or one of another kernel is an error that names it. */
struct kdk_error *session_load_vmlinux(struct session *s);

/* The kernel's types (debuginfo/types.h), made on first use: from the
 * vmlinux's .BTF section when one was given, else from the kernel's BTF
 * in the dump. */
struct kdk_error *session_types(struct session *s, struct types **out);

/* The vmlinux's DWARF (debuginfo/dwarf.h), opened on first use;
 * KDK_ERR_NOT_FOUND, saying why, without a vmlinux or when it has none. */
struct kdk_error *session_dwarf(struct session *s, struct kdwarf **out);

/* The source line of a run-time kernel address (the KASLR offset is
 * taken off here), as kdwarf_line() names it; false without DWARF or
 * when no line table covers it. */
bool session_source_line(struct session *s, uint64_t addr, char *file,
			 size_t len, int *line);

void session_free(struct session *s);

#endif
