/* Writing a cpio archive in the "newc" format the kernel unpacks into its
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst),
 * gzip-compressed, without running cpio or gzip. */
#ifndef KDK_CAPTURE_CPIO_H
#define KDK_CAPTURE_CPIO_H

#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

struct cpio;

struct kdk_error *cpio_create(const char *path, struct cpio **out);

/* Entries; name without a leading '/'. Parents are not made implicitly. */
struct kdk_error *cpio_dir(struct cpio *c, const char *name);
struct kdk_error *cpio_file(struct cpio *c, const char *name, mode_t mode,
			    const void *data, size_t size);
/* A host file's content as name (following symlinks). */
struct kdk_error *cpio_copy(struct cpio *c, const char *name, mode_t mode,
			    const char *src);
struct kdk_error *cpio_symlink(struct cpio *c, const char *name,
			       const char *target);
struct kdk_error *cpio_chardev(struct cpio *c, const char *name,
			       unsigned major, unsigned minor);

/* The trailer, and close; the archive is only whole after this. */
struct kdk_error *cpio_finish(struct cpio *c);
/* Close without finishing (after an error); removes the file. */
void cpio_abort(struct cpio *c);

#endif
