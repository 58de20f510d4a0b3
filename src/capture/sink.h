/* Where makedump's output goes: a file written in place (pwrite), or
 * makedumpfile's flattened stream (-F) on a pipe, where every write
 * becomes an (offset, size, data) record that `makedump -R` (or
 * makedumpfile -R) replays into a file; a later record wins over an
 * earlier one at the same offset, which is how the header is rewritten
 * at the end.
 */
#ifndef KDK_CAPTURE_SINK_H
#define KDK_CAPTURE_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct out_sink {
	int fd;
	bool flat;		/* a flattened stream */
	const char *name;	/* for messages */
	uint64_t bytes;		/* data bytes written */
};

/* Start the stream: the flattened header (only if flat). */
struct kdk_error *sink_begin(struct out_sink *s);

/* Write len bytes at off. On error *done (may be NULL) says how many
 * reached the file; the error keeps errno (ENOSPC). */
struct kdk_error *sink_write(struct out_sink *s, uint64_t off,
			     const void *buf, size_t len, size_t *done);

/* Allocate [off, off + len) now, so that later writes there cannot fail
 * for lack of space (the page descriptors, rewritten when the disk is
 * full). Files only; where the file system cannot, zeros are written. */
struct kdk_error *sink_reserve(struct out_sink *s, uint64_t off,
			       uint64_t len);

/* End the stream: the end marker (flat), or fsync (file). */
struct kdk_error *sink_end(struct out_sink *s);

#endif
