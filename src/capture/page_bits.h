/* A bitmap of PFNs as the kdump-compressed format stores it: bit n for
 * PFN n, least significant bit of each byte first. makedump builds the
 * two bitmaps (memory, saved pages) in this form and writes them as is.
 */
#ifndef KDK_CAPTURE_PAGE_BITS_H
#define KDK_CAPTURE_PAGE_BITS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct page_bits {
	uint8_t *bytes;
	uint64_t nbits;
	uint64_t nbytes;	/* rounded up to whole blocks by the writer */
};

static inline bool page_bits_alloc(struct page_bits *b, uint64_t nbits,
				   uint64_t nbytes)
{
	b->nbits = nbits;
	b->nbytes = nbytes;
	b->bytes = calloc(1, nbytes ? nbytes : 1);
	return b->bytes != NULL;
}

static inline void page_bits_free(struct page_bits *b)
{
	free(b->bytes);
	b->bytes = NULL;
}

static inline bool page_bits_test(const struct page_bits *b, uint64_t n)
{
	return n < b->nbits && (b->bytes[n / 8] >> (n % 8) & 1);
}

static inline void page_bits_set(struct page_bits *b, uint64_t n)
{
	b->bytes[n / 8] |= (uint8_t)(1u << (n % 8));
}

/* Clear bit n; was it set? */
static inline bool page_bits_clear(struct page_bits *b, uint64_t n)
{
	bool was = page_bits_test(b, n);

	b->bytes[n / 8] &= (uint8_t)~(1u << (n % 8));
	return was;
}

static inline uint64_t page_bits_count(const struct page_bits *b)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < b->nbytes; i++)
		n += __builtin_popcount(b->bytes[i]);
	return n;
}

/* Set bits among [from, to). */
static inline uint64_t page_bits_count_range(const struct page_bits *b,
					     uint64_t from, uint64_t to)
{
	uint64_t n = 0;

	for (uint64_t i = from; i < to && i < b->nbits; i++) {
		if (i % 8 == 0 && i + 8 <= to) {
			n += __builtin_popcount(b->bytes[i / 8]);
			i += 7;
			continue;
		}
		n += page_bits_test(b, i);
	}
	return n;
}

/* The PFN of the rank-th set bit (0-based), or b->nbits. */
static inline uint64_t page_bits_select(const struct page_bits *b,
					uint64_t rank)
{
	for (uint64_t i = 0; i < b->nbits; i += 8) {
		uint64_t c = __builtin_popcount(b->bytes[i / 8]);

		if (rank >= c) {
			rank -= c;
			continue;
		}
		for (uint64_t k = i; k < i + 8; k++)
			if (page_bits_test(b, k) && rank-- == 0)
				return k;
	}
	return b->nbits;
}

#endif
