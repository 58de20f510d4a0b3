/* One page of the input, for the writers. */
#ifndef KDK_CAPTURE_PAGE_READ_H
#define KDK_CAPTURE_PAGE_READ_H

#include <stdint.h>

#include "base/error.h"
#include "dump/dump.h"

/* Page pfn into buf (page_size bytes); bytes outside the dump's memory (a
 * range that starts or ends inside the page) read as zeros. */
struct kdk_error *capture_read_page(struct dump *d, uint32_t page_size,
				    uint64_t pfn, unsigned char *buf);

#endif
