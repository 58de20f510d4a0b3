/* The session's alias table: builtins, definitions, redefinitions. */
#include <string.h>

#include "shell/alias.h"
#include "tap.h"

int main(void)
{
	struct alias_table *t = alias_table_new();
	const struct alias *a;
	struct kdk_error *err;
	size_t n;

	ok(t != NULL, "a new table");
	a = alias_find(t, "dmesg");
	ok(a && strcmp(a->expansion, "log") == 0 &&
	   a->origin == ALIAS_BUILTIN, "dmesg is a builtin alias of log");
	a = alias_find(t, "hex");
	is_str(a ? a->expansion : NULL, "set radix 16", "hex sets the radix");
	ok(!alias_find(t, "nosuch"), "unknown names are not found");

	n = alias_count(t);
	err = alias_set(t, "kl", "log | tail", ALIAS_RUNTIME);
	ok(!err && alias_count(t) == n + 1, "a definition adds one alias");
	a = alias_get(t, n);
	ok(a && strcmp(a->name, "kl") == 0 && a->origin == ALIAS_RUNTIME,
	   "  listed last, as defined at runtime");

	err = alias_set(t, "dmesg", "log -T", ALIAS_RUNTIME);
	a = alias_find(t, "dmesg");
	ok(!err && alias_count(t) == n + 1 && a &&
	   strcmp(a->expansion, "log -T") == 0 && a->origin == ALIAS_RUNTIME,
	   "a redefinition replaces, in place");
	ok(alias_get(t, alias_count(t)) == NULL, "past the end is NULL");
	alias_table_free(t);
	return tap_done();
}
