/* Inside expr/: the tokens, the tree the parser makes and the evaluation
 * context. Not for use outside src/expr/. */
#ifndef KDK_EXPR_EXPR_AST_H
#define KDK_EXPR_EXPR_AST_H

#include "expr/expr.h"

enum node_kind {
	N_INT,		/* num, type */
	N_STRING,	/* str, len */
	N_SYMBOL,	/* str */
	N_UNARY,	/* op a: '&' '*' '-' '~' '!' '+' */
	N_BINARY,	/* op a b; ops of two chars as OP_* */
	N_COND,		/* a ? b : c */
	N_CAST,		/* (type) a */
	N_SIZEOF_TYPE,	/* type */
	N_SIZEOF,	/* a */
	N_MEMBER,	/* a.str, a->str (op '.' or OP_ARROW) */
	N_INDEX,	/* a[b] */
};

enum {
	OP_ARROW = 256, OP_SHL, OP_SHR, OP_LE, OP_GE, OP_EQ, OP_NE, OP_AND,
	OP_OR,
};

struct node {
	enum node_kind kind;
	int col;		/* 1-based, into the text */
	int op;
	struct node *a, *b, *c;
	uint64_t num;
	struct type *type;
	char *str;
	size_t len;
};

/* Everything an evaluation allocates, freed at once. */
struct expr_ctx {
	const struct expr_env *env;
	const char *text;
	struct ctx_block *blocks;
};

void *ctx_alloc(struct expr_ctx *ctx, size_t n);

/* The base types of C, made for this evaluation: "int", "unsigned
 * long" ... (names as gdb writes them); NULL: not a base type name. */
struct type *expr_base_type(struct expr_ctx *ctx, const char *name);

/* Parse ctx->text into *out. */
struct kdk_error *expr_parse_text(struct expr_ctx *ctx, struct node **out);

/* "column N: ..." */
struct kdk_error *expr_error(int col, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
