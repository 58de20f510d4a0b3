/* Evaluation of the tree expr_parse.c makes: C's rules (integer
 * promotions, the usual arithmetic conversions, pointer arithmetic) on
 * 64-bit values, lvalues read from the kernel's memory only when their
 * value is needed. Messages are gdb's where gdb has one. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_ast.h"

/* A value while evaluating. */
struct xv {
	struct type *type;		/* NULL: a no-debug symbol */
	enum expr_nodebug nodebug;
	const char *sym;		/* its name, for messages */
	bool lval;
	uint64_t addr;
	uint32_t bit_off, bit_size;	/* a bitfield at addr */
	uint64_t v;			/* an rvalue scalar, canonical: sign-
					 * extended for signed types */
	uint8_t *bytes;			/* an rvalue array (a string) */
};

/* Reads are skipped under sizeof. */
struct eval {
	struct expr_ctx *ctx;
	bool noread;
};

static struct kdk_error *eval(struct eval *e, struct node *n, struct xv *out);

static struct kdk_error *oom(void)
{
	return kdk_error(KDK_ERR_NOMEM, "out of memory");
}

static struct type *strip(struct type *t)
{
	return type_strip(t);
}

static bool is_integer(struct type *t)
{
	t = strip(t);
	return t && (t->kind == TYPE_INT || t->kind == TYPE_BOOL ||
		     t->kind == TYPE_ENUM);
}

static bool is_pointer(struct type *t)
{
	t = strip(t);
	return t && t->kind == TYPE_POINTER;
}

static bool is_signed(struct type *t)
{
	t = strip(t);
	return t && (t->kind == TYPE_INT || t->kind == TYPE_ENUM) &&
	       t->is_signed;
}

/* v as a value of type t: cut to its size, sign-extended if signed. */
static uint64_t canon(struct type *t, uint64_t v)
{
	struct type *s = strip(t);
	unsigned int bits = s && s->size < 8 ? (unsigned int)s->size * 8 : 64;

	if (s && s->kind == TYPE_BOOL)
		return v != 0;
	if (bits < 64) {
		v &= (1ULL << bits) - 1;
		if (is_signed(t) && v >> (bits - 1) & 1)
			v |= ~0ULL << bits;
	}
	return v;
}

static struct kdk_error *read_mem(struct eval *e, uint64_t addr, void *buf,
				  size_t n, int col)
{
	const struct expr_env *env = e->ctx->env;
	struct kdk_error *err;

	if (e->noread) {
		memset(buf, 0, n);
		return NULL;
	}
	if (!env->read)
		return expr_error(col, "no memory to read");
	err = env->read(env->arg, addr, buf, n);
	if (err)
		return kdk_error_wrap(err, "column %d: cannot access memory at "
				      "address 0x%" PRIx64, col, addr);
	return NULL;
}

static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static struct xv rvalue(struct type *t, uint64_t v)
{
	struct xv x = { .type = t, .v = canon(t, v) };

	return x;
}

static struct type *base(struct eval *e, const char *name)
{
	return expr_base_type(e->ctx, name);
}

static struct type *nodebug_type(struct eval *e, enum expr_nodebug nd)
{
	struct type *t = expr_new_type(e->ctx);

	if (!t)
		return NULL;
	t->kind = TYPE_INT;
	t->size = 4;
	t->is_signed = true;
	t->name = nd == EXPR_NODEBUG_TEXT ? "<text variable, no debug info>"
					  : "<data variable, no debug info>";
	return t;
}

/* The value of x as a scalar: an lvalue read, an array or function made
 * a pointer to its start. Structs stay as they are. */
static struct kdk_error *load(struct eval *e, struct xv *x, int col)
{
	struct type *s;
	uint8_t buf[16];

