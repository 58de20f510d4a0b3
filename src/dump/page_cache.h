/* A cache of decoded (decompressed) pages, so that reading a structure
 * byte by byte, or walking a list within one page, decompresses once.
 *
 * Set-associative: a PFN can live in one of WAYS slots of its set, and the
 * least recently used of them makes room.
 */
#ifndef KDK_DUMP_PAGE_CACHE_H
#define KDK_DUMP_PAGE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct page_cache;

struct page_cache_stats {
	uint64_t hits;
	uint64_t misses;
	size_t pages;		/* capacity */
};

/* A cache of about n_pages pages of page_size bytes. */
struct kdk_error *page_cache_new(size_t page_size, size_t n_pages,
				 struct page_cache **out);
void page_cache_free(struct page_cache *c);

/* The page pfn: on a hit, its data (*hit = true); on a miss, a slot to
 * decode it into, which holds pfn only once page_cache_commit() says it
 * was filled. */
void *page_cache_get(struct page_cache *c, uint64_t pfn, bool *hit);
void page_cache_commit(struct page_cache *c, uint64_t pfn);

void page_cache_stats(const struct page_cache *c,
		      struct page_cache_stats *stats);

#endif
