/* The one type model: C types of the kernel, whatever they were read from.
 *
 * Everything above debuginfo/ sees only this: a struct type per C type,
 * found by name ("struct page", "page", "spinlock_t", "unsigned long") and
 * walked through its members. Where a type came from is the business of a
 * source behind struct type_source_ops: BTF today (types_btf.c: the kernel's
 * own BTF from the dump, or a vmlinux's .BTF section), DWARF later.
 *
 * Laziness: a source hands out types by its own key (a BTF type id; for
 * DWARF, a DIE's offset in .debug_info). A type is made the first time its
 * key is asked, shallow: kind, name, size, qualifiers and what it points
 * to or is made of (target), but not its members, enumerators or
 * parameters, which are filled by the source when someone first asks for
 * them (type_members() ...). So looking up task_struct does not read every
 * type task_struct can reach. Names are indexed once, by the source, on
 * the first lookup by name.
 *
 * How a DWARF loader fills the same model (the later task): implement
 * type_source_ops over libdw with DIE offsets as keys; `shallow` maps
 * DW_TAG_base_type to TYPE_INT/BOOL/FLOAT/char by DW_AT_encoding,
 * DW_TAG_pointer_type/array_type (DW_TAG_subrange_type's DW_AT_count or
 * upper_bound+1)/typedef/enumeration_type/structure_type/union_type/
 * subroutine_type to the kinds below, const/volatile/restrict_type to the
 * qualifier bits of a copy of the target (as BTF's CONST etc. are mapped),
 * DW_AT_declaration to `declared_only`; `members` reads DW_TAG_member with
 * DW_AT_data_member_location (or DW_AT_data_bit_offset) and DW_AT_bit_size;
 * `find` answers from the name index built once (in threads, cached by
 * build-id) over .debug_info. Nothing above this header changes.
 */
#ifndef KDK_DEBUGINFO_TYPES_H
#define KDK_DEBUGINFO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum type_kind {
	TYPE_VOID,
	TYPE_INT,		/* char is an int with is_char */
	TYPE_BOOL,
	TYPE_FLOAT,
	TYPE_ENUM,
	TYPE_POINTER,
	TYPE_ARRAY,
	TYPE_STRUCT,
	TYPE_UNION,
	TYPE_TYPEDEF,
	TYPE_FUNCTION,		/* a function's type: return and parameters */
};

enum type_qualifier {
	TYPE_CONST = 1 << 0,
	TYPE_VOLATILE = 1 << 1,
	TYPE_RESTRICT = 1 << 2,
};

struct type;

struct type_member {
	const char *name;		/* NULL: an unnamed struct or union */
	struct type *type;
	uint64_t bit_offset;		/* from the start of the outer type */
	uint32_t bit_size;		/* a bitfield's width; 0: not one */
};

struct type_enumerator {
	const char *name;
	int64_t value;			/* as the enum's signedness says */
};

struct type {
	enum type_kind kind;
	unsigned int qualifiers;	/* enum type_qualifier bits */
	const char *name;		/* "list_head", "u32"; NULL: anonymous */
	uint64_t size;			/* bytes (arrays: the whole array) */
	bool is_signed;			/* INT and ENUM */
	bool is_char;			/* INT: print as a character */
	bool declared_only;		/* struct/union without a body */
	bool variadic;			/* FUNCTION: ends with "..." */
	/* POINTER: pointee; ARRAY: element; TYPEDEF: the type named;
	 * FUNCTION: the return type; NULL for void. */
	struct type *target;
	uint64_t count;			/* ARRAY: elements (0: flexible) */

	/* Filled on first use, through type_members() and friends. */
	bool filled;
	size_t n_members;		/* STRUCT/UNION members, ENUM values,
					 * FUNCTION parameters */
	struct type_member *members;
	struct type_enumerator *enumerators;
	struct type **params;

	/* The source's own: which type this is. */
	uint64_t key;
	struct types *owner;
};

struct types;

/* A source of types (BTF, DWARF). Keys are the source's; errors name
 * what failed. */