	if (x->nodebug == EXPR_NODEBUG_DATA)
		return expr_error(col, "'%s' has unknown type; cast it to its "
				  "declared type", x->sym);
	if (x->nodebug == EXPR_NODEBUG_TEXT) {
		struct type *t = nodebug_type(e, EXPR_NODEBUG_TEXT);

		*x = rvalue(t ? expr_pointer_to(e->ctx, t) : NULL, x->addr);
		return x->type ? NULL : oom();
	}
	s = strip(x->type);
	if (!s || s->kind == TYPE_VOID)
		return expr_error(col, "a void value has no value");
	if (s->kind == TYPE_ARRAY || s->kind == TYPE_FUNCTION) {
		struct type *p;

		if (!x->lval)
			return expr_error(col, "the string is not in the "
					  "dump's memory");
		p = expr_pointer_to(e->ctx, s->kind == TYPE_ARRAY ?
				    s->target : x->type);
		if (!p)
			return oom();
		*x = rvalue(p, x->addr);
		return NULL;
	}
	if (s->kind == TYPE_STRUCT || s->kind == TYPE_UNION || !x->lval)
		return NULL;
	if (x->bit_size) {
		size_t n = (x->bit_off + x->bit_size + 7) / 8;
		uint64_t v = 0;
		struct kdk_error *err;

		if (n > sizeof(buf))
			return expr_error(col, "bitfield too wide");
		err = read_mem(e, x->addr, buf, n, col);
		if (err)
			return err;
		for (uint32_t i = 0; i < x->bit_size; i++) {
			uint32_t b = x->bit_off + i;

			if (buf[b / 8] >> (b % 8) & 1)
				v |= 1ULL << i;
		}
		if (is_signed(x->type) && x->bit_size < 64 &&
		    v >> (x->bit_size - 1) & 1)
			v |= ~0ULL << x->bit_size;
		*x = (struct xv){ .type = x->type, .v = v };
		return NULL;
	}
	if (s->size > 8)
		return expr_error(col, "a %" PRIu64 "-byte value is not a "
				  "number", s->size);
	{
		struct kdk_error *err = read_mem(e, x->addr, buf, s->size, col);

		if (err)
			return err;
	}
	*x = rvalue(x->type, load_le(buf, s->size));
	return NULL;
}

static struct kdk_error *scalar(struct eval *e, struct xv *x, int col)
{
	struct kdk_error *err = load(e, x, col);
	struct type *s;

	if (err)
		return err;
	s = strip(x->type);
	if (s && (s->kind == TYPE_STRUCT || s->kind == TYPE_UNION))
		return expr_error(col, "a %s is not a number",
				  s->kind == TYPE_STRUCT ? "struct" : "union");
	return NULL;
}

/* C's integer promotion of one operand, or the usual arithmetic
 * conversion of two: int, unsigned int, long or unsigned long. */
static struct type *arith_type(struct eval *e, struct type *a, struct type *b)
{
	struct type *sa = strip(a), *sb = b ? strip(b) : NULL;
	uint64_t size = sa->size;
	bool uns;

	if (sb && sb->size > size)
		size = sb->size;
	if (size < 4)
		size = 4;
	uns = (sa->size == size && !is_signed(a)) ||
	      (sb && sb->size == size && !is_signed(b));
	if (size == 8)
		return base(e, uns ? "unsigned long" : "long");
	return base(e, uns ? "unsigned int" : "int");
}

static uint64_t target_size(struct type *ptr)
{
	struct type *to = strip(strip(ptr)->target);

	if (!to || to->kind == TYPE_VOID || to->kind == TYPE_FUNCTION)
		return 1;	/* gdb's void * arithmetic */
	return to->size;
}

static struct kdk_error *deref(struct eval *e, struct xv *x, int col)
{
	struct kdk_error *err;
	struct type *to;

	if (x->nodebug == EXPR_NODEBUG_TEXT)
		return NULL;	/* *schedule is schedule, as in C */
	err = scalar(e, x, col);
	if (err)
		return err;
	if (!is_pointer(x->type))
		return expr_error(col, "attempt to take contents of a "
				  "non-pointer value");
	to = strip(x->type)->target;
	if (!strip(to) || strip(to)->kind == TYPE_VOID)
		return expr_error(col, "attempt to take contents of a void "
				  "pointer");
	if (to->name && to->name[0] == '<') {
		/* &nodebug_symbol: gdb's no-debug types */
		*x = (struct xv){ .nodebug = strcmp(to->name, "<text variable, "
						    "no debug info>") == 0 ?
					     EXPR_NODEBUG_TEXT :
					     EXPR_NODEBUG_DATA,
				  .sym = "the symbol", .lval = true,
				  .addr = x->v };
		return NULL;
	}
	*x = (struct xv){ .type = to, .lval = true, .addr = x->v };
	return NULL;
}

