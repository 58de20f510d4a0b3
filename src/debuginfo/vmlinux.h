/* A vmlinux the user gave: its ELF symbol table, build-id, machine and
 * linux_banner.
 *
 * The file is mapped, not read: the Debian debug vmlinux is ~600 MB, and
 * everything here (headers, notes, .symtab, .strtab, the banner's bytes)
 * is a few MB of it. DWARF is left alone.
 */
#ifndef KDK_DEBUGINFO_VMLINUX_H
#define KDK_DEBUGINFO_VMLINUX_H

#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"

struct vmlinux;

/* Open path. Errors (not ELF, not a kernel image, no .symtab) do not
 * name the path: the caller does. */
struct kdk_error *vmlinux_open(const char *path, struct vmlinux **out);
void vmlinux_close(struct vmlinux *v);

/* uname -m's name for the ELF machine ("x86_64", "aarch64" ...). */
const char *vmlinux_machine(const struct vmlinux *v);
/* The GNU build-id note in hex; "" if there is none. */
const char *vmlinux_build_id(const struct vmlinux *v);
/* The linux_banner string ("Linux version ...\n") and its link-time
 * address; NULL and 0 when the file has no such symbol. */
const char *vmlinux_banner(const struct vmlinux *v);
uint64_t vmlinux_banner_addr(const struct vmlinux *v);

/*
 * The symbol table with nm's type letters, addresses moved by offset
 * (the KASLR offset) where they lie in the kernel image; absolute values
 * and x86_64's zero-based per-CPU symbols stay as they are. Symbols at
 * one address come in the order kallsyms gives them (scripts/kallsyms.c:
 * strong before weak, fewest leading underscores first), so an address
 * gets the same name from either source.
 */
struct kdk_error *vmlinux_symtab(const struct vmlinux *v, uint64_t offset,
				 struct symtab **out);

#endif
