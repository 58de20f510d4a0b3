/*
 * Kdump-compressed dumps, signature "KDUMP   ": makedumpfile -c/-l/-p/-z and
 * QEMU's dump-guest-memory -z/-l/-s. The layout (makedumpfile's
 * diskdump_mod.h), in blocks of block_size bytes, the page size:
 *
 *   block 0     struct disk_dump_header
 *   block 1..   struct kdump_sub_header (sub_hdr_size blocks), and where it
 *               points: VMCOREINFO (version 3+), ELF notes (4+), eraseinfo (5+)
 *   then        two bitmaps of bitmap_blocks / 2 blocks each: the first
 *               marks the pages of memory, the second the pages saved
 *   then        a struct page_desc per saved page, in PFN order
 *   then        the pages, each compressed on its own or stored as is; all
 *               zero pages share one page of zeros written first
 *
 * Fields are in the dumped machine's byte order and sized by its longs; we
 * read the dumps of 64-bit little-endian machines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/bitmap.h"
#include "dump/decompress.h"
#include "dump/diskdump.h"
#include "dump/format.h"

#define KDUMP_SIGNATURE "KDUMP   "
#define DISKDUMP_SIGNATURE "DISKDUMP"	/* the netdump-era format before it */
#define SIG_LEN 8
#define MAX_HEADER_VERSION 6
#define MAX_VMCOREINFO (1 << 20)
#define MAX_NOTES (16 << 20)
#define DESCS_PER_READ 4096

struct disk_dump_header {
	char signature[SIG_LEN];
	int32_t header_version;
	char utsname[6][65];	/* sysname, nodename, release, version,
				   machine, domainname */
	char pad[6];
	int64_t tv_sec, tv_usec;
	uint32_t status;
	int32_t block_size;
	int32_t sub_hdr_size;	/* in blocks */
	uint32_t bitmap_blocks;
	uint32_t max_mapnr;	/* 32-bit; version 6 has max_mapnr_64 */
	uint32_t total_ram_blocks, device_blocks, written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
} __attribute__((packed));

struct kdump_sub_header {
	uint64_t phys_base;
	int32_t dump_level;		/* version 1+ */
	int32_t split;			/* 2+ */
	uint64_t start_pfn, end_pfn;	/* 2+ */
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;	/* 3+ */
	uint64_t offset_note, size_note;		/* 4+ */
	uint64_t offset_eraseinfo, size_eraseinfo;	/* 5+ */
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;	/* 6+ */
} __attribute__((packed));

struct page_desc {
	uint64_t offset;	/* of the page's data in the file */
	uint32_t size;		/* of the data */
	uint32_t flags;		/* DUMP_DH_COMPRESSED_* */
	uint64_t page_flags;	/* struct page's flags; unused */
};

_Static_assert(sizeof(struct disk_dump_header) == 464, "64-bit header");
_Static_assert(sizeof(struct kdump_sub_header) == 104, "64-bit sub-header");
_Static_assert(sizeof(struct page_desc) == 24, "page_desc");

enum { UTS_SYSNAME, UTS_NODENAME, UTS_RELEASE, UTS_VERSION, UTS_MACHINE };

struct diskdump {
	struct disk_dump_header header;	/* as read: the identity of a split
					   dump's parts */
	bool split;
	uint32_t block_size;
	struct pfn_bitmap memory;	/* the first bitmap */
	struct pfn_bitmap saved;	/* the second */
	uint64_t max_pfn;
	uint64_t start_pfn, end_pfn;	/* the PFNs this file holds (split) */
	uint64_t first_desc;		/* rank of start_pfn in saved */
	uint64_t n_desc;
	uint64_t desc_off;
	struct page_decompressor *dec;
	unsigned char *scratch;		/* one page of compressed data */
	bool counted;
	struct dump_page_counts counts;
};

static bool diskdump_probe(const unsigned char *head, size_t len)
{
	return len >= SIG_LEN && (memcmp(head, KDUMP_SIGNATURE, SIG_LEN) == 0 ||
				  memcmp(head, DISKDUMP_SIGNATURE, SIG_LEN) == 0);
}

