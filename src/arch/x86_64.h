/* x86_64 pieces shared by the files of src/arch/ that know x86_64:
 * x86_64.c (the arch) and x86_64_kaslr.c (KASLR from CPU state). */
#ifndef KDK_ARCH_X86_64_H
#define KDK_ARCH_X86_64_H

#include <stdint.h>

#include "arch/arch.h"

#define X86_64_START_KERNEL_MAP	0xffffffff80000000ULL

/* Walk the page tables rooted at the physical address pgd (a CR3 without
 * its flag bits) with 4 or 5 levels, as the CPU would, without VMCOREINFO
 * (no SME mask is known: the C-bit must not be set in the entries). */
struct kdk_error *x86_64_translate(arch_read_phys_fn *read, void *arg,
				   uint64_t pgd, int levels, uint64_t vaddr,
				   uint64_t *paddr);

#endif
