/* makedumpfile's flattened format, read in place.
 *
 * makedumpfile -F (and QEMU's dump-guest-memory -z/-l/-s when it writes to a
 * pipe) cannot seek, so it writes a stream: a 4096-byte header that starts
 * with "makedumpfile", then records, each a big-endian (offset, size) pair
 * followed by size bytes that belong at offset in the real dump file, and
 * finally an end marker (-1, -1). makedumpfile -R replays the records into
 * a file; a later record overwrites what an earlier one wrote.
 *
 * Rather than reassemble, we index the records once, sorted by offset with
 * overlaps resolved (O(n log n)), and serve reads of the reassembled file
 * from the flattened file itself. A stream cut short opens with the records
 * it has; what it lacks reads as "beyond the end of a truncated file".
 */
#ifndef KDK_DUMP_FLATTENED_H
#define KDK_DUMP_FLATTENED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "dump/source.h"

#define FLAT_HEADER_SIZE 4096

/* Bytes [offset, offset + size) of the reassembled file are the bytes at
 * pos in the flattened file. */
struct flat_extent {
	uint64_t offset;
	uint64_t size;
	uint64_t pos;
};

/* Does a file starting with head (len bytes) look flattened? */
bool flat_probe(const void *head, size_t len);

/* Turn records, in stream order, into disjoint extents sorted by offset,
 * where a later record wins over an earlier one it overlaps. Adjacent
 * extents that continue each other are merged. */
struct kdk_error *flat_index_build(const struct flat_extent *records, size_t n,
				   struct flat_extent **extents,
				   size_t *n_extents);

/* Index of the first extent that ends after offset (n if none). */
size_t flat_index_find(const struct flat_extent *ext, size_t n,
		       uint64_t offset);

/* A source that reads the reassembled file. It takes container over, and
 * closes it when it is closed. On error, container is closed too. */
struct kdk_error *dump_source_open_flattened(struct dump_source *container,
					     struct dump_source **out,
					     uint64_t *n_records);

#endif
