/* A tiny kdump-compressed dump, built here byte by byte: 16 PFNs, 12 of
 * them memory, 6 saved (one zero page, one page per compression method and
 * one stored as is), read back through dump_open() as a file, as a
 * flattened stream, truncated and corrupted. */
#include <endian.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "dump/dump.h"
#include "tap.h"

#define PS 4096
#define MAX_PFN 16
#define MEMORY_PFNS 12			/* PFNs 0-11 are memory */
#define HDR_SIZE 464
#define SUB_OFF PS
#define VMCI_OFF (PS + 104)
#define NOTE_OFF (PS + 1024)
#define BITMAP1_OFF (2 * PS)
#define BITMAP2_OFF (3 * PS)
#define DESC_OFF (4 * PS)
#define PRSTATUS_SIZE 336

static const char vmcoreinfo[] = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
				 "CRASHTIME=1700000000\n";

/* The saved PFNs and how each is stored: 0 is the shared zero page,
 * 0x100 means stored as is. */
static const struct { uint64_t pfn; uint32_t how; } saved[] = {
	{ 0, 0 }, { 1, 0x1 /* zlib */ }, { 2, 0x100 }, { 3, 0x2 /* lzo */ },
	{ 5, 0x4 /* snappy */ }, { 8, 0x20 /* zstd */ },
};
#define N_SAVED (sizeof(saved) / sizeof(saved[0]))

struct image {
	unsigned char *buf;
	size_t len;
	size_t desc_pos[N_SAVED];	/* where each descriptor is */
	size_t data_pos[N_SAVED];	/* where each page's data is */
	size_t data_len[N_SAVED];
};

static void page_pattern(uint64_t pfn, unsigned char *page)
{
	for (int i = 0; i < PS; i++)
		page[i] = pfn == 0 ? 0 : (unsigned char)(pfn * 16 + i % 61);
}

static void put(struct image *im, size_t off, const void *p, size_t n)
{
	if (off + n > im->len) {
		im->buf = realloc(im->buf, off + n);
		memset(im->buf + im->len, 0, off + n - im->len);
		im->len = off + n;
	}
	memcpy(im->buf + off, p, n);
}

static void put32(struct image *im, size_t off, uint32_t v)
{
	put(im, off, &v, 4);
}

static void put64(struct image *im, size_t off, uint64_t v)
{
	put(im, off, &v, 8);
}

static void build_headers(struct image *im)
{
	put(im, 0, "KDUMP   ", 8);
	put32(im, 8, 6);				/* header_version */
	put(im, 12 + 65, "testhost", 8);		/* nodename */
	put(im, 12 + 2 * 65, "6.1.0-test", 10);		/* release */
	put(im, 12 + 4 * 65, "x86_64", 6);		/* machine */
	put32(im, 424, 0x1);				/* status: zlib */
	put32(im, 428, PS);				/* block_size */
	put32(im, 432, 1);				/* sub_hdr_size */
	put32(im, 436, 2);				/* bitmap_blocks */
	put32(im, 440, MAX_PFN);
	put32(im, 460, 1);				/* nr_cpus */
	put32(im, SUB_OFF + 8, 31);			/* dump_level */
	put64(im, SUB_OFF + 32, VMCI_OFF);
	put64(im, SUB_OFF + 40, sizeof(vmcoreinfo) - 1);
	put(im, VMCI_OFF, vmcoreinfo, sizeof(vmcoreinfo) - 1);
	put64(im, SUB_OFF + 96, MAX_PFN);		/* max_mapnr_64 */
}

static void build_notes(struct image *im)
{
	unsigned char desc[PRSTATUS_SIZE] = { 0 };
	int32_t pid = 42;
	size_t off = NOTE_OFF;

	memcpy(desc + 32, &pid, 4);
	for (uint64_t r = 0; r < 27; r++)
		memcpy(desc + 112 + 8 * r, &(uint64_t){ 0x1000 + r }, 8);
	put32(im, off, 5);
	put32(im, off + 4, PRSTATUS_SIZE);
	put32(im, off + 8, 1);
	put(im, off + 12, "CORE", 5);
	put(im, off + 20, desc, PRSTATUS_SIZE);
	off += 20 + PRSTATUS_SIZE;
	/* a second VMCOREINFO, as a note: the sub-header's must win */
	put32(im, off, 11);
	put32(im, off + 4, 12);
	put32(im, off + 8, 0);
	put(im, off + 12, "VMCOREINFO", 11);
	put(im, off + 24, "OSRELEASE=x\n", 12);
	off += 36;
	put64(im, SUB_OFF + 48, NOTE_OFF);
	put64(im, SUB_OFF + 56, off - NOTE_OFF);
}

