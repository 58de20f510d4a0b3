#include "capture/sink.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dump/flattened.h"

/* makedumpfile.h: struct makedumpfile_header (signature "makedumpfile",
 * type TYPE_FLAT_HEADER 1, version VERSION_FLAT_HEADER 1, big-endian)
 * in a block of 4096 bytes; records start with struct
 * makedumpfile_data_header (big-endian offset and size); an end marker
 * has both -1. */
#define FLAT_SIGNATURE "makedumpfile"

static struct kdk_error *write_all(struct out_sink *s, const void *buf,
				   size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(s->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kdk_error_errno("writing %s", s->name);
		p += n;
		len -= n;
	}
	return NULL;
}

struct kdk_error *sink_begin(struct out_sink *s)
{
	unsigned char head[FLAT_HEADER_SIZE] = { 0 };
	uint64_t one = htobe64(1);

	if (!s->flat)
		return NULL;
	memcpy(head, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE) - 1);
	memcpy(head + 16, &one, 8);
	memcpy(head + 24, &one, 8);
	return write_all(s, head, sizeof(head));
}

static struct kdk_error *flat_record(struct out_sink *s, int64_t off,
				     int64_t size)
{
	uint64_t be[2] = { htobe64((uint64_t)off), htobe64((uint64_t)size) };

	return write_all(s, be, sizeof(be));
}

struct kdk_error *sink_write(struct out_sink *s, uint64_t off,
			     const void *buf, size_t len, size_t *done)
{
	const char *p = buf;
	size_t written = 0;
	struct kdk_error *err = NULL;

	/* makedumpfile -R takes a record of size 0 for the end of the
	 * stream (rearrange_dumpdata()): write none */
	if (s->flat && len) {
		err = flat_record(s, (int64_t)off, (int64_t)len);
		if (!err)
			err = write_all(s, buf, len);
		written = err ? 0 : len;
	}
	while (!s->flat && written < len) {
		ssize_t n = pwrite(s->fd, p + written, len - written,
				   off + written);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			err = kdk_error_errno("writing %s at offset 0x%llx",
					      s->name, (unsigned long long)
					      (off + written));
			break;
		}
		written += n;
	}
	s->bytes += written;
	if (done)
		*done = written;
	return err;
}

struct kdk_error *sink_reserve(struct out_sink *s, uint64_t off, uint64_t len)
{
	static const char zeros[65536];

	if (s->flat || !len)
		return NULL;
	if (posix_fallocate(s->fd, off, len) == 0)
		return NULL;
	while (len) {
		size_t n = len < sizeof(zeros) ? len : sizeof(zeros);
		struct kdk_error *err = sink_write(s, off, zeros, n, NULL);

		if (err)
			return err;
		off += n;
		len -= n;
	}
	return NULL;
}

struct kdk_error *sink_end(struct out_sink *s)
{
	if (s->flat)
		return flat_record(s, -1, -1);
	if (fsync(s->fd) != 0 && errno != EINVAL && errno != EROFS)
		return kdk_error_errno("writing %s: fsync", s->name);
	return NULL;
}
