/* Type definitions as gdb's ptype and crash's `struct` print them. */
#ifndef KDK_DEBUGINFO_TYPES_PRINT_H
#define KDK_DEBUGINFO_TYPES_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/json.h"
#include "debuginfo/types.h"

/* The definition of t: "struct list_head {\n    struct list_head
 * *next;\n ...}" with the body of structs, unions and enums (also under
 * a typedef: "typedef struct {...} atomic_t"). With offsets, crash's
 * `struct -o` layout: each member line starts with its byte offset as
 * "[N]". No newline after the last line's '}' or ';'. */
struct kdk_error *type_print_definition(FILE *out, struct type *t,
					bool offsets);

/* The definition of a declaration: "struct task_struct init_task",
 * "typedef struct spinlock {...} spinlock_t" as whatis prints it. */
struct kdk_error *type_print_decl(FILE *out, struct type *t, const char *name,
				  bool offsets);

/* crash's `struct -o NAME ADDR`: each member line starts with its
 * address, "[ffff88...]", instead of its offset. */
struct kdk_error *type_print_at(FILE *out, struct type *t, uint64_t address);

/* A definition as JSON: name, size, kind, members with their C type,
 * byte offset, size (and bit_offset/bit_size for bitfields); members of
 * anonymous type have their own "members". */
void type_json_definition(struct json_writer *w, struct type *t);

#endif
