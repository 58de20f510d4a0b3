/*
 * Split dumps: makedumpfile --split writes one dump as several
 * kdump-compressed files, each holding the pages of a range of PFNs
 * (diskdump.h says what a part carries). Like crash given `vmcore1 vmcore2
 * vmcore3`, we open the parts, check that they are of one dump, sort them
 * by PFN and send each page read to the part that holds it.
 *
 * makedumpfile --reassemble refuses a set with a part missing
 * (makedumpfile.c: check_splitting_info()); we open it, and say which PFNs
 * are missing, since the parts given hold the rest of the dump.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/diskdump.h"
#include "dump/format.h"

struct split_part {
	struct dump *d;
	const char *path;	/* as given */
	uint64_t start_pfn, end_pfn;
	size_t problems_seen;	/* of d's problems, copied to the set */
};

struct split_set {
	struct split_part *parts;	/* given, by start_pfn */
	size_t n;
	struct dump_part *layout;	/* parts and gaps, 0 .. max_pfn */
	size_t n_layout;
	uint64_t max_pfn;
	bool counted;
	struct dump_page_counts counts;
};

static const struct dump_format_ops split_ops;

/* --- the parts --- */

static void close_parts(struct split_part *parts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dump_close(parts[i].d);
	free(parts);
}

static struct kdk_error *open_parts(const char *const *paths, size_t n,
				    struct split_part **out)
{
	struct split_part *parts = calloc(n, sizeof(*parts));
	struct kdk_error *err = NULL;

	if (!parts)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n && !err; i++) {
		parts[i].path = paths[i];
		err = dump_open_file(paths[i], &parts[i].d);
		if (err && n > 1)
			err = kdk_error_wrap(err, "%s", paths[i]);
	}
	if (err) {
		close_parts(parts, n);
		return err;
	}
	*out = parts;
	return NULL;
}

/* Is p a part of a split dump? Says why not, naming the file. */
static struct kdk_error *check_is_part(struct split_part *p)
{
	struct diskdump_split s;

	if (!diskdump_split_info(p->d, &s))
		return kdk_error(KDK_ERR_FORMAT, "%s: an %s dump, not a part of a "
				 "split dump (makedumpfile --split): give it "
				 "alone", p->path, dump_facts(p->d)->format);
	if (!s.split)
		return kdk_error(KDK_ERR_FORMAT, "%s: a whole dump, not a part of "
				 "a split dump (makedumpfile --split): give it "
				 "alone", p->path);
	p->start_pfn = s.start_pfn;
	p->end_pfn = s.end_pfn;
	return NULL;
}

static bool same_ranges(const struct dump *a, const struct dump *b)
{
	size_t na, nb;
	const struct dump_range *ra = dump_ranges(a, &na);
	const struct dump_range *rb = dump_ranges(b, &nb);

	return na == nb && (!na || memcmp(ra, rb, na * sizeof(*ra)) == 0);
}

/* What differs between two parts' headers, in words in buf; false if
 * nothing does. */
static bool header_difference(const struct dump *a, const struct dump *b,
			      char *buf, size_t size)
{
	const struct dump_facts *x = dump_facts(a), *y = dump_facts(b);
	struct diskdump_split sa, sb;

	diskdump_split_info(a, &sa);
	diskdump_split_info(b, &sb);
	if (strcmp(x->machine, y->machine) != 0)
		snprintf(buf, size, "machine %s and %s", x->machine, y->machine);
	else if (strcmp(x->release, y->release) != 0)
		snprintf(buf, size, "release %s and %s", x->release, y->release);
	else if (strcmp(x->node, y->node) != 0)
		snprintf(buf, size, "host %s and %s", x->node, y->node);
	else if (x->timestamp != y->timestamp)
		snprintf(buf, size, "written at %lld and %lld (seconds since "
			 "1970)", (long long)x->timestamp,
			 (long long)y->timestamp);
	else if (x->page_size != y->page_size)
		snprintf(buf, size, "block size %u and %u", x->page_size,
			 y->page_size);
	else if (sa.max_pfn != sb.max_pfn)
		snprintf(buf, size, "0x%llx and 0x%llx PFNs",
			 (unsigned long long)sa.max_pfn,
			 (unsigned long long)sb.max_pfn);
	/* makedumpfile --reassemble wants them byte for byte the same */
	else if (sa.header_size != sb.header_size ||
		 memcmp(sa.header, sb.header, sa.header_size) != 0)
		snprintf(buf, size, "their kdump headers differ");
	else if (!same_ranges(a, b))
		snprintf(buf, size, "their memory bitmaps differ");
	else
		return false;
	return true;
}

/* Are all parts of the first one's dump? */
static struct kdk_error *check_one_dump(const struct split_part *parts,
					size_t n)
{
	char why[256];

	for (size_t i = 1; i < n; i++)
		if (header_difference(parts[0].d, parts[i].d, why, sizeof(why)))
			return kdk_error(KDK_ERR_FORMAT, "%s and %s are parts of "
					 "different dumps: %s", parts[0].path,
					 parts[i].path, why);
	return NULL;
}

