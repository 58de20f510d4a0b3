#include "capture/filter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_PAGES 512		/* struct pages read at once */
#define NOT_GIVEN INT64_MIN
/* low bits of section_mem_map are flags (include/linux/mmzone.h:
 * SECTION_MARKED_PRESENT ... SECTION_TAINT_ZONE_DEVICE) */
#define SECTION_MARKED_PRESENT 1
#define SECTION_HAS_MEM_MAP 2
#define SECTION_MAP_MASK (~(uint64_t)0x1f)
#define PAGE_MAPPING_ANON 1

/* What VMCOREINFO says about struct page and mem_section. */
struct layout {
	uint64_t page_size, size_page;
	uint64_t off_flags, off_refcount, off_mapping, off_mapcount;
	uint64_t off_private, off_compound_head;
	uint64_t off_compound_dtor, off_compound_order;
	bool has_dtor, has_order;
	int64_t pg_lru, pg_private, pg_swapcache, pg_swapbacked, pg_slab;
	int64_t pg_hwpoison, pg_head_mask, pg_hugetlb;
	int64_t buddy_value, offline_value, slab_value, hugetlb_value;
	int64_t unaccepted_value, hugetlb_dtor;
	uint64_t free_area_len;
	/* sparsemem */
	uint64_t mem_section, n_roots, size_mem_section, off_section_mem_map;
	uint64_t sections_per_root, pfn_section_shift, nr_sections;
};

struct walk {
	struct target *t;
	const struct layout *l;
	int level;
	struct page_bits *saved;
	struct filter_counts *c;
	uint64_t skip_to;	/* PFNs below were left out with a head */
	unsigned char *chunk;
};

static int64_t number_or(const struct vmcoreinfo *vi, const char *name,
			 int64_t dflt)
{
	int64_t v;
	struct kdk_error *err = vmcoreinfo_number(vi, name, &v);

	if (err) {
		kdk_error_free(err);
		return dflt;
	}
	return v;
}

static bool offset_or_absent(const struct vmcoreinfo *vi, const char *name,
			     uint64_t *off)
{
	struct kdk_error *err = vmcoreinfo_offset(vi, name, off);

	kdk_error_free(err);
	return !err;
}

static struct kdk_error *need(struct kdk_error *err, const char *what)
{
	return err ? kdk_error_wrap(err, "VMCOREINFO lacks %s, which the "
				    "page filter needs", what) : NULL;
}

static struct kdk_error *need_number(const struct vmcoreinfo *vi,
				     const char *name, int64_t *v)
{
	return need(vmcoreinfo_number(vi, name, v), name);
}

