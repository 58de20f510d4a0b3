/* Opening a dump: format detection by magic, and what all formats share
 * (reads split by page, the page cache, problems, ranges, notes). */
#include "dump/format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump/flattened.h"

#define PROBE_BYTES 64		/* enough for every magic */
#define DEFAULT_PAGE_SIZE 4096

static const struct dump_format_ops *const formats[] = {
	&dump_elf_ops,
	&dump_diskdump_ops,
};

#define N_FORMATS (sizeof(formats) / sizeof(formats[0]))

struct kdk_error *dump_add_problem(struct dump *d, const char *fmt, ...)
{
	char **v, *msg;
	va_list ap;
	int n;

	v = realloc(d->problems, (d->n_problems + 1) * sizeof(*v));
	if (!v)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	d->problems = v;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	d->problems[d->n_problems++] = msg;
	return NULL;
}

struct kdk_error *dump_add_problem_err(struct dump *d, struct kdk_error *err,
				       const char *what)
{
	struct kdk_error *ret;

	if (err->code == KDK_ERR_NOMEM)
		return err;
	ret = dump_add_problem(d, "%s: %s", what, err->msg);
	kdk_error_free(err);
	return ret;
}

struct kdk_error *dump_add_range(struct dump *d, uint64_t start, uint64_t end)
{
	if (start >= end)
		return NULL;
	if (d->n_ranges == d->ranges_cap) {
		size_t cap = d->ranges_cap ? 2 * d->ranges_cap : 16;
		void *v = realloc(d->ranges, cap * sizeof(*d->ranges));

		if (!v)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		d->ranges = v;
		d->ranges_cap = cap;
	}
	d->ranges[d->n_ranges++] = (struct dump_range){ start, end };
	return NULL;
}

struct kdk_error *dump_set_vmcoreinfo(struct dump *d, const char *text,
				      size_t len,
				      enum dump_vmcoreinfo_from from)
{
	struct kdk_error *err;

	vmcoreinfo_free(d->vmcoreinfo);
	d->vmcoreinfo = NULL;
	d->vmcoreinfo_origin.from = DUMP_VMCOREINFO_NONE;
	err = vmcoreinfo_parse(text, len, &d->vmcoreinfo);
	if (err)
		return dump_add_problem_err(d, err, "VMCOREINFO");
	d->vmcoreinfo_origin.from = from;
	return NULL;
}

struct kdk_error *dump_adopt_vmcoreinfo(struct dump *d, const char *text,
					size_t len)
{
	struct vmcoreinfo *vi;
	struct kdk_error *err;

	if (d->vmcoreinfo)
		return kdk_error(KDK_ERR_OTHER, "the dump has its own "
				 "VMCOREINFO");
	err = vmcoreinfo_parse(text, len, &vi);
	if (err)
		return err;
	d->vmcoreinfo = vi;
	d->vmcoreinfo_origin.from = DUMP_VMCOREINFO_DERIVED;
	return NULL;
}

struct kdk_error *dump_set_notes(struct dump *d, const void *area, size_t len)
{
	struct kdk_error *err;

	dump_notes_free(&d->notes);
	err = dump_notes_parse(area, len, &d->notes);
	return err ? dump_add_problem_err(d, err, "ELF notes") : NULL;
}

struct kdk_error *dump_err_not_in_dump(void)
{
	return kdk_error(KDK_ERR_NOT_PRESENT, "not in the dump");
}

struct kdk_error *dump_err_excluded(const struct dump *d, const char *why)
{
	if (why)
		return kdk_error(KDK_ERR_NOT_PRESENT,
				 "excluded from the dump (%s)", why);
	if (d->facts.dump_level >= 0)
		return kdk_error(KDK_ERR_NOT_PRESENT,
				 "excluded from the dump (dump level %d)",
				 d->facts.dump_level);
	return kdk_error(KDK_ERR_NOT_PRESENT, "excluded from the dump");
}

/* --- opening --- */

