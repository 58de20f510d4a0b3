/* The parts of a tiny split dump, built here byte by byte as makedumpfile
 * --split lays them out (src/dump/diskdump.h): 16 PFNs, 12 of them memory,
 * 10 saved (PFNs 4 and 7 excluded), pages stored as is. Put together
 * through dump_open_set() in any order, with parts missing, overlapping,
 * twice, or of another dump. */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "dump/dump.h"
#include "tap.h"

#define PS 4096
#define MAX_PFN 16
#define MEMORY_PFNS 12
#define SUB_OFF PS
#define VMCI_OFF (PS + 104)
#define BITMAP1_OFF (2 * PS)
#define BITMAP2_OFF (3 * PS)
#define DESC_OFF (4 * PS)

static const char vmcoreinfo[] = "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n";
static char dir[] = "/tmp/kdk-test-split-XXXXXX";

static bool is_saved(uint64_t pfn)
{
	return pfn < MEMORY_PFNS && pfn != 4 && pfn != 7;
}

static void page_pattern(uint64_t pfn, unsigned char *page)
{
	for (int i = 0; i < PS; i++)
		page[i] = (unsigned char)(pfn * 16 + i % 61 + 1);
}

struct part_spec {
	uint64_t start, end;
	bool split;
	const char *release;
};

static void put(unsigned char *buf, size_t off, const void *p, size_t n)
{
	memcpy(buf + off, p, n);
}

static void put32(unsigned char *buf, size_t off, uint32_t v)
{
	put(buf, off, &v, 4);
}

static void put64(unsigned char *buf, size_t off, uint64_t v)
{
	put(buf, off, &v, 8);
}

static void build_headers(unsigned char *buf, const struct part_spec *p)
{
	uint16_t memory = (1 << MEMORY_PFNS) - 1, kept = 0;

	put(buf, 0, "KDUMP   ", 8);
	put32(buf, 8, 6);				/* header_version */
	put(buf, 12 + 65, "testhost", 8);		/* nodename */
	put(buf, 12 + 2 * 65, p->release, strlen(p->release));
	put(buf, 12 + 4 * 65, "x86_64", 6);		/* machine */
	put64(buf, 408, 1700000000);			/* tv_sec */
	put32(buf, 428, PS);				/* block_size */
	put32(buf, 432, 1);				/* sub_hdr_size */
	put32(buf, 436, 2);				/* bitmap_blocks */
	put32(buf, 440, MAX_PFN);
	put32(buf, 460, 1);				/* nr_cpus */
	put32(buf, SUB_OFF + 8, 31);			/* dump_level */
	put32(buf, SUB_OFF + 12, p->split);
	put64(buf, SUB_OFF + 16, p->split ? p->start : 0);
	put64(buf, SUB_OFF + 24, p->split ? p->end : 0);
	put64(buf, SUB_OFF + 32, VMCI_OFF);
	put64(buf, SUB_OFF + 40, strlen(vmcoreinfo));
	put64(buf, SUB_OFF + 80, p->split ? p->start : 0);
	put64(buf, SUB_OFF + 88, p->split ? p->end : 0);
	put64(buf, SUB_OFF + 96, MAX_PFN);
	put(buf, VMCI_OFF, vmcoreinfo, strlen(vmcoreinfo));
	for (uint64_t pfn = 0; pfn < MAX_PFN; pfn++)
		kept |= is_saved(pfn) << pfn;
	put(buf, BITMAP1_OFF, &memory, 2);		/* whole, in every part */
	put(buf, BITMAP2_OFF, &kept, 2);
}

/* Descriptors of the part's pages from DESC_OFF, its data after room for
 * the descriptors of every saved page. */
static size_t build_pages(unsigned char *buf, const struct part_spec *p)
{
	size_t desc = DESC_OFF, data = DESC_OFF;
	unsigned char page[PS];

	for (uint64_t pfn = 0; pfn < MAX_PFN; pfn++)
		data += is_saved(pfn) * 24;
	for (uint64_t pfn = p->start; pfn < p->end; pfn++) {
		if (!is_saved(pfn))
			continue;
		page_pattern(pfn, page);
		put64(buf, desc, data);
		put32(buf, desc + 8, PS);
		put32(buf, desc + 12, 0);
		put(buf, data, page, PS);
		desc += 24;
		data += PS;
	}
	return data;
}