static void build_bitmaps(struct image *im)
{
	uint16_t memory = (1 << MEMORY_PFNS) - 1, kept = 0;

	for (size_t i = 0; i < N_SAVED; i++)
		kept |= 1 << saved[i].pfn;
	put(im, BITMAP1_OFF, &memory, 2);
	put(im, BITMAP2_OFF, &kept, 2);
	put(im, 4 * PS - 1, "", 1);	/* the bitmaps fill their blocks */
}

static size_t compress_page(uint32_t how, const unsigned char *page,
			    unsigned char *out)
{
	uLongf zlen = 2 * PS;
	lzo_uint llen = 2 * PS;
	size_t slen = 2 * PS;

	switch (how) {
	case 0x1:
		compress2(out, &zlen, page, PS, 6);
		return zlen;
	case 0x2: {
		void *wrkmem = malloc(LZO1X_1_MEM_COMPRESS);

		lzo1x_1_compress(page, PS, out, &llen, wrkmem);
		free(wrkmem);
		return llen;
	}
	case 0x4:
		snappy_compress((const char *)page, PS, (char *)out, &slen);
		return slen;
	case 0x20:
		return ZSTD_compress(out, 2 * PS, page, PS, 3);
	default:
		memcpy(out, page, PS);
		return PS;
	}
}

static void build_pages(struct image *im)
{
	size_t data = DESC_OFF + N_SAVED * 24, zero_page = data;
	unsigned char page[PS], out[2 * PS];

	memset(page, 0, PS);
	put(im, data, page, PS);		/* the shared zero page */
	data += PS;
	for (size_t i = 0; i < N_SAVED; i++) {
		size_t desc = DESC_OFF + 24 * i, len;

		page_pattern(saved[i].pfn, page);
		len = saved[i].pfn == 0 ? PS : compress_page(saved[i].how, page, out);
		im->desc_pos[i] = desc;
		im->data_pos[i] = saved[i].pfn == 0 ? zero_page : data;
		im->data_len[i] = len;
		put64(im, desc, im->data_pos[i]);
		put32(im, desc + 8, len);
		put32(im, desc + 12, saved[i].how & 0xff);
		if (saved[i].pfn == 0)
			continue;
		put(im, data, out, len);
		data += len;
	}
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(buf, 1, len, f);
	fclose(f);
}

/* The image as a flattened stream: 1000-byte records, last one first. */
static void write_flattened(const char *path, const struct image *im)
{
	unsigned char header[4096] = "makedumpfile";
	FILE *f = fopen(path, "wb");
	uint64_t be;

	header[23] = header[31] = 1;
	fwrite(header, sizeof(header), 1, f);
	for (size_t off = (im->len - 1) / 1000 * 1000;; off -= 1000) {
		size_t n = im->len - off < 1000 ? im->len - off : 1000;

		be = htobe64(off);
		fwrite(&be, 8, 1, f);
		be = htobe64(n);
		fwrite(&be, 8, 1, f);
		fwrite(im->buf + off, 1, n, f);
		if (!off)
			break;
	}
	be = htobe64(-1);
	fwrite(&be, 8, 1, f);
	fwrite(&be, 8, 1, f);
	fclose(f);
}

static void expect_error(struct dump *d, uint64_t paddr, const char *msg,
			 const char *what)
{
	unsigned char buf[16];
	struct kdk_error *err = dump_read_phys(d, paddr, buf, sizeof(buf));

	ok(err && err->code == KDK_ERR_NOT_PRESENT, "%s: not present", what);
	is_str(err ? err->msg : NULL, msg, "%s: message", what);
	kdk_error_free(err);
}

static void check_pages(struct dump *d, const char *what)
{
	unsigned char want[PS], got[PS];
	int bad = 0;

	for (size_t i = 0; i < N_SAVED; i++) {
		struct kdk_error *err;

		page_pattern(saved[i].pfn, want);
		err = dump_read_phys(d, saved[i].pfn * PS, got, PS);
		bad += err || memcmp(got, want, PS);
		if (err)
			printf("# pfn %llu: %s\n", (unsigned long long)saved[i].pfn,
			       err->msg);
		kdk_error_free(err);
	}
	ok(!bad, "%s: all 6 saved pages read back (zero, zlib, raw, lzo, "
	   "snappy, zstd)", what);
	ok(!dump_read_phys(d, 2 * PS - 10, got, 20) && got[9] == 16 + 4095 % 61 &&
	   got[10] == 32, "%s: a read across two pages", what);
}

