/* Writing a kdump-compressed dump, header version 6, as makedumpfile
 * writes it (its diskdump_mod.h, makedumpfile.c: write_kdump_header(),
 * write_kdump_pages_cyclic()); the layout is described in
 * src/dump/diskdump.c, which reads it:
 *
 *   block 0   disk_dump_header      block 1..  kdump_sub_header + ELF notes
 *   bitmaps   memory, saved pages   then       a page_desc per saved page
 *   then      page data: with dump level bit 1, one block of zeros first,
 *             which every zero page's descriptor points to
 *
 * Pages are added in PFN order, in batches; each batch's data is written
 * before its descriptors, so whatever the disk took when it filled up is
 * described, and kdump_writer_finish(incomplete) marks the dump so.
 */
#ifndef KDK_CAPTURE_KDUMP_WRITER_H
#define KDK_CAPTURE_KDUMP_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "capture/page_bits.h"
#include "capture/sink.h"

struct kdump_header_info {
	char utsname[6][65];	/* the kernel's: sysname .. domainname */
	int64_t timestamp;	/* VMCOREINFO's CRASHTIME */
	int32_t nr_cpus;
	uint64_t phys_base;
	int dump_level;
	uint32_t codec_flag;	/* DUMP_DH_COMPRESSED_* */
	const void *notes;	/* the input's ELF note area, copied whole */
	size_t notes_size;
	void *notes_owned;	/* notes, when made here (header_info_free) */
	size_t vmcoreinfo_off;	/* VMCOREINFO's text within the notes */
	size_t vmcoreinfo_size;	/* 0: none */
	bool zero_block;	/* dump level bit 1: zero pages share one */
	/* A part of a split dump (makedumpfile --split): it holds the saved
	 * pages of PFNs [start_pfn, end_pfn); its bitmaps are the whole
	 * dump's, and room is left for every saved page's descriptor, as
	 * makedumpfile leaves it. */
	bool split;
	uint64_t start_pfn, end_pfn;
};

/* One page of a batch, as a worker left it. */
struct kdump_page_out {
	uint32_t size;		/* bytes in the batch's data */
	uint32_t flags;		/* DUMP_DH_COMPRESSED_*, 0 stored as is */
	bool zero;		/* a page of zeros: the shared block */
};

struct kdump_writer;

/* Bitmaps: nbytes a multiple of the page size (kdump_bitmap_bytes()).
 * Writes everything before the page data. */
struct kdk_error *kdump_writer_start(struct out_sink *sink, uint32_t page_size,
				     const struct kdump_header_info *info,
				     const struct page_bits *memory,
				     const struct page_bits *saved,
				     struct kdump_writer **out);

/* Bytes of one bitmap for max_pfn PFNs (whole blocks, as crash needs). */
uint64_t kdump_bitmap_bytes(uint64_t max_pfn, uint32_t page_size);

/* The next n saved pages, in PFN order, whose data (size each, zero
 * pages none) follow each other at data. On error, the pages whose data
 * reached the file are described; the dump can still be finished. */
struct kdk_error *kdump_writer_add(struct kdump_writer *w,
				   const struct kdump_page_out *pages,
				   size_t n, const void *data);

/* Pages described so far, and of the saved pages in all. */
uint64_t kdump_writer_pages_done(const struct kdump_writer *w);
uint64_t kdump_writer_pages_total(const struct kdump_writer *w);

/* Rewrite the header (with DUMP_DH_COMPRESSED_INCOMPLETE if incomplete)
 * and end the output. Frees w. */
struct kdk_error *kdump_writer_finish(struct kdump_writer *w, bool incomplete);

#endif
