#include "kernel/task_mm.h"

#include <inttypes.h>

struct kdk_error *task_user_root(struct target *t, const struct kbtf *btf,
				 const struct ktask *task, uint64_t *root)
{
	struct kbtf_member pgd;
	struct kdk_error *err;
	uint64_t vaddr = 0;

	if (!task->mm)
		return kdk_error(KDK_ERR_NOT_FOUND, "pid %" PRId32 " (%s) is "
				 "a kernel thread: it has no user memory "
				 "(task_struct.mm is NULL)", task->pid,
				 task->comm);
	err = kbtf_member(btf, "mm_struct", "pgd", &pgd);
	if (!err)
		err = target_read_kvaddr(t, task->mm + pgd.offset, &vaddr,
					 sizeof(vaddr));
	if (!err && !vaddr)
		err = kdk_error(KDK_ERR_FORMAT, "mm_struct %#" PRIx64 " has "
				"no page tables (pgd is NULL)", task->mm);
	if (!err)
		err = target_kvaddr_to_paddr(t, vaddr, root);
	return kdk_error_wrap(err, "the user page tables of pid %" PRId32,
			      task->pid);
}
