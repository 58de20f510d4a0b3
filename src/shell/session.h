/* One analysis session: the dump being looked at, how output is written,
 * and the user's aliases. Everything a command needs hangs off it; there
 * is no other state.
 */
#ifndef KDK_SHELL_SESSION_H
#define KDK_SHELL_SESSION_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"

struct dump;
struct target;
struct symtab;
struct alias_table;
struct kbtf;
struct kmodules;

struct session {
	char *dump_path;
	char *vmlinux_path;		/* NULL: none given */
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
	struct kmodules *modules;
	char *modules_why;

	/* Output settings (`set`). */
	int radix;			/* 10 or 16 */
	bool json;			/* --json: commands print JSON */

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

/* The loaded modules, read on first use: the kernel's BTF from the dump,
 * then the list at `modules` in the session's symbols. */
struct kdk_error *session_modules(struct session *s,
				  const struct kmodules **out);

/* The kernel's BTF from the dump, read on first use (the module list
 * reads it too). */
struct kdk_error *session_btf(struct session *s, const struct kbtf **out);

/* After session_open_dump, the symbols of the vmlinux it was given,
 * checked against the dump; nothing without one. An unreadable vmlinux
 * or one of another kernel is an error that names it. */
struct kdk_error *session_load_vmlinux(struct session *s);

void session_free(struct session *s);

#endif