static struct kdk_error *read_layout(const struct vmcoreinfo *vi,
				     uint32_t page_size, struct layout *l)
{
	struct kdk_error *err;
	int64_t section_bits, physmem_bits;

	l->page_size = page_size;
	err = need(vmcoreinfo_size(vi, "page", &l->size_page), "SIZE(page)");
	if (!err)
		err = need(vmcoreinfo_offset(vi, "page.flags", &l->off_flags),
			   "OFFSET(page.flags)");
	if (!err)
		err = need(vmcoreinfo_offset(vi, "page._refcount",
					     &l->off_refcount),
			   "OFFSET(page._refcount)");
	if (!err)
		err = need(vmcoreinfo_offset(vi, "page.mapping",
					     &l->off_mapping),
			   "OFFSET(page.mapping)");
	if (!err)
		err = need(vmcoreinfo_offset(vi, "page._mapcount",
					     &l->off_mapcount),
			   "OFFSET(page._mapcount)");
	if (!err)
		err = need(vmcoreinfo_offset(vi, "page.private",
					     &l->off_private),
			   "OFFSET(page.private)");
	if (!err)
		err = need(vmcoreinfo_offset(vi, "page.compound_head",
					     &l->off_compound_head),
			   "OFFSET(page.compound_head)");
	if (!err)
		err = need_number(vi, "PG_lru", &l->pg_lru);
	if (!err)
		err = need_number(vi, "PG_private", &l->pg_private);
	if (!err)
		err = need_number(vi, "PG_swapcache", &l->pg_swapcache);
	if (!err)
		err = need_number(vi, "PG_slab", &l->pg_slab);
	if (!err)
		err = need_number(vi, "PG_head_mask", &l->pg_head_mask);
	if (!err)
		err = need_number(vi, "PAGE_BUDDY_MAPCOUNT_VALUE",
				  &l->buddy_value);
	if (!err)
		err = need(vmcoreinfo_symbol(vi, "mem_section", &l->mem_section),
			   "SYMBOL(mem_section)");
	if (!err)
		err = need(vmcoreinfo_length(vi, "mem_section", &l->n_roots),
			   "LENGTH(mem_section)");
	if (!err)
		err = need(vmcoreinfo_size(vi, "mem_section",
					   &l->size_mem_section),
			   "SIZE(mem_section)");
	if (!err)
		err = need(vmcoreinfo_offset(vi, "mem_section.section_mem_map",
					     &l->off_section_mem_map),
			   "OFFSET(mem_section.section_mem_map)");
	if (!err)
		err = need_number(vi, "SECTION_SIZE_BITS", &section_bits);
	if (!err)
		err = need_number(vi, "MAX_PHYSMEM_BITS", &physmem_bits);
	if (err)
		return err;
	/* absent in some kernels: then that test never matches */
	l->pg_swapbacked = number_or(vi, "PG_swapbacked", NOT_GIVEN);
	l->pg_hwpoison = number_or(vi, "PG_hwpoison", NOT_GIVEN);
	l->pg_hugetlb = number_or(vi, "PG_hugetlb", NOT_GIVEN);
	l->offline_value = number_or(vi, "PAGE_OFFLINE_MAPCOUNT_VALUE",
				     NOT_GIVEN);
	l->slab_value = number_or(vi, "PAGE_SLAB_MAPCOUNT_VALUE", NOT_GIVEN);
	l->hugetlb_value = number_or(vi, "PAGE_HUGETLB_MAPCOUNT_VALUE",
				     NOT_GIVEN);
	l->unaccepted_value = number_or(vi, "PAGE_UNACCEPTED_MAPCOUNT_VALUE",
					NOT_GIVEN);
	l->hugetlb_dtor = number_or(vi, "HUGETLB_PAGE_DTOR", NOT_GIVEN);
	l->has_dtor = offset_or_absent(vi, "page.compound_dtor",
				       &l->off_compound_dtor);
	l->has_order = offset_or_absent(vi, "page.compound_order",
					&l->off_compound_order);
	{
		struct kdk_error *e = vmcoreinfo_length(vi, "zone.free_area",
							&l->free_area_len);
		if (e)
			l->free_area_len = 0;
		kdk_error_free(e);
	}

	if (section_bits <= 12 || physmem_bits <= section_bits ||
	    physmem_bits > 57 || !l->size_mem_section ||
	    l->size_page < 32 || l->size_page > 256)
		return kdk_error(KDK_ERR_FORMAT, "VMCOREINFO's sparsemem "
				 "numbers make no sense (SECTION_SIZE_BITS %lld, "
				 "MAX_PHYSMEM_BITS %lld, SIZE(page) %llu)",
				 (long long)section_bits, (long long)physmem_bits,
				 (unsigned long long)l->size_page);
	l->pfn_section_shift = section_bits - __builtin_ctzll(page_size);
	l->nr_sections = 1ull << (physmem_bits - section_bits);
	/* SPARSEMEM_EXTREME: mem_section is an array of LENGTH roots, each
	 * a page of struct mem_section; else the array of all sections */
	l->sections_per_root = page_size / l->size_mem_section;
	if (l->n_roots == l->nr_sections)
		l->sections_per_root = 1;
	else if (l->n_roots * l->sections_per_root != l->nr_sections)
		return kdk_error(KDK_ERR_FORMAT, "VMCOREINFO: LENGTH(mem_section) "
				 "%llu fits neither SPARSEMEM layout (%llu "
				 "sections)", (unsigned long long)l->n_roots,
				 (unsigned long long)l->nr_sections);
	return NULL;
}