/* The part's file: dir/name. */
static char *write_part(const char *name, struct part_spec p)
{
	size_t cap = DESC_OFF + 24 * MAX_PFN + PS * MAX_PFN, len;
	unsigned char *buf = calloc(1, cap);
	char *path;
	FILE *f;

	if (!p.release)
		p.release = "6.1.0-test";
	build_headers(buf, &p);
	len = build_pages(buf, &p);
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		abort();
	f = fopen(path, "wb");
	fwrite(buf, 1, len, f);
	fclose(f);
	free(buf);
	return path;
}

static char *part1, *part2, *part3;

static struct kdk_error *open_set(struct dump **d, size_t n, ...)
{
	const char *paths[8];
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		paths[i] = va_arg(ap, const char *);
	va_end(ap);
	return dump_open_set(paths, n, d);
}

static void expect_read_error(struct dump *d, uint64_t pfn, const char *msg)
{
	unsigned char page[PS];
	struct kdk_error *err = dump_read_phys(d, pfn * PS, page, PS);

	is_str(err ? err->msg : NULL, msg, "PFN %llu: %s", (unsigned long long)pfn,
	       msg);
	kdk_error_free(err);
}

static int saved_pages_read(struct dump *d, uint64_t start, uint64_t end)
{
	unsigned char want[PS], got[PS];
	int bad = 0;

	for (uint64_t pfn = start; pfn < end; pfn++) {
		struct kdk_error *err;

		if (!is_saved(pfn))
			continue;
		page_pattern(pfn, want);
		err = dump_read_phys(d, pfn * PS, got, PS);
		bad += err || memcmp(want, got, PS);
		kdk_error_free(err);
	}
	return bad;
}

static void check_whole_set(void)
{
	struct dump_page_counts c;
	const struct dump_part *p;
	struct dump *d;
	size_t n;

	ok(!open_set(&d, 3, part3, part1, part2), "three parts, shuffled: open");
	ok(dump_facts(d)->split_parts == 3 && dump_problem_count(d) == 0,
	   "a split dump of 3 parts, no problems");
	p = dump_parts(d, &n);
	ok(n == 3 && p[0].path == part1 && p[1].path == part2 &&
	   p[2].path == part3 && p[0].start_pfn == 0 && p[1].start_pfn == 5 &&
	   p[2].start_pfn == 9 && p[2].end_pfn == MAX_PFN, "sorted by PFN");
	ok(!saved_pages_read(d, 0, MAX_PFN), "every saved page reads back");
	expect_read_error(d, 7, "physical address 0x7000: excluded from the "
			  "dump (dump level 31)");
	expect_read_error(d, 13, "physical address 0xd000: not in the dump");
	ok(!dump_count_pages(d, &c) && c.present == 10 && c.in_memory == 12 &&
	   c.excluded == 2 && c.missing == 0 && c.max_pfn == MAX_PFN,
	   "page counts add up (%llu present)", (unsigned long long)c.present);
	ok(!strcmp(dump_vmcoreinfo_get(d, "OSRELEASE"), "6.1.0-test"),
	   "VMCOREINFO from the parts");
	dump_close(d);
}

