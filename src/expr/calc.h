/* Integer expressions, as crash's `eval` takes them.
 *
 * C operators on unsigned 64-bit values with C precedence: unary - ~ + !,
 * then * / %, + -, << >>, &, ^, |, and parentheses (crash itself takes
 * one operator per parenthesized pair; this is a superset). Numbers are
 * decimal (a leading 0 too, as in crash), 0x hex, or hex "when obvious"
 * like crash: digits with a-f and nothing else (1f, ffff). Decimal and 0x
 * numbers may end in a unit: k/K (1024), m/M (1024^2), g/G (1024^3).
 * Arithmetic wraps modulo 2^64 as
 * C's unsigned long does; a literal that does not fit, a division by zero
 * and a shift by 64 or more are errors.
 *
 * Words that are not numbers (symbols) go to a hook, so that once symbols
 * exist `eval jiffies + 4` works without this file knowing them.
 */
#ifndef KDK_EXPR_CALC_H
#define KDK_EXPR_CALC_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* The value of the word name[0..len); KDK_ERR_NOT_FOUND if unknown. */
typedef struct kdk_error *calc_symbol_fn(void *arg, const char *name,
					 size_t len, uint64_t *value);

struct calc_hooks {
	calc_symbol_fn *symbol;		/* NULL: words are errors */
	void *arg;
};

/*
 * Evaluate text. Errors say where, as a 1-based column into text:
 *   "column 5: expected a number, '(' or a unary operator"
 */
struct kdk_error *calc_eval(const char *text, const struct calc_hooks *hooks,
			    uint64_t *out);

#endif
