#include "capture/compress.h"

#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <zstd.h>

#include "dump/decompress.h"

/* libdeflate's level 1 compresses less than zlib's (dumps 2% larger than
 * makedumpfile -c on the lab's vmcores); its level 2 writes them smaller
 * than zlib level 1 does, and still several times faster. */
#define ZLIB_LEVEL 2

struct page_compressor {
	enum page_codec codec;
	size_t page_size;
	size_t bound;
	struct libdeflate_compressor *zlib;
	ZSTD_CCtx *zstd;
	void *lzo_work;
};

static size_t codec_bound(enum page_codec codec, size_t page_size)
{
	switch (codec) {
	case PAGE_CODEC_ZLIB:
		/* libdeflate gives up rather than overrun: a page is enough */
		return page_size;
	case PAGE_CODEC_LZO:	/* LZO1X's documented worst case */
		return page_size + page_size / 16 + 64 + 3;
	case PAGE_CODEC_SNAPPY:
		return snappy_max_compressed_length(page_size);
	case PAGE_CODEC_ZSTD:
		return ZSTD_compressBound(page_size);
	case PAGE_CODEC_NONE:
		break;
	}
	return page_size;
}

struct kdk_error *page_compressor_new(enum page_codec codec, size_t page_size,
				      struct page_compressor **out)
{
	struct page_compressor *c = calloc(1, sizeof(*c));

	if (!c)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	c->codec = codec;
	c->page_size = page_size;
	c->bound = codec_bound(codec, page_size);
	switch (codec) {
	case PAGE_CODEC_ZLIB:
		c->zlib = libdeflate_alloc_compressor(ZLIB_LEVEL);
		if (!c->zlib)
			goto nomem;
		break;
	case PAGE_CODEC_LZO:
		if (lzo_init() != LZO_E_OK) {
			free(c);
			return kdk_error(KDK_ERR_OTHER, "the LZO library failed "
					 "to initialize");
		}
		c->lzo_work = malloc(LZO1X_1_MEM_COMPRESS);
		if (!c->lzo_work)
			goto nomem;
		break;
	case PAGE_CODEC_ZSTD:
		c->zstd = ZSTD_createCCtx();
		if (!c->zstd)
			goto nomem;
		break;
	case PAGE_CODEC_SNAPPY:
	case PAGE_CODEC_NONE:
		break;
	}
	*out = c;
	return NULL;
nomem:
	page_compressor_free(c);
	return kdk_error(KDK_ERR_NOMEM, "out of memory for a %s compressor",
			 page_codec_name(codec));
}

void page_compressor_free(struct page_compressor *c)
{
	if (!c)
		return;
	if (c->zlib)
		libdeflate_free_compressor(c->zlib);
	ZSTD_freeCCtx(c->zstd);
	free(c->lzo_work);
	free(c);
}

size_t page_compress_bound(const struct page_compressor *c)
{
	return c->bound;
}

size_t page_compress(struct page_compressor *c, const void *page, void *dst)
{
	size_t n = 0;

	switch (c->codec) {
	case PAGE_CODEC_ZLIB:
		/* room for one byte less than a page: 0 unless it shrinks */
		n = libdeflate_zlib_compress(c->zlib, page, c->page_size, dst,
					     c->page_size - 1);
		break;
	case PAGE_CODEC_LZO: {
		lzo_uint len = c->bound;

		if (lzo1x_1_compress(page, c->page_size, dst, &len,
				     c->lzo_work) == LZO_E_OK)
			n = len;
		break;
	}
	case PAGE_CODEC_SNAPPY: {
		size_t len = c->bound;

		if (snappy_compress(page, c->page_size, dst, &len) == SNAPPY_OK)
			n = len;
		break;
	}
	case PAGE_CODEC_ZSTD:
		n = ZSTD_compressCCtx(c->zstd, dst, c->bound, page,
				      c->page_size, 1);
		if (ZSTD_isError(n))
			n = 0;
		break;
	case PAGE_CODEC_NONE:
		break;
	}
	return n < c->page_size ? n : 0;
}

uint32_t page_codec_flag(enum page_codec codec)
{
	switch (codec) {
	case PAGE_CODEC_ZLIB:	return DUMP_DH_COMPRESSED_ZLIB;
	case PAGE_CODEC_LZO:	return DUMP_DH_COMPRESSED_LZO;
	case PAGE_CODEC_SNAPPY:	return DUMP_DH_COMPRESSED_SNAPPY;
	case PAGE_CODEC_ZSTD:	return DUMP_DH_COMPRESSED_ZSTD;
	case PAGE_CODEC_NONE:	break;
	}
	return 0;
}

const char *page_codec_name(enum page_codec codec)
{
	switch (codec) {
	case PAGE_CODEC_ZLIB:	return "zlib";
	case PAGE_CODEC_LZO:	return "lzo";
	case PAGE_CODEC_SNAPPY:	return "snappy";
	case PAGE_CODEC_ZSTD:	return "zstd";
	case PAGE_CODEC_NONE:	break;
	}
	return "none";
}
