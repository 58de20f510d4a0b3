/* ps -r: a task's resource limits, crash's table. */
#ifndef KDK_CMD_PS_RLIMIT_H
#define KDK_CMD_PS_RLIMIT_H

#include <stdbool.h>

#include "base/error.h"
#include "kernel/tasks.h"
#include "shell/session.h"

/* first: no blank line before the block. */
struct kdk_error *ps_print_rlimits(struct session *s, const struct ktask *t,
				   bool first);

#endif