static void copy_uts(char *dst, const char *src)
{
	memcpy(dst, src, 64);
	dst[64] = '\0';
}

/* 32-bit machines lay the headers out differently (4-byte longs). */
static bool is_32bit_machine(const char *m)
{
	static const char *const names[] = {
		"i386", "i486", "i586", "i686", "arm", "armv7l", "armv6l", "ppc",
		"s390", "mips", "mipsel", "riscv32", "sh4", "parisc", "sparc",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i]) == 0)
			return true;
	return false;
}

static struct kdk_error *check_header(const struct disk_dump_header *h,
				      const char *machine)
{
	uint32_t bs = h->block_size;

	if (memcmp(h->signature, DISKDUMP_SIGNATURE, SIG_LEN) == 0)
		return kdk_error(KDK_ERR_FORMAT, "an old diskdump (DISKDUMP) "
				 "file: only kdump-compressed dumps are supported");
	if (h->header_version < 1 || h->header_version > MAX_HEADER_VERSION)
		return kdk_error(KDK_ERR_FORMAT, "kdump-compressed header "
				 "version %d: this kdumpkit reads versions 1-%d",
				 h->header_version, MAX_HEADER_VERSION);
	if (is_32bit_machine(machine))
		return kdk_error(KDK_ERR_FORMAT, "a dump of a 32-bit %s machine: "
				 "not supported yet", machine);
	if (h->block_size < 512 || h->block_size > (1 << 20) || (bs & (bs - 1)))
		return kdk_error(KDK_ERR_FORMAT, "corrupt kdump header: block "
				 "size %d is not a page size", h->block_size);
	if (h->sub_hdr_size < 1 || h->sub_hdr_size > 1024)
		return kdk_error(KDK_ERR_FORMAT, "corrupt kdump header: a "
				 "sub-header of %d blocks", h->sub_hdr_size);
	if (!h->bitmap_blocks || h->bitmap_blocks % 2)
		return kdk_error(KDK_ERR_FORMAT, "corrupt kdump header: %u "
				 "bitmap blocks, not two bitmaps",
				 h->bitmap_blocks);
	return NULL;
}

static struct kdk_error *read_headers(struct dump *d,
				      struct disk_dump_header *h,
				      struct kdump_sub_header *sh)
{
	struct kdk_error *err;

	if (d->src->size < sizeof(*h))
		return kdk_error(KDK_ERR_FORMAT, "truncated: the file has %llu "
				 "bytes, less than a kdump header (%zu)",
				 (unsigned long long)d->src->size, sizeof(*h));
	err = dump_source_read(d->src, 0, h, sizeof(*h));
	if (err)
		return err;
	copy_uts(d->facts.machine, h->utsname[UTS_MACHINE]);
	err = check_header(h, d->facts.machine);
	if (err)
		return err;
	if (d->src->size < (uint64_t)h->block_size + sizeof(*sh))
		return kdk_error(KDK_ERR_FORMAT, "truncated: the file ends at "
				 "0x%llx, before the kdump sub-header at 0x%x",
				 (unsigned long long)d->src->size,
				 h->block_size);
	return dump_source_read(d->src, h->block_size, sh, sizeof(*sh));
}

static void set_facts(struct dump *d, const struct disk_dump_header *h,
		      const struct kdump_sub_header *sh)
{
	struct dump_facts *f = &d->facts;

	f->format_version = h->header_version;
	dump_compression_name(h->status & DUMP_DH_COMPRESSED, f->compression,
			      sizeof(f->compression));
	f->dump_level = sh->dump_level;
	f->page_size = h->block_size;
	copy_uts(f->release, h->utsname[UTS_RELEASE]);
	copy_uts(f->node, h->utsname[UTS_NODENAME]);
	f->timestamp = h->tv_sec;
	f->nr_cpus = h->nr_cpus;
	f->phys_base = sh->phys_base;
	f->incomplete = h->status & DUMP_DH_COMPRESSED_INCOMPLETE;
}

