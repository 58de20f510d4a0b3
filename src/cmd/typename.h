/* The operand of whatis and ptype: a type ("struct page", "spinlock_t",
 * "unsigned long") or a kernel variable whose type the types know. */
#ifndef KDK_CMD_TYPENAME_H
#define KDK_CMD_TYPENAME_H

#include "debuginfo/types.h"
#include "shell/session.h"

struct typename_hit {
	struct type *type;
	char *symbol;		/* NULL: the words named a type */
};

/* words are joined with spaces ("struct", "page"). */
struct kdk_error *typename_resolve(struct session *s, int n, char **words,
				   struct typename_hit *out);
void typename_hit_free(struct typename_hit *hit);

#endif
