/* x86_64: the KASLR offset and phys_base from a CPU's saved control
 * registers, for dumps with no VMCOREINFO anywhere when a vmlinux gives the
 * link-time addresses (crash does the same for such QEMU dumps).
 *
 * Which CPU notes carry what this needs (CR3 and the IDT base):
 *  - QEMU's dump-guest-memory writes, per vCPU, a "QEMU" note of type 0
 *    holding struct QEMUCPUState (QEMU target/i386/arch_dump.c): general
 *    registers, the segments with their bases (ldt, tr, gdt, idt), cr[0..4]
 *    and, if size says so, kernel_gs_base. QEMU puts it in its ELF dumps
 *    and in the note area of its kdump-compressed ones alike.
 *  - kdump's NT_PRSTATUS ("CORE", struct elf_prstatus: pr_reg is
 *    user_regs_struct) has the general registers, selectors and the fs/gs
 *    bases only: no CR3, no IDTR. makedumpfile and /proc/vmcore dumps have
 *    no QEMU note, but they have VMCOREINFO.
 *  - QEMU's arm64 dumps have NT_PRSTATUS and NT_PRFPREG only: no TTBR1,
 *    so there is no arm64 counterpart to this.
 */
#ifndef KDK_ARCH_X86_64_KASLR_H
#define KDK_ARCH_X86_64_KASLR_H

#include <stddef.h>
#include <stdint.h>

#include "arch/arch.h"

/* The note's name and type. */
#define X86_64_QEMU_NOTE_NAME	"QEMU"
#define X86_64_QEMU_NOTE_TYPE	0

struct x86_64_cpu_state {
	uint64_t rip, rsp;
	uint64_t cr0, cr3, cr4;
	uint64_t idt_base;
	uint32_t idt_limit;
	uint64_t gdt_base;
};

/* Decode a QEMU note's descriptor (len bytes). */
struct kdk_error *x86_64_qemu_cpu_state(const void *desc, size_t len,
					struct x86_64_cpu_state *out);

struct x86_64_kaslr {
	uint64_t kernel_offset;	/* runtime - link-time address of the image */
	uint64_t phys_base;	/* __pa_symbol(x) = x - __START_KERNEL_map +
				   phys_base, at runtime addresses */
	uint64_t pgd;		/* the page-table root walked (from CR3) */
	int levels;		/* 4, or 5 with CR4.LA57 */
	const char *how;	/* the symbol the offset came from */
};

/*
 * From one CPU's state, with link_sym giving link-time addresses of the
 * vmlinux (idt_table is needed; asm_exc_divide_error or divide_error for
 * kernels that load the IDT through the CPU entry area) and read giving
 * physical memory. Errors when the CPU's state does not lead to the kernel
 * (an offline vCPU's zeroed registers, a CR3 that maps no kernel), or when
 * the answers do not agree with each other.
 */
struct kdk_error *x86_64_kaslr_from_cpu(const struct x86_64_cpu_state *cpu,
					arch_read_phys_fn *read, void *read_arg,
					arch_symbol_fn *link_sym, void *sym_arg,
					struct x86_64_kaslr *out);

#endif