static struct kdk_error *member(struct eval *e, struct node *n, struct xv *x)
{
	struct type_path_hit hit;
	struct kdk_error *err;
	struct type *s = strip(x->type);
	char *tn;

	/* gdb takes a.b through a pointer and p->b on a struct alike */
	if (s && s->kind == TYPE_POINTER) {
		if ((err = deref(e, x, n->col)))
			return err;
		s = strip(x->type);
	}
	if (x->nodebug)
		return expr_error(n->col, "'%s' has unknown type; cast it to "
				  "its declared type", x->sym);
	if (!s || (s->kind != TYPE_STRUCT && s->kind != TYPE_UNION)) {
		tn = type_name(x->type);
		err = expr_error(n->col, "attempt to extract a member (%s) of "
				 "a value that is not a struct or union (%s)",
				 n->str, tn ? tn : "?");
		free(tn);
		return err;
	}
	if (s->declared_only) {
		tn = type_name(s);
		err = expr_error(n->col, "%s has only its declaration in the "
				 "types", tn ? tn : "?");
		free(tn);
		return err;
	}
	err = type_member_path(s, n->str, &hit);
	if (err) {
		kdk_error_free(err);
		tn = type_name(s);
		err = expr_error(n->col, "there is no member named %s in %s",
				 n->str, tn ? tn : "?");
		free(tn);
		return err;
	}
	if (!x->lval)
		return expr_error(n->col, "the value is not in memory");
	x->type = hit.type;
	x->addr += hit.bit_offset / 8;
	x->bit_off = hit.bit_size ? hit.bit_offset % 8 : 0;
	x->bit_size = hit.bit_size;
	return NULL;
}

static struct kdk_error *pointer_add(struct eval *e, struct xv *p,
				     struct xv *i, bool minus, int col,
				     struct xv *out)
{
	uint64_t size = target_size(p->type);

	(void)e;
	(void)col;
	*out = rvalue(p->type, minus ? p->v - i->v * size
				       : p->v + i->v * size);
	return NULL;
}

static struct kdk_error *index_of(struct eval *e, struct node *n,
				  struct xv *out)
{
	struct xv a, b;
	struct kdk_error *err;

	if ((err = eval(e, n->a, &a)) || (err = scalar(e, &a, n->a->col)) ||
	    (err = eval(e, n->b, &b)) || (err = scalar(e, &b, n->b->col)))
		return err;
	if (is_integer(a.type) && is_pointer(b.type)) {
		struct xv t = a;

		a = b;
		b = t;
	}
	if (!is_pointer(a.type) || !is_integer(b.type))
		return expr_error(n->col, "cannot subscript something that "
				  "is not an array or a pointer");
	if ((err = pointer_add(e, &a, &b, false, n->col, out)))
		return err;
	return deref(e, out, n->col);
}

static struct kdk_error *address_of(struct eval *e, struct node *n,
				    struct xv *x)
{
	struct type *t;

	if (x->nodebug) {
		t = nodebug_type(e, x->nodebug);
	} else {
		if (!x->lval)
			return expr_error(n->col, "attempt to take the "
					  "address of a value not in memory");
		if (x->bit_size)
			return expr_error(n->col, "attempt to take the "
					  "address of a bitfield");
		t = x->type;
	}
	t = expr_pointer_to(e->ctx, t);
	if (!t)
		return oom();
	*x = rvalue(t, x->addr);
	return NULL;
}

static struct kdk_error *unary(struct eval *e, struct node *n, struct xv *out)
{
	struct kdk_error *err = eval(e, n->a, out);
	struct type *t;