/* Which PFNs exist, and which of them this file holds. A part of a split
 * dump (makedumpfile --split) says which: split.c puts the parts together
 * and says what is missing. */
static struct kdk_error *set_pfn_limits(struct diskdump *dd,
					const struct disk_dump_header *h,
					const struct kdump_sub_header *sh)
{
	dd->max_pfn = h->header_version >= 6 && sh->max_mapnr_64 ?
		      sh->max_mapnr_64 : h->max_mapnr;
	dd->start_pfn = 0;
	dd->end_pfn = dd->max_pfn;
	dd->split = h->header_version >= 2 && sh->split;
	if (!dd->split)
		return NULL;
	/* before version 6, only the 32-bit fields */
	dd->start_pfn = h->header_version >= 6 ? sh->start_pfn_64 : sh->start_pfn;
	dd->end_pfn = h->header_version >= 6 ? sh->end_pfn_64 : sh->end_pfn;
	if (dd->start_pfn > dd->end_pfn || dd->end_pfn > dd->max_pfn)
		return kdk_error(KDK_ERR_FORMAT, "corrupt kdump sub-header: "
				 "this part of a split dump holds PFNs 0x%llx-0x%llx "
				 "of 0x%llx", (unsigned long long)dd->start_pfn,
				 (unsigned long long)dd->end_pfn,
				 (unsigned long long)dd->max_pfn);
	return NULL;
}

static struct kdk_error *read_bitmap(struct dump *d, uint64_t off,
				     uint64_t nbits, struct pfn_bitmap *b)
{
	size_t bytes = (nbits + 7) / 8;
	unsigned char *buf = malloc(bytes ? bytes : 1);
	struct kdk_error *err;

	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory for a bitmap of "
				 "%zu bytes", bytes);
	err = dump_source_read(d->src, off, buf, bytes);
	if (!err)
		err = pfn_bitmap_init(b, buf, nbits);
	free(buf);
	return err;
}

static struct kdk_error *read_bitmaps(struct dump *d, struct diskdump *dd,
				      const struct disk_dump_header *h)
{
	uint64_t off = (uint64_t)h->block_size * (1 + h->sub_hdr_size);
	uint64_t half = (uint64_t)h->bitmap_blocks / 2 * h->block_size;
	uint64_t nbits = dd->max_pfn;
	struct kdk_error *err;

	if (off + 2 * half > d->src->size)
		return kdk_error(KDK_ERR_FORMAT, "truncated: the bitmaps end at "
				 "0x%llx, the file at 0x%llx",
				 (unsigned long long)(off + 2 * half),
				 (unsigned long long)d->src->size);
	if (nbits > half * 8) {
		err = dump_add_problem(d, "corrupt kdump header: %llu pages, "
				       "but bitmaps for %llu; the rest are "
				       "not in the dump",
				       (unsigned long long)nbits,
				       (unsigned long long)half * 8);
		if (err)
			return err;
		dd->max_pfn = nbits = half * 8;
		if (dd->end_pfn > nbits)
			dd->end_pfn = nbits;
		if (dd->start_pfn > nbits)
			dd->start_pfn = nbits;
	}
	err = read_bitmap(d, off, nbits, &dd->memory);
	if (!err)
		err = read_bitmap(d, off + half, nbits, &dd->saved);
	dd->desc_off = off + 2 * half;
	return err;
}

/* A blob the sub-header points to; problems, not errors, if it is bad. */
static struct kdk_error *read_blob(struct dump *d, uint64_t off, uint64_t size,
				   uint64_t max, const char *what, void **out)
{
	struct kdk_error *err;

	*out = NULL;
	if (size > max)
		return dump_add_problem(d, "%s: %llu bytes in the sub-header, "
					"too large to be real", what,
					(unsigned long long)size);
	*out = malloc(size + 1);
	if (!*out)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = dump_source_read(d->src, off, *out, size);
	if (err) {
		free(*out);
		*out = NULL;
		return dump_add_problem_err(d, err, what);
	}
	((char *)*out)[size] = '\0';
	return NULL;
}

