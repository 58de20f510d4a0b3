/* Modules by name from modules.dep (moddep.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/moddep.h"

/* "kernel/drivers/block/virtio_blk.ko" -> "virtio_blk" in out. */
static void module_name(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[n] = '\0';
}

static bool same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !(strchr("-_", *a) && strchr("-_", *b)))
			return false;
	return *a == *b;
}

static struct kdk_error *append(struct moddep_list *l, const char *moddir,
				const char *rel)
{
	char *p, **np;

	if (asprintf(&p, "%s/%s", moddir, rel) < 0)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->paths[i], p) == 0) {
			free(p);
			return NULL;
		}
	np = realloc(l->paths, (l->n + 1) * sizeof(*np));
	if (!np) {
		free(p);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	l->paths = np;
	l->paths[l->n++] = p;
	return NULL;
}

struct kdk_error *moddep_add(const char *moddir, const char *name,
			     struct moddep_list *list)
{
	char file[1024], *line = NULL, mod[256];
	size_t cap = 0;
	struct kdk_error *err = NULL;
	bool found = false;
	FILE *f;

	snprintf(file, sizeof(file), "%s/modules.dep", moddir);
	f = fopen(file, "r");
	if (!f)
		return kdk_error_errno("reading %s", file);
	while (!found && getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':'), *deps[256], *save = NULL;
		int n = 0;

		if (!colon)
			continue;
		*colon = '\0';
		module_name(line, mod, sizeof(mod));
		if (!same_name(mod, name))
			continue;
		found = true;
		for (char *t = strtok_r(colon + 1, " \t\n", &save); t && n < 256;
		     t = strtok_r(NULL, " \t\n", &save))
			deps[n++] = t;
		while (n-- > 0 && !err)
			err = append(list, moddir, deps[n]);
		if (!err)
			err = append(list, moddir, line);
	}
	free(line);
	fclose(f);
	if (!err && !found)
		err = kdk_error(KDK_ERR_NOT_FOUND, "no module '%s' in %s", name,
				file);
	return err;
}

struct kdk_error *moddep_add_file(const char *path, struct moddep_list *list)
{
	const char *slash = strrchr(path, '/');
	char dir[1024];

	if (!slash)
		return append(list, ".", path);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	return append(list, dir, slash + 1);
}

void moddep_list_free(struct moddep_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->paths[i]);
	free(list->paths);
	list->paths = NULL;
	list->n = 0;
}
