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

struct session {
	char *dump_path;
	char *vmlinux_path;		/* NULL: none given */
	struct dump *dump;
	struct target *target;		/* set by the target layer; NULL */
	struct symtab *symbols;		/* set by debuginfo; NULL */

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
 * name neither path: the caller says which file failed. */
struct kdk_error *session_open_dump(struct session *s, const char *path,
				    const char *vmlinux);

void session_free(struct session *s);

#endif
