/* The integer expressions of eval: values, precedence, errors with their
 * column, overflow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/calc.h"
#include "tap.h"

static void value(const char *text, uint64_t want)
{
	struct kdk_error *err;
	uint64_t got = 0;

	err = calc_eval(text, NULL, &got);
	ok(!err && got == want, "'%s' is %#llx", text,
	   (unsigned long long)want);
	if (err) {
		printf("#   error: %s\n", err->msg);
		kdk_error_free(err);
	} else if (got != want) {
		printf("#   got %#llx\n", (unsigned long long)got);
	}
}

static void error(const char *text, const char *want)
{
	struct kdk_error *err;
	uint64_t got = 0;

	err = calc_eval(text, NULL, &got);
	ok(err != NULL, "'%s' is refused", text);
	if (err) {
		is_str(err->msg, want, "  with '%s'", want);
		kdk_error_free(err);
	}
}

static struct kdk_error *symbol(void *arg, const char *name, size_t len,
				uint64_t *v)
{
	(void)arg;
	if (len == 7 && memcmp(name, "jiffies", 7) == 0) {
		*v = 0xffffffff82e05900ULL;
		return NULL;
	}
	return kdk_error(KDK_ERR_NOT_FOUND, "no symbol '%.*s'", (int)len,
			 name);
}

static void test_symbols(void)
{
	struct calc_hooks hooks = { .symbol = symbol };
	struct kdk_error *err;
	uint64_t v = 0;

	err = calc_eval("jiffies + 8", &hooks, &v);
	ok(!err && v == 0xffffffff82e05908ULL, "a symbol through the hook");
	kdk_error_free(err);
	err = calc_eval("ffff", &hooks, &v);
	ok(!err && v == 0xffff, "an unknown hex-looking word is a number");
	kdk_error_free(err);
	err = calc_eval("1 + nosuch", &hooks, &v);
	ok(err && strcmp(err->msg, "column 5: no symbol 'nosuch'") == 0,
	   "an unknown symbol's error has its column");
	kdk_error_free(err);
}

int main(void)
{
	/* Numbers, as crash reads them. */
	value("0", 0);
	value("42", 42);
	value("0x1000", 0x1000);
	value("0X1f", 0x1f);
	value("0777", 777);		/* decimal, as in crash */
	value("1f", 0x1f);		/* hex "when obvious" */
	value("ffff", 0xffff);
	value("4k", 4096);
	value("1m", 1 << 20);
	value("2G", 2ULL << 30);
	value("0x10k", 0x4000);
	value("18446744073709551615", UINT64_MAX);
	value("0xffffffffffffffff", UINT64_MAX);

	/* Operators and C precedence. */
	value("0x1000 + 16", 0x1010);
	value("(1 << 20) / 3", 349525);
	value("1 + 2 * 3", 7);
	value("(1 + 2) * 3", 9);
	value("10 - 2 - 3", 5);		/* left to right */
	value("100 / 10 / 5", 2);
	value("1 << 2 + 1", 8);		/* + binds tighter than << */
	value("1 | 2 ^ 3 & 1", 1 | (2 ^ (3 & 1)));
	value("6 & 3 | 8", (6 & 3) | 8);
	value("100 % 7", 2);
	value("-1", UINT64_MAX);
	value("~0", UINT64_MAX);
	value("--5", 5);
	value("!0 + !7", 1);
	value("-(2 * 3)", (uint64_t)-6);
	value("((((1))))", 1);
	value("  7  ", 7);
	value("1g / 1k", 1 << 20);

	/* Wrapping, as C's unsigned arithmetic. */
	value("0xffffffffffffffff + 1", 0);
	value("0 - 1", UINT64_MAX);
	value("0x8000000000000000 * 2", 0);
	value("1 << 63", 1ULL << 63);

	/* Errors, with the column they are found at. */
	error("", "column 1: expression ends where a number was expected");
	error("1 +", "column 4: expression ends where a number was expected");
	error("1 2", "column 3: expected an operator, not '2'");
	error("(1", "column 3: expected ')' to close the '(' at column 1");
	error("1)", "column 2: ')' without a matching '('");
	error("1 + * 2", "column 5: expected a number, '(' or a unary "
	      "operator, not '*'");
	error("10 / 0", "column 4: division by zero");
	error("10 % (1 - 1)", "column 4: division by zero");
	error("1 << 64", "column 3: shift by 64: more than 63 bits");
	error("0x", "column 1: no digits after '0x'");
	error("12z", "column 3: 'z' is not a decimal digit");
	error("0x1g2", "column 4: 'g' is not a hexadecimal digit");
	error("jiffies", "column 1: 'jiffies' is neither a number nor a "
	      "known symbol");

	/* Overflow of literals. */
	error("18446744073709551616", "column 1: number too large for 64 "
	      "bits");
	error("0x10000000000000000", "column 3: number too large for 64 "
	      "bits");
	error("17179869184g", "column 1: number too large for 64 bits");

	{
		char deep[1200];

		memset(deep, '(', sizeof(deep) - 1);
		deep[sizeof(deep) - 1] = '\0';
		struct kdk_error *err;
		uint64_t v;

		err = calc_eval(deep, NULL, &v);
		ok(err && strstr(err->msg, "nested too deeply"),
		   "deep nesting is refused, not a stack overflow");
		kdk_error_free(err);
	}
	test_symbols();
	return tap_done();
}
