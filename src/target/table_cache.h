/* A cache of page-table pages, for the arch's walks. The dump's own cache
 * holds decoded pages of every kind, and random reads evict tables from
 * it; on dumps with 64K blocks (QEMU's arm64 kdump-compressed ones) every
 * walk would then decompress a block per level. Tables are few and hot:
 * keep them apart. */
#ifndef KDK_TARGET_TABLE_CACHE_H
#define KDK_TARGET_TABLE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "dump/dump.h"

#define TABLE_CACHE_PAGES 1024
#define TABLE_CACHE_CHUNK 4096

struct table_cache {
	uint64_t tag[TABLE_CACHE_PAGES];	/* chunk address + 1; 0 empty */
	unsigned char *data;			/* TABLE_CACHE_PAGES chunks */
};

struct kdk_error *table_cache_init(struct table_cache *c);
void table_cache_fini(struct table_cache *c);
/* Drop every chunk read so far. */
void table_cache_clear(struct table_cache *c);

/* Read a table entry (len <= 8, within one chunk) through the cache;
 * anything else goes straight to the dump. */
struct kdk_error *table_cache_read(struct table_cache *c, struct dump *d,
				   uint64_t paddr, void *buf, size_t len);

#endif
