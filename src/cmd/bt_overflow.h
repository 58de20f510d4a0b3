/* bt -v: every task's kernel stack checked for an overflow, as crash
 * does: the STACK_END_MAGIC the kernel writes at the stack's lowest word
 * (set_task_stack_end_magic) must still be there. */
#ifndef KDK_CMD_BT_OVERFLOW_H
#define KDK_CMD_BT_OVERFLOW_H

#include "base/error.h"
#include "shell/session.h"

struct kdk_error *bt_check_overflows(struct session *s);

#endif
