/* What an evaluation allocates (nodes, made types, bytes), kept in one
 * list of blocks and freed at once; and the types it makes: C's base
 * types and pointers to anything. */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_ast.h"

struct ctx_block {
	struct ctx_block *next;
	max_align_t align[];
};

void *ctx_alloc(struct expr_ctx *ctx, size_t n)
{
	struct ctx_block *b = calloc(1, sizeof(*b) + n);

	if (!b)
		return NULL;
	b->next = ctx->blocks;
	ctx->blocks = b;
	return b->align;
}

void expr_ctx_free(struct expr_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->blocks) {
		struct ctx_block *b = ctx->blocks;

		ctx->blocks = b->next;
		free(b);
	}
	free(ctx);
}

struct type *expr_new_type(struct expr_ctx *ctx)
{
	struct type *t = ctx_alloc(ctx, sizeof(*t));

	if (t)
		t->filled = true;	/* nothing for a source to fill */
	return t;
}

struct type *expr_pointer_to(struct expr_ctx *ctx, struct type *to)
{
	struct type *t = expr_new_type(ctx);

	if (!t)
		return NULL;
	t->kind = TYPE_POINTER;
	t->size = 8;		/* x86_64 and arm64 */
	t->target = to;
	return t;
}

static const struct {
	const char *name;
	enum type_kind kind;
	uint64_t size;
	bool is_signed, is_char;
} bases[] = {
	{ "char", TYPE_INT, 1, true, true },
	{ "signed char", TYPE_INT, 1, true, true },
	{ "unsigned char", TYPE_INT, 1, false, true },
	{ "short", TYPE_INT, 2, true, false },
	{ "unsigned short", TYPE_INT, 2, false, false },
	{ "int", TYPE_INT, 4, true, false },
	{ "unsigned int", TYPE_INT, 4, false, false },
	{ "long", TYPE_INT, 8, true, false },
	{ "unsigned long", TYPE_INT, 8, false, false },
	{ "long long", TYPE_INT, 8, true, false },
	{ "unsigned long long", TYPE_INT, 8, false, false },
	{ "_Bool", TYPE_BOOL, 1, false, false },
	{ "void", TYPE_VOID, 1, false, false },
};

struct type *expr_base_type(struct expr_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < sizeof(bases) / sizeof(*bases); i++) {
		struct type *t;

		if (strcmp(bases[i].name, name) != 0)
			continue;
		t = expr_new_type(ctx);
		if (!t)
			return NULL;
		t->kind = bases[i].kind;
		t->name = bases[i].name;
		t->size = bases[i].size;
		t->is_signed = bases[i].is_signed;
		t->is_char = bases[i].is_char;
		return t;
	}
	return NULL;
}