static uint64_t get_u64(const unsigned char *p, uint64_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t get_u32(const unsigned char *p, uint64_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static bool bit(uint64_t flags, int64_t nr)
{
	return nr != NOT_GIVEN && nr >= 0 && nr < 64 && (flags >> nr & 1);
}

static bool is_slab(const struct layout *l, uint64_t flags, int32_t mapcount)
{
	/* since 6.10 a page type in _mapcount, before a PG_slab flag */
	if (l->slab_value != NOT_GIVEN && mapcount == (int32_t)l->slab_value)
		return true;
	return bit(flags, l->pg_slab);
}

static bool is_cache(const struct layout *l, uint64_t flags)
{
	if (bit(flags, l->pg_lru))
		return true;
	/* PG_swapcache means it only with PG_swapbacked (since 4.10) */
	return (l->pg_swapbacked == NOT_GIVEN || bit(flags, l->pg_swapbacked))
	       && bit(flags, l->pg_swapcache);
}

/* Clear [pfn, end) in saved, counting the pages that were there. */
static void exclude(struct walk *w, uint64_t pfn, uint64_t end,
		    uint64_t *counter)
{
	if (end > w->saved->nbits)
		end = w->saved->nbits;
	for (; pfn < end; pfn++)
		if (page_bits_clear(w->saved, pfn))
			(*counter)++;
	if (end > w->skip_to)
		w->skip_to = end;
}

/* One struct page at p (next: the following one, or NULL). */
static void classify(struct walk *w, uint64_t pfn, const unsigned char *p,
		     const unsigned char *next)
{
	const struct layout *l = w->l;
	uint64_t flags = get_u64(p, l->off_flags);
	uint64_t mapping = get_u64(p, l->off_mapping);
	int32_t mapcount = (int32_t)get_u32(p, l->off_mapcount);
	uint64_t private = get_u64(p, l->off_private);
	uint64_t head = get_u64(p, l->off_compound_head);
	unsigned order = 0;
	bool hugetlb = false, anon;
	uint64_t nr = 1, *counter;

	/* a tail page: its head decided for the whole compound page */
	if (head & 1)
		return;
	if (next && l->pg_head_mask != NOT_GIVEN &&
	    (flags & (uint64_t)l->pg_head_mask)) {
		/* the first tail page holds the order and what frees it */
		if (l->hugetlb_value != NOT_GIVEN || l->pg_hugetlb != NOT_GIVEN) {
			uint64_t flags1 = get_u64(next, l->off_flags);

			order = flags1 & 0xff;	/* folio._flags_1, 6.6+ */
			hugetlb = l->hugetlb_value != NOT_GIVEN ?
				  mapcount == (int32_t)l->hugetlb_value :
				  bit(flags1, l->pg_hugetlb);
		} else {
			if (l->has_order)
				order = next[l->off_compound_order];
			if (l->has_dtor && l->hugetlb_dtor != NOT_GIVEN)
				hugetlb = next[l->off_compound_dtor] ==
					  l->hugetlb_dtor;
		}
		if (order >= 64 || (pfn & ((1ull << order) - 1)))
			order = 0;
	}
	nr = 1ull << order;
	anon = (mapping & PAGE_MAPPING_ANON) && !is_slab(l, flags, mapcount);

	if ((w->level & DL_EXCLUDE_FREE) && !is_slab(l, flags, mapcount) &&
	    mapcount == (int32_t)l->buddy_value) {
		/* a free block: private is its order */
		if (l->free_area_len && private >= l->free_area_len)
			return;
		nr = 1ull << private;
		counter = &w->c->free;
	} else if ((w->level & DL_EXCLUDE_FREE) &&
		   l->unaccepted_value != NOT_GIVEN &&
		   mapcount == (int32_t)l->unaccepted_value &&
		   l->free_area_len) {
		nr = 1ull << (l->free_area_len - 1);
		counter = &w->c->free;
	} else if ((w->level & DL_EXCLUDE_CACHE) && is_cache(l, flags) &&
		   !bit(flags, l->pg_private) && !anon) {
		counter = &w->c->cache;
	} else if ((w->level & DL_EXCLUDE_CACHE_PRI) && is_cache(l, flags) &&
		   !anon) {
		counter = bit(flags, l->pg_private) ? &w->c->cache_private :
						      &w->c->cache;
	} else if ((w->level & DL_EXCLUDE_USER_DATA) && (anon || hugetlb)) {
		counter = &w->c->user;
	} else if (bit(flags, l->pg_hwpoison)) {
		counter = &w->c->hwpoison;
	} else if (l->offline_value != NOT_GIVEN &&
		   !is_slab(l, flags, mapcount) &&
		   mapcount == (int32_t)l->offline_value) {
		counter = &w->c->offline;
	} else {
		return;
	}
	exclude(w, pfn, pfn + nr, counter);
}

static bool any_saved(const struct page_bits *b, uint64_t pfn, uint64_t n)
{
	for (uint64_t i = pfn; i < pfn + n && i < b->nbits; i++) {
		if (!(i % 8) && i + 8 <= pfn + n && i + 8 <= b->nbits) {
			if (b->bytes[i / 8])
				return true;
			i += 7;
			continue;
		}
		if (page_bits_test(b, i))
			return true;
	}
	return false;
}

/* The struct pages of [pfn, pfn + n), n <= CHUNK_PAGES, at vaddr. */
static void walk_chunk(struct walk *w, uint64_t pfn, uint64_t n,
		       uint64_t vaddr)
{
	uint64_t sz = w->l->size_page;
	struct kdk_error *err;

	if (!any_saved(w->saved, pfn, n))
		return;
	err = target_read_kvaddr(w->t, vaddr, w->chunk, n * sz);
	if (err) {
		/* keep what we cannot judge */
		kdk_error_free(err);
		w->c->unreadable += n;
		return;
	}
	w->c->walked += n;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t p = pfn + i;

		if (p < w->skip_to || !page_bits_test(w->saved, p))
			continue;
		classify(w, p, w->chunk + i * sz,
			 i + 1 < n ? w->chunk + (i + 1) * sz : NULL);
	}
}

static void walk_section(struct walk *w, uint64_t nr, uint64_t mem_map)
{
	uint64_t per = 1ull << w->l->pfn_section_shift;
	uint64_t start = nr * per, end = start + per;

	if (end > w->saved->nbits)
		end = w->saved->nbits;
	for (uint64_t pfn = start; pfn < end; pfn += CHUNK_PAGES) {
		uint64_t n = end - pfn < CHUNK_PAGES ? end - pfn : CHUNK_PAGES;

		walk_chunk(w, pfn, n, mem_map + pfn * w->l->size_page);
	}
}

static struct kdk_error *walk_root(struct walk *w, uint64_t root,
				   unsigned char *buf)
{
	const struct layout *l = w->l;
	uint64_t first = root * l->sections_per_root;
	uint64_t per = 1ull << l->pfn_section_shift;
	uint64_t addr = l->mem_section;
	struct kdk_error *err;

	if (first * per >= w->saved->nbits)
		return NULL;
	if (l->sections_per_root > 1) {
		err = target_read_kvaddr(w->t, l->mem_section + root * 8,
					 &addr, 8);
		if (err)
			return kdk_error_wrap(err, "reading mem_section[%llu]",
					      (unsigned long long)root);
		if (!addr)
			return NULL;
	} else {
		addr += root * l->size_mem_section;
	}
	err = target_read_kvaddr(w->t, addr, buf,
				 l->sections_per_root * l->size_mem_section);
	if (err)
		return kdk_error_wrap(err, "reading the sections of root %llu",
				      (unsigned long long)root);
	for (uint64_t i = 0; i < l->sections_per_root; i++) {
		uint64_t map = get_u64(buf, i * l->size_mem_section +
					    l->off_section_mem_map);

		if ((map & (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP)) !=
		    (SECTION_MARKED_PRESENT | SECTION_HAS_MEM_MAP))
			continue;
		walk_section(w, first + i, map & SECTION_MAP_MASK);
	}
	return NULL;
}

struct kdk_error *filter_pages(struct target *t, const struct vmcoreinfo *vi,
			       uint32_t page_size, int dump_level,
			       struct page_bits *saved,
			       struct filter_counts *counts)
{
	struct layout l = { 0 };
	struct walk w = { .t = t, .l = &l, .level = dump_level,
			  .saved = saved, .c = counts };
	unsigned char *buf;
	struct kdk_error *err;

	err = read_layout(vi, page_size, &l);
	if (err)
		return err;
	w.chunk = malloc(CHUNK_PAGES * l.size_page);
	buf = malloc(l.sections_per_root * l.size_mem_section);
	if (!w.chunk || !buf) {
		free(w.chunk);
		free(buf);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	for (uint64_t root = 0; root < l.n_roots && !err; root++)
		err = walk_root(&w, root, buf);
	free(w.chunk);
	free(buf);
	return err;
}
