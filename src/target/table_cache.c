#include "target/table_cache.h"

#include <stdlib.h>
#include <string.h>

struct kdk_error *table_cache_init(struct table_cache *c)
{
	memset(c->tag, 0, sizeof(c->tag));
	c->data = malloc((size_t)TABLE_CACHE_PAGES * TABLE_CACHE_CHUNK);
	if (!c->data)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	return NULL;
}

void table_cache_fini(struct table_cache *c)
{
	free(c->data);
	c->data = NULL;
}

void table_cache_clear(struct table_cache *c)
{
	memset(c->tag, 0, sizeof(c->tag));
}

struct kdk_error *table_cache_read(struct table_cache *c, struct dump *d,
				   uint64_t paddr, void *buf, size_t len)
{
	uint64_t chunk = paddr & ~(uint64_t)(TABLE_CACHE_CHUNK - 1);
	size_t slot = (chunk / TABLE_CACHE_CHUNK) % TABLE_CACHE_PAGES;
	unsigned char *p = c->data + slot * TABLE_CACHE_CHUNK;
	struct kdk_error *err;

	if (len > 8 || paddr + len > chunk + TABLE_CACHE_CHUNK)
		return dump_read_phys(d, paddr, buf, len);
	if (c->tag[slot] != chunk + 1) {
		err = dump_read_phys(d, chunk, p, TABLE_CACHE_CHUNK);
		if (err) {
			/* Part of the chunk may be missing while the entry
			 * is not: let the direct read say. */
			c->tag[slot] = 0;
			kdk_error_free(err);
			return dump_read_phys(d, paddr, buf, len);
		}
		c->tag[slot] = chunk + 1;
	}
	memcpy(buf, p + (paddr - chunk), len);
	return NULL;
}
