/* init_task without a symbol for it: arm64 kallsyms has only text
 * symbols, and without a vmlinux nothing names the first task.
 *
 * init_task is static data of the kernel image: in RW_DATA, right after
 * the init sections (include/asm-generic/vmlinux.lds.h: INIT_TASK_DATA
 * opens .data, after __init_end). Its comm is "swapper/0" (init_idle()
 * names the boot CPU's idle task so), so the image from _einittext on is
 * searched for that name, and a hit is taken only if the task_struct
 * around it is init_task in every way the kernel makes it so: pid 0, tgid
 * 0, its own real_parent and group_leader, PF_KTHREAD, and a task list
 * whose neighbours point back at it. Private to src/kernel/tasks*.c.
 */
#ifndef KDK_KERNEL_TASK_FIND_H
#define KDK_KERNEL_TASK_FIND_H

#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "kernel/task_layout.h"
#include "target/target.h"

struct kdk_error *task_find_init_task(struct target *t,
				      const struct task_layout *l,
				      const struct symtab *syms,
				      uint64_t *out);

#endif
