/* Aliases: a word that stands for the start of a command line, as in
 * crash ("dmesg" runs "log", "hex" runs "set radix 16"). */
#ifndef KDK_SHELL_ALIAS_H
#define KDK_SHELL_ALIAS_H

#include <stddef.h>

#include "base/error.h"

enum alias_origin {
	ALIAS_BUILTIN,		/* kdumpkit's own */
	ALIAS_RUNTIME,		/* defined with the alias command */
};

struct alias {
	char *name;
	char *expansion;
	enum alias_origin origin;
};

struct alias_table;

/* A table holding the builtin aliases. */
struct alias_table *alias_table_new(void);
void alias_table_free(struct alias_table *t);

/* Define or redefine name. */
struct kdk_error *alias_set(struct alias_table *t, const char *name,
			    const char *expansion, enum alias_origin origin);
const struct alias *alias_find(const struct alias_table *t, const char *name);

/* In the order defined, for listing. */
size_t alias_count(const struct alias_table *t);
const struct alias *alias_get(const struct alias_table *t, size_t i);

#endif