static struct kdk_error *read_vmcoreinfo_and_notes(struct dump *d,
				const struct disk_dump_header *h,
				const struct kdump_sub_header *sh)
{
	struct kdk_error *err = NULL;
	void *blob;

	if (h->header_version >= 3 && sh->size_vmcoreinfo) {
		err = read_blob(d, sh->offset_vmcoreinfo, sh->size_vmcoreinfo,
				MAX_VMCOREINFO, "VMCOREINFO", &blob);
		if (!err && blob)
			err = dump_set_vmcoreinfo(d, blob, sh->size_vmcoreinfo,
						  DUMP_VMCOREINFO_HEADER);
		free(blob);
	}
	if (!err && h->header_version >= 4 && sh->size_note) {
		err = read_blob(d, sh->offset_note, sh->size_note, MAX_NOTES,
				"ELF notes", &blob);
		if (!err && blob)
			err = dump_set_notes(d, blob, sh->size_note);
		free(blob);
	}
	return err;
}

/* Memory ranges: the runs of the first bitmap. */
static struct kdk_error *add_ranges(struct dump *d, const struct diskdump *dd)
{
	uint64_t pfn = pfn_bitmap_next_set(&dd->memory, 0);
	struct kdk_error *err = NULL;

	while (pfn < dd->memory.nbits && !err) {
		uint64_t end = pfn_bitmap_next_clear(&dd->memory, pfn);

		err = dump_add_range(d, pfn * dd->block_size,
				     end * dd->block_size);
		pfn = pfn_bitmap_next_set(&dd->memory, end);
	}
	return err;
}

static struct kdk_error *check_descs(struct dump *d, struct diskdump *dd)
{
	uint64_t end;

	dd->first_desc = pfn_bitmap_rank(&dd->saved, dd->start_pfn);
	dd->n_desc = pfn_bitmap_rank(&dd->saved, dd->end_pfn) - dd->first_desc;
	end = dd->desc_off + dd->n_desc * sizeof(struct page_desc);
	if (end <= d->src->size)
		return NULL;
	return dump_add_problem(d, "truncated: the page descriptors end at "
				"0x%llx, the file at 0x%llx",
				(unsigned long long)end,
				(unsigned long long)d->src->size);
}

static struct kdk_error *open_parts(struct dump *d, struct diskdump *dd)
{
	struct disk_dump_header h;
	struct kdump_sub_header sh;
	struct kdk_error *err;

	err = read_headers(d, &h, &sh);
	if (err)
		return err;
	if (h.header_version < 2)	/* fields it did not have */
		sh.split = 0;
	set_facts(d, &h, &sh);
	dd->header = h;
	dd->block_size = h.block_size;
	if (d->facts.incomplete)
		err = dump_add_problem(d, "incomplete: the writer marked the "
				       "dump incomplete (it ran out of space); "
				       "pages it did not write are missing");
	if (!err)
		err = set_pfn_limits(dd, &h, &sh);
	if (!err)
		err = read_bitmaps(d, dd, &h);
	if (!err)
		err = read_vmcoreinfo_and_notes(d, &h, &sh);
	if (!err)
		err = add_ranges(d, dd);
	if (!err)
		err = check_descs(d, dd);
	return err;
}

static struct kdk_error *diskdump_open(struct dump *d)
{
	struct diskdump *dd = calloc(1, sizeof(*dd));
	struct kdk_error *err;

	if (!dd)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	d->priv = dd;
	err = open_parts(d, dd);
	if (!err)
		err = page_decompressor_new(&dd->dec);
	if (!err && !(dd->scratch = malloc(dd->block_size)))
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	return err;
}

/* --- reading a page --- */

