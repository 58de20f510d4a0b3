/* The type model over a vmlinux's DWARF (types.h): every type, global
 * variable and function it describes, found by name through the cached
 * index (dwarf_index.h). */
#ifndef KDK_DEBUGINFO_TYPES_DWARF_H
#define KDK_DEBUGINFO_TYPES_DWARF_H

#include "debuginfo/types.h"

struct kdwarf;

/* Types from kd's DWARF; kd must outlive the model. */
struct kdk_error *types_from_dwarf(struct kdwarf *kd, struct types **out);

#endif
