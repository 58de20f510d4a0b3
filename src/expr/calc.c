/* Integer expressions for `eval`: a precedence-climbing parser that
 * evaluates as it parses (there is nothing to keep a tree for). */
#include "expr/calc.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Deep enough for any expression typed by hand, shallow enough that a
 * line of '(' cannot exhaust the stack. */
#define CALC_MAX_DEPTH 256

struct calc {
	const char *text;
	const char *p;
	const struct calc_hooks *hooks;
	int depth;
};

enum calc_op {
	OP_NONE, OP_OR, OP_XOR, OP_AND, OP_SHL, OP_SHR,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
};

/* C's binding strength; higher binds tighter. */
static const int op_prec[] = {
	[OP_OR] = 1, [OP_XOR] = 2, [OP_AND] = 3, [OP_SHL] = 4, [OP_SHR] = 4,
	[OP_ADD] = 5, [OP_SUB] = 5, [OP_MUL] = 6, [OP_DIV] = 6, [OP_MOD] = 6,
};

static int column(const struct calc *c, const char *at)
{
	return (int)(at - c->text) + 1;
}

__attribute__((format(printf, 3, 4)))
static struct kdk_error *calc_error(const struct calc *c, const char *at,
				    const char *fmt, ...);

static struct kdk_error *calc_error(const struct calc *c, const char *at,
				    const char *fmt, ...)
{
	struct kdk_error *err;
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err = kdk_error(KDK_ERR_USAGE, "column %d: %s", column(c, at), what);
	return err;
}

static void skip_space(struct calc *c)
{
	while (isspace((unsigned char)*c->p))
		c->p++;
}

/* The operator at c->p and its length, without consuming it. */
static enum calc_op peek_op(const struct calc *c, int *len)
{
	const char *p = c->p;

	*len = 1;
	switch (*p) {
	case '|': return OP_OR;
	case '^': return OP_XOR;
	case '&': return OP_AND;
	case '+': return OP_ADD;
	case '-': return OP_SUB;
	case '*': return OP_MUL;
	case '/': return OP_DIV;
	case '%': return OP_MOD;
	case '<':
		if (p[1] == '<') {
			*len = 2;
			return OP_SHL;
		}
		break;
	case '>':
		if (p[1] == '>') {
			*len = 2;
			return OP_SHR;
		}
		break;
	}
	return OP_NONE;
}

static int unit_shift(char ch)
{
	switch (ch) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	}
	return 0;
}

static bool is_word_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* Digits of base 10 or 16 in [p, end) into *out; the column of the first
 * bad digit or of the overflow on error. */
static struct kdk_error *convert(struct calc *c, const char *p,
				 const char *end, unsigned int base,
				 uint64_t *out)
{
	const char *start = p;
	uint64_t v = 0;

	for (; p < end; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			return calc_error(c, p, "'%c' is not a %s digit", *p,
					  base == 16 ? "hexadecimal" :
					  "decimal");
		if (v > (UINT64_MAX - d) / base)
			return calc_error(c, start, "number too large for 64 "
					  "bits");
		v = v * base + d;
	}
	*out = v;
	return NULL;
}

static bool all_hex(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!isxdigit((unsigned char)*p))
			return false;
	return true;
}

