/* The lexer and the parser of expr.h's language: precedence climbing over
 * C's operators, a tree of struct node. Type names (in casts and sizeof)
 * are resolved while parsing, because C's grammar needs to know whether
 * "(x)" is a cast. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_ast.h"

enum tok_kind { T_END, T_NUM, T_STR, T_IDENT, T_PUNCT };

struct tok {
	enum tok_kind kind;
	int col;
	int op;			/* T_PUNCT: a char or OP_* */
	uint64_t num;
	struct type *type;	/* T_NUM: int, unsigned int, long, char ... */
	const char *start;	/* T_IDENT: the name; T_STR: the bytes */
	size_t len;
	char *str;		/* T_STR: the bytes, NUL-terminated */
};

struct parser {
	struct expr_ctx *ctx;
	const char *s;
	size_t pos;		/* after cur */
	struct tok cur;
};

struct kdk_error *expr_error(int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kdk_error(KDK_ERR_USAGE, "column %d: %s", col, msg);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One escaped character after '\\' at s (which advances). */
static int unescape(const char **s)
{
	static const char from[] = "abfnrtve";
	static const char to[] = "\a\b\f\n\r\t\v\033";
	const char *p = *s;
	const char *hit;
	int v = 0;

	if (*p == 'x') {
		p++;
		while (hexval(*p) >= 0)
			v = v * 16 + hexval(*p++);
	} else if (*p >= '0' && *p <= '7') {
		for (int i = 0; i < 3 && *p >= '0' && *p <= '7'; i++)
			v = v * 8 + (*p++ - '0');
	} else if (*p && (hit = strchr(from, *p)) != NULL) {
		v = to[hit - from];
		p++;
	} else if (*p) {
		v = (unsigned char)*p++;
	}
	*s = p;
	return v & 0xff;
}

/* gdb's type for an integer constant: int or unsigned int if it fits 32
 * bits (unsigned when bit 31 is set), else long or unsigned long. */
static struct kdk_error *number(struct parser *ps, const char *p,
				const char **end, struct tok *t)
{
	unsigned int base = 10;
	uint64_t v = 0;
	bool is_unsigned = false, is_long = false;
	const char *q = p;

	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		base = 16;
		q += 2;
		if (hexval(*q) < 0)
			return expr_error(t->col, "invalid number");
	} else if (q[0] == '0') {
		base = 8;
	}
	for (; isalnum((unsigned char)*q); q++) {
		int d = hexval(*q);

		if (d < 0 || (unsigned int)d >= base)
			break;
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			return expr_error(t->col, "numeric constant too "
					  "large");
		v = v * base + (unsigned int)d;
	}
	for (; *q == 'u' || *q == 'U' || *q == 'l' || *q == 'L'; q++) {
		if (*q == 'u' || *q == 'U')
			is_unsigned = true;
		else
			is_long = true;
	}
	if (isalnum((unsigned char)*q) || *q == '_')
		return expr_error(t->col, "invalid number \"%.*s\"",
				  (int)(strcspn(p, " \t()+-*/%<>=!&|^~?:,[].")),
				  p);
	t->kind = T_NUM;
	t->num = v;
	if (!is_long && v >> 32 == 0)
		t->type = expr_base_type(ps->ctx, is_unsigned || v >> 31 ?
					 "unsigned int" : "int");
	else
		t->type = expr_base_type(ps->ctx, is_unsigned || v >> 63 ?
					 "unsigned long" : "long");
	*end = q;
	return NULL;
}

static struct kdk_error *string(struct parser *ps, const char *p,
				const char **end, struct tok *t)
{
	size_t cap = strlen(p) + 1, n = 0;
	char *buf = ctx_alloc(ps->ctx, cap);

	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	p++;
	while (*p && *p != '"') {
		if (*p == '\\') {
			p++;
			buf[n++] = (char)unescape(&p);
		} else {
			buf[n++] = *p++;
		}
	}
	if (*p != '"')
		return expr_error(t->col, "unterminated string");
	buf[n] = '\0';
	t->kind = T_STR;
	t->str = buf;
	t->len = n;
	*end = p + 1;
	return NULL;
}

