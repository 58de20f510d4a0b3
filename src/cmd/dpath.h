/* A file's path from its (vfsmount, dentry), as the kernel's d_path()
 * builds it: each dentry's name up to its mount's root, then on from the
 * mount point in the parent mount, up to the root of the mount tree. */
#ifndef KDK_CMD_DPATH_H
#define KDK_CMD_DPATH_H

#include <stddef.h>
#include <stdint.h>

#include "cmd/kread.h"

enum {
	DP_PARENT, DP_NAME_LEN, DP_NAME, DP_INODE, DP_MNT_ROOT, DP_MOUNT_MNT,
	DP_MOUNT_PARENT, DP_MOUNTPOINT, DP_FILE_MNT, DP_FILE_DENTRY, DP_N
};

struct dpath {
	struct kfield f[DP_N];
};

struct kdk_error *dpath_init(struct session *s, struct dpath *d);

/* The path of dentry in mount mnt (a struct vfsmount *) into buf; mnt 0:
 * the dentry's own chain only. A path longer than n is cut at its
 * start ("..." then the tail). */
struct kdk_error *dpath_get(struct session *s, const struct dpath *d,
			    uint64_t mnt, uint64_t dentry, char *buf, size_t n);

/* The path of a struct file (its f_path); *dentry, if asked, the
 * dentry (0: none, and the path ""). */
struct kdk_error *dpath_file(struct session *s, const struct dpath *d,
			     uint64_t file, uint64_t *dentry, char *buf,
			     size_t n);

#endif
