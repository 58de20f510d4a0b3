/* struct, union and crash's bare `TYPE ADDR` shortcut share one body. */
#ifndef KDK_CMD_STRUCT_H
#define KDK_CMD_STRUCT_H

#include <stdbool.h>

#include "cmd/command.h"
#include "debuginfo/types.h"
#include "shell/session.h"

/* argv as `struct` (want TYPE_STRUCT), `union` (TYPE_UNION) or the
 * shortcut (TYPE_VOID: either) takes it; cmd names the command in usage
 * errors. */
struct kdk_error *struct_command(struct session *s, const struct command *cmd,
				 enum type_kind want, int argc, char **argv);

/* Does word (a "TYPE" or "TYPE.member" first word) name a struct or
 * union type, so that the shell runs it as `struct word ...`? */
bool struct_shortcut_applies(struct session *s, const char *word);

/* The hooks of a struct value_printer (expr/value_print.h) over the
 * session (arg): "<name+off>" when a kernel symbol holds addr, as gdb
 * prints a pointer into a variable or function; and kernel virtual
 * memory. */
bool value_symbolize(void *arg, uint64_t addr, char *buf, size_t n);
struct kdk_error *value_read_mem(void *arg, uint64_t addr, void *buf,
				 size_t n);

#endif