static const char *const two_char[] = {
	"->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
};

/* Read the token at ps->pos into ps->cur. */
static struct kdk_error *next(struct parser *ps)
{
	const char *p = ps->s + ps->pos;
	struct tok *t = &ps->cur;
	const char *end = p;
	struct kdk_error *err = NULL;

	while (isspace((unsigned char)*p))
		p++;
	memset(t, 0, sizeof(*t));
	t->col = (int)(p - ps->s) + 1;
	if (!*p) {
		t->kind = T_END;
		end = p;
	} else if (isdigit((unsigned char)*p)) {
		err = number(ps, p, &end, t);
	} else if (isalpha((unsigned char)*p) || *p == '_' || *p == '$') {
		end = p + 1;
		while (isalnum((unsigned char)*end) || *end == '_')
			end++;
		t->kind = T_IDENT;
		t->start = p;
		t->len = (size_t)(end - p);
	} else if (*p == '\'') {
		const char *q = p + 1;
		int c;

		if (*q == '\\') {
			q++;
			c = unescape(&q);
		} else {
			c = (unsigned char)*q;
			if (*q)
				q++;
		}
		if (c == 0 && q == p + 1)
			return expr_error(t->col, "unterminated character "
					  "constant");
		if (*q != '\'')
			return expr_error(t->col, "unterminated character "
					  "constant");
		t->kind = T_NUM;
		t->num = (uint64_t)c;
		t->type = expr_base_type(ps->ctx, "char");
		end = q + 1;
	} else if (*p == '"') {
		err = string(ps, p, &end, t);
	} else {
		t->kind = T_PUNCT;
		t->op = (unsigned char)*p;
		end = p + 1;
		for (size_t i = 0; i < sizeof(two_char) / sizeof(*two_char);
		     i++)
			if (strncmp(p, two_char[i], 2) == 0) {
				t->op = OP_ARROW + (int)i;
				end = p + 2;
			}
		if (!strchr("+-*/%<>=!&|^~?:()[].", *p))
			return expr_error(t->col, "unexpected character "
					  "'%c'", *p);
		if (t->op == '=')
			return expr_error(t->col, "assignment is not "
					  "supported: the dump is read-only");
	}
	ps->pos = (size_t)(end - ps->s);
	return err;
}

static bool is_punct(const struct parser *ps, int op)
{
	return ps->cur.kind == T_PUNCT && ps->cur.op == op;
}

static bool is_word(const struct tok *t, const char *w)
{
	return t->kind == T_IDENT && t->len == strlen(w) &&
	       memcmp(t->start, w, t->len) == 0;
}

static struct node *new_node(struct parser *ps, enum node_kind kind, int col)
{
	struct node *n = ctx_alloc(ps->ctx, sizeof(*n));

	if (n) {
		n->kind = kind;
		n->col = col;
	}
	return n;
}

static char *tok_name(struct parser *ps, const struct tok *t)
{
	char *s = ctx_alloc(ps->ctx, t->len + 1);

	if (s) {
		memcpy(s, t->start, t->len);
		s[t->len] = '\0';
	}
	return s;
}

static const char *const type_words[] = {
	"struct", "union", "enum", "unsigned", "signed", "int", "long",
	"short", "char", "void", "_Bool", "float", "double", "const",
	"volatile",
};

/* Does the identifier t start a type name: a keyword of one, or a
 * typedef (or base type) the types know that is not also a symbol? */
static bool starts_type(struct parser *ps, const struct tok *t)
{
	const struct expr_env *env = ps->ctx->env;
	struct type *ty;
	struct kdk_error *err;
	char *name;
	bool yes;

	if (t->kind != T_IDENT)
		return false;
	for (size_t i = 0; i < sizeof(type_words) / sizeof(*type_words); i++)
		if (is_word(t, type_words[i]))
			return true;
	name = tok_name(ps, t);
	if (!name || !env->types)
		return false;
	if (env->symbols && sym_find_name(env->symbols, name))
		return false;
	err = types_find(env->types, name, &ty);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	/* "page" finds struct page, but C writes that "struct page" */
	yes = ty->kind != TYPE_STRUCT && ty->kind != TYPE_UNION &&
	      ty->kind != TYPE_ENUM;
	return yes;
}

