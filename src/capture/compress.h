/* Compressing one page for a kdump-compressed dump, with the codecs
 * makedumpfile writes (-c zlib, -l lzo, -p snappy, -z zstd), at the
 * levels it uses (LZO1X-1, zstd level 1), so that our dumps decode
 * wherever theirs do. zlib-format streams come from libdeflate, which
 * writes them several times faster than zlib (compress.c: ZLIB_LEVEL).
 *
 * A compressor is one thread's: each worker has its own.
 */
#ifndef KDK_CAPTURE_COMPRESS_H
#define KDK_CAPTURE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

enum page_codec {
	PAGE_CODEC_NONE,
	PAGE_CODEC_ZLIB,
	PAGE_CODEC_LZO,
	PAGE_CODEC_SNAPPY,
	PAGE_CODEC_ZSTD,
};

struct page_compressor;

struct kdk_error *page_compressor_new(enum page_codec codec, size_t page_size,
				      struct page_compressor **out);
void page_compressor_free(struct page_compressor *c);

/* The room page_compress() needs at dst. */
size_t page_compress_bound(const struct page_compressor *c);

/* Compress a page into dst; the size, or 0 when the codec could not make
 * it smaller than a page (it is then stored as is). */
size_t page_compress(struct page_compressor *c, const void *page, void *dst);

/* The page descriptor's and header's flag (DUMP_DH_COMPRESSED_*); 0 for
 * none. */
uint32_t page_codec_flag(enum page_codec codec);
const char *page_codec_name(enum page_codec codec);

#endif