	if (err)
		return err;
	switch (n->op) {
	case '&':
		return address_of(e, n, out);
	case '*':
		return deref(e, out, n->col);
	default:
		break;
	}
	if ((err = scalar(e, out, n->a->col)))
		return err;
	if (n->op == '!') {
		*out = rvalue(base(e, "int"), out->v == 0);
		return NULL;
	}
	if (!is_integer(out->type))
		return expr_error(n->col, "the operand of '%c' is not an "
				  "integer", n->op);
	t = arith_type(e, out->type, NULL);
	if (n->op == '-')
		*out = rvalue(t, -out->v);
	else if (n->op == '~')
		*out = rvalue(t, ~out->v);
	else
		*out = rvalue(t, out->v);
	return NULL;
}

static struct kdk_error *compare(struct eval *e, int op, struct xv *a,
				 struct xv *b, struct xv *out)
{
	bool sgn = false, r;

	if (is_integer(a->type) && is_integer(b->type))
		sgn = is_signed(arith_type(e, a->type, b->type));
	switch (op) {
	case '<': r = sgn ? (int64_t)a->v < (int64_t)b->v : a->v < b->v; break;
	case '>': r = sgn ? (int64_t)a->v > (int64_t)b->v : a->v > b->v; break;
	case OP_LE: r = sgn ? (int64_t)a->v <= (int64_t)b->v : a->v <= b->v;
		break;
	case OP_GE: r = sgn ? (int64_t)a->v >= (int64_t)b->v : a->v >= b->v;
		break;
	case OP_EQ: r = a->v == b->v; break;
	default: r = a->v != b->v; break;
	}
	*out = rvalue(base(e, "int"), r);
	return NULL;
}

static struct kdk_error *binary(struct eval *e, struct node *n,
				struct xv *out)
{
	struct xv a, b;
	struct kdk_error *err;
	struct type *t;
	uint64_t r;
	bool sgn;

	if ((err = eval(e, n->a, &a)) || (err = scalar(e, &a, n->a->col)))
		return err;
	if (n->op == OP_AND || n->op == OP_OR) {
		/* C's short circuit: the right side is not evaluated */
		if ((n->op == OP_AND) == (a.v == 0)) {
			*out = rvalue(base(e, "int"), n->op == OP_OR);
			return NULL;
		}
		if ((err = eval(e, n->b, &b)) ||
		    (err = scalar(e, &b, n->b->col)))
			return err;
		*out = rvalue(base(e, "int"), b.v != 0);
		return NULL;
	}
	if ((err = eval(e, n->b, &b)) || (err = scalar(e, &b, n->b->col)))
		return err;
	if (n->op == '<' || n->op == '>' || n->op == OP_LE ||
	    n->op == OP_GE || n->op == OP_EQ || n->op == OP_NE)
		return compare(e, n->op, &a, &b, out);
	if (n->op == '+' && is_integer(a.type) && is_pointer(b.type))
		return pointer_add(e, &b, &a, false, n->col, out);
	if ((n->op == '+' || n->op == '-') && is_pointer(a.type) &&
	    is_integer(b.type))
		return pointer_add(e, &a, &b, n->op == '-', n->col, out);
	if (n->op == '-' && is_pointer(a.type) && is_pointer(b.type)) {
		uint64_t sa = target_size(a.type), sb = target_size(b.type);

		if (sa != sb)
			return expr_error(n->col, "first argument of '-' is a "
					  "pointer and second argument is "
					  "neither an integer nor a pointer of "
					  "the same type");
		*out = rvalue(base(e, "long"),
			      (uint64_t)((int64_t)(a.v - b.v) / (int64_t)sa));
		return NULL;
	}
	if (!is_integer(a.type) || !is_integer(b.type))
		return expr_error(n->col, "argument to arithmetic operation "
				  "not a number or boolean");
	t = n->op == OP_SHL || n->op == OP_SHR ? arith_type(e, a.type, NULL)
					       : arith_type(e, a.type, b.type);
	sgn = is_signed(t);
	a.v = canon(t, a.v);
	b.v = canon(n->op == OP_SHL || n->op == OP_SHR ? b.type : t, b.v);
	switch (n->op) {
	case '+': r = a.v + b.v; break;
	case '-': r = a.v - b.v; break;
	case '*': r = a.v * b.v; break;
	case '/':
	case '%':
		if (b.v == 0)
			return expr_error(n->col, "division by zero");
		if (sgn && (int64_t)b.v == -1)
			r = n->op == '/' ? -a.v : 0;
		else if (sgn)
			r = (uint64_t)(n->op == '/' ? (int64_t)a.v / (int64_t)b.v
						    : (int64_t)a.v % (int64_t)b.v);
		else
			r = n->op == '/' ? a.v / b.v : a.v % b.v;
		break;
	case OP_SHL:
	case OP_SHR:
		if (b.v >= strip(t)->size * 8)
			return expr_error(n->col, "shift by %" PRIu64 " is "
					  "not smaller than the width of %s",
					  b.v, strip(t)->name);
		if (n->op == OP_SHL)
			r = a.v << b.v;
		else
			r = sgn ? (uint64_t)((int64_t)a.v >> b.v) : a.v >> b.v;
		break;
	case '&': r = a.v & b.v; break;
	case '|': r = a.v | b.v; break;
	default: r = a.v ^ b.v; break;
	}
	*out = rvalue(t, r);
	return NULL;
}

