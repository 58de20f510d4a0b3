/* The bytes a dump format reads: a file mapped into memory, a file read
 * with pread (/proc/kcore, which has no mmap), or the reassembled view of
 * a flattened file (flattened.h), read in place.
 *
 * Formats read through this interface only, so that a kdump-compressed or
 * ELF dump reads the same whether it sits in a file of its own or inside
 * a flattened stream.
 */
#ifndef KDK_DUMP_SOURCE_H
#define KDK_DUMP_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct dump_source;

/* How the next reads will go, for the kernel's read-ahead. */
enum dump_access {
	DUMP_ACCESS_RANDOM,	/* the default: reads of pages here and there */
	DUMP_ACCESS_SEQUENTIAL,	/* a scan from start to end */
};

struct dump_source_ops {
	struct kdk_error *(*read)(const struct dump_source *src, uint64_t off,
				  void *buf, size_t len);
	void (*advise)(const struct dump_source *src, enum dump_access how);
	void (*close)(struct dump_source *src);
};

struct dump_source {
	const struct dump_source_ops *ops;
	uint64_t size;		/* bytes in the (reassembled) file */
	char *problem;		/* what is missing, if the source is incomplete */
	bool in_procfs;		/* a file of /proc: the running kernel's
				   memory, read with pread, never mapped */
	void *priv;
};

/* Map the regular file at path, or read it with pread when it is in
 * /proc or cannot be mapped. Errors say why, without the path. */
struct kdk_error *dump_source_open_file(const char *path,
					struct dump_source **out);

/* Read len bytes at off. Bytes past the end are a KDK_ERR_NOT_PRESENT
 * error: "beyond the end of a truncated file (...)". */
struct kdk_error *dump_source_read(const struct dump_source *src, uint64_t off,
				   void *buf, size_t len);

/* The error for bytes [off, off + len) past end, shared by all sources. */
struct kdk_error *dump_source_err_truncated(uint64_t off, uint64_t end);

void dump_source_advise(const struct dump_source *src, enum dump_access how);

void dump_source_close(struct dump_source *src);

#endif
