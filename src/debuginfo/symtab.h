/* A kernel symbol table: names, addresses and nm-style type letters,
 * sorted by address for binary search and hashed by name. Filled from
 * kallsyms in the dump's memory (kallsyms.c) or, later, from a vmlinux's
 * ELF symtab.
 */
#ifndef KDK_DEBUGINFO_SYMTAB_H
#define KDK_DEBUGINFO_SYMTAB_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct sym {
	uint64_t addr;
	uint32_t name;		/* offset into the table's string pool */
	char type;		/* 'T', 't', 'D', 'b' ... as nm prints it */
	uint32_t elf_size;	/* the ELF st_size; 0 when unknown (kallsyms) */
};

struct symtab;

struct symtab *symtab_new(void);
void symtab_free(struct symtab *st);

/* Add a symbol; the name is copied. */
struct kdk_error *symtab_add(struct symtab *st, const char *name,
			     size_t name_len, uint64_t addr, char type);
/* The same, with the object's size from an ELF symbol table. */
struct kdk_error *symtab_add_sized(struct symtab *st, const char *name,
				   size_t name_len, uint64_t addr, char type,
				   uint32_t elf_size);
/* Index by address and by name; call once after the last symtab_add. */
struct kdk_error *symtab_finish(struct symtab *st);

size_t symtab_count(const struct symtab *st);
/* The i-th symbol in address order. */
const struct sym *symtab_get(const struct symtab *st, size_t i);
const char *symtab_name(const struct symtab *st, const struct sym *s);

/*
 * The symbol containing addr: the last one at or below it (the first
 * added of several at one address). *size runs to the next higher
 * symbol's address (0 for the last symbol). Any out pointer may be NULL.
 */
struct kdk_error *sym_lookup_addr(const struct symtab *st, uint64_t addr,
				  const char **name, uint64_t *offset,
				  uint64_t *size);

/* The address of name; a global symbol wins over local ones of the same
 * name, then the lowest address. */
struct kdk_error *sym_lookup_name(const struct symtab *st, const char *name,
				  uint64_t *addr);
/* The symbol sym_lookup_addr names for addr, or NULL. */
const struct sym *sym_find_addr(const struct symtab *st, uint64_t addr);
/* The same, with the symbol itself. */
const struct sym *sym_find_name(const struct symtab *st, const char *name);

#endif
