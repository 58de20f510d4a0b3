/* Kernel modules by name, with what they need, from a modules.dep
 * (depmod(8): "module: dependency ..." with every dependency listed, the
 * last one to be loaded first). */
#ifndef KDK_CAPTURE_MODDEP_H
#define KDK_CAPTURE_MODDEP_H

#include <stddef.h>

#include "base/error.h"

struct moddep_list {
	char **paths;		/* in load order, no repeats */
	size_t n;
};

/* Append name ("virtio_blk", '-' and '_' alike) and the modules it needs
 * to list, as paths under moddir (moddir/modules.dep), dependencies
 * first. */
struct kdk_error *moddep_add(const char *moddir, const char *name,
			     struct moddep_list *list);

/* Append a module file as it is (no dependencies looked up). */
struct kdk_error *moddep_add_file(const char *path, struct moddep_list *list);

void moddep_list_free(struct moddep_list *list);

#endif
