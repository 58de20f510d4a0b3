#include "shell/alias.h"

#include <stdlib.h>
#include <string.h>

struct alias_table {
	struct alias *v;
	size_t n, cap;
};

/* crash's builtin aliases, less those for features kdumpkit leaves out
 * (scrolling through a pager, the gdb passthrough). */
static const char *const builtin_aliases[][2] = {
	{ "man", "help" },
	{ "?", "help" },
	{ "quit", "q" },
	{ "hex", "set radix 16" },
	{ "dec", "set radix 10" },
	{ "px", "p -x" },
	{ "pd", "p -d" },
	{ "for", "foreach" },
	{ "size", "*" },
	{ "dmesg", "log" },
	{ "lsmod", "mod" },
	{ "last", "ps -l" },
};

struct alias_table *alias_table_new(void)
{
	struct alias_table *t = calloc(1, sizeof(*t));
	size_t n = sizeof(builtin_aliases) / sizeof(builtin_aliases[0]);

	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct kdk_error *err = alias_set(t, builtin_aliases[i][0],
						  builtin_aliases[i][1],
						  ALIAS_BUILTIN);
		if (err) {
			kdk_error_free(err);
			alias_table_free(t);
			return NULL;
		}
	}
	return t;
}

void alias_table_free(struct alias_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].expansion);
	}
	free(t->v);
	free(t);
}

static struct alias *find(const struct alias_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

struct kdk_error *alias_set(struct alias_table *t, const char *name,
			    const char *expansion, enum alias_origin origin)
{
	struct alias *a = find(t, name);
	char *copy = strdup(expansion);

	if (!copy)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (a) {
		free(a->expansion);
		a->expansion = copy;
		a->origin = origin;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct alias *v = realloc(t->v, cap * sizeof(*v));

		if (!v) {
			free(copy);
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		}
		t->v = v;
		t->cap = cap;
	}
	a = &t->v[t->n];
	a->name = strdup(name);
	if (!a->name) {
		free(copy);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	a->expansion = copy;
	a->origin = origin;
	t->n++;
	return NULL;
}

const struct alias *alias_find(const struct alias_table *t, const char *name)
{
	return find(t, name);
}

size_t alias_count(const struct alias_table *t)
{
	return t->n;
}

const struct alias *alias_get(const struct alias_table *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}