static struct type *qualified(struct parser *ps, struct type *t,
			      unsigned int q)
{
	struct type *c;

	if (!q || !t)
		return t;
	if (t->kind == TYPE_STRUCT || t->kind == TYPE_UNION ||
	    t->kind == TYPE_ENUM)
		if (type_fill(t))
			return t;
	c = expr_new_type(ps->ctx);
	if (!c)
		return t;
	*c = *t;
	c->qualifiers |= q;
	return c;
}

/* The C name of a base type from its words, as gdb writes it. */
static const char *base_from_words(unsigned int n_long, bool u, bool sgn,
				   bool is_short, bool is_char)
{
	if (is_char)
		return u ? "unsigned char" : sgn ? "signed char" : "char";
	if (is_short)
		return u ? "unsigned short" : "short";
	if (n_long >= 2)
		return u ? "unsigned long long" : "long long";
	if (n_long == 1)
		return u ? "unsigned long" : "long";
	return u ? "unsigned int" : "int";
}

/* A type name: [qualifiers] (struct|union|enum NAME | base words |
 * typedef) ['*' [qualifiers]]... */
static struct kdk_error *parse_type(struct parser *ps, struct type **out)
{
	const struct expr_env *env = ps->ctx->env;
	struct type *t = NULL;
	unsigned int quals = 0, n_long = 0;
	bool u = false, sgn = false, is_short = false, is_char = false;
	bool words = false, is_void = false, is_bool = false;
	int col = ps->cur.col;
	struct kdk_error *err;

	for (;;) {
		struct tok *k = &ps->cur;

		if (is_word(k, "const")) {
			quals |= TYPE_CONST;
		} else if (is_word(k, "volatile")) {
			quals |= TYPE_VOLATILE;
		} else if (!t && !words && (is_word(k, "struct") ||
					    is_word(k, "union") ||
					    is_word(k, "enum"))) {
			char *tag = tok_name(ps, k), *full;
			int tcol = k->col;

			if ((err = next(ps)))
				return err;
			if (ps->cur.kind != T_IDENT)
				return expr_error(ps->cur.col, "expected a "
						  "name after '%s'", tag);
			if (!env->types)
				return expr_error(tcol, "no types are "
						  "loaded");
			full = ctx_alloc(ps->ctx, strlen(tag) + ps->cur.len +
					 2);
			if (!full)
				return kdk_error(KDK_ERR_NOMEM, "out of memory");
			sprintf(full, "%s %.*s", tag, (int)ps->cur.len,
				ps->cur.start);
			err = types_find(env->types, full, &t);
			if (err) {
				kdk_error_free(err);
				return expr_error(tcol, "no %s type named "
						  "%.*s", tag, (int)ps->cur.len,
						  ps->cur.start);
			}
		} else if (is_word(k, "unsigned")) {
			u = words = true;
		} else if (is_word(k, "signed")) {
			sgn = words = true;
		} else if (is_word(k, "long")) {
			n_long++;
			words = true;
		} else if (is_word(k, "short")) {
			is_short = words = true;
		} else if (is_word(k, "char")) {
			is_char = words = true;
		} else if (is_word(k, "int")) {
			words = true;
		} else if (is_word(k, "void")) {
			is_void = words = true;
		} else if (is_word(k, "_Bool")) {
			is_bool = words = true;
		} else if (is_word(k, "float") || is_word(k, "double")) {
			return expr_error(k->col, "floating point is not "
					  "supported");
		} else if (!t && !words && starts_type(ps, k)) {
			char *name = tok_name(ps, k);

			err = types_find(env->types, name, &t);
			if (err)
				return kdk_error_wrap(err, "column %d", k->col);
		} else {
			break;
		}
		if ((err = next(ps)))
			return err;
	}
	if (!t && !words)
		return expr_error(col, "expected a type");
	if (!t)
		t = expr_base_type(ps->ctx, is_void ? "void" : is_bool ?
				   "_Bool" : base_from_words(n_long, u, sgn,
							     is_short,
							     is_char));
	if (!t)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	t = qualified(ps, t, quals);
	while (is_punct(ps, '*')) {
		t = expr_pointer_to(ps->ctx, t);
		if (!t)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		if ((err = next(ps)))
			return err;
		quals = 0;
		while (is_word(&ps->cur, "const") ||
		       is_word(&ps->cur, "volatile")) {
			quals |= is_word(&ps->cur, "const") ? TYPE_CONST :
							      TYPE_VOLATILE;
			if ((err = next(ps)))
				return err;
		}
		t = qualified(ps, t, quals);
	}
	if (is_punct(ps, '(') || is_punct(ps, '['))
		return expr_error(ps->cur.col, "this form of type name is not "
				  "supported (write a pointer type)");
	*out = t;
	return NULL;
}