/* The index of pfn's page descriptor, or why it has none. */
static struct kdk_error *desc_index(const struct dump *d,
				    const struct diskdump *dd, uint64_t pfn,
				    uint64_t *index)
{
	if (!pfn_bitmap_test(&dd->saved, pfn)) {
		if (pfn_bitmap_test(&dd->memory, pfn))
			return dump_err_excluded(d, NULL);
		return dump_err_not_in_dump();
	}
	if (pfn < dd->start_pfn || pfn >= dd->end_pfn)
		return kdk_error(KDK_ERR_NOT_PRESENT, "not in this part of a "
				 "split dump (it holds PFNs 0x%llx-0x%llx)",
				 (unsigned long long)dd->start_pfn,
				 (unsigned long long)dd->end_pfn - 1);
	*index = pfn_bitmap_rank(&dd->saved, pfn) - dd->first_desc;
	return NULL;
}

static struct kdk_error *check_desc(const struct dump *d,
				    const struct diskdump *dd,
				    const struct page_desc *pd)
{
	if (!pd->offset && !pd->size)
		return d->facts.incomplete ?
			kdk_error(KDK_ERR_NOT_PRESENT, "never written: the "
				  "dump is incomplete") :
			kdk_error(KDK_ERR_FORMAT, "corrupt page descriptor "
				  "(no data)");
	if (!pd->size || pd->size > dd->block_size ||
	    (!(pd->flags & DUMP_DH_COMPRESSED) && pd->size != dd->block_size))
		return kdk_error(KDK_ERR_FORMAT, "corrupt page descriptor: %u "
				 "bytes of data (flags 0x%x) for a page of %u",
				 pd->size, pd->flags, dd->block_size);
	return NULL;
}

static struct kdk_error *read_desc(const struct dump *d,
				   const struct diskdump *dd, uint64_t index,
				   struct page_desc *pd)
{
	struct kdk_error *err;

	err = dump_source_read(d->src, dd->desc_off + index * sizeof(*pd), pd,
			       sizeof(*pd));
	if (err)
		return kdk_error_wrap(err, "page descriptor %llu",
				      (unsigned long long)index);
	return check_desc(d, dd, pd);
}

static struct kdk_error *diskdump_read_page(struct dump *d, uint64_t pfn,
					    void *page)
{
	struct diskdump *dd = d->priv;
	struct page_desc pd;
	struct kdk_error *err;
	uint64_t index = 0;

	err = desc_index(d, dd, pfn, &index);
	if (!err)
		err = read_desc(d, dd, index, &pd);
	if (err)
		return err;
	if (!(pd.flags & DUMP_DH_COMPRESSED))
		return dump_source_read(d->src, pd.offset, page, pd.size);
	err = dump_source_read(d->src, pd.offset, dd->scratch, pd.size);
	if (!err)
		err = page_decompress(dd->dec, pd.flags, dd->scratch, pd.size,
				      page, dd->block_size);
	if (err)
		return kdk_error_wrap(err, "page data at file offset 0x%llx",
				      (unsigned long long)pd.offset);
	return NULL;
}

/* --- counting pages --- */

/* The file offset of the shared page of zeros, or UINT64_MAX: the first
 * page of data, if it is zeros and stored as is. The data starts after
 * room for a descriptor per saved page, even in a part of a split dump,
 * which holds the descriptors of its own PFNs only (makedumpfile.c:
 * write_kdump_pages_and_bitmap_cyclic() sizes it by num_dumpable). */
static uint64_t zero_page_offset(struct dump *d, struct diskdump *dd)
{
	uint64_t off = dd->desc_off + dd->saved.set * sizeof(struct page_desc);
	struct kdk_error *err;

	err = dump_source_read(d->src, off, dd->scratch, dd->block_size);
	if (err) {
		kdk_error_free(err);
		return UINT64_MAX;
	}
	for (uint32_t i = 0; i < dd->block_size; i++)
		if (dd->scratch[i])
			return UINT64_MAX;
	return off;
}

static void count_desc(const struct dump *d, const struct page_desc *pd,
		       uint64_t zero_off, struct dump_page_counts *c)
{
	if ((!pd->offset && !pd->size) || pd->offset > d->src->size ||
	    pd->size > d->src->size - pd->offset)
		c->missing++;
	else if (pd->offset == zero_off && !(pd->flags & DUMP_DH_COMPRESSED))
		c->zero++;
}

