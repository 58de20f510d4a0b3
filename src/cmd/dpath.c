/* d_path() over the dump (dpath.h). */
#include "cmd/dpath.h"

#include <string.h>

/* deeper than any real path: a loop in corrupted dentries ends here */
#define MAX_COMPONENTS 512

struct kdk_error *dpath_init(struct session *s, struct dpath *d)
{
	static const struct kfield fields[DP_N] = {
		[DP_PARENT] = { "struct dentry", "d_parent", 0, 0 },
		[DP_NAME_LEN] = { "struct dentry", "d_name.len", 0, 0 },
		[DP_NAME] = { "struct dentry", "d_name.name", 0, 0 },
		[DP_INODE] = { "struct dentry", "d_inode", 0, 0 },
		[DP_MNT_ROOT] = { "struct vfsmount", "mnt_root", 0, 0 },
		[DP_MOUNT_MNT] = { "struct mount", "mnt", 0, 0 },
		[DP_MOUNT_PARENT] = { "struct mount", "mnt_parent", 0, 0 },
		[DP_MOUNTPOINT] = { "struct mount", "mnt_mountpoint", 0, 0 },
		[DP_FILE_MNT] = { "struct file", "f_path.mnt", 0, 0 },
		[DP_FILE_DENTRY] = { "struct file", "f_path.dentry", 0, 0 },
	};

	memcpy(d->f, fields, sizeof(fields));
	return kfields_resolve(s, d->f, DP_N);
}

/* Put "/" NAME in front of buf[*at..]. */
static void prepend(char *buf, size_t *at, const char *name, size_t len)
{
	if (len + 1 > *at) {
		/* cut: keep the tail, mark the loss */
		if (*at >= 3) {
			*at -= 3;
			memcpy(buf + *at, "...", 3);
		}
		*at = 0;
		return;
	}
	*at -= len;
	memcpy(buf + *at, name, len);
	buf[--*at] = '/';
}

struct kdk_error *dpath_get(struct session *s, const struct dpath *d,
			    uint64_t mnt, uint64_t dentry, char *buf, size_t n)
{
	uint64_t mount = mnt ? mnt - d->f[DP_MOUNT_MNT].off : 0;
	uint64_t root = 0, parent, name;
	char tmp[4096], comp[256];
	size_t at = sizeof(tmp) - 1;
	struct kdk_error *err = NULL;

	tmp[at] = '\0';
	if (mnt)
		err = kread_u64(s, mnt + d->f[DP_MNT_ROOT].off, &root);
	for (int i = 0; !err && i < MAX_COMPONENTS && at; i++) {
		uint64_t len;

		err = kread_u64(s, dentry + d->f[DP_PARENT].off, &parent);
		if (err)
			break;
		if (dentry == root || parent == dentry) {
			uint64_t up, point;

			/* the top of this mount: on to where it is mounted */
			if (!mount)
				break;
			err = kread_u64(s, mount + d->f[DP_MOUNT_PARENT].off,
					&up);
			if (!err && up != mount)
				err = kread_u64(s, mount +
						d->f[DP_MOUNTPOINT].off, &point);
			if (err || up == mount)
				break;
			mount = up;
			dentry = point;
			err = kread_u64(s, mount + d->f[DP_MOUNT_MNT].off +
					d->f[DP_MNT_ROOT].off, &root);
			continue;
		}
		err = kread_field(s, dentry, &d->f[DP_NAME_LEN], &len);
		if (!err)
			err = kread_u64(s, dentry + d->f[DP_NAME].off, &name);
		if (!err)
			err = kread_str(s, name, comp, sizeof(comp));
		if (err)
			break;
		if (len > strlen(comp))
			len = strlen(comp);
		prepend(tmp, &at, comp, len);
		dentry = parent;
	}
	if (err)
		return err;
	snprintf(buf, n, "%s", tmp[at] ? tmp + at : "/");
	return NULL;
}

struct kdk_error *dpath_file(struct session *s, const struct dpath *d,
			     uint64_t file, uint64_t *dentry, char *buf,
			     size_t n)
{
	uint64_t mnt, den;
	struct kdk_error *err = kread_u64(s, file + d->f[DP_FILE_MNT].off,
					  &mnt);

	if (!err)
		err = kread_u64(s, file + d->f[DP_FILE_DENTRY].off, &den);
	if (err)
		return err;
	if (dentry)
		*dentry = den;
	if (!den) {
		snprintf(buf, n, "%s", "");
		return NULL;
	}
	return dpath_get(s, d, mnt, den, buf, n);
}
