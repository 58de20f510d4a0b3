/* The type model over BTF (types.h): the kernel's BTF read from the dump
 * (debuginfo/btf.h) or the .BTF section of a vmlinux. */
#ifndef KDK_DEBUGINFO_TYPES_BTF_H
#define KDK_DEBUGINFO_TYPES_BTF_H

#include "debuginfo/types.h"

struct btf;

/* Types from a parsed BTF that stays the caller's (it must outlive the
 * model). */
struct kdk_error *types_from_btf(struct btf *btf, struct types **out);

/* Types from the .BTF section of the ELF file at path. */
struct kdk_error *types_from_vmlinux_btf(const char *path,
					 struct types **out);

#endif
