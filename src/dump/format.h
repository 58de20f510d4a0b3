/* What a dump format implements, and the parts of struct dump it fills.
 * Only the files of src/dump/ include this.
 */
#ifndef KDK_DUMP_FORMAT_H
#define KDK_DUMP_FORMAT_H

#include "dump/dump.h"
#include "dump/source.h"

struct dump_format_ops {
	const char *name;
	/* Does a file starting with head (len bytes) have this format? */
	bool (*probe)(const unsigned char *head, size_t len);
	/* Read the headers from d->src; fill d->facts, d->priv and, with
	 * dump_add_range(), the memory ranges; d->notes and d->vmcoreinfo
	 * if the format has them. */
	struct kdk_error *(*open)(struct dump *d);
	/* A format has one of these two. read: len bytes at paddr, within
	 * one page; *done says how many were read before an error. */
	struct kdk_error *(*read)(struct dump *d, uint64_t paddr, void *buf,
				  size_t len, size_t *done);
	/* read_page: page pfn, decoded; dump.c caches the pages. */
	struct kdk_error *(*read_page)(struct dump *d, uint64_t pfn, void *page);
	struct kdk_error *(*count_pages)(struct dump *d,
					 struct dump_page_counts *counts);
	void (*close)(struct dump *d);
};

extern const struct dump_format_ops dump_elf_ops;
extern const struct dump_format_ops dump_diskdump_ops;

#define DUMP_CACHE_BYTES (4 << 20)	/* decoded pages kept per dump */

/* Open one file, whatever it holds (a part of a split dump too): what
 * dump_open() does without putting split parts together. */
struct kdk_error *dump_open_file(const char *path, struct dump **out);

struct dump {
	const struct dump_format_ops *ops;
	struct dump_source *src;
	void *priv;			/* the format's */
	struct dump_facts facts;
	struct dump_range *ranges;
	size_t n_ranges, ranges_cap;
	struct dump_notes notes;
	struct vmcoreinfo *vmcoreinfo;
	struct dump_vmcoreinfo_origin vmcoreinfo_origin;
	struct page_cache *cache;	/* for formats with read_page */
	char **problems;
	size_t n_problems;
	bool no_cpu_regs;		/* its NT_PRSTATUS notes are empty
					   (/proc/kcore writes one of zeros) */
};

__attribute__((format(printf, 2, 3)))
struct kdk_error *dump_add_problem(struct dump *d, const char *fmt, ...);
/* Add an error's message as a problem, and free the error. */
struct kdk_error *dump_add_problem_err(struct dump *d, struct kdk_error *err,
				       const char *what);
struct kdk_error *dump_add_range(struct dump *d, uint64_t start, uint64_t end);

/* Parse VMCOREINFO text into d->vmcoreinfo; failure is only a problem. */
struct kdk_error *dump_set_vmcoreinfo(struct dump *d, const char *text,
				      size_t len,
				      enum dump_vmcoreinfo_from from);
/* Parse a note area into d->notes; a malformed note is only a problem. */
struct kdk_error *dump_set_notes(struct dump *d, const void *area, size_t len);

/* The three reasons memory is missing, for formats to return. */
struct kdk_error *dump_err_not_in_dump(void);
struct kdk_error *dump_err_excluded(const struct dump *d, const char *why);

#endif
