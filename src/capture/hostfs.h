/* The running machine's /proc, /sys and /etc, under a root that tests can
 * move: $KDUMPKIT_ROOT (or a command's --root) names a directory holding
 * proc/, sys/ and etc/ to read instead of the real ones. */
#ifndef KDK_CAPTURE_HOSTFS_H
#define KDK_CAPTURE_HOSTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The root: the override given, else $KDUMPKIT_ROOT, else "" (the real
 * files). */
const char *hostfs_root(const char *override);

/* root + path into buf. */
void hostfs_path(const char *root, const char *path, char *buf, size_t size);

/* The first line of root/path without its newline; false if unreadable. */
bool hostfs_read_line(const char *root, const char *path, char *buf,
		      size_t size);

/* root/path as one decimal integer. */
bool hostfs_read_i64(const char *root, const char *path, int64_t *v);

/* A /proc/meminfo field in bytes ("MemTotal"); false if absent. */
bool hostfs_meminfo(const char *root, const char *field, uint64_t *bytes);

/* The /proc/iomem ranges called name (at any depth): their total size
 * and the first one's start. False if none (or only zeroed addresses,
 * which is what a reader without CAP_SYS_ADMIN sees). */
bool hostfs_iomem(const char *root, const char *name, uint64_t *start,
		  uint64_t *bytes);

#endif
