/* VMCOREINFO made from a vmlinux and the dump's CPU state, for x86_64
 * dumps that carry none anywhere (QEMU's dump-guest-memory of a guest
 * without `-device vmcoreinfo`, its copy in memory gone too).
 *
 * Everything above dump/ finds the kernel through VMCOREINFO: the page
 * tables, phys_base and KASLR offset (target/, arch/), the printk ring
 * and its layout (kernel/printk.c), the uts name. The kernel writes those
 * lines itself (kernel/vmcore_info.c, log_buf_vmcoreinfo_setup() in
 * kernel/printk/printk.c, arch/x86/kernel/machine_kexec_64.c); here the
 * same lines are made from what they stand for:
 *  - KERNELOFFSET, NUMBER(phys_base), NUMBER(pgtable_l5_enabled): from a
 *    vCPU's control registers in QEMU's "QEMU" note and the vmlinux's
 *    link-time addresses (arch/x86_64_kaslr.h), as crash does;
 *  - SYMBOL(x): the vmlinux's address of x plus KERNELOFFSET;
 *  - OFFSET/SIZE/LENGTH: the vmlinux's own BTF (.BTF section);
 *  - OSRELEASE: the vmlinux's linux_banner.
 * Nothing the dump could contradict is made up: no BUILD-ID (the vmlinux
 * is then checked against the banner in the dump's memory) and no
 * CRASHTIME (the kernel writes it only on its way to kdump).
 */
#ifndef KDK_DEBUGINFO_VMCOREINFO_DERIVE_H
#define KDK_DEBUGINFO_VMCOREINFO_DERIVE_H

#include "base/error.h"
#include "dump/dump.h"

/* The text for the dump d from the vmlinux at path (malloc'd,
 * NUL-terminated). Errors say why it cannot be made (not x86_64, no
 * QEMU CPU note, no vCPU whose state leads to the kernel ...). */
struct kdk_error *vmcoreinfo_derive(struct dump *d, const char *vmlinux_path,
				    char **text);

#endif
