/* ps -t and ps -a: a task's times and its arguments and environment, in
 * crash's blocks. */
#ifndef KDK_CMD_PS_VIEWS_H
#define KDK_CMD_PS_VIEWS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "kernel/tasks.h"
#include "shell/session.h"

/* Sort order (n tasks) by start_time, oldest first, as crash lists -t. */
struct kdk_error *ps_sort_by_start(struct session *s,
				   const struct ktask **order, size_t n);

/* RUN TIME (uptime minus the start), START TIME, UTIME and STIME (ns).
 * first: no blank line before the block. */
struct kdk_error *ps_print_times(struct session *s, const struct ktask *t,
				 bool first);

/* ARG: argv joined by spaces; ENV: one variable a line; read from the
 * task's user stack (mm->arg_start..arg_end, env_start..env_end). */
struct kdk_error *ps_print_args(struct session *s, const struct ktask *t,
				bool first);

#endif
