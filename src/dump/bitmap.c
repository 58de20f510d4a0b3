#include "dump/bitmap.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#define WORDS_PER_BLOCK 8	/* 512 bits per rank entry */

static uint64_t n_words(uint64_t nbits)
{
	return (nbits + 63) / 64;
}

struct kdk_error *pfn_bitmap_init(struct pfn_bitmap *b, const void *bytes,
				  uint64_t nbits)
{
	uint64_t nw = n_words(nbits), nblocks = nw / WORDS_PER_BLOCK + 1;
	uint64_t count = 0;

	*b = (struct pfn_bitmap){ .nbits = nbits };
	b->words = calloc(nw + 1, sizeof(uint64_t));
	b->ranks = calloc(nblocks, sizeof(uint64_t));
	if (!b->words || !b->ranks) {
		pfn_bitmap_free(b);
		return kdk_error(KDK_ERR_NOMEM, "out of memory for a bitmap of "
				 "%llu pages", (unsigned long long)nbits);
	}
	memcpy(b->words, bytes, (nbits + 7) / 8);
	if (nbits % 64)		/* bits past the end read as clear */
		b->words[nw - 1] &= le64toh(~0ULL >> (64 - nbits % 64));
	for (uint64_t i = 0; i < nw; i++) {
		b->words[i] = le64toh(b->words[i]);
		if (i % WORDS_PER_BLOCK == 0)
			b->ranks[i / WORDS_PER_BLOCK] = count;
		count += __builtin_popcountll(b->words[i]);
	}
	b->set = count;
	return NULL;
}

void pfn_bitmap_free(struct pfn_bitmap *b)
{
	free(b->words);
	free(b->ranks);
	*b = (struct pfn_bitmap){ 0 };
}

bool pfn_bitmap_test(const struct pfn_bitmap *b, uint64_t bit)
{
	return bit < b->nbits && (b->words[bit / 64] >> (bit % 64) & 1);
}

uint64_t pfn_bitmap_rank(const struct pfn_bitmap *b, uint64_t bit)
{
	uint64_t w, r;

	if (bit >= b->nbits)
		return b->set;
	w = bit / 64;
	r = b->ranks[w / WORDS_PER_BLOCK];
	for (uint64_t i = w - w % WORDS_PER_BLOCK; i < w; i++)
		r += __builtin_popcountll(b->words[i]);
	if (bit % 64)
		r += __builtin_popcountll(b->words[w] << (64 - bit % 64));
	return r;
}

/* The first bit at or after bit whose value is set (or clear, if invert). */
static uint64_t next_bit(const struct pfn_bitmap *b, uint64_t bit, bool invert)
{
	uint64_t nw = n_words(b->nbits), w = bit / 64, word;

	if (bit >= b->nbits)
		return b->nbits;
	word = (invert ? ~b->words[w] : b->words[w]) & (~0ULL << (bit % 64));
	while (!word) {
		if (++w >= nw)
			return b->nbits;
		word = invert ? ~b->words[w] : b->words[w];
	}
	bit = w * 64 + __builtin_ctzll(word);
	return bit < b->nbits ? bit : b->nbits;
}

uint64_t pfn_bitmap_next_set(const struct pfn_bitmap *b, uint64_t bit)
{
	return next_bit(b, bit, false);
}

uint64_t pfn_bitmap_next_clear(const struct pfn_bitmap *b, uint64_t bit)
{
	return next_bit(b, bit, true);
}
