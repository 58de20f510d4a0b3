#include "dump/page_cache.h"

#include <stdlib.h>

#define WAYS 8

struct cache_slot {
	uint64_t pfn;
	uint64_t last_used;	/* c->clock at the last hit or fill */
	bool valid;
};

struct page_cache {
	size_t page_size;
	size_t n_sets;		/* a power of two */
	struct cache_slot *slots;	/* n_sets * WAYS */
	unsigned char *data;
	uint64_t clock;
	uint64_t hits, misses;
};

struct kdk_error *page_cache_new(size_t page_size, size_t n_pages,
				 struct page_cache **out)
{
	struct page_cache *c = calloc(1, sizeof(*c));
	size_t sets = 1;

	while (sets * WAYS < n_pages)
		sets *= 2;
	if (!c)
		goto nomem;
	c->page_size = page_size;
	c->n_sets = sets;
	c->slots = calloc(sets * WAYS, sizeof(*c->slots));
	c->data = malloc(sets * WAYS * page_size);
	if (!c->slots || !c->data)
		goto nomem;
	*out = c;
	return NULL;
nomem:
	page_cache_free(c);
	return kdk_error(KDK_ERR_NOMEM, "out of memory for a cache of %zu pages",
			 n_pages);
}

void page_cache_free(struct page_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->data);
	free(c);
}

static struct cache_slot *set_of(struct page_cache *c, uint64_t pfn)
{
	/* neighbouring pages land in different sets */
	return &c->slots[(pfn & (c->n_sets - 1)) * WAYS];
}

static void *data_of(struct page_cache *c, struct cache_slot *s)
{
	return c->data + (size_t)(s - c->slots) * c->page_size;
}

/* Is s a better slot to evict than v? An empty slot is best, then the
 * least recently used. */
static bool better_victim(const struct cache_slot *s,
			  const struct cache_slot *v)
{
	if (!v->valid)
		return false;
	return !s->valid || s->last_used < v->last_used;
}

void *page_cache_get(struct page_cache *c, uint64_t pfn, bool *hit)
{
	struct cache_slot *set = set_of(c, pfn), *victim = set;

	c->clock++;
	for (int i = 0; i < WAYS; i++) {
		if (set[i].valid && set[i].pfn == pfn) {
			set[i].last_used = c->clock;
			c->hits++;
			*hit = true;
			return data_of(c, &set[i]);
		}
		if (better_victim(&set[i], victim))
			victim = &set[i];
	}
	c->misses++;
	*victim = (struct cache_slot){ .pfn = pfn, .last_used = c->clock };
	*hit = false;
	return data_of(c, victim);
}

void page_cache_commit(struct page_cache *c, uint64_t pfn)
{
	struct cache_slot *set = set_of(c, pfn);

	for (int i = 0; i < WAYS; i++) {
		if (set[i].pfn == pfn && set[i].last_used == c->clock) {
			set[i].valid = true;
			return;
		}
	}
}

void page_cache_stats(const struct page_cache *c,
		      struct page_cache_stats *stats)
{
	*stats = (struct page_cache_stats){
		.hits = c->hits, .misses = c->misses,
		.pages = c->n_sets * WAYS,
	};
}
