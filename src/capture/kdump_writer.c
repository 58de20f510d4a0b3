#include "capture/kdump_writer.h"

#include <stdlib.h>
#include <string.h>

#include "dump/decompress.h"

#define KDUMP_SIGNATURE "KDUMP   "
#define HEADER_VERSION 6

/* The 64-bit little-endian layout of makedumpfile's diskdump_mod.h, as
 * src/dump/diskdump.c reads it. */
struct disk_dump_header {
	char signature[8];
	int32_t header_version;
	char utsname[6][65];
	char pad[6];
	int64_t tv_sec, tv_usec;
	uint32_t status;
	int32_t block_size;
	int32_t sub_hdr_size;
	uint32_t bitmap_blocks;
	uint32_t max_mapnr;
	uint32_t total_ram_blocks, device_blocks, written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
} __attribute__((packed));

struct kdump_sub_header {
	uint64_t phys_base;
	int32_t dump_level;
	int32_t split;
	uint64_t start_pfn, end_pfn;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
	uint64_t offset_eraseinfo, size_eraseinfo;
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;
} __attribute__((packed));

struct page_desc {
	uint64_t offset;
	uint32_t size;
	uint32_t flags;
	uint64_t page_flags;
};

_Static_assert(sizeof(struct disk_dump_header) == 464, "64-bit header");
_Static_assert(sizeof(struct kdump_sub_header) == 104, "64-bit sub-header");
_Static_assert(sizeof(struct page_desc) == 24, "page_desc");

struct kdump_writer {
	struct out_sink *sink;
	struct disk_dump_header header;
	uint32_t page_size;
	uint64_t desc_off;
	uint64_t data_off;	/* where the next page's data goes */
	uint64_t zero_off;	/* the shared block of zeros */
	uint64_t n_total;	/* descriptors in all */
	uint64_t n_done;	/* descriptors written */
	struct page_desc *descs;	/* one batch's */
	size_t descs_cap;
};

static uint64_t div_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

uint64_t kdump_bitmap_bytes(uint64_t max_pfn, uint32_t page_size)
{
	return div_up(div_up(max_pfn, 8), page_size) * page_size;
}

static void fill_header(struct kdump_writer *w,
			const struct kdump_header_info *info,
			uint64_t max_pfn, uint64_t sub_blocks,
			uint64_t bitmap_bytes)
{
	struct disk_dump_header *h = &w->header;

	memcpy(h->signature, KDUMP_SIGNATURE, sizeof(h->signature));
	h->header_version = HEADER_VERSION;
	memcpy(h->utsname, info->utsname, sizeof(h->utsname));
	h->tv_sec = info->timestamp;
	h->status = info->codec_flag;
	h->block_size = w->page_size;
	h->sub_hdr_size = sub_blocks;
	h->bitmap_blocks = 2 * bitmap_bytes / w->page_size;
	/* the 32-bit field saturates; max_mapnr_64 has it whole */
	h->max_mapnr = max_pfn > UINT32_MAX ? UINT32_MAX : max_pfn;
	h->nr_cpus = info->nr_cpus;
}

static struct kdk_error *write_at(struct kdump_writer *w, uint64_t off,
				  const void *buf, size_t len)
{
	return sink_write(w->sink, off, buf, len, NULL);
}

static struct kdk_error *write_sub_header(struct kdump_writer *w,
					  const struct kdump_header_info *info,
					  uint64_t max_pfn)
{
	struct kdump_sub_header sh = {
		.phys_base = info->phys_base,
		.dump_level = info->dump_level,
		.max_mapnr_64 = max_pfn,
		.split = info->split,
	};
	struct kdk_error *err;

	if (info->split) {
		sh.start_pfn_64 = info->start_pfn;
		sh.end_pfn_64 = info->end_pfn;
		/* the 32-bit fields saturate, as max_mapnr does */
		sh.start_pfn = info->start_pfn > UINT32_MAX ? UINT32_MAX :
			       info->start_pfn;
		sh.end_pfn = info->end_pfn > UINT32_MAX ? UINT32_MAX :
			     info->end_pfn;
	}
	if (info->notes_size) {
		/* the notes follow the sub-header in its blocks */
		sh.offset_note = w->page_size + sizeof(sh);
		sh.size_note = info->notes_size;
		err = write_at(w, sh.offset_note, info->notes,
			       info->notes_size);
		if (err)
			return err;
	}
	if (info->notes_size && info->vmcoreinfo_size) {
		sh.offset_vmcoreinfo = sh.offset_note + info->vmcoreinfo_off;
		sh.size_vmcoreinfo = info->vmcoreinfo_size;
	}
	return write_at(w, w->page_size, &sh, sizeof(sh));
}