static void check_dump(const char *path, const char *what, bool flattened)
{
	struct dump_page_counts c;
	struct dump_prstatus pr;
	struct page_cache_stats st;
	const struct dump_facts *f;
	const struct dump_range *r;
	unsigned char buf[8];
	struct dump *d;
	size_t n;
	uint64_t reg;

	if (dump_open(path, &d)) {
		ok(0, "%s: opens", what);
		return;
	}
	f = dump_facts(d);
	ok(strcmp(f->format, "kdump-compressed") == 0 && f->format_version == 6 &&
	   strcmp(f->compression, "zlib") == 0 && f->dump_level == 31 &&
	   f->page_size == PS && !f->page_size_assumed, "%s: header facts", what);
	ok(strcmp(f->release, "6.1.0-test") == 0 && strcmp(f->machine, "x86_64") == 0
	   && strcmp(f->node, "testhost") == 0, "%s: utsname", what);
	ok(flattened == (f->container != NULL), "%s: container %s", what,
	   f->container ? f->container : "none");
	check_pages(d, what);
	expect_error(d, 4 * PS, "physical address 0x4000: excluded from the dump "
		     "(dump level 31)", "excluded PFN 4");
	expect_error(d, 13 * PS + 8, "physical address 0xd008: not in the dump",
		     "hole PFN 13");
	expect_error(d, 1000 * PS, "physical address 0x3e8000: not in the dump",
		     "PFN past max_mapnr");
	expect_error(d, 3 * PS + PS - 8, "physical address 0x4000: excluded "
		     "from the dump (dump level 31)", "a read running into PFN 4");
	ok(!dump_count_pages(d, &c) && c.max_pfn == MAX_PFN &&
	   c.in_memory == MEMORY_PFNS && c.present == 6 && c.zero == 1 &&
	   c.excluded == 6 && c.missing == 0, "%s: page counts (zero %llu)",
	   what, (unsigned long long)c.zero);
	ok(dump_cpu_count(d) == 1 && !dump_cpu_prstatus(d, 0, &pr) &&
	   pr.pid == 42 && pr.regs_size == 216, "%s: one NT_PRSTATUS, pid 42",
	   what);
	memcpy(&reg, (const unsigned char *)pr.regs + 8, 8);
	ok(reg == 0x1001, "%s: registers as written", what);
	is_str(dump_vmcoreinfo_get(d, "OSRELEASE"), "6.1.0-test",
	       "%s: VMCOREINFO from the sub-header", what);
	r = dump_ranges(d, &n);
	ok(n == 1 && r[0].start == 0 && r[0].end == MEMORY_PFNS * PS,
	   "%s: one memory range", what);
	dump_read_phys(d, PS + 8, buf, 8);
	dump_read_phys(d, PS + 16, buf, 8);
	dump_cache_stats(d, &st);
	ok(st.hits >= 1, "%s: the page cache hits (%llu hits, %llu misses)", what,
	   (unsigned long long)st.hits, (unsigned long long)st.misses);
	ok(dump_problem_count(d) == 0, "%s: no problems", what);
	dump_close(d);
}

static void check_truncated(const char *path, struct image *im)
{
	struct dump_page_counts c;
	unsigned char page[PS];
	struct kdk_error *err;
	struct dump *d;

	/* cut in the middle of the last page's data (PFN 8) */
	write_file(path, im->buf, im->data_pos[N_SAVED - 1] +
		   im->data_len[N_SAVED - 1] / 2);
	ok(!dump_open(path, &d), "truncated in the data: opens");
	err = dump_read_phys(d, 8 * PS, page, PS);
	ok(err && strstr(err->msg, "physical address 0x8000: page data at file "
	   "offset") && strstr(err->msg, "beyond the end of a truncated file"),
	   "the cut page: %s", err ? err->msg : "no error");
	kdk_error_free(err);
	ok(!dump_read_phys(d, 5 * PS, page, PS), "pages before the cut read");
	ok(!dump_count_pages(d, &c) && c.missing == 1 && dump_problem_count(d) == 1
	   && strstr(dump_problem(d, 0), "truncated"), "counting finds it: %s",
	   dump_problem(d, 0) ? dump_problem(d, 0) : "no problem");
	dump_close(d);

	write_file(path, im->buf, BITMAP2_OFF + 10);
	err = dump_open(path, &d);
	ok(err && strstr(err->msg, "truncated: the bitmaps end at 0x4000"),
	   "truncated in the bitmaps: %s", err ? err->msg : "opened");
	kdk_error_free(err);
	write_file(path, im->buf, 100);
	err = dump_open(path, &d);
	ok(err && strstr(err->msg, "less than a kdump header"),
	   "truncated in the header: %s", err ? err->msg : "opened");
	kdk_error_free(err);
}

