#include "dump/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "dump/kcore.h"

struct mapped_file {
	int fd;
	const unsigned char *map;
};

struct kdk_error *dump_source_err_truncated(uint64_t off, uint64_t end)
{
	return kdk_error(KDK_ERR_NOT_PRESENT,
		"beyond the end of a truncated file (file offset 0x%llx, the "
		"data ends at 0x%llx)", (unsigned long long)off,
		(unsigned long long)end);
}

static struct kdk_error *mapped_read(const struct dump_source *src,
				     uint64_t off, void *buf, size_t len)
{
	const struct mapped_file *mf = src->priv;

	if (off > src->size || len > src->size - off)
		return dump_source_err_truncated(off, src->size);
	memcpy(buf, mf->map + off, len);
	return NULL;
}

static void mapped_advise(const struct dump_source *src, enum dump_access how)
{
	const struct mapped_file *mf = src->priv;

	madvise((void *)mf->map, src->size, how == DUMP_ACCESS_SEQUENTIAL ?
		MADV_SEQUENTIAL : MADV_RANDOM);
}

static void mapped_close(struct dump_source *src)
{
	struct mapped_file *mf = src->priv;

	munmap((void *)mf->map, src->size);
	close(mf->fd);
	free(mf);
}

static const struct dump_source_ops mapped_file_ops = {
	.read = mapped_read,
	.advise = mapped_advise,
	.close = mapped_close,
};

/* --- pread: /proc/kcore has no mmap, and is ~128 TB besides --- */

static struct kdk_error *pread_read(const struct dump_source *src,
				    uint64_t off, void *buf, size_t len)
{
	const struct mapped_file *mf = src->priv;
	unsigned char *p = buf;

	if (off > src->size || len > src->size - off)
		return dump_source_err_truncated(off, src->size);
	while (len) {
		ssize_t n = pread(mf->fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kdk_error_errno("reading file offset 0x%llx",
					       (unsigned long long)off);
		if (n == 0)	/* the file shrank since fstat */
			return dump_source_err_truncated(off, off);
		p += n;
		off += n;
		len -= n;
	}
	return NULL;
}

static void pread_close(struct dump_source *src)
{
	struct mapped_file *mf = src->priv;

	close(mf->fd);
	free(mf);
}

static const struct dump_source_ops pread_file_ops = {
	.read = pread_read,
	.close = pread_close,
};

/* Why a path that opened cannot be a dump, or NULL if it can. */
static struct kdk_error *check_file_type(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return kdk_error(KDK_ERR_FORMAT, "is a directory");
	if (!S_ISREG(st->st_mode))
		return kdk_error(KDK_ERR_FORMAT,
			"not a regular file (dumps are read in place, so "
			"pipes and devices must be saved to a file first)");
	if (st->st_size == 0)
		return kdk_error(KDK_ERR_FORMAT, "empty file");
	return NULL;
}

static bool in_procfs(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) == 0 && fs.f_type == KCORE_PROC_SUPER_MAGIC;
}

/* The mapping of fd, or NULL where it is read with pread instead. */
static const unsigned char *map_file(int fd, const struct stat *st,
				     bool procfs)
{
	void *map;

	if (procfs)
		return NULL;
	map = mmap(NULL, st->st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return NULL;
	/* Dump reads jump around: read-ahead only wastes I/O. */
	madvise(map, st->st_size, MADV_RANDOM);
	return map;
}

struct kdk_error *dump_source_open_file(const char *path,
					struct dump_source **out)
{
	struct kdk_error *err = NULL;
	struct dump_source *src = NULL;
	struct mapped_file *mf = NULL;
	const unsigned char *map;
	struct stat st;
	bool procfs;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kcore_open_error(path, errno);
	if (fstat(fd, &st) < 0) {
		err = kdk_error_errno("cannot stat");
		goto fail;
	}
	err = check_file_type(&st);
	if (err)
		goto fail;
	procfs = in_procfs(fd);
	map = map_file(fd, &st, procfs);
	src = calloc(1, sizeof(*src));
	mf = calloc(1, sizeof(*mf));
	if (!src || !mf) {
		if (map)
			munmap((void *)map, st.st_size);
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		goto fail;
	}
	*mf = (struct mapped_file){ .fd = fd, .map = map };
	*src = (struct dump_source){
		.ops = map ? &mapped_file_ops : &pread_file_ops,
		.size = st.st_size, .in_procfs = procfs, .priv = mf,
	};
	*out = src;
	return NULL;
fail:
	free(src);
	free(mf);
	close(fd);
	return err;
}

struct kdk_error *dump_source_read(const struct dump_source *src, uint64_t off,
				   void *buf, size_t len)
{
	return src->ops->read(src, off, buf, len);
}

void dump_source_advise(const struct dump_source *src, enum dump_access how)
{
	if (src->ops->advise)
		src->ops->advise(src, how);
}

void dump_source_close(struct dump_source *src)
{
	if (!src)
		return;
	src->ops->close(src);
	free(src->problem);
	free(src);
}
