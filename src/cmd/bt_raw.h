/* bt -r: whole kernel stacks, raw (bt_raw.c). */
#ifndef KDK_CMD_BT_RAW_H
#define KDK_CMD_BT_RAW_H

#include "base/error.h"
#include "shell/session.h"

/* The stacks of the tasks argv names (PIDs, task addresses; none: the
 * current task). */
struct kdk_error *bt_raw_stacks(struct session *s, int argc, char **argv);

#endif
