#include "capture/page_read.h"

#include <string.h>

struct kdk_error *capture_read_page(struct dump *d, uint32_t page_size,
				    uint64_t pfn, unsigned char *buf)
{
	uint64_t paddr = pfn * page_size;
	struct kdk_error *err = dump_read_phys(d, paddr, buf, page_size);
	const struct dump_range *r;
	size_t n;

	if (!err)
		return NULL;
	r = dump_ranges(d, &n);
	for (size_t i = 0; i < n; i++) {
		uint64_t start = r[i].start > paddr ? r[i].start : paddr;
		uint64_t end = r[i].end < paddr + page_size ? r[i].end :
			       paddr + page_size;

		if (start >= end || end - start == page_size)
			continue;
		kdk_error_free(err);
		memset(buf, 0, page_size);
		err = dump_read_phys(d, start, buf + (start - paddr),
				     end - start);
		break;
	}
	if (!err)
		return NULL;
	return kdk_error_wrap(err, "reading page 0x%llx",
			      (unsigned long long)pfn);
}