struct type_source_ops {
	const char *name;		/* "BTF", "DWARF": for messages */
	/* The key of the type called name of kind want (TYPE_STRUCT,
	 * TYPE_UNION, TYPE_ENUM, TYPE_TYPEDEF, TYPE_INT, TYPE_FLOAT ...);
	 * false if there is none. A body wins over a declaration. */
	bool (*find)(void *src, const char *name, enum type_kind want,
		     uint64_t *key);
	/* Fill t's shallow part from key (t->key is set); targets come from
	 * types_by_key(). */
	struct kdk_error *(*shallow)(struct types *ts, void *src,
				     struct type *t);
	/* Fill t's members, enumerators or parameters. */
	struct kdk_error *(*fill)(struct types *ts, void *src, struct type *t);
	/* The type of a global variable (BTF: per-cpu ones only). */
	bool (*find_var)(void *src, const char *name, uint64_t *key);
	void (*free)(void *src);
	/* The key of the enum that has an enumerator called name (may be
	 * NULL: the source finds none). */
	bool (*find_enumerator)(void *src, const char *name, uint64_t *key);
};

/* A model over one source; it owns src (ops->free frees it). */
struct kdk_error *types_new(const struct type_source_ops *ops, void *src,
			    struct types **out);
void types_free(struct types *ts);
const char *types_source_name(const struct types *ts);

/* The model's type for a source key, made on first use. */
struct kdk_error *types_by_key(struct types *ts, uint64_t key,
			       struct type **out);

/* A type by its C name: "struct page", "union thread_union", "enum
 * pid_type", "page" (a struct, union, typedef, enum or base type of that
 * name, in this order), "spinlock_t", "unsigned long", and any of these
 * followed by '*'s ("struct page *"). KDK_ERR_NOT_FOUND if none. */
struct kdk_error *types_find(struct types *ts, const char *name,
			     struct type **out);

/* The type of a global variable; KDK_ERR_NOT_FOUND if the source does not
 * describe it (BTF describes only per-cpu variables). */
struct kdk_error *types_find_var(struct types *ts, const char *name,
				 struct type **out);

/* An enumerator by its name ("PIDTYPE_TGID"): its enum and value;
 * KDK_ERR_NOT_FOUND if no enum has it. */
struct kdk_error *types_find_enumerator(struct types *ts, const char *name,
					struct type **type, int64_t *value);

/* Members, enumerators or parameters of t, filled on first call. */
struct kdk_error *type_fill(struct type *t);

/* t without typedefs and qualifiers. */
struct type *type_strip(struct type *t);

/* A member path from the start of struct/union t: "pid", "se.load",
 * "mm_mt.ma_root", "pid_links[1].next"; members of unnamed structs and
 * unions are found as the compiler finds them. */
struct type_path_hit {
	struct type *type;		/* the last member's type */
	const char *name;		/* the last member's name */
	uint64_t bit_offset;		/* from the start of t */
	uint32_t bit_size;		/* a bitfield's, else 0 */
	int depth;			/* unnamed structs and unions crossed
					 * (for printing as gdb nests them) */
};
struct kdk_error *type_member_path(struct type *t, const char *path,
				   struct type_path_hit *out);

/* The C name of t, as gdb writes it: "struct list_head", "unsigned
 * long", "u32", "struct list_head *", "char [16]". Owned by the caller. */
char *type_name(struct type *t);

/* A declaration of name with type t: "struct list_head *next",
 * "char comm[16]", "void (*func)(struct callback_head *)". Owned by the
 * caller; name may be "" (then the same as type_name). */
char *type_declaration(struct type *t, const char *name);

/* Base types as DWARF (and pahole's BTF) name them, "long unsigned int",
 * and as gdb and users write them, "unsigned long": each to the other
 * (names with no other spelling come back as they are). */
const char *types_short_base_name(const char *name);

/* For the sources: make t (keyed by a const/volatile/restrict entry) a
 * copy of under with qualifiers q added; under NULL: void. A struct's,
 * union's, enum's or function's members are filled again for the copy,
 * on its own. */
void types_qualified_copy(struct type *t, const struct type *under,
			  unsigned int q);
const char *types_long_base_name(const char *name);

#endif
