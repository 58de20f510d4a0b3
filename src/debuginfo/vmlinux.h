/* A vmlinux the user gave: its ELF symbol table, build-id, machine and
 * linux_banner, and the check that it is the kernel the dump came from.
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
#include "dump/dump.h"
#include "target/target.h"

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

/* How far KASLR moved the kernel image: what the target's arch found
 * (VMCOREINFO's KERNELOFFSET, which x86_64 and arm64 both write), or
 * without a target KERNELOFFSET itself; 0 when absent. */
uint64_t vmlinux_kaslr_offset(const struct dump *d, const struct target *t);

/*
 * Is v the kernel of dump d? Compares the ELF machine with the dump's,
 * the build-id with VMCOREINFO's BUILD-ID when there is one, and (with a
 * target; t may be NULL) linux_banner with the dump's bytes at the
 * banner's address plus the KASLR offset. A mismatch is one
 * KDK_ERR_FORMAT error, "PATH does not match the dump: vmlinux is
 * RELEASE (MACHINE, build-id ID), the dump is ...", naming the file as
 * path; a check that cannot decide (no BUILD-ID to compare and no banner
 * read) refuses too, saying why.
 */
struct kdk_error *vmlinux_check_dump(const struct vmlinux *v,
				     const char *path, struct dump *d,
				     struct target *t);

/* Open path, check it against the dump (t may be NULL), and load its
 * symbols relocated by the KASLR offset; then, with a target, tell it
 * what they say about its memory layout (target_use_symbols). Errors
 * name path. */
struct kdk_error *vmlinux_load(const char *path, struct dump *d,
			       struct target *t, struct symtab **out);

#endif
