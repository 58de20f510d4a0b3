/* Which pages a dump level leaves out (makedumpfile -d), decided from the
 * kernel's own struct pages: mem_map is walked once, section by section
 * (SPARSEMEM: mem_section's section_mem_map gives each section's array,
 * which with SPARSEMEM_VMEMMAP lives in the vmemmap), reading each page's
 * flags, _refcount, mapping, _mapcount, private and compound_head at the
 * offsets VMCOREINFO gives, and the PG_* bit numbers and page-type values
 * it gives too. No debuginfo is needed.
 *
 * Dump level bits: 2 page cache without private data, 4 page cache
 * (with or without), 8 user data (anonymous and hugetlbfs pages),
 * 16 free pages (buddy). Bit 1 (pages of zeros) is decided by content
 * when pages are read. Hardware-poisoned and offline pages are always
 * left out. A compound page (THP, hugetlb) or a free block of order n
 * is left out whole, as its head page says.
 */
#ifndef KDK_CAPTURE_FILTER_H
#define KDK_CAPTURE_FILTER_H

#include <stdint.h>

#include "base/error.h"
#include "capture/page_bits.h"
#include "dump/vmcoreinfo.h"
#include "target/target.h"

#define DL_EXCLUDE_ZERO		1
#define DL_EXCLUDE_CACHE	2
#define DL_EXCLUDE_CACHE_PRI	4
#define DL_EXCLUDE_USER_DATA	8
#define DL_EXCLUDE_FREE		16

/* Pages left out, by why. */
struct filter_counts {
	uint64_t cache;		/* page cache without private data */
	uint64_t cache_private;	/* page cache with private data */
	uint64_t user;
	uint64_t free;
	uint64_t hwpoison;
	uint64_t offline;
	uint64_t zero;		/* counted when pages are read */
	/* struct pages that could not be read: their pages are kept */
	uint64_t unreadable;
	uint64_t walked;	/* struct pages read */
};

/* Clear in saved (a copy of the memory bitmap) the pages dump_level
 * leaves out. */
struct kdk_error *filter_pages(struct target *t, const struct vmcoreinfo *vi,
			       uint32_t page_size, int dump_level,
			       struct page_bits *saved,
			       struct filter_counts *counts);

#endif
