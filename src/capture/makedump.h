/* Pieces of `kdumpkit makedump` shared between its files. */
#ifndef KDK_CAPTURE_MAKEDUMP_H
#define KDK_CAPTURE_MAKEDUMP_H

#include <stdbool.h>

#include "base/error.h"
#include "capture/compress.h"

/* makedump -R: the flattened stream on fd, replayed into out (through
 * out.incomplete, renamed once the end marker is in). */
struct kdk_error *makedump_reassemble(int fd, const char *out, bool verbose);

/* makedump IN OUT with these settings, for `save`: OUT is written as
 * OUT.incomplete and renamed once whole; on failure the .incomplete file
 * stays, marked incomplete in its header when pages were written.
 * threads 0: the CPUs online. verbose: progress and the summary on
 * stderr. */
struct kdk_error *makedump_write(const char *in, const char *out,
				 int dump_level, enum page_codec codec,
				 int threads, bool verbose);

/* makedump --dump-dmesg IN OUT. */
struct kdk_error *makedump_write_dmesg(const char *in, const char *out);

#endif
