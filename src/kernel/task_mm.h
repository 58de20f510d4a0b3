/* A task's user address space: the page tables its mm_struct names.
 *
 * mm->pgd is the kernel virtual address (in the direct/linear map) of the
 * top page table of the task's user space (include/linux/mm_types.h:
 * pgd_t *pgd): what CR3 (x86_64) or TTBR0_EL1 (arm64) holds, less the
 * flag and ASID bits, while the task runs. Kernel threads have no mm
 * (task->mm == NULL; they borrow active_mm but own no user memory).
 */
#ifndef KDK_KERNEL_TASK_MM_H
#define KDK_KERNEL_TASK_MM_H

#include <stdint.h>

#include "base/error.h"
#include "debuginfo/btf.h"
#include "kernel/tasks.h"
#include "target/target.h"

/* The physical address of task's top user page table, for
 * target_read_uvaddr() and target_uvtop(). A kernel thread (no mm) is a
 * KDK_ERR_NOT_FOUND error that says so. */
struct kdk_error *task_user_root(struct target *t, const struct kbtf *btf,
				 const struct ktask *task, uint64_t *root);

#endif
