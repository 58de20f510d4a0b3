/* The translation cache: pages of several sizes side by side, offsets and
 * room within a page, misses for what was never inserted. */
#include <stdint.h>
#include <stdlib.h>

#include "target/tlb.h"
#include "tap.h"

int main(void)
{
	struct tlb *tlb = malloc(sizeof(*tlb));
	uint64_t paddr = 0, room = 0;

	tlb_init(tlb);
	ok(!tlb_lookup(tlb, 0xffffffff81000000ULL, &paddr, &room),
	   "empty: a miss");
	tlb_insert(tlb, 0xffffffff81000123ULL, 0x2000123, 2 << 20);
	tlb_insert(tlb, 0xffffc90000001000ULL, 0x5000, 4096);
	tlb_insert(tlb, 0xffff888000000000ULL, 0, 1 << 30);
	ok(tlb_lookup(tlb, 0xffffffff811fff00ULL, &paddr, &room) &&
	   paddr == 0x21fff00 && room == 0x100, "2M page: offset and room");
	ok(tlb_lookup(tlb, 0xffffc90000001ff8ULL, &paddr, &room) &&
	   paddr == 0x5ff8 && room == 8, "4K page");
	ok(!tlb_lookup(tlb, 0xffffc90000002000ULL, &paddr, &room),
	   "the next 4K page: a miss");
	ok(tlb_lookup(tlb, 0xffff8880389abcdeULL, &paddr, &room) &&
	   paddr == 0x389abcde, "1G page");
	ok(!tlb_lookup(tlb, 0xffff888040000000ULL, &paddr, &room),
	   "past the 1G page: a miss");
	tlb_insert(tlb, 0xffffc90000001000ULL, 0x9000, 4096);
	ok(tlb_lookup(tlb, 0xffffc90000001010ULL, &paddr, &room) &&
	   paddr == 0x9010, "a page inserted again: the new translation");
	tlb_insert(tlb, 0x1000, 0x1000, 3000);
	ok(!tlb_lookup(tlb, 0x1000, &paddr, &room),
	   "a page size not a power of two is not cached");
	ok(tlb->hits == 4 && tlb->misses == 4, "hits and misses counted");
	free(tlb);
	return tap_done();
}
