/* The page-table walk tests' check: vaddr translates to want, in a page
 * (or block) of size bytes; on failure the TAP line shows what came back. */
#ifndef KDK_TESTS_VTOP_EXPECT_H
#define KDK_TESTS_VTOP_EXPECT_H

#include "arch/arch.h"
#include "tap.h"

static inline void expect_paddr(struct arch *a, uint64_t vaddr, uint64_t want,
			 uint64_t size, const char *what)
{
	struct arch_vtop vt;
	struct kdk_error *err = arch_vtop(a, vaddr, &vt);

	ok(!err && vt.paddr == want && vt.page_size == size,
	   "%s: %#llx -> %#llx", what, (unsigned long long)vaddr,
	   (unsigned long long)want);
	if (err)
		printf("#   error: %s\n", err->msg);
	else if (vt.paddr != want || vt.page_size != size)
		printf("#   got %#llx size %#llx\n",
		       (unsigned long long)vt.paddr,
		       (unsigned long long)vt.page_size);
	kdk_error_free(err);
}

#endif
