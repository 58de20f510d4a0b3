/* newc cpio, gzip-compressed (cpio.h). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "capture/cpio.h"

struct cpio {
	gzFile gz;
	char *path;
	unsigned ino;
	bool failed;
};

struct kdk_error *cpio_create(const char *path, struct cpio **out)
{
	struct cpio *c = calloc(1, sizeof(*c));

	if (!c || !(c->path = strdup(path))) {
		free(c);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	c->gz = gzopen(path, "wb6");
	if (!c->gz) {
		struct kdk_error *err = kdk_error_errno("creating %s", path);

		free(c->path);
		free(c);
		return err;
	}
	c->ino = 721;
	*out = c;
	return NULL;
}

static struct kdk_error *put(struct cpio *c, const void *p, size_t n)
{
	if (n && gzwrite(c->gz, p, (unsigned)n) != (int)n) {
		c->failed = true;
		return kdk_error(KDK_ERR_IO, "writing %s failed", c->path);
	}
	return NULL;
}

static struct kdk_error *pad4(struct cpio *c, size_t n)
{
	static const char zeros[4];

	return put(c, zeros, (4 - n % 4) % 4);
}

static struct kdk_error *header(struct cpio *c, const char *name,
				unsigned mode, size_t size, unsigned rmajor,
				unsigned rminor)
{
	char h[111];
	size_t namesize = strlen(name) + 1;
	struct kdk_error *err;

	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X"
		 "%08X%08X%08X%08X", c->ino++, mode, 0, 0,
		 S_ISDIR(mode) ? 2 : 1, 0, (unsigned)size, 0, 0, rmajor,
		 rminor, (unsigned)namesize, 0);
	err = put(c, h, 110);
	if (!err)
		err = put(c, name, namesize);
	if (!err)
		err = pad4(c, 110 + namesize);
	return err;
}

struct kdk_error *cpio_dir(struct cpio *c, const char *name)
{
	return header(c, name, S_IFDIR | 0755, 0, 0, 0);
}

struct kdk_error *cpio_file(struct cpio *c, const char *name, mode_t mode,
			    const void *data, size_t size)
{
	struct kdk_error *err;

	if (size > 0xffffffffu)
		return kdk_error(KDK_ERR_USAGE, "%s: too large for cpio", name);
	err = header(c, name, S_IFREG | (mode & 07777), size, 0, 0);
	if (!err)
		err = put(c, data, size);
	if (!err)
		err = pad4(c, size);
	return err;
}

struct kdk_error *cpio_copy(struct cpio *c, const char *name, mode_t mode,
			    const char *src)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	struct kdk_error *err;
	size_t got = 0;

	if (fd < 0)
		return kdk_error_errno("reading %s", src);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return kdk_error(KDK_ERR_IO, "%s: not a regular file", src);
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		return kdk_error(KDK_ERR_NOMEM, "out of memory for %s", src);
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);

		if (n <= 0) {
			err = n < 0 ? kdk_error_errno("reading %s", src) :
			      kdk_error(KDK_ERR_IO, "%s: shorter than it was",
					src);
			free(buf);
			close(fd);
			return err;
		}
		got += n;
	}
	close(fd);
	err = cpio_file(c, name, mode ? mode : st.st_mode, buf, got);
	free(buf);
	return err;
}

struct kdk_error *cpio_symlink(struct cpio *c, const char *name,
			       const char *target)
{
	size_t n = strlen(target);
	struct kdk_error *err = header(c, name, S_IFLNK | 0777, n, 0, 0);

	if (!err)
		err = put(c, target, n);
	if (!err)
		err = pad4(c, n);
	return err;
}

struct kdk_error *cpio_chardev(struct cpio *c, const char *name,
			       unsigned major, unsigned minor)
{
	return header(c, name, S_IFCHR | 0600, 0, major, minor);
}

struct kdk_error *cpio_finish(struct cpio *c)
{
	struct kdk_error *err = header(c, "TRAILER!!!", 0, 0, 0, 0);
	int rc = gzclose(c->gz);

	if (!err && rc != Z_OK)
		err = kdk_error(KDK_ERR_IO, "writing %s failed", c->path);
	if (err)
		unlink(c->path);
	free(c->path);
	free(c);
	return err;
}

void cpio_abort(struct cpio *c)
{
	gzclose(c->gz);
	unlink(c->path);
	free(c->path);
	free(c);
}
