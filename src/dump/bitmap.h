/* The page bitmaps of a kdump-compressed dump: bit n stands for PFN n,
 * least significant bit of each byte first.
 *
 * Page descriptors are stored for the set bits of the second bitmap, in PFN
 * order, so a PFN's descriptor is the count of set bits before it: its rank,
 * answered in O(1) from a table of counts per block of 512 bits.
 */
#ifndef KDK_DUMP_BITMAP_H
#define KDK_DUMP_BITMAP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

struct pfn_bitmap {
	uint64_t *words;
	uint64_t nbits;
	uint64_t *ranks;	/* set bits before each 512-bit block */
	uint64_t set;		/* set bits in all */
};

/* Copy nbits bits from bytes (nbits / 8 bytes, rounded up). */
struct kdk_error *pfn_bitmap_init(struct pfn_bitmap *b, const void *bytes,
				  uint64_t nbits);
void pfn_bitmap_free(struct pfn_bitmap *b);

/* Bits past nbits read as clear. */
bool pfn_bitmap_test(const struct pfn_bitmap *b, uint64_t bit);

/* Set bits in [0, bit). */
uint64_t pfn_bitmap_rank(const struct pfn_bitmap *b, uint64_t bit);

/* The first set (clear) bit at or after bit; nbits if none. */
uint64_t pfn_bitmap_next_set(const struct pfn_bitmap *b, uint64_t bit);
uint64_t pfn_bitmap_next_clear(const struct pfn_bitmap *b, uint64_t bit);

#endif