static struct kdk_error *expect(struct parser *ps, int op, const char *what)
{
	if (!is_punct(ps, op))
		return expr_error(ps->cur.col, "expected %s", what);
	return next(ps);
}

static struct kdk_error *parse_expr(struct parser *ps, struct node **out);
static struct kdk_error *parse_unary(struct parser *ps, struct node **out);

static struct kdk_error *parse_primary(struct parser *ps, struct node **out)
{
	struct tok t = ps->cur;
	struct kdk_error *err;
	struct node *n;

	switch (t.kind) {
	case T_NUM:
		n = new_node(ps, N_INT, t.col);
		if (!n)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		n->num = t.num;
		n->type = t.type;
		*out = n;
		return next(ps);
	case T_STR:
		n = new_node(ps, N_STRING, t.col);
		if (!n)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		n->str = t.str;
		n->len = t.len;
		*out = n;
		return next(ps);
	case T_IDENT:
		if (t.start[0] == '$')
			return expr_error(t.col, "value history ($N) is not "
					  "kept");
		n = new_node(ps, N_SYMBOL, t.col);
		if (!n || !(n->str = tok_name(ps, &t)))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		*out = n;
		return next(ps);
	case T_PUNCT:
		if (t.op == '(') {
			if ((err = next(ps)) || (err = parse_expr(ps, out)))
				return err;
			return expect(ps, ')', "')'");
		}
		break;
	case T_END:
		return expr_error(t.col, "expected an expression at the end");
	}
	return expr_error(t.col, "expected an expression");
}

static struct kdk_error *parse_postfix(struct parser *ps, struct node **out)
{
	struct kdk_error *err = parse_primary(ps, out);

	while (!err && ps->cur.kind == T_PUNCT) {
		int op = ps->cur.op, col = ps->cur.col;
		struct node *n;

		if (op != '.' && op != OP_ARROW && op != '[')
			break;
		n = new_node(ps, op == '[' ? N_INDEX : N_MEMBER, col);
		if (!n)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		n->op = op;
		n->a = *out;
		if ((err = next(ps)))
			return err;
		if (op == '[') {
			if ((err = parse_expr(ps, &n->b)) ||
			    (err = expect(ps, ']', "']'")))
				return err;
		} else {
			if (ps->cur.kind != T_IDENT)
				return expr_error(ps->cur.col, "expected a "
						  "member name");
			n->str = tok_name(ps, &ps->cur);
			n->col = ps->cur.col;
			if ((err = next(ps)))
				return err;
		}
		*out = n;
	}
	return err;
}

/* At '(' : is it a cast, "(type) ..."? Looks one token ahead. */
static bool paren_type_ahead(struct parser *ps)
{
	struct parser save = *ps;
	struct kdk_error *err = next(ps);
	bool yes = !err && starts_type(ps, &ps->cur);

	kdk_error_free(err);
	*ps = save;
	return yes;
}

