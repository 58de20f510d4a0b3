/* What a kdump-compressed header says about the crashed kernel, gathered
 * from the input dump as makedumpfile gathers it: uname from the kernel's
 * init_uts_ns, the crash time and phys_base from VMCOREINFO, the CPUs from
 * the NT_PRSTATUS notes, and the ELF note area copied whole.
 */
#ifndef KDK_CAPTURE_HEADER_INFO_H
#define KDK_CAPTURE_HEADER_INFO_H

#include "base/error.h"
#include "capture/kdump_writer.h"
#include "dump/dump.h"
#include "target/target.h"

/* t may be NULL (then uname comes from VMCOREINFO and the ELF header).
 * info->notes points into d, or, when the input has no VMCOREINFO note
 * but kdumpkit found the kernel's VMCOREINFO in its memory (QEMU dumps
 * of a guest that never told QEMU where it is), to a copy of the input's
 * notes with a VMCOREINFO note added: so that the dump written is one
 * crash, makedumpfile and libkdumpfile can read. */
struct kdk_error *header_info_gather(struct dump *d, struct target *t,
				     struct kdump_header_info *info);
void header_info_free(struct kdump_header_info *info);

#endif
