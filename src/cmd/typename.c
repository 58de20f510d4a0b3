#include "cmd/typename.h"

#include <stdlib.h>
#include <string.h>

#include "debuginfo/symtab.h"

static char *join(int n, char **words)
{
	size_t len = 1;
	char *all;

	for (int i = 0; i < n; i++)
		len += strlen(words[i]) + 1;
	all = malloc(len);
	if (!all)
		return NULL;
	all[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(all, " ");
		strcat(all, words[i]);
	}
	return all;
}

struct kdk_error *typename_resolve(struct session *s, int n, char **words,
				   struct typename_hit *out)
{
	struct kdk_error *err, *var_err;
	struct types *ts;
	char *name;

	memset(out, 0, sizeof(*out));
	err = session_types(s, &ts);
	if (err)
		return err;
	name = join(n, words);
	if (!name)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	/* as crash's whatis: a kernel symbol's name is the symbol (there
	 * is a variable softnet_data and a struct softnet_data) */
	if (n == 1) {
		err = types_find_var(ts, name, &out->type);
		if (!err) {
			out->symbol = name;
			return NULL;
		}
		if (s->symbols && sym_find_name(s->symbols, name)) {
			free(name);
			return err;
		}
		kdk_error_free(err);
	}
	err = types_find(ts, name, &out->type);
	if (!err) {
		free(name);
		return NULL;
	}
	var_err = types_find_var(ts, name, &out->type);
	if (!var_err) {
		kdk_error_free(err);
		out->symbol = name;
		return NULL;
	}
	kdk_error_free(var_err);
	kdk_error_free(err);
	err = kdk_error(KDK_ERR_NOT_FOUND, "cannot resolve: %s (no such type "
			"or symbol in the %s)", name, types_source_name(ts));
	free(name);
	return err;
}

void typename_hit_free(struct typename_hit *hit)
{
	free(hit->symbol);
	hit->symbol = NULL;
}
