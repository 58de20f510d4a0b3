/* Which slab cache an address is an object of: the page under it is a
 * slab page (PG_slab in its head page's flags) and its struct slab names
 * the kmem_cache. For bt -F's "[kmalloc-16]" and for kmem. */
#ifndef KDK_CMD_SLAB_H
#define KDK_CMD_SLAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shell/session.h"

struct slab_lookup {
	struct session *s;
	bool usable;		/* the layout below was found */
	uint64_t page_size, struct_page, vmemmap;
	uint64_t flags_off, head_off, cache_off, name_off;
	unsigned pg_slab;
};

/* Find the layout: VMCOREINFO's SIZE(page), OFFSET(page.flags),
 * OFFSET(page.compound_head) and NUMBER(PG_slab), the types' struct
 * slab.slab_cache and kmem_cache.name. Without them lookups say no. */
void slab_lookup_init(struct session *s, struct slab_lookup *l);

/* The name of addr's slab cache into name; false if addr is in no slab
 * page (or cannot be read). */
bool slab_cache_name(const struct slab_lookup *l, uint64_t addr, char *name,
		     size_t n);

#endif