struct kdk_error *kdump_writer_start(struct out_sink *sink, uint32_t page_size,
				     const struct kdump_header_info *info,
				     const struct page_bits *memory,
				     const struct page_bits *saved,
				     struct kdump_writer **out)
{
	struct kdump_writer *w = calloc(1, sizeof(*w));
	uint64_t max_pfn = memory->nbits;
	uint64_t sub_blocks, bitmap_off;
	struct kdk_error *err;

	if (!w)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	w->sink = sink;
	w->page_size = page_size;
	sub_blocks = div_up(sizeof(struct kdump_sub_header) + info->notes_size,
			    page_size);
	fill_header(w, info, max_pfn, sub_blocks, memory->nbytes);
	bitmap_off = (uint64_t)page_size * (1 + sub_blocks);
	w->desc_off = bitmap_off + 2 * memory->nbytes;
	w->n_total = info->split ?
		page_bits_count_range(saved, info->start_pfn, info->end_pfn) :
		page_bits_count(saved);
	w->data_off = w->desc_off +
		      page_bits_count(saved) * sizeof(struct page_desc);

	err = sink_begin(sink);
	if (!err)
		err = write_at(w, 0, &w->header, sizeof(w->header));
	if (!err)
		err = write_sub_header(w, info, max_pfn);
	if (!err)
		err = write_at(w, bitmap_off, memory->bytes, memory->nbytes);
	if (!err)
		err = write_at(w, bitmap_off + memory->nbytes, saved->bytes,
			       saved->nbytes);
	if (!err)
		err = sink_reserve(sink, w->desc_off,
				   w->n_total * sizeof(struct page_desc));
	if (!err && info->zero_block) {
		void *zeros = calloc(1, page_size);

		if (!zeros)
			err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		else
			err = write_at(w, w->data_off, zeros, page_size);
		free(zeros);
		w->zero_off = w->data_off;
		w->data_off += page_size;
	}
	if (err) {
		free(w);
		return err;
	}
	*out = w;
	return NULL;
}

struct kdk_error *kdump_writer_add(struct kdump_writer *w,
				   const struct kdump_page_out *pages,
				   size_t n, const void *data)
{
	size_t len = 0, done = 0, described = 0;
	uint64_t off = w->data_off;
	struct kdk_error *err, *err2;

	if (n > w->n_total - w->n_done)
		return kdk_error(KDK_ERR_OTHER, "more pages than the bitmap "
				 "saves (%llu)", (unsigned long long)w->n_total);
	if (n > w->descs_cap) {
		struct page_desc *v = realloc(w->descs, n * sizeof(*v));

		if (!v)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		w->descs = v;
		w->descs_cap = n;
	}
	for (size_t i = 0; i < n; i++)
		len += pages[i].size;
	err = sink_write(w->sink, w->data_off, data, len, &done);
	/* describe the pages whose data all reached the file */
	for (size_t i = 0; i < n; i++) {
		struct page_desc *pd = &w->descs[i];

		if (pages[i].zero) {
			*pd = (struct page_desc){ .offset = w->zero_off,
						  .size = w->page_size };
		} else {
			if (off + pages[i].size > w->data_off + done)
				break;
			*pd = (struct page_desc){ .offset = off,
						  .size = pages[i].size,
						  .flags = pages[i].flags };
			off += pages[i].size;
		}
		described++;
	}
	w->data_off += done;
	err2 = write_at(w, w->desc_off + w->n_done * sizeof(struct page_desc),
			w->descs, described * sizeof(struct page_desc));
	if (!err2)
		w->n_done += described;
	if (err) {
		kdk_error_free(err2);
		return err;
	}
	return err2;
}

uint64_t kdump_writer_pages_done(const struct kdump_writer *w)
{
	return w->n_done;
}

uint64_t kdump_writer_pages_total(const struct kdump_writer *w)
{
	return w->n_total;
}

struct kdk_error *kdump_writer_finish(struct kdump_writer *w, bool incomplete)
{
	struct kdk_error *err;

	if (incomplete)
		w->header.status |= DUMP_DH_COMPRESSED_INCOMPLETE;
	err = write_at(w, 0, &w->header, sizeof(w->header));
	if (!err)
		err = sink_end(w->sink);
	free(w->descs);
	free(w);
	return err;
}
