#include "dump/decompress.h"

#include <libdeflate.h>
#include <lzo/lzo1x.h>
#include <stdbool.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct page_decompressor {
	struct libdeflate_decompressor *zlib;	/* 2-3 times zlib's speed */
	ZSTD_DCtx *zstd;
};

struct kdk_error *page_decompressor_new(struct page_decompressor **out)
{
	struct page_decompressor *d = calloc(1, sizeof(*d));

	if (!d)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (lzo_init() != LZO_E_OK) {
		free(d);
		return kdk_error(KDK_ERR_OTHER, "the LZO library failed to "
				 "initialize");
	}
	*out = d;
	return NULL;
}

void page_decompressor_free(struct page_decompressor *d)
{
	if (!d)
		return;
	if (d->zlib)
		libdeflate_free_decompressor(d->zlib);
	ZSTD_freeDCtx(d->zstd);
	free(d);
}

static struct kdk_error *bad_size(const char *method, size_t got, size_t want)
{
	return kdk_error(KDK_ERR_FORMAT, "%s data decompresses to %zu bytes, "
			 "not a page of %zu", method, got, want);
}

static struct kdk_error *inflate_page(struct page_decompressor *d,
				      const void *src, size_t src_len,
				      void *dst, size_t dst_len)
{
	enum libdeflate_result ret;
	size_t out_len = 0;

	if (!d->zlib && !(d->zlib = libdeflate_alloc_decompressor()))
		return kdk_error(KDK_ERR_NOMEM, "zlib: out of memory");
	ret = libdeflate_zlib_decompress(d->zlib, src, src_len, dst, dst_len,
					 &out_len);
	if (ret == LIBDEFLATE_INSUFFICIENT_SPACE)
		return kdk_error(KDK_ERR_FORMAT, "zlib data decompresses to "
				 "more than a page of %zu", dst_len);
	if (ret != LIBDEFLATE_SUCCESS)
		return kdk_error(KDK_ERR_FORMAT, "zlib data is corrupt");
	if (out_len != dst_len)
		return bad_size("zlib", out_len, dst_len);
	return NULL;
}

static struct kdk_error *unlzo_page(const void *src, size_t src_len,
				    void *dst, size_t dst_len)
{
	lzo_uint out_len = dst_len;
	int ret = lzo1x_decompress_safe(src, src_len, dst, &out_len, NULL);

	if (ret != LZO_E_OK)
		return kdk_error(KDK_ERR_FORMAT, "LZO data is corrupt (error %d)",
				 ret);
	if (out_len != dst_len)
		return bad_size("LZO", out_len, dst_len);
	return NULL;
}

static struct kdk_error *unsnappy_page(const void *src, size_t src_len,
				       void *dst, size_t dst_len)
{
	size_t out_len = 0;

	if (snappy_uncompressed_length(src, src_len, &out_len) != SNAPPY_OK)
		return kdk_error(KDK_ERR_FORMAT, "snappy data is corrupt");
	if (out_len != dst_len)
		return bad_size("snappy", out_len, dst_len);
	if (snappy_uncompress(src, src_len, dst, &out_len) != SNAPPY_OK)
		return kdk_error(KDK_ERR_FORMAT, "snappy data is corrupt");
	return NULL;
}

static struct kdk_error *unzstd_page(struct page_decompressor *d,
				     const void *src, size_t src_len,
				     void *dst, size_t dst_len)
{
	size_t ret;

	if (!d->zstd && !(d->zstd = ZSTD_createDCtx()))
		return kdk_error(KDK_ERR_NOMEM, "zstd: out of memory");
	ret = ZSTD_decompressDCtx(d->zstd, dst, dst_len, src, src_len);
	if (ZSTD_isError(ret))
		return kdk_error(KDK_ERR_FORMAT, "zstd data is corrupt (%s)",
				 ZSTD_getErrorName(ret));
	if (ret != dst_len)
		return bad_size("zstd", ret, dst_len);
	return NULL;
}

struct kdk_error *page_decompress(struct page_decompressor *d, uint32_t flags,
				  const void *src, size_t src_len, void *dst,
				  size_t dst_len)
{
	if (flags & DUMP_DH_COMPRESSED_ZLIB)
		return inflate_page(d, src, src_len, dst, dst_len);
	if (flags & DUMP_DH_COMPRESSED_LZO)
		return unlzo_page(src, src_len, dst, dst_len);
	if (flags & DUMP_DH_COMPRESSED_SNAPPY)
		return unsnappy_page(src, src_len, dst, dst_len);
	if (flags & DUMP_DH_COMPRESSED_ZSTD)
		return unzstd_page(d, src, src_len, dst, dst_len);
	return kdk_error(KDK_ERR_FORMAT, "unknown page compression (flags 0x%x)",
			 flags);
}

const char *dump_compression_name(uint32_t flags, char *buf, size_t size)
{
	static const struct { uint32_t flag; const char *name; } methods[] = {
		{ DUMP_DH_COMPRESSED_ZLIB, "zlib" },
		{ DUMP_DH_COMPRESSED_LZO, "lzo" },
		{ DUMP_DH_COMPRESSED_SNAPPY, "snappy" },
		{ DUMP_DH_COMPRESSED_ZSTD, "zstd" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!(flags & methods[i].flag))
			continue;
		len += snprintf(buf + len, len < size ? size - len : 0, "%s%s",
				len ? "+" : "", methods[i].name);
	}
	return len ? buf : "none";
}
