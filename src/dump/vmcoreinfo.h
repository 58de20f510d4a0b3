/* VMCOREINFO: the facts the kernel writes for dump readers, as KEY=VALUE
 * lines (kernel/vmcore_info.c and the arch code): OSRELEASE,
 * BUILD-ID, PAGESIZE, KERNELOFFSET, CRASHTIME, SYMBOL(name), OFFSET(type.member),
 * SIZE(type), LENGTH(array), NUMBER(name), and arch-specific keys.
 *
 * SYMBOL and KERNELOFFSET are hex without "0x"; OFFSET, SIZE, LENGTH,
 * PAGESIZE and CRASHTIME are decimal; NUMBER is decimal and may be negative,
 * except on arm64 where some are written "0x..." (NUMBER(kimage_voffset)).
 */
#ifndef KDK_DUMP_VMCOREINFO_H
#define KDK_DUMP_VMCOREINFO_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct vmcoreinfo;

/* Parse len bytes of text (it may stop early at a NUL). Lines without '='
 * are skipped and counted; when a key repeats, the last line wins. */
struct kdk_error *vmcoreinfo_parse(const char *text, size_t len,
				   struct vmcoreinfo **out);
void vmcoreinfo_free(struct vmcoreinfo *vi);

/* The value of key, or NULL. */
const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key);

/* Lines in file order, for printing them all. */
size_t vmcoreinfo_count(const struct vmcoreinfo *vi);
void vmcoreinfo_line(const struct vmcoreinfo *vi, size_t i, const char **key,
		     const char **value);
size_t vmcoreinfo_malformed_lines(const struct vmcoreinfo *vi);

/* Typed lookups: KDK_ERR_NOT_FOUND if the key is absent, KDK_ERR_FORMAT if
 * its value is not a number of the expected kind. */
struct kdk_error *vmcoreinfo_symbol(const struct vmcoreinfo *vi,
				    const char *name, uint64_t *addr);
struct kdk_error *vmcoreinfo_offset(const struct vmcoreinfo *vi,
				    const char *type_member, uint64_t *off);
struct kdk_error *vmcoreinfo_size(const struct vmcoreinfo *vi,
				  const char *type, uint64_t *size);
struct kdk_error *vmcoreinfo_length(const struct vmcoreinfo *vi,
				    const char *name, uint64_t *len);
struct kdk_error *vmcoreinfo_number(const struct vmcoreinfo *vi,
				    const char *name, int64_t *num);
/* A plain key whose value is hex (KERNELOFFSET) or decimal (PAGESIZE,
 * CRASHTIME). */
struct kdk_error *vmcoreinfo_hex(const struct vmcoreinfo *vi, const char *key,
				 uint64_t *val);
struct kdk_error *vmcoreinfo_decimal(const struct vmcoreinfo *vi,
				     const char *key, int64_t *val);

#endif
