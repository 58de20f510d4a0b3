/* bt -e: exception frames found by searching a task's kernel stack for
 * words that read as a pt_regs, as crash's x86_64_eframe_search does:
 * what a corrupted or unusual stack still holds after the unwinder gives
 * up. x86_64 and arm64. */
#ifndef KDK_CMD_BT_EFRAME_H
#define KDK_CMD_BT_EFRAME_H

#include "base/error.h"
#include "shell/session.h"
#include "unwind/unwind.h"

struct kdk_error *bt_eframe_search(struct session *s, struct unwind *u,
				   unwind_symbolize_fn *sym, void *sym_arg,
				   int argc, char **argv);

#endif
