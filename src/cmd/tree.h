/* The tree walks of tree.c, for other commands (vm: a process's VMAs). */
#ifndef KDK_CMD_TREE_H
#define KDK_CMD_TREE_H

#include <stdint.h>

#include "base/error.h"
#include "shell/session.h"

/* fn(arg, entry) for every non-empty entry of the maple tree at tree (a
 * struct maple_tree), in index order; fn's error stops the walk. */
struct kdk_error *tree_maple_each(struct session *s, uint64_t tree,
				  struct kdk_error *(*fn)(void *arg,
							  uint64_t entry),
				  void *arg);

#endif
