/* Decompressing one page of a kdump-compressed dump. The page descriptor's
 * flags say how its data was compressed; the same flag bits name the
 * writer's method in the dump header's status (diskdump_mod.h).
 */
#ifndef KDK_DUMP_DECOMPRESS_H
#define KDK_DUMP_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define DUMP_DH_COMPRESSED_ZLIB		0x1
#define DUMP_DH_COMPRESSED_LZO		0x2
#define DUMP_DH_COMPRESSED_SNAPPY	0x4
#define DUMP_DH_COMPRESSED_INCOMPLETE	0x8	/* header only: writer ran out of space */
#define DUMP_DH_EXCLUDED_VMEMMAP	0x10	/* header only */
#define DUMP_DH_COMPRESSED_ZSTD		0x20
#define DUMP_DH_COMPRESSED (DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO | \
			    DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD)

/* Decompression state kept between pages (zlib and zstd contexts). */
struct page_decompressor;

struct kdk_error *page_decompressor_new(struct page_decompressor **out);
void page_decompressor_free(struct page_decompressor *d);

/* Decompress src (flags: one DUMP_DH_COMPRESSED_* bit) into exactly
 * dst_len bytes at dst. */
struct kdk_error *page_decompress(struct page_decompressor *d, uint32_t flags,
				  const void *src, size_t src_len, void *dst,
				  size_t dst_len);

/* "zlib", "lzo", "snappy", "zstd", "zlib+lzo" ..., or "none". */
const char *dump_compression_name(uint32_t flags, char *buf, size_t size);

#endif