static struct kdk_error *parse_unary(struct parser *ps, struct node **out)
{
	struct tok t = ps->cur;
	struct kdk_error *err;
	struct node *n;

	if (t.kind == T_PUNCT && strchr("&*-~!+", t.op) && t.op < 256) {
		n = new_node(ps, N_UNARY, t.col);
		if (!n)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		n->op = t.op;
		if ((err = next(ps)) || (err = parse_unary(ps, &n->a)))
			return err;
		*out = n;
		return NULL;
	}
	if (is_word(&t, "sizeof")) {
		if ((err = next(ps)))
			return err;
		if (is_punct(ps, '(') && paren_type_ahead(ps)) {
			n = new_node(ps, N_SIZEOF_TYPE, t.col);
			if (!n)
				return kdk_error(KDK_ERR_NOMEM,
						 "out of memory");
			if ((err = next(ps)) || (err = parse_type(ps, &n->type))
			    || (err = expect(ps, ')', "')'")))
				return err;
		} else {
			n = new_node(ps, N_SIZEOF, t.col);
			if (!n)
				return kdk_error(KDK_ERR_NOMEM,
						 "out of memory");
			if ((err = parse_unary(ps, &n->a)))
				return err;
		}
		*out = n;
		return NULL;
	}
	if (t.kind == T_PUNCT && t.op == '(' && paren_type_ahead(ps)) {
		n = new_node(ps, N_CAST, t.col);
		if (!n)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		if ((err = next(ps)) || (err = parse_type(ps, &n->type)) ||
		    (err = expect(ps, ')', "')' after the type")) ||
		    (err = parse_unary(ps, &n->a)))
			return err;
		*out = n;
		return NULL;
	}
	return parse_postfix(ps, out);
}

static int precedence(const struct tok *t)
{
	if (t->kind != T_PUNCT)
		return 0;
	switch (t->op) {
	case OP_OR: return 1;
	case OP_AND: return 2;
	case '|': return 3;
	case '^': return 4;
	case '&': return 5;
	case OP_EQ: case OP_NE: return 6;
	case '<': case '>': case OP_LE: case OP_GE: return 7;
	case OP_SHL: case OP_SHR: return 8;
	case '+': case '-': return 9;
	case '*': case '/': case '%': return 10;
	default: return 0;
	}
}

static struct kdk_error *parse_binary(struct parser *ps, int min,
				      struct node **out)
{
	struct kdk_error *err = parse_unary(ps, out);
	int prec;

	while (!err && (prec = precedence(&ps->cur)) >= min && prec > 0) {
		struct node *n = new_node(ps, N_BINARY, ps->cur.col);

		if (!n)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		n->op = ps->cur.op;
		n->a = *out;
		if ((err = next(ps)) ||
		    (err = parse_binary(ps, prec + 1, &n->b)))
			return err;
		*out = n;
	}
	return err;
}

static struct kdk_error *parse_expr(struct parser *ps, struct node **out)
{
	struct kdk_error *err = parse_binary(ps, 1, out);
	struct node *n;

	if (err || !is_punct(ps, '?'))
		return err;
	n = new_node(ps, N_COND, ps->cur.col);
	if (!n)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	n->a = *out;
	if ((err = next(ps)) || (err = parse_expr(ps, &n->b)) ||
	    (err = expect(ps, ':', "':'")) || (err = parse_expr(ps, &n->c)))
		return err;
	*out = n;
	return NULL;
}

struct kdk_error *expr_parse_text(struct expr_ctx *ctx, struct node **out)
{
	struct parser ps = { .ctx = ctx, .s = ctx->text };
	struct kdk_error *err = next(&ps);

	if (!err && ps.cur.kind == T_END)
		return expr_error(ps.cur.col, "an expression is needed");
	if (!err)
		err = parse_expr(&ps, out);
	if (!err && ps.cur.kind != T_END)
		err = expr_error(ps.cur.col, "syntax error: unexpected '%.*s'",
				 (int)strcspn(ps.s + ps.cur.col - 1, " \t"),
				 ps.s + ps.cur.col - 1);
	return err;
}