static void check_missing(void)
{
	struct dump_page_counts c;
	const struct dump_part *p;
	struct dump *d;
	size_t n;

	ok(!open_set(&d, 2, part3, part1), "the middle part missing: opens");
	ok(dump_problem_count(d) == 1, "one problem");
	is_str(dump_problem(d, 0), "split dump: PFNs 0x5-0x8 (physical "
	       "0x5000-0x8fff) are in a part that was not given; reads there "
	       "fail", "it names the PFNs");
	p = dump_parts(d, &n);
	ok(n == 3 && !p[1].path && p[1].start_pfn == 5 && p[1].end_pfn == 9,
	   "the layout has the gap");
	ok(!saved_pages_read(d, 0, 5) && !saved_pages_read(d, 9, MAX_PFN),
	   "the parts given read");
	expect_read_error(d, 6, "physical address 0x6000: in a part of the split "
			  "dump that was not given (it holds PFNs 0x5-0x8, "
			  "physical 0x5000-0x8fff)");
	expect_read_error(d, 7, "physical address 0x7000: excluded from the "
			  "dump (dump level 31)");
	ok(!dump_count_pages(d, &c) && c.present == 10 && c.missing == 3,
	   "the missing part's 3 pages count as missing");
	dump_close(d);

	ok(!open_set(&d, 2, part2, part1), "the last part missing: opens");
	is_str(dump_problem(d, 0), "split dump: PFNs 0x9-0xf (physical "
	       "0x9000-0xffff) are in a part that was not given; reads there "
	       "fail", "it names the PFNs up to the end");
	dump_close(d);

	ok(!dump_open(part2, &d), "one part alone opens");
	ok(dump_problem_count(d) == 2 && dump_facts(d)->split_parts == 1 &&
	   strstr(dump_problem(d, 0), "PFNs 0x0-0x4 ") &&
	   strstr(dump_problem(d, 1), "PFNs 0x9-0xf "),
	   "both sides missing: %s",
	   dump_problem(d, 0) ? dump_problem(d, 0) : "no problem");
	dump_close(d);
}

static void expect_open_error(struct kdk_error *err, const char *msg)
{
	is_str(err ? err->msg : NULL, msg, "refused: %s", msg);
	kdk_error_free(err);
}

static void check_not_one_dump(void)
{
	char *overlap = write_part("overlap", (struct part_spec){
		.start = 3, .end = 9, .split = true });
	char *other = write_part("other", (struct part_spec){
		.start = 5, .end = 9, .split = true, .release = "6.1.0-other" });
	char *whole = write_part("whole", (struct part_spec){
		.start = 0, .end = MAX_PFN });
	struct dump *d = NULL;
	char *msg;

	if (asprintf(&msg, "%s and %s overlap: they hold PFNs 0x0-0x4 and "
		     "0x3-0x8; not parts of one split dump", part1, overlap) < 0)
		abort();
	expect_open_error(open_set(&d, 3, part1, overlap, part3), msg);
	free(msg);
	if (asprintf(&msg, "%s and %s are the same part of a split dump (PFNs "
		     "0x5-0x8)", part2, part2) < 0)
		abort();
	expect_open_error(open_set(&d, 3, part1, part2, part2), msg);
	free(msg);
	if (asprintf(&msg, "%s and %s are parts of different dumps: release "
		     "6.1.0-test and 6.1.0-other", part1, other) < 0)
		abort();
	expect_open_error(open_set(&d, 3, part1, other, part3), msg);
	free(msg);
	if (asprintf(&msg, "%s: a whole dump, not a part of a split dump "
		     "(makedumpfile --split): give it alone", whole) < 0)
		abort();
	expect_open_error(open_set(&d, 2, part1, whole), msg);
	free(msg);
	ok(!dump_open(whole, &d) && dump_facts(d)->split_parts == 0 &&
	   !dump_problem_count(d), "a whole dump alone is no split dump");
	if (d)
		dump_close(d);
	unlink(overlap);
	unlink(other);
	unlink(whole);
	free(overlap);
	free(other);
	free(whole);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	part1 = write_part("part1", (struct part_spec){
		.start = 0, .end = 5, .split = true });
	part2 = write_part("part2", (struct part_spec){
		.start = 5, .end = 9, .split = true });
	part3 = write_part("part3", (struct part_spec){
		.start = 9, .end = MAX_PFN, .split = true });
	check_whole_set();
	check_missing();
	check_not_one_dump();
	unlink(part1);
	unlink(part2);
	unlink(part3);
	rmdir(dir);
	free(part1);
	free(part2);
	free(part3);
	return tap_done();
}
