/* makedump -R: turn makedumpfile's flattened stream (makedumpfile -F,
 * makedump -F; format in src/dump/flattened.h) back into the dump file,
 * by writing each record's bytes at its offset. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/makedump.h"
#include "dump/flattened.h"

#define MAX_RECORD (64u << 20)	/* makedumpfile's are a few MiB at most */

/* Read exactly len bytes; *got says how many came before EOF. */
static struct kdk_error *read_full(int fd, void *buf, size_t len, size_t *got)
{
	char *p = buf;

	*got = 0;
	while (*got < len) {
		ssize_t n = read(fd, p + *got, len - *got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kdk_error_errno("reading the stream");
		if (n == 0)
			break;
		*got += n;
	}
	return NULL;
}

static struct kdk_error *write_full(int fd, const char *name, uint64_t off,
				    const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return kdk_error_errno("writing %s at offset 0x%llx",
					       name, (unsigned long long)off);
		}
		p += n;
		off += n;
		len -= n;
	}
	return NULL;
}

static struct kdk_error *replay(int in, int out, const char *name,
				uint64_t *records)
{
	unsigned char head[FLAT_HEADER_SIZE];
	char *buf = NULL;
	size_t got, cap = 0;
	struct kdk_error *err;

	err = read_full(in, head, sizeof(head), &got);
	if (err)
		return err;
	if (got < sizeof(head) || !flat_probe(head, got))
		return kdk_error(KDK_ERR_FORMAT, "standard input is not a "
				 "flattened dump (makedumpfile -F): no "
				 "\"makedumpfile\" header");
	for (;;) {
		uint64_t be[2];
		int64_t off, size;

		err = read_full(in, be, sizeof(be), &got);
		if (err)
			break;
		if (got < sizeof(be)) {
			err = kdk_error(KDK_ERR_FORMAT, "the stream ends after %llu "
					"records, without its end marker",
					(unsigned long long)*records);
			break;
		}
		off = (int64_t)be64toh(be[0]);
		size = (int64_t)be64toh(be[1]);
		if (off == -1 && size == -1)
			break;
		if (off < 0 || size < 0 || size > MAX_RECORD) {
			err = kdk_error(KDK_ERR_FORMAT, "record %llu is corrupt "
					"(offset %lld, size %lld)",
					(unsigned long long)*records,
					(long long)off, (long long)size);
			break;
		}
		if ((size_t)size > cap) {
			char *b = realloc(buf, size);

			if (!b) {
				err = kdk_error(KDK_ERR_NOMEM, "out of memory");
				break;
			}
			buf = b;
			cap = size;
		}
		err = read_full(in, buf, size, &got);
		if (!err && got < (size_t)size)
			err = kdk_error(KDK_ERR_FORMAT, "the stream ends inside "
					"record %llu", (unsigned long long)*records);
		if (!err)
			err = write_full(out, name, off, buf, size);
		if (err)
			break;
		(*records)++;
	}
	free(buf);
	return err;
}

struct kdk_error *makedump_reassemble(int fd, const char *out, bool verbose)
{
	char *tmp = NULL;
	uint64_t records = 0;
	struct kdk_error *err;
	int ofd;

	if (isatty(fd))
		return kdk_error(KDK_ERR_USAGE, "makedump -R: the flattened "
				 "stream comes on standard input, which is a "
				 "terminal: redirect it");
	if (asprintf(&tmp, "%s.incomplete", out) < 0)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	ofd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (ofd < 0) {
		err = kdk_error_errno("makedump -R: creating %s", tmp);
		free(tmp);
		return err;
	}
	err = replay(fd, ofd, tmp, &records);
	if (!err && fsync(ofd) != 0)
		err = kdk_error_errno("writing %s: fsync", tmp);
	close(ofd);
	if (!err && rename(tmp, out) != 0)
		err = kdk_error_errno("renaming %s to %s", tmp, out);
	if (err)
		err = kdk_error_wrap(err, "makedump -R: %s", records ? tmp : out);
	if (err && !records)
		unlink(tmp);
	else if (!err && verbose)
		fprintf(stderr, "The dump is saved to %s (%llu records).\n", out,
			(unsigned long long)records);
	free(tmp);
	return err;
}