static int cmp_part(const void *a, const void *b)
{
	const struct split_part *x = a, *y = b;

	if (x->start_pfn != y->start_pfn)
		return x->start_pfn < y->start_pfn ? -1 : 1;
	return (x->end_pfn > y->end_pfn) - (x->end_pfn < y->end_pfn);
}

/* Sorted, no PFN may be in two parts. */
static struct kdk_error *check_no_overlap(struct split_part *parts, size_t n)
{
	qsort(parts, n, sizeof(*parts), cmp_part);
	for (size_t i = 1; i < n; i++) {
		const struct split_part *a = &parts[i - 1], *b = &parts[i];

		if (b->start_pfn >= a->end_pfn)
			continue;
		if (a->start_pfn == b->start_pfn && a->end_pfn == b->end_pfn)
			return kdk_error(KDK_ERR_FORMAT, "%s and %s are the "
					 "same part of a split dump (PFNs "
					 "0x%llx-0x%llx)", a->path, b->path,
					 (unsigned long long)a->start_pfn,
					 (unsigned long long)a->end_pfn - 1);
		return kdk_error(KDK_ERR_FORMAT, "%s and %s overlap: they hold "
				 "PFNs 0x%llx-0x%llx and 0x%llx-0x%llx; not "
				 "parts of one split dump", a->path, b->path,
				 (unsigned long long)a->start_pfn,
				 (unsigned long long)a->end_pfn - 1,
				 (unsigned long long)b->start_pfn,
				 (unsigned long long)b->end_pfn - 1);
	}
	return NULL;
}

/* --- the set --- */

static void add_layout(struct split_set *set, const char *path,
		       uint64_t start, uint64_t end)
{
	if (start < end)
		set->layout[set->n_layout++] = (struct dump_part){ path, start,
								  end };
}

/* The parts and the gaps between them; a problem for each gap. */
static struct kdk_error *lay_out(struct dump *d, struct split_set *set)
{
	uint32_t ps = d->facts.page_size;
	uint64_t at = 0;
	struct kdk_error *err = NULL;

	set->layout = calloc(2 * set->n + 1, sizeof(*set->layout));
	if (!set->layout)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i <= set->n && !err; i++) {
		uint64_t next = i < set->n ? set->parts[i].start_pfn : set->max_pfn;

		if (next > at)
			err = dump_add_problem(d, "split dump: PFNs 0x%llx-0x%llx "
					"(physical 0x%llx-0x%llx) are in a part "
					"that was not given; reads there fail",
					(unsigned long long)at,
					(unsigned long long)next - 1,
					(unsigned long long)(at * ps),
					(unsigned long long)(next * ps - 1));
		add_layout(set, NULL, at, next);
		if (i < set->n) {
			add_layout(set, set->parts[i].path,
				   set->parts[i].start_pfn, set->parts[i].end_pfn);
			at = set->parts[i].end_pfn;
		}
	}
	return err;
}

/* The parts' problems not yet copied, each naming its part. */
static struct kdk_error *copy_problems(struct dump *d, struct split_set *set)
{
	struct kdk_error *err = NULL;

	for (size_t i = 0; i < set->n && !err; i++) {
		struct split_part *p = &set->parts[i];

		for (; p->problems_seen < dump_problem_count(p->d) && !err;
		     p->problems_seen++) {
			const char *msg = dump_problem(p->d, p->problems_seen);

			err = set->n > 1 ?
			      dump_add_problem(d, "%s: %s", p->path, msg) :
			      dump_add_problem(d, "%s", msg);
		}
	}
	return err;
}

/* What the set takes from its first part: facts, notes, VMCOREINFO and
 * memory ranges, the same in every part. */
static struct kdk_error *take_from_first(struct dump *d, struct split_set *set)
{
	struct dump *first = set->parts[0].d;
	const struct dump_range *r;
	size_t n;

	d->facts = first->facts;
	d->facts.split_parts = set->n;
	d->notes = first->notes;
	first->notes = (struct dump_notes){ 0 };
	d->vmcoreinfo = first->vmcoreinfo;
	first->vmcoreinfo = NULL;
	r = dump_ranges(first, &n);
	d->ranges = malloc((n ? n : 1) * sizeof(*r));
	if (!d->ranges)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (n)
		memcpy(d->ranges, r, n * sizeof(*r));
	d->n_ranges = d->ranges_cap = n;
	return NULL;
}

static struct kdk_error *assemble(struct dump *d, struct split_set *set)
{
	struct diskdump_split s;
	struct kdk_error *err;

	diskdump_split_info(set->parts[0].d, &s);
	set->max_pfn = s.max_pfn;
	for (size_t i = 0; i < set->n; i++) {
		/* the set caches pages; the parts need not */
		page_cache_free(set->parts[i].d->cache);
		set->parts[i].d->cache = NULL;
	}
	err = take_from_first(d, set);
	if (!err)
		err = copy_problems(d, set);
	if (!err)
		err = lay_out(d, set);
	if (!err)
		err = page_cache_new(d->facts.page_size,
				     DUMP_CACHE_BYTES / d->facts.page_size,
				     &d->cache);
	return err;
}