static struct kdk_error *cast(struct eval *e, struct node *n, struct xv *out)
{
	struct kdk_error *err = eval(e, n->a, out);
	struct type *to = strip(n->type);

	if (err)
		return err;
	/* a no-debug symbol is read as the type it is cast to (gdb) */
	if (out->nodebug == EXPR_NODEBUG_DATA) {
		*out = (struct xv){ .type = n->type, .lval = true,
				    .addr = out->addr };
		return NULL;
	}
	if (to->kind == TYPE_STRUCT || to->kind == TYPE_UNION ||
	    to->kind == TYPE_ARRAY) {
		if (!out->lval || out->bit_size)
			return expr_error(n->col, "invalid cast: the value is "
					  "not in memory");
		out->type = n->type;
		return NULL;
	}
	if (to->kind == TYPE_VOID) {
		*out = (struct xv){ .type = n->type };
		return NULL;
	}
	if ((err = scalar(e, out, n->a->col)))
		return err;
	*out = rvalue(n->type, out->v);
	return NULL;
}

/* The type of a global named name, and whether gdb would know one. */
static struct kdk_error *symbol(struct eval *e, struct node *n,
				struct xv *out)
{
	const struct expr_env *env = e->ctx->env;
	const struct sym *sym = env->symbols ? sym_find_name(env->symbols,
							     n->str) : NULL;
	struct type *t = NULL;
	struct kdk_error *err;

	if (!sym && env->types) {
		int64_t value;

		/* an enumerator: PIDTYPE_TGID, NR_VM_ZONE_STAT_ITEMS */
		err = types_find_enumerator(env->types, n->str, &t, &value);
		if (!err) {
			*out = rvalue(t, (uint64_t)value);
			return NULL;
		}
		kdk_error_free(err);
	}
	if (!sym)
		return expr_error(n->col, "no symbol \"%s\" in current "
				  "context", n->str);
	*out = (struct xv){ .lval = true, .addr = sym->addr, .sym = n->str };
	if (env->types) {
		err = types_find_var(env->types, n->str, &t);
		if (err) {
			const struct sym *first = symtab_get(env->symbols, 0);
			size_t i = (size_t)(sym - first);
			const struct sym *nx;
			uint64_t next = 0;

			kdk_error_free(err);
			while ((nx = symtab_get(env->symbols, ++i)) != NULL)
				if (nx->addr > sym->addr) {
					next = nx->addr;
					break;
				}
			t = NULL;
			err = expr_global_type(env->types, e->ctx, n->str,
					       sym->addr, next, &t);
			if (err && err->code != KDK_ERR_NOT_FOUND)
				return kdk_error_wrap(err, "column %d", n->col);
			kdk_error_free(err);
		}
	}
	if (t) {
		out->type = t;
		return NULL;
	}
	out->nodebug = strchr("TtWw", sym->type) ? EXPR_NODEBUG_TEXT
						 : EXPR_NODEBUG_DATA;
	return NULL;
}

static struct kdk_error *eval(struct eval *e, struct node *n, struct xv *out)
{
	struct kdk_error *err;