static bool all_decimal(const char *p, const char *end)
{
	for (; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/*
 * A number: 0x hex, else decimal with an optional unit, else, as crash
 * has it, hexadecimal "when obvious" (1f, ffff: hex digits only).
 */
static struct kdk_error *parse_number(struct calc *c, uint64_t *out)
{
	const char *start = c->p, *end = c->p, *digits_end;
	struct kdk_error *err;
	unsigned int base;
	int shift = 0;

	while (is_word_char(*end))
		end++;
	c->p = end;
	if (start[0] == '0' && (start[1] == 'x' || start[1] == 'X')) {
		digits_end = end;
		if (end - start > 3 && unit_shift(end[-1]))
			shift = unit_shift(*--digits_end);
		if (digits_end == start + 2)
			return calc_error(c, start, "no digits after '0x'");
		err = convert(c, start + 2, digits_end, 16, out);
	} else {
		digits_end = end;
		if (end - start > 1 && unit_shift(end[-1]) &&
		    all_decimal(start, end - 1))
			shift = unit_shift(*--digits_end);
		base = all_decimal(start, digits_end) ||
		       !all_hex(start, digits_end) ? 10 : 16;
		err = convert(c, start, digits_end, base, out);
	}
	if (err)
		return err;
	if (shift && *out >> (64 - shift))
		return calc_error(c, start, "number too large for 64 bits");
	*out <<= shift;
	return NULL;
}

static struct kdk_error *parse_word(struct calc *c, uint64_t *out)
{
	const char *start = c->p;
	struct kdk_error *err;
	size_t len;

	while (is_word_char(*c->p) || *c->p == '.')
		c->p++;
	len = c->p - start;
	if (c->hooks && c->hooks->symbol) {
		err = c->hooks->symbol(c->hooks->arg, start, len, out);
		if (!err)
			return NULL;
		if (err->code != KDK_ERR_NOT_FOUND || !all_hex(start, c->p))
			return kdk_error_wrap(err, "column %d",
					      column(c, start));
		kdk_error_free(err);
	}
	if (all_hex(start, c->p))
		return convert(c, start, c->p, 16, out);
	return calc_error(c, start, "'%.*s' is neither a number nor a known "
			  "symbol", (int)len, start);
}

static struct kdk_error *parse_binary(struct calc *c, int min_prec,
				      uint64_t *out);

static struct kdk_error *parse_unary(struct calc *c, uint64_t *out)
{
	struct kdk_error *err = NULL;
	const char *at;
	char op;

	skip_space(c);
	at = c->p;
	if (++c->depth > CALC_MAX_DEPTH)
		return calc_error(c, at, "expression nested too deeply");
	op = *c->p;
	if (op == '-' || op == '~' || op == '+' || op == '!') {
		c->p++;
		err = parse_unary(c, out);
		if (!err && op == '-')
			*out = -*out;
		else if (!err && op == '~')
			*out = ~*out;
		else if (!err && op == '!')
			*out = !*out;
	} else if (op == '(') {
		c->p++;
		err = parse_binary(c, 1, out);
		if (!err) {
			skip_space(c);
			if (*c->p != ')')
				err = calc_error(c, c->p, "expected ')' to "
						 "close the '(' at column %d",
						 column(c, at));
			else
				c->p++;
		}
	} else if (isdigit((unsigned char)op)) {
		err = parse_number(c, out);
	} else if (isalpha((unsigned char)op) || op == '_') {
		err = parse_word(c, out);
	} else if (op == '\0') {
		err = calc_error(c, at, "expression ends where a number was "
				 "expected");
	} else {
		err = calc_error(c, at, "expected a number, '(' or a unary "
				 "operator, not '%c'", op);
	}
	c->depth--;
	return err;
}

static struct kdk_error *apply(struct calc *c, const char *at,
			       enum calc_op op, uint64_t l, uint64_t r,
			       uint64_t *out)
{
	switch (op) {
	case OP_OR:  *out = l | r; break;
	case OP_XOR: *out = l ^ r; break;
	case OP_AND: *out = l & r; break;
	case OP_ADD: *out = l + r; break;
	case OP_SUB: *out = l - r; break;
	case OP_MUL: *out = l * r; break;
	case OP_SHL:
	case OP_SHR:
		if (r >= 64)
			return calc_error(c, at, "shift by %llu: more than "
					  "63 bits", (unsigned long long)r);
		*out = op == OP_SHL ? l << r : l >> r;
		break;
	case OP_DIV:
	case OP_MOD:
		if (r == 0)
			return calc_error(c, at, "division by zero");
		*out = op == OP_DIV ? l / r : l % r;
		break;
	case OP_NONE:
		break;
	}
	return NULL;
}

static struct kdk_error *parse_binary(struct calc *c, int min_prec,
				      uint64_t *out)
{
	struct kdk_error *err;
	uint64_t lhs, rhs;

	err = parse_unary(c, &lhs);
	if (err)
		return err;
	for (;;) {
		enum calc_op op;
		const char *at;
		int len;

		skip_space(c);
		at = c->p;
		op = peek_op(c, &len);
		if (op == OP_NONE || op_prec[op] < min_prec)
			break;
		c->p += len;
		err = parse_binary(c, op_prec[op] + 1, &rhs);
		if (!err)
			err = apply(c, at, op, lhs, rhs, &lhs);
		if (err)
			return err;
	}
	*out = lhs;
	return NULL;
}

struct kdk_error *calc_eval(const char *text, const struct calc_hooks *hooks,
			    uint64_t *out)
{
	struct calc c = { .text = text, .p = text, .hooks = hooks };
	struct kdk_error *err;
	uint64_t v;

	err = parse_binary(&c, 1, &v);
	if (err)
		return err;
	skip_space(&c);
	if (*c.p == ')')
		return calc_error(&c, c.p, "')' without a matching '('");
	if (*c.p)
		return calc_error(&c, c.p, "expected an operator, not '%c'",
				  *c.p);
	*out = v;
	return NULL;
}