/* Read every page descriptor: zero pages, and pages the file lacks. */
static struct kdk_error *scan_descs(struct dump *d, struct diskdump *dd,
				    struct dump_page_counts *c)
{
	struct page_desc *pd = malloc(DESCS_PER_READ * sizeof(*pd));
	uint64_t zero_off = zero_page_offset(d, dd);

	if (!pd)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	dump_source_advise(d->src, DUMP_ACCESS_SEQUENTIAL);
	for (uint64_t i = 0; i < dd->n_desc; i += DESCS_PER_READ) {
		uint64_t n = dd->n_desc - i < DESCS_PER_READ ?
			     dd->n_desc - i : DESCS_PER_READ;
		struct kdk_error *err;

		err = dump_source_read(d->src, dd->desc_off + i * sizeof(*pd),
				       pd, n * sizeof(*pd));
		if (err) {	/* truncated: this and the later ones */
			kdk_error_free(err);
			c->missing += dd->n_desc - i;
			break;
		}
		for (uint64_t j = 0; j < n; j++)
			count_desc(d, &pd[j], zero_off, c);
	}
	dump_source_advise(d->src, DUMP_ACCESS_RANDOM);
	free(pd);
	return NULL;
}

static uint64_t count_excluded(const struct diskdump *dd)
{
	uint64_t n = 0, words = (dd->memory.nbits + 63) / 64;

	for (uint64_t i = 0; i < words; i++)
		n += __builtin_popcountll(dd->memory.words[i] &
					  ~dd->saved.words[i]);
	return n;
}

static struct kdk_error *diskdump_count_pages(struct dump *d,
					      struct dump_page_counts *c)
{
	struct diskdump *dd = d->priv;
	struct kdk_error *err;

	if (dd->counted) {
		*c = dd->counts;
		return NULL;
	}
	c->max_pfn = dd->max_pfn;
	c->in_memory = dd->memory.set;
	c->present = dd->n_desc;
	c->excluded = count_excluded(dd);
	c->has_zero = true;
	err = scan_descs(d, dd, c);
	if (err)
		return err;
	dd->counted = true;
	dd->counts = *c;
	if (!c->missing || d->facts.incomplete)
		return NULL;
	return dump_add_problem(d, "truncated: the data of %llu of the %llu "
				"saved pages is past the end of the file",
				(unsigned long long)c->missing,
				(unsigned long long)c->present);
}

static void diskdump_close(struct dump *d)
{
	struct diskdump *dd = d->priv;

	if (!dd)
		return;
	pfn_bitmap_free(&dd->memory);
	pfn_bitmap_free(&dd->saved);
	page_decompressor_free(dd->dec);
	free(dd->scratch);
	free(dd);
}

const struct dump_format_ops dump_diskdump_ops = {
	.name = "kdump-compressed",
	.probe = diskdump_probe,
	.open = diskdump_open,
	.read_page = diskdump_read_page,
	.count_pages = diskdump_count_pages,
	.close = diskdump_close,
};

/* --- for split.c --- */

bool diskdump_split_info(const struct dump *d, struct diskdump_split *out)
{
	const struct diskdump *dd = d->priv;

	if (d->ops != &dump_diskdump_ops || !dd)
		return false;
	*out = (struct diskdump_split){
		.split = dd->split,
		.start_pfn = dd->start_pfn,
		.end_pfn = dd->end_pfn,
		.max_pfn = dd->max_pfn,
		.header = &dd->header,
		.header_size = sizeof(dd->header),
	};
	return true;
}

bool diskdump_pfn_saved(const struct dump *d, uint64_t pfn)
{
	const struct diskdump *dd = d->priv;

	return pfn_bitmap_test(&dd->saved, pfn);
}

uint64_t diskdump_saved_between(const struct dump *d, uint64_t start,
				uint64_t end)
{
	const struct diskdump *dd = d->priv;

	return pfn_bitmap_rank(&dd->saved, end) -
	       pfn_bitmap_rank(&dd->saved, start);
}