	switch (n->kind) {
	case N_INT:
		*out = rvalue(n->type, n->num);
		return NULL;
	case N_STRING: {
		struct type *a = expr_new_type(e->ctx);

		if (!a)
			return oom();
		a->kind = TYPE_ARRAY;
		a->target = base(e, "char");
		a->count = n->len + 1;
		a->size = n->len + 1;
		*out = (struct xv){ .type = a, .bytes = (uint8_t *)n->str };
		return NULL;
	}
	case N_SYMBOL:
		return symbol(e, n, out);
	case N_UNARY:
		return unary(e, n, out);
	case N_BINARY:
		return binary(e, n, out);
	case N_COND:
		if ((err = eval(e, n->a, out)) ||
		    (err = scalar(e, out, n->a->col)))
			return err;
		return eval(e, out->v ? n->b : n->c, out);
	case N_CAST:
		return cast(e, n, out);
	case N_SIZEOF_TYPE:
	case N_SIZEOF: {
		struct type *t = n->type;

		if (n->kind == N_SIZEOF) {
			bool was = e->noread;

			e->noread = true;
			err = eval(e, n->a, out);
			e->noread = was;
			if (err)
				return err;
			if (out->nodebug)
				return expr_error(n->a->col, "'%s' has unknown "
						  "type; cast it to its "
						  "declared type", out->sym);
			t = out->type;
		}
		if (!strip(t) || strip(t)->kind == TYPE_VOID)
			*out = rvalue(base(e, "unsigned long"), 1);
		else
			*out = rvalue(base(e, "unsigned long"),
				      strip(t)->size);
		return NULL;
	}
	case N_MEMBER:
		if ((err = eval(e, n->a, out)))
			return err;
		return member(e, n, out);
	case N_INDEX:
		return index_of(e, n, out);
	}
	return expr_error(n->col, "unknown expression");
}

/* out's bytes: read from memory, or the rvalue's. */
static struct kdk_error *materialize(struct eval *e, struct xv *x,
				     struct expr_value *out)
{
	struct type *s = strip(x->type);
	struct kdk_error *err;
	uint64_t size;

	memset(out, 0, sizeof(*out));
	out->type = x->type;
	out->nodebug = x->nodebug;
	out->addr = x->addr;
	if (x->nodebug == EXPR_NODEBUG_DATA)
		return expr_error(1, "'%s' has unknown type; cast it to its "
				  "declared type", x->sym);
	if (x->nodebug || (s && s->kind == TYPE_FUNCTION)) {
		out->lvalue = true;
		return NULL;
	}
	if (x->lval && x->bit_size) {
		if ((err = load(e, x, 1)))
			return err;
	}
	size = s && s->kind != TYPE_VOID ? s->size : 0;
	if (size > (64u << 20))
		return expr_error(1, "a value of %" PRIu64 " bytes is too big "
				  "to show", size);
	out->size = size;
	out->data = ctx_alloc(e->ctx, size < 8 ? 8 : size);
	if (!out->data)
		return oom();
	if (x->lval) {
		out->lvalue = true;
		return size ? read_mem(e, x->addr, out->data, size, 1) : NULL;
	}
	if (x->bytes) {
		memcpy(out->data, x->bytes, size);
		return NULL;
	}
	for (int i = 0; i < 8; i++)
		out->data[i] = (uint8_t)(x->v >> (8 * i));
	return NULL;
}

struct kdk_error *expr_eval(const struct expr_env *env, const char *text,
			    struct expr_ctx **ctxp, struct expr_value *out)
{
	struct expr_ctx *ctx = calloc(1, sizeof(*ctx));
	struct eval e = { .ctx = ctx };
	struct kdk_error *err;
	struct node *root;
	struct xv x;

	if (!ctx)
		return oom();
	ctx->env = env;
	ctx->text = text;
	err = expr_parse_text(ctx, &root);
	if (!err)
		err = eval(&e, root, &x);
	if (!err)
		err = materialize(&e, &x, out);
	if (err) {
		expr_ctx_free(ctx);
		return err;
	}
	*ctxp = ctx;
	return NULL;
}
