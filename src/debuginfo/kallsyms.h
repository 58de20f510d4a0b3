/* The kernel's own symbol table, read from its memory.
 *
 * Since Linux 6.0 VMCOREINFO names the kallsyms tables (kernel/vmcore_info.c:
 * SYMBOL(kallsyms_names), kallsyms_num_syms, kallsyms_token_table,
 * kallsyms_token_index, and kallsyms_offsets + kallsyms_relative_base with
 * CONFIG_KALLSYMS_BASE_RELATIVE, else kallsyms_addresses), so a dump
 * without a vmlinux still has every symbol the kernel knew.
 */
#ifndef KDK_DEBUGINFO_KALLSYMS_H
#define KDK_DEBUGINFO_KALLSYMS_H

#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "dump/vmcoreinfo.h"
#include "target/target.h"

/* Kernel virtual addresses of the tables; 0 for those absent. */
struct kallsyms_tables {
	uint64_t num_syms;
	uint64_t names;
	uint64_t token_table;
	uint64_t token_index;
	uint64_t offsets;
	uint64_t relative_base;
	uint64_t addresses;
};

typedef struct kdk_error *kallsyms_read_fn(void *arg, uint64_t vaddr,
					   void *buf, size_t len);

/* Find the tables in VMCOREINFO: KDK_ERR_NOT_FOUND before Linux 6.0. */
struct kdk_error *kallsyms_find_tables(const struct vmcoreinfo *vi,
				       struct kallsyms_tables *out);

/* Decode the tables, reading kernel memory through read. */
struct kdk_error *kallsyms_decode(const struct kallsyms_tables *tab,
				  kallsyms_read_fn *read, void *arg,
				  struct symtab **out);

/* Both, on a target; then tell the target what the symbols say about
 * its memory layout (target_use_symbols). */
struct kdk_error *kallsyms_load(struct target *t, struct symtab **out);

#endif
