/* A cache of virtual-to-physical translations, as a CPU's TLB: one entry
 * per page the walk found, whatever its size (4K, 2M, 1G ... as the arch's
 * page tables map it), so that most reads need no walk at all. */
#ifndef KDK_TARGET_TLB_H
#define KDK_TARGET_TLB_H

#include <stdbool.h>
#include <stdint.h>

#define TLB_ENTRIES 4096

struct tlb_entry {
	uint64_t vbase;		/* page-aligned; TLB_INVALID if empty */
	uint64_t pbase;
	uint8_t shift;		/* log2 of the page size */
};

struct tlb {
	struct tlb_entry e[TLB_ENTRIES];
	uint64_t shifts;	/* bit n: pages of 1 << n were cached */
	uint64_t hits, misses;
};

void tlb_init(struct tlb *tlb);
/* Translate vaddr from the cache: *room = bytes left in its page. */
bool tlb_lookup(struct tlb *tlb, uint64_t vaddr, uint64_t *paddr,
		uint64_t *room);
void tlb_insert(struct tlb *tlb, uint64_t vaddr, uint64_t paddr,
		uint64_t page_size);

#endif
