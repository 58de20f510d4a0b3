/* What split.c needs to know of a kdump-compressed file to put the parts of
 * a split dump together. Only the files of src/dump/ include this.
 *
 * makedumpfile --split writes each part as a whole kdump-compressed file:
 * the same disk_dump_header in every part, both bitmaps for all PFNs, but
 * page descriptors and data only for the part's PFNs [start_pfn, end_pfn),
 * which the sub-header gives (makedumpfile.c: write_kdump_header(),
 * store_splitting_info()).
 */
#ifndef KDK_DUMP_DISKDUMP_H
#define KDK_DUMP_DISKDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dump;

struct diskdump_split {
	bool split;			/* the sub-header's split flag */
	uint64_t start_pfn, end_pfn;	/* the PFNs this file holds */
	uint64_t max_pfn;
	const void *header;		/* the disk_dump_header, as read */
	size_t header_size;
};

/* False if d is not a kdump-compressed file. */
bool diskdump_split_info(const struct dump *d, struct diskdump_split *out);

/* Does the second bitmap (saved pages) have pfn? */
bool diskdump_pfn_saved(const struct dump *d, uint64_t pfn);

/* Saved pages in [start, end). */
uint64_t diskdump_saved_between(const struct dump *d, uint64_t start,
				uint64_t end);

#endif
