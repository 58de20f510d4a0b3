/* The expression language of p without a dump: C's types of literals,
 * operators, pointer arithmetic, reads through the read hook, no-debug
 * symbols, and errors with their column. */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr.h"
#include "tap.h"

/* 0x1000..0x1100: bytes i at 0x1000 + i */
static struct kdk_error *fake_read(void *arg, uint64_t addr, void *buf,
				   size_t n)
{
	(void)arg;
	if (addr < 0x1000 || addr + n > 0x1100)
		return kdk_error(KDK_ERR_NOT_PRESENT, "reading 0x%" PRIx64,
				 addr);
	for (size_t i = 0; i < n; i++)
		((uint8_t *)buf)[i] = (uint8_t)(addr - 0x1000 + i);
	return NULL;
}

static struct expr_env env;

static uint64_t load(const struct expr_value *v)
{
	uint64_t x = 0;

	for (size_t i = 0; i < v->size && i < 8; i++)
		x |= (uint64_t)v->data[i] << (8 * i);
	return x;
}

static void value(const char *text, const char *type, uint64_t want)
{
	struct expr_ctx *ctx = NULL;
	struct expr_value v;
	struct kdk_error *err = expr_eval(&env, text, &ctx, &v);
	char *tn = NULL;

	if (!err)
		tn = type_name(v.type);
	ok(!err && tn && strcmp(tn, type) == 0 && load(&v) == want,
	   "'%s' is (%s) %#" PRIx64, text, type, want);
	if (err)
		printf("#   error: %s\n", err->msg);
	else
		printf("#   got (%s) %#" PRIx64 "\n", tn ? tn : "?", load(&v));
	kdk_error_free(err);
	free(tn);
	expr_ctx_free(ctx);
}

static void error(const char *text, const char *want)
{
	struct expr_ctx *ctx = NULL;
	struct expr_value v;
	struct kdk_error *err = expr_eval(&env, text, &ctx, &v);

	ok(err != NULL && strstr(err->msg, want) != NULL, "'%s': %s", text,
	   want);
	if (err)
		printf("#   got: %s\n", err->msg);
	kdk_error_free(err);
	expr_ctx_free(ctx);
}

int main(void)
{
	struct symtab *st = symtab_new();
	struct expr_ctx *ctx = NULL;
	struct expr_value v;
	struct kdk_error *err;

	symtab_add(st, "counter", 7, 0x1000, 'D');
	symtab_add(st, "func", 4, 0x2000, 'T');
	symtab_finish(st);
	env.symbols = st;
	env.read = fake_read;

	/* gdb's literal types */
	value("42", "int", 42);
	value("0x7fffffff", "int", 0x7fffffff);
	value("0xffffffff", "unsigned int", 0xffffffff);
	value("0x100000000", "long", 0x100000000);
	value("0xffffffffffffffff", "unsigned long", UINT64_MAX);
	value("017", "int", 15);
	value("5u", "unsigned int", 5);
	value("5l", "long", 5);
	value("'a'", "char", 'a');
	value("'\\n'", "char", '\n');
	/* operators with C's precedence and conversions */
	value("1 + 2 * 3", "int", 7);
	value("(1 + 2) * 3", "int", 9);
	value("-1", "int", 0xffffffff);
	value("~0", "int", 0xffffffff);
	value("!5", "int", 0);
	value("1u - 5", "unsigned int", 0xfffffffc);
	value("-7 / 2", "int", (uint32_t)-3);
	value("-7 % 2", "int", (uint32_t)-1);
	value("7u / 2", "unsigned int", 3);
	value("1l << 40", "long", 1ULL << 40);
	value("-1 < 0", "int", 1);
	value("-1 < 0u", "int", 0);	/* C: -1 becomes UINT_MAX */
	value("3 > 2 && 0", "int", 0);
	value("0 || 7", "int", 1);
	value("6 & 3 | 8 ^ 1", "int", 11);
	value("1 ? 2 : 3", "int", 2);
	value("0 ? 2 : 3", "int", 3);
	value("sizeof(int)", "unsigned long", 4);
	value("sizeof(long) * 2", "unsigned long", 16);
	value("sizeof(char *)", "unsigned long", 8);
	value("(char)0x141", "char", 0x41);
	value("(unsigned char)200", "unsigned char", 200);
	value("(int)0xffffffff", "int", 0xffffffff);
	value("(_Bool)7", "_Bool", 1);
	/* pointers: arithmetic in elements, reads through the hook */
	value("(int *)0x1000 + 2", "int *", 0x1008);
	value("(void *)0x1000 + 2", "void *", 0x1002);
	value("(long *)0x1010 - (long *)0x1000", "long", 2);
	value("*(unsigned char *)0x1005", "unsigned char", 5);
	value("*(unsigned short *)0x1002", "unsigned short", 0x0302);
	value("((unsigned int *)0x1000)[1]", "unsigned int", 0x07060504);
	value("1[(unsigned char *)0x1000]", "unsigned char", 1);
	value("&((unsigned int *)0x1000)[3]", "unsigned int *", 0x100c);
	value("*&*(unsigned char *)0x1009", "unsigned char", 9);
	value("(unsigned long)(int *)0x1000 == 0x1000", "int", 1);
	/* no-debug symbols: gdb's rules */
	value("(unsigned char)counter", "unsigned char", 0);
	value("(unsigned short)counter", "unsigned short", 0x0100);
	value("&counter", "<data variable, no debug info> *", 0x1000);
	value("&func", "<text variable, no debug info> *", 0x2000);
	err = expr_eval(&env, "func", &ctx, &v);
	ok(!err && v.type == NULL && v.nodebug == EXPR_NODEBUG_TEXT &&
	   v.addr == 0x2000, "a function without a type is gdb's text "
	   "variable");
	kdk_error_free(err);
	expr_ctx_free(ctx);

	/* errors, with where */
	error("counter", "'counter' has unknown type; cast it to its declared");
	error("counter + 1", "column 1: 'counter' has unknown type");
	error("nosuch", "column 1: no symbol \"nosuch\" in current context");
	error("1 +", "column 4: expected an expression at the end");
	error("(1", "column 3: expected ')'");
	error("1 2", "column 3: syntax error: unexpected '2'");
	error("1 @ 2", "column 3: unexpected character '@'");
	error("10 / 0", "column 4: division by zero");
	error("10 % (1 - 1)", "column 4: division by zero");
	error("1 << 40", "column 3: shift by 40");
	error("99999999999999999999", "column 1: numeric constant too large");
	error("0x", "column 1: invalid number");
	error("12ab", "column 1: invalid number");
	error("'a", "column 1: unterminated character constant");
	error("\"abc", "column 1: unterminated string");
	error("(struct page *)0", "column 2: no types are loaded");
	error("*5", "column 1: attempt to take contents of a non-pointer");
	error("*(void *)0x1000", "attempt to take contents of a void pointer");
	error("&5", "column 1: attempt to take the address of a value not");
	error("(5).x", "column 5: attempt to extract a member (x) of a value "
	      "that is not a struct or union (int)");
	error("5[6]", "column 2: cannot subscript");
	error("*(int *)0x9000", "cannot access memory at address 0x9000");
	error("a = 1", "column 3: assignment is not supported");
	error("$1", "column 1: value history ($N) is not kept");
	error("(float)1", "column 2: floating point is not supported");
	error("", "column 1: an expression is needed");
	error("sizeof(counter)", "'counter' has unknown type");

	symtab_free(st);
	return tap_done();
}
