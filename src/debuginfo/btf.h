/* The kernel's own BTF, read from the dump's memory: the type source that
 * needs no vmlinux.
 *
 * With CONFIG_DEBUG_INFO_BTF the kernel image carries its types in a .BTF
 * section that stays in memory between __start_BTF and __stop_BTF
 * (include/asm-generic/vmlinux.lds.h); the kernel reads it itself for
 * /sys/kernel/btf/vmlinux. Where kallsyms names those markers
 * (CONFIG_KALLSYMS_ALL, as on Debian's x86_64 kernels) the blob is read
 * straight; where it doesn't (Debian's arm64) the read-only data between
 * _etext and __init_begin is scanned for a BTF header and what follows is
 * checked by parsing it whole. libbpf parses it.
 *
 * This is only the BTF source, with the few questions the module walk
 * needs: a struct by name, a member's offset by a dotted path, a type's
 * size. The one type model of DESIGN.md (shared with DWARF) will be built
 * on top of it.
 */
#ifndef KDK_DEBUGINFO_BTF_H
#define KDK_DEBUGINFO_BTF_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "target/target.h"

struct kbtf;
struct btf;

/* Where the blob was found and how, for `info`-style reports and timing. */
struct kbtf_origin {
	uint64_t addr;		/* kernel virtual address of the header */
	uint64_t size;		/* bytes: header + types + strings */
	bool scanned;		/* found by scanning, not by __start_BTF */
};

/* Find and parse the vmlinux BTF of t; syms gives the markers. */
struct kdk_error *kbtf_load(struct target *t, const struct symtab *syms,
			    struct kbtf **out);
/* Parse a BTF blob already in memory (the bytes are copied). */
struct kdk_error *kbtf_from_blob(const void *data, uint64_t size,
				 struct kbtf **out);
/* The .BTF section of an ELF file (a vmlinux); errors do not name path. */
struct kdk_error *kbtf_from_elf(const char *path, struct kbtf **out);
void kbtf_free(struct kbtf *b);

const struct kbtf_origin *kbtf_origin(const struct kbtf *b);

/* libbpf's parsed BTF, for the type model (types_btf.h); b keeps it. */
struct btf *kbtf_libbpf(const struct kbtf *b);

/* The id of the struct or union called name (a struct wins). */
struct kdk_error *kbtf_find_struct(const struct kbtf *b, const char *name,
				   uint32_t *id);

/* Bytes a type takes (through typedefs and qualifiers). */
struct kdk_error *kbtf_type_size(const struct kbtf *b, uint32_t id,
				 uint64_t *size);

struct kbtf_member {
	uint64_t offset;	/* bytes from the start of the outer struct */
	uint32_t type;		/* the member's type id */
	uint64_t size;		/* bytes the member's type takes */
};

/* Member path of struct or union `type`: "core_layout.base", "list",
 * "mem" ... Members of unnamed structs and unions are found as the
 * compiler finds them. KDK_ERR_NOT_FOUND names the missing piece. */
struct kdk_error *kbtf_member(const struct kbtf *b, const char *type,
			      const char *path, struct kbtf_member *out);

/* Does struct `type` have member path? (For layouts that changed.) */
bool kbtf_has_member(const struct kbtf *b, const char *type,
		     const char *path);

#endif
