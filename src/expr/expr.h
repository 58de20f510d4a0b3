/* C expressions as gdb (and so crash's `p`) takes them, evaluated against
 * the kernel in a dump: the language of p, px and pd.
 *
 *   literals     42 0x1f 017 'a' '\n' "text"       (gdb's types: int,
 *                unsigned int, long, unsigned long by value and suffix)
 *   symbols      init_task jiffies runqueues        (typed from the types'
 *                variables, else from expr_globals.c's table; a symbol
 *                without a known type is what gdb calls a no-debug symbol)
 *   postfix      a.b  p->b  a[i]                    ('.' through a pointer
 *                and '->' on a struct are accepted, as gdb does)
 *   unary        & * - ~ ! +  sizeof expr  sizeof(type)  (type) expr
 *   binary       * / %  + -  << >>  < <= > >=  == !=  &  ^  |  &&  ||
 *   ternary      c ? a : b
 *
 * Pointer arithmetic is scaled by the size of what is pointed to (void *:
 * 1, as gdb); a pointer minus a pointer is a count of elements. Values are
 * typed lvalues in kernel virtual memory, read when needed; an array used
 * as a value is a pointer to its first element. Errors say where, as a
 * 1-based column into the text: "column 11: there is no member named
 * nosuch in struct task_struct".
 */
#ifndef KDK_EXPR_EXPR_H
#define KDK_EXPR_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "debuginfo/types.h"

typedef struct kdk_error *expr_read_fn(void *arg, uint64_t addr, void *buf,
				       size_t n);

struct expr_env {
	struct types *types;		/* may be NULL: no types at all */
	const struct symtab *symbols;	/* may be NULL */
	expr_read_fn *read;		/* kernel virtual memory */
	void *arg;
};

/* What a symbol without a known type is, as gdb names it. */
enum expr_nodebug {
	EXPR_TYPED,
	EXPR_NODEBUG_TEXT,		/* {<text variable, no debug info>} */
	EXPR_NODEBUG_DATA,		/* has unknown type */
};

struct expr_value {
	struct type *type;		/* NULL only for a no-debug symbol */
	enum expr_nodebug nodebug;
	bool lvalue;			/* it lives at addr */
	uint64_t addr;
	/* The bytes of the value (type's size), read from addr or made by
	 * the evaluation; a bitfield's value is made into a whole one. */
	uint8_t *data;
	size_t size;
};

/* Owns the types and bytes an evaluation made. */
struct expr_ctx;

/* Evaluate text; *ctx (freed with expr_ctx_free) owns out's parts. On an
 * error nothing is left to free. */
struct kdk_error *expr_eval(const struct expr_env *env, const char *text,
			    struct expr_ctx **ctx, struct expr_value *out);
void expr_ctx_free(struct expr_ctx *ctx);

/* A pointer to t, owned by ctx (for values shown as "(T *) 0x..."). */
struct type *expr_pointer_to(struct expr_ctx *ctx, struct type *t);

/* The type of a kernel global that the types' source does not describe
 * (BTF has only per-cpu variables): from the table of the globals that
 * kernel helpers need (expr_globals.c). addr is the symbol's address and
 * next the next symbol's (for arrays sized by the image, 0: unknown).
 * KDK_ERR_NOT_FOUND if the table does not have name. */
struct kdk_error *expr_global_type(struct types *ts, struct expr_ctx *ctx,
				   const char *name, uint64_t addr,
				   uint64_t next, struct type **out);

/* Made types (expr_types.c): owned by ctx. */
struct type *expr_new_type(struct expr_ctx *ctx);

#endif