static struct kdk_error *check_parts(struct split_part *parts, size_t n)
{
	struct kdk_error *err = NULL;

	for (size_t i = 0; i < n && !err; i++)
		err = check_is_part(&parts[i]);
	if (!err)
		err = check_one_dump(parts, n);
	if (!err)
		err = check_no_overlap(parts, n);
	return err;
}

struct kdk_error *dump_open_set(const char *const *paths, size_t n,
				struct dump **out)
{
	struct split_part *parts = NULL;
	struct split_set *set;
	struct kdk_error *err;
	struct diskdump_split s;
	struct dump *d;

	if (!n)
		return kdk_error(KDK_ERR_USAGE, "no dump file given");
	err = open_parts(paths, n, &parts);
	if (err)
		return err;
	if (n == 1 && (!diskdump_split_info(parts[0].d, &s) || !s.split)) {
		*out = parts[0].d;	/* a dump of one file */
		free(parts);
		return NULL;
	}
	err = check_parts(parts, n);
	d = calloc(1, sizeof(*d));
	set = calloc(1, sizeof(*set));
	if (!err && (!d || !set))
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (err) {
		close_parts(parts, n);
		free(d);
		free(set);
		return err;
	}
	*set = (struct split_set){ .parts = parts, .n = n };
	d->ops = &split_ops;
	d->priv = set;
	err = assemble(d, set);
	if (err) {
		dump_close(d);
		return err;
	}
	*out = d;
	return NULL;
}

const struct dump_part *dump_parts(const struct dump *d, size_t *n)
{
	const struct split_set *set = d->priv;

	if (d->ops != &split_ops) {
		*n = 0;
		return NULL;
	}
	*n = set->n_layout;
	return set->layout;
}

/* --- reading --- */

/* The given part that holds pfn, or NULL. */
static struct split_part *part_of(struct split_set *set, uint64_t pfn)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pfn < set->parts[mid].start_pfn)
			hi = mid;
		else if (pfn >= set->parts[mid].end_pfn)
			lo = mid + 1;
		else
			return &set->parts[mid];
	}
	return NULL;
}

/* The gap of the layout that holds pfn. */
static const struct dump_part *gap_of(const struct split_set *set,
				      uint64_t pfn)
{
	for (size_t i = 0; i < set->n_layout; i++)
		if (pfn >= set->layout[i].start_pfn && pfn < set->layout[i].end_pfn)
			return &set->layout[i];
	return NULL;
}

static struct kdk_error *split_read_page(struct dump *d, uint64_t pfn,
					 void *page)
{
	struct split_set *set = d->priv;
	struct split_part *p = part_of(set, pfn);
	struct dump *first = set->parts[0].d;
	const struct dump_part *gap;

	if (p)
		return p->d->ops->read_page(p->d, pfn, page);
	gap = gap_of(set, pfn);
	/* not memory, or excluded: any part's bitmaps say so */
	if (!gap || !diskdump_pfn_saved(first, pfn))
		return first->ops->read_page(first, pfn, page);
	return kdk_error(KDK_ERR_NOT_PRESENT, "in a part of the split dump that "
			 "was not given (it holds PFNs 0x%llx-0x%llx, physical "
			 "0x%llx-0x%llx)", (unsigned long long)gap->start_pfn,
			 (unsigned long long)gap->end_pfn - 1,
			 (unsigned long long)(gap->start_pfn * d->facts.page_size),
			 (unsigned long long)(gap->end_pfn * d->facts.page_size - 1));
}

/* --- counting --- */

/* Each part counts its own saved pages; the bitmaps, which every part has
 * whole, count memory and excluded pages once. Pages saved in a part not
 * given are missing. */
static struct kdk_error *split_count_pages(struct dump *d,
					   struct dump_page_counts *c)
{
	struct split_set *set = d->priv;
	struct dump *first = set->parts[0].d;
	struct kdk_error *err = NULL;

	if (set->counted) {
		*c = set->counts;
		return NULL;
	}
	for (size_t i = 0; i < set->n && !err; i++) {
		struct dump_page_counts pc;

		err = dump_count_pages(set->parts[i].d, &pc);
		if (err)
			break;
		if (i == 0) {
			*c = pc;
			continue;
		}
		c->present += pc.present;
		c->zero += pc.zero;
		c->missing += pc.missing;
	}
	for (size_t i = 0; i < set->n_layout && !err; i++) {
		const struct dump_part *gap = &set->layout[i];
		uint64_t n;

		if (gap->path)
			continue;
		n = diskdump_saved_between(first, gap->start_pfn, gap->end_pfn);
		c->present += n;
		c->missing += n;
	}
	if (!err)
		err = copy_problems(d, set);	/* truncation counting found */
	if (err)
		return err;
	set->counted = true;
	set->counts = *c;
	return NULL;
}

static void split_close(struct dump *d)
{
	struct split_set *set = d->priv;

	if (!set)
		return;
	close_parts(set->parts, set->n);
	free(set->layout);
	free(set);
}

static const struct dump_format_ops split_ops = {
	.name = "kdump-compressed",
	.read_page = split_read_page,
	.count_pages = split_count_pages,
	.close = split_close,
};
