/* /proc/kcore: the running kernel's memory as an ELF core file.
 *
 * fs/proc/kcore.c (Linux 4.19 to 6.1 and on) writes one PT_LOAD per range
 * of its kcore_list: p_vaddr is the kernel virtual address; p_offset is
 * kc_vaddr_to_offset(p_vaddr) plus the page-aligned header size, where
 * kc_vaddr_to_offset is vaddr - PAGE_OFFSET by default and the low 47 bits
 * of vaddr on x86_64 (asm/pgtable_64.h), so the file is as large as the
 * kernel's address space (st_size 140737471590400 on the lab's 6.1 guest);
 * p_paddr is the physical address for KCORE_RAM (__pa: one segment per
 * System RAM range of /proc/iomem, whole pages) and KCORE_TEXT
 * (__pa_symbol(_text)), and (u64)-1 for vmalloc, modules, vmemmap and the
 * vsyscall page (p_paddr is set since 4.11; before, it was 0 everywhere).
 * The notes are an NT_PRSTATUS of zeros, an NT_PRPSINFO naming "vmlinux"
 * with the kernel command line, the reader's task_struct (NT_TASKSTRUCT)
 * and, since 4.19, VMCOREINFO as the kernel saved it at boot (no
 * CRASHTIME). The file has no mmap; reads of holes, and of pages the
 * kernel cannot read, give zeros. Opening it needs CAP_SYS_RAWIO (EPERM)
 * on a 0400 root file (EACCES), and lockdown=confidentiality refuses it to
 * root too (EPERM).
 *
 * Only the files of src/dump/ include this.
 */
#ifndef KDK_DUMP_KCORE_H
#define KDK_DUMP_KCORE_H

#include <elf.h>
#include <stdbool.h>

#include "base/error.h"
#include "dump/notes.h"

/* statfs f_type of /proc (include/uapi/linux/magic.h). */
#define KCORE_PROC_SUPER_MAGIC 0x9fa0

/* p_paddr of a segment that has no physical address. */
#define KCORE_NO_PADDR ((uint64_t)-1)

/* Did fs/proc/kcore.c write these notes (NT_PRPSINFO of "vmlinux" and an
 * NT_TASKSTRUCT), rather than a crash kernel or QEMU? */
bool kcore_notes_match(const struct dump_notes *notes);

/* A kcore's PT_LOADs must give physical addresses: refuse those of
 * kernels before 4.11, whose p_paddr are all 0. */
struct kdk_error *kcore_check_segments(const Elf64_Phdr *ph, uint64_t n);

/* Why opening path failed with errnum, in words a user can act on: for a
 * file in /proc, that the kernel's memory needs root, or that lockdown
 * forbids it. */
struct kdk_error *kcore_open_error(const char *path, int errnum);

#endif
