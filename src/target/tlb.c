#include "target/tlb.h"

#define TLB_INVALID 1	/* never a page-aligned vbase */

void tlb_init(struct tlb *tlb)
{
	for (int i = 0; i < TLB_ENTRIES; i++)
		tlb->e[i].vbase = TLB_INVALID;
	tlb->shifts = 0;
	tlb->hits = tlb->misses = 0;
}

static struct tlb_entry *slot(struct tlb *tlb, uint64_t vaddr, int shift)
{
	uint64_t page = vaddr >> shift;

	return &tlb->e[(page ^ (page >> 12) ^ shift) % TLB_ENTRIES];
}

bool tlb_lookup(struct tlb *tlb, uint64_t vaddr, uint64_t *paddr,
		uint64_t *room)
{
	for (uint64_t bits = tlb->shifts; bits; bits &= bits - 1) {
		int shift = __builtin_ctzll(bits);
		uint64_t mask = (1ULL << shift) - 1;
		struct tlb_entry *e = slot(tlb, vaddr, shift);

		if (e->vbase == (vaddr & ~mask) && e->shift == shift) {
			*paddr = e->pbase | (vaddr & mask);
			*room = mask + 1 - (vaddr & mask);
			tlb->hits++;
			return true;
		}
	}
	tlb->misses++;
	return false;
}

void tlb_insert(struct tlb *tlb, uint64_t vaddr, uint64_t paddr,
		uint64_t page_size)
{
	int shift = __builtin_ctzll(page_size);
	uint64_t mask = page_size - 1;
	struct tlb_entry *e;

	if (!page_size || (page_size & mask) || shift < 1)
		return;
	e = slot(tlb, vaddr, shift);
	e->vbase = vaddr & ~mask;
	e->pbase = paddr & ~mask;
	e->shift = shift;
	tlb->shifts |= 1ULL << shift;
}