static void check_corrupt(const char *path, struct image *im)
{
	unsigned char page[PS], saved_byte;
	struct kdk_error *err;
	struct dump *d;

	put32(im, im->desc_pos[2] + 8, PS + 1);		/* PFN 2: too big */
	write_file(path, im->buf, im->len);
	put32(im, im->desc_pos[2] + 8, PS);
	ok(!dump_open(path, &d), "a corrupt descriptor: opens");
	err = dump_read_phys(d, 2 * PS, page, PS);
	ok(err && err->code == KDK_ERR_FORMAT &&
	   strstr(err->msg, "corrupt page descriptor"), "and says so: %s",
	   err ? err->msg : "no error");
	kdk_error_free(err);
	dump_close(d);

	saved_byte = im->buf[im->data_pos[1] + 3];	/* zlib data of PFN 1 */
	im->buf[im->data_pos[1] + 3] ^= 0xff;
	write_file(path, im->buf, im->len);
	im->buf[im->data_pos[1] + 3] = saved_byte;
	ok(!dump_open(path, &d), "corrupt zlib data: opens");
	err = dump_read_phys(d, PS, page, PS);
	ok(err && err->code == KDK_ERR_FORMAT && strstr(err->msg, "zlib"),
	   "and reading it fails: %s", err ? err->msg : "no error");
	kdk_error_free(err);
	dump_close(d);

	put32(im, 8, 7);				/* header version 7 */
	write_file(path, im->buf, im->len);
	put32(im, 8, 6);
	err = dump_open(path, &d);
	ok(err && strstr(err->msg, "version 7"), "unknown header version: %s",
	   err ? err->msg : "opened");
	kdk_error_free(err);
}

/* makedumpfile marks a dump it could not finish; descriptors it did not
 * write stay zero. */
static void check_incomplete(const char *path, struct image *im)
{
	size_t desc = im->desc_pos[N_SAVED - 1];
	unsigned char saved_desc[24], page[PS];
	struct dump_page_counts c;
	struct kdk_error *err;
	struct dump *d;

	memcpy(saved_desc, im->buf + desc, 24);
	memset(im->buf + desc, 0, 24);
	put32(im, 424, 0x1 | 0x8);
	write_file(path, im->buf, im->len);
	put32(im, 424, 0x1);
	memcpy(im->buf + desc, saved_desc, 24);
	ok(!dump_open(path, &d), "an incomplete dump: opens");
	ok(dump_facts(d)->incomplete && dump_problem_count(d) == 1 &&
	   strstr(dump_problem(d, 0), "incomplete"), "and says so: %s",
	   dump_problem(d, 0) ? dump_problem(d, 0) : "no problem");
	err = dump_read_phys(d, 8 * PS, page, PS);
	ok(err && err->code == KDK_ERR_NOT_PRESENT,
	   "an unwritten page is not present: %s", err ? err->msg : "no error");
	is_str(err ? err->msg : NULL, "physical address 0x8000: never written: "
	       "the dump is incomplete", "message");
	kdk_error_free(err);
	ok(!dump_count_pages(d, &c) && c.missing == 1 &&
	   dump_problem_count(d) == 1, "counted as missing, not as truncation");
	dump_close(d);
}

int main(void)
{
	char path[] = "/tmp/kdk-test-diskdump-XXXXXX";
	struct image im = { 0 };
	int fd = mkstemp(path);

	close(fd);
	build_headers(&im);
	build_notes(&im);
	build_bitmaps(&im);
	build_pages(&im);
	write_file(path, im.buf, im.len);
	check_dump(path, "file", false);
	write_flattened(path, &im);
	check_dump(path, "flattened", true);
	check_truncated(path, &im);
	check_corrupt(path, &im);
	check_incomplete(path, &im);
	unlink(path);
	free(im.buf);
	return tap_done();
}