static int cmp_range(const void *a, const void *b)
{
	const struct dump_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void merge_ranges(struct dump *d)
{
	size_t w = 0;

	if (!d->n_ranges)
		return;
	qsort(d->ranges, d->n_ranges, sizeof(*d->ranges), cmp_range);
	for (size_t i = 0; i < d->n_ranges; i++) {
		struct dump_range *prev = w ? &d->ranges[w - 1] : NULL;

		if (prev && d->ranges[i].start <= prev->end) {
			if (d->ranges[i].end > prev->end)
				prev->end = d->ranges[i].end;
			continue;
		}
		d->ranges[w++] = d->ranges[i];
	}
	d->n_ranges = w;
}

/* The format of src, from its first bytes; d->ops stays NULL if none. */
static struct kdk_error *probe(struct dump *d, unsigned char *head,
			       size_t *len)
{
	struct kdk_error *err;

	*len = d->src->size < PROBE_BYTES ? d->src->size : PROBE_BYTES;
	err = dump_source_read(d->src, 0, head, *len);
	if (err)
		return kdk_error_wrap(err, "the dump's header");
	for (size_t i = 0; i < N_FORMATS; i++)
		if (formats[i]->probe(head, *len))
			d->ops = formats[i];
	return NULL;
}

static struct kdk_error *err_unknown(const unsigned char *head, size_t len,
				     const char *container)
{
	char hex[3 * 8 + 1] = "";

	for (size_t i = 0; i < len && i < 8; i++)
		snprintf(hex + 3 * i, sizeof(hex) - 3 * i, "%s%02x",
			 i ? " " : "", head[i]);
	return kdk_error(KDK_ERR_FORMAT, "not a kernel dump%s: no ELF, kdump-"
			 "compressed or flattened header (it starts with %s)",
			 container ? " inside the flattened stream" : "",
			 len ? hex : "nothing");
}

/* Unwrap a flattened file: d->src becomes the reassembled view. */
static struct kdk_error *open_container(struct dump *d)
{
	unsigned char head[32];
	size_t len = d->src->size < sizeof(head) ? d->src->size : sizeof(head);
	struct kdk_error *err;

	err = dump_source_read(d->src, 0, head, len);
	if (err || !flat_probe(head, len))
		return err;
	err = dump_source_open_flattened(d->src, &d->src,
					 &d->facts.container_records);
	if (err) {
		d->src = NULL;	/* closed by the failed open */
		return err;
	}
	d->facts.container = "flattened";
	if (d->src->problem)
		return dump_add_problem(d, "truncated: %s", d->src->problem);
	return NULL;
}

static struct kdk_error *settle_page_size(struct dump *d)
{
	int64_t size;
	struct kdk_error *err;

	if (d->facts.page_size && !d->facts.page_size_assumed)
		return NULL;
	d->facts.page_size = DEFAULT_PAGE_SIZE;
	d->facts.page_size_assumed = true;
	if (!d->vmcoreinfo)
		return NULL;
	err = vmcoreinfo_decimal(d->vmcoreinfo, "PAGESIZE", &size);
	if (err) {
		kdk_error_free(err);
		return NULL;
	}
	if (size < 512 || size > (1 << 24) || (size & (size - 1)))
		return dump_add_problem(d, "VMCOREINFO: PAGESIZE=%lld is not a "
					"page size; assuming %d",
					(long long)size, DEFAULT_PAGE_SIZE);
	d->facts.page_size = size;
	d->facts.page_size_assumed = false;
	return NULL;
}

/* VMCOREINFO from the note when the format had no place of its own. */
static struct kdk_error *vmcoreinfo_from_note(struct dump *d)
{
	const struct dump_note *note;

	if (d->vmcoreinfo)
		return NULL;
	note = dump_notes_find(&d->notes, "VMCOREINFO", 0);
	if (!note)
		return NULL;
	return dump_set_vmcoreinfo(d, (const char *)note->desc, note->descsz,
				   DUMP_VMCOREINFO_NOTE);
}

/*
 * A dump without VMCOREINFO (QEMU's dump-guest-memory without its
 * vmcoreinfo device, other tools' ELF cores): look for the kernel's own
 * copy in memory, so that everything above works as with the note. Runs
 * once the page size and the page cache are settled, as it reads memory.
 */
static struct kdk_error *vmcoreinfo_from_memory(struct dump *d)
{
	struct dump_vmcoreinfo_origin *o = &d->vmcoreinfo_origin;
	struct dump_vmcoreinfo_found found;
	struct kdk_error *err;

	if (d->vmcoreinfo)
		return NULL;
	err = dump_scan_vmcoreinfo(d, &found);
	o->scanned = true;
	o->pages_scanned = found.pages_scanned;
	if (err) {
		if (err->code == KDK_ERR_NOMEM)
			return err;
		kdk_error_free(err);
		return NULL;
	}
	err = dump_set_vmcoreinfo(d, found.text, found.len,
				  DUMP_VMCOREINFO_MEMORY);
	o->paddr = found.paddr;
	o->in_note = found.in_note;
	free(found.text);
	/* the page cache, if any, was made for the page size the format gave */
	return err || d->cache ? err : settle_page_size(d);
}

static struct kdk_error *open_format(struct dump *d)
{
	unsigned char head[PROBE_BYTES];
	struct kdk_error *err;
	size_t len;

	if (!d->src->size && d->src->problem)
		return kdk_error(KDK_ERR_FORMAT, "truncated: %s",
				 d->src->problem);
	if (!d->src->size)
		return kdk_error(KDK_ERR_FORMAT, "the flattened stream holds "
				 "no data");
	err = probe(d, head, &len);
	if (err)
		return err;
	if (!d->ops)
		return err_unknown(head, len, d->facts.container);
	d->facts.format = d->ops->name;
	d->facts.dump_level = -1;
	err = d->ops->open(d);
	if (err)
		return err;
	merge_ranges(d);
	err = vmcoreinfo_from_note(d);
	if (!err)
		err = settle_page_size(d);
	if (!err && d->ops->read_page)
		err = page_cache_new(d->facts.page_size,
				     DUMP_CACHE_BYTES / d->facts.page_size, &d->cache);
	if (!err)
		err = vmcoreinfo_from_memory(d);
	return err;
}

struct kdk_error *dump_open(const char *path, struct dump **out)
{
	return dump_open_set(&path, 1, out);
}

struct kdk_error *dump_open_file(const char *path, struct dump **out)
{
	struct dump *d = calloc(1, sizeof(*d));
	struct kdk_error *err;

	if (!d)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = dump_source_open_file(path, &d->src);
	if (!err)
		err = open_container(d);
	if (!err) {
		err = open_format(d);
		/* say the cause first: a stream cut short */
		if (err && d->src->problem && d->src->size)
			err = kdk_error_wrap(err, "truncated: %s", d->src->problem);
	}
	if (err) {
		dump_close(d);
		return err;
	}
	*out = d;
	return NULL;
}

void dump_close(struct dump *d)
{
	if (!d)
		return;
	if (d->ops && d->ops->close)
		d->ops->close(d);
	dump_source_close(d->src);
	dump_notes_free(&d->notes);
	vmcoreinfo_free(d->vmcoreinfo);
	page_cache_free(d->cache);
	for (size_t i = 0; i < d->n_problems; i++)
		free(d->problems[i]);
	free(d->problems);
	free(d->ranges);
	free(d);
}

/* --- reading --- */

/* len bytes at paddr, all in one page. */
static struct kdk_error *read_in_page(struct dump *d, uint64_t paddr,
				      void *buf, size_t len, size_t *done)
{
	uint64_t pfn = paddr / d->facts.page_size;
	struct kdk_error *err;
	void *page;
	bool hit;

	*done = 0;
	if (d->ops->read)
		return d->ops->read(d, paddr, buf, len, done);
	page = page_cache_get(d->cache, pfn, &hit);
	if (!hit) {
		err = d->ops->read_page(d, pfn, page);
		if (err)
			return err;
		page_cache_commit(d->cache, pfn);
	}
	memcpy(buf, (unsigned char *)page + paddr % d->facts.page_size, len);
	*done = len;
	return NULL;
}

struct kdk_error *dump_read_phys(struct dump *d, uint64_t paddr, void *buf,
				 size_t len)
{
	unsigned char *p = buf;

	if (paddr + len < paddr)
		return kdk_error(KDK_ERR_NOT_PRESENT, "physical address 0x%llx: "
				 "%zu bytes from there pass the end of the "
				 "address space", (unsigned long long)paddr, len);
	while (len) {
		uint64_t room = d->facts.page_size - paddr % d->facts.page_size;
		size_t chunk = len < room ? len : room, done;
		struct kdk_error *err = read_in_page(d, paddr, p, chunk, &done);

		if (err)
			return kdk_error_wrap(err, "physical address 0x%llx",
					      (unsigned long long)(paddr + done));
		p += chunk;
		paddr += chunk;
		len -= chunk;
	}
	return NULL;
}

/* --- what the dump knows --- */

const struct dump_facts *dump_facts(const struct dump *d)
{
	return &d->facts;
}

struct kdk_error *dump_count_pages(struct dump *d,
				   struct dump_page_counts *counts)
{
	*counts = (struct dump_page_counts){ 0 };
	return d->ops->count_pages(d, counts);
}

const struct dump_range *dump_ranges(const struct dump *d, size_t *n)
{
	*n = d->n_ranges;
	return d->ranges;
}

size_t dump_problem_count(const struct dump *d)
{
	return d->n_problems;
}

const char *dump_problem(const struct dump *d, size_t i)
{
	return i < d->n_problems ? d->problems[i] : NULL;
}

const struct vmcoreinfo *dump_vmcoreinfo(const struct dump *d)
{
	return d->vmcoreinfo;
}

const char *dump_vmcoreinfo_get(const struct dump *d, const char *key)
{
	return d->vmcoreinfo ? vmcoreinfo_get(d->vmcoreinfo, key) : NULL;
}

const struct dump_vmcoreinfo_origin *
dump_vmcoreinfo_origin(const struct dump *d)
{
	return &d->vmcoreinfo_origin;
}

const char *dump_vmcoreinfo_from_name(enum dump_vmcoreinfo_from from)
{
	switch (from) {
	case DUMP_VMCOREINFO_NOTE:	return "ELF note";
	case DUMP_VMCOREINFO_HEADER:	return "kdump header";
	case DUMP_VMCOREINFO_MEMORY:	return "memory";
	case DUMP_VMCOREINFO_DERIVED:	return "derived";
	default:			return "none";
	}
}

const struct dump_notes *dump_notes(const struct dump *d)
{
	return &d->notes;
}

size_t dump_cpu_count(const struct dump *d)
{
	size_t n = 0;

	if (d->no_cpu_regs)
		return 0;
	for (size_t i = 0; i < d->notes.n; i++)
		n += d->notes.v[i].type == DUMP_NT_PRSTATUS &&
		     strcmp(d->notes.v[i].name, "CORE") == 0;
	return n;
}

struct kdk_error *dump_cpu_prstatus(const struct dump *d, size_t cpu,
				    struct dump_prstatus *out)
{
	size_t seen = 0;

	for (size_t i = 0; i < d->notes.n && !d->no_cpu_regs; i++) {
		const struct dump_note *note = &d->notes.v[i];

		if (note->type != DUMP_NT_PRSTATUS ||
		    strcmp(note->name, "CORE") != 0)
			continue;
		if (seen++ == cpu)
			return dump_note_prstatus(note, out);
	}
	return kdk_error(KDK_ERR_NOT_FOUND, "CPU %zu: the dump has registers "
			 "for %zu CPUs", cpu, seen);
}

void dump_cache_stats(const struct dump *d, struct page_cache_stats *stats)
{
	if (!d->cache) {
		*stats = (struct page_cache_stats){ 0 };
		return;
	}
	page_cache_stats(d->cache, stats);
}
