#include "shell/session.h"

#include <stdlib.h>
#include <string.h>

#include "dump/dump.h"
#include "shell/alias.h"

struct kdk_error *session_new(struct session **out)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	s->radix = 10;
	s->out = stdout;
	s->aliases = alias_table_new();
	if (!s->aliases) {
		free(s);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	*out = s;
	return NULL;
}

struct kdk_error *session_open_dump(struct session *s, const char *path,
				    const char *vmlinux)
{
	struct kdk_error *err;

	err = dump_open(path, &s->dump);
	if (err)
		return err;
	s->dump_path = strdup(path);
	s->vmlinux_path = vmlinux ? strdup(vmlinux) : NULL;
	if (!s->dump_path || (vmlinux && !s->vmlinux_path))
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	return NULL;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	if (s->dump)
		dump_close(s->dump);
	alias_table_free(s->aliases);
	free(s->dump_path);
	free(s->vmlinux_path);
	free(s);
}
