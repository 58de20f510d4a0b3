/* Copying the saved pages into a kdump-compressed dump, in parallel:
 *
 *   reader (the calling thread)  reads batches of pages, in PFN order
 *   N workers                    each compresses whole batches, on its own
 *   writer                       writes finished batches in order
 *
 * Threads meet once per batch of pages (a ring of slots under one mutex),
 * never per page, so compression scales with the workers.
 */
#ifndef KDK_CAPTURE_PIPELINE_H
#define KDK_CAPTURE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/progress.h"
#include "capture/compress.h"
#include "capture/kdump_writer.h"
#include "capture/page_bits.h"
#include "dump/dump.h"

struct pipeline_opts {
	struct dump *dump;
	const struct page_bits *saved;
	uint32_t page_size;
	enum page_codec codec;
	bool zero_block;	/* pages of zeros share the writer's block */
	int threads;
	struct progress *progress;	/* NULL: none */
};

struct pipeline_result {
	uint64_t pages_read;
	uint64_t pages_written;	/* described in the dump */
	uint64_t zero;		/* stored as the shared zero block */
	uint64_t raw;		/* stored as is (compression did not help) */
	uint64_t bytes_in, bytes_out;	/* page data */
	/* the error was the output's (the dump can still be finished) */
	bool write_failed;
};

struct kdk_error *pipeline_run(const struct pipeline_opts *o,
			       struct kdump_writer *w,
			       struct pipeline_result *r);

#endif
