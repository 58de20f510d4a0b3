/* files: a task's root and working directory and its open files, in
 * crash's layout:
 *
 *   PID: 134      TASK: ffff88ce01809800  CPU: 0    COMMAND: "insmod"
 *   ROOT: /    CWD: /
 *    FD       FILE            DENTRY           INODE       TYPE PATH
 *     0 ffff88ce018a6400 ffff88ce020b33c0 ffff88ce01825910 CHR  /dev/console
 *
 * The open files are task->files->fdt->fd[0 .. max_fds); paths are built
 * as d_path() does (dpath.c). A task that has no files_struct (an exited
 * one) has "No open files".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/context.h"
#include "cmd/dpath.h"
#include "cmd/kread.h"
#include "debuginfo/symtab.h"

enum {
	F_FS, F_FILES, FS_ROOT_MNT, FS_ROOT_DENTRY, FS_PWD_MNT, FS_PWD_DENTRY,
	FILES_FDT, FDT_MAX_FDS, FDT_FD, INODE_MODE, INODE_OP, N_FIELDS
};

static const struct kfield fields[N_FIELDS] = {
	[F_FS] = { "struct task_struct", "fs", 0, 0 },
	[F_FILES] = { "struct task_struct", "files", 0, 0 },
	[FS_ROOT_MNT] = { "struct fs_struct", "root.mnt", 0, 0 },
	[FS_ROOT_DENTRY] = { "struct fs_struct", "root.dentry", 0, 0 },
	[FS_PWD_MNT] = { "struct fs_struct", "pwd.mnt", 0, 0 },
	[FS_PWD_DENTRY] = { "struct fs_struct", "pwd.dentry", 0, 0 },
	[FILES_FDT] = { "struct files_struct", "fdt", 0, 0 },
	[FDT_MAX_FDS] = { "struct fdtable", "max_fds", 0, 0 },
	[FDT_FD] = { "struct fdtable", "fd", 0, 0 },
	[INODE_MODE] = { "struct inode", "i_mode", 0, 0 },
	[INODE_OP] = { "struct inode", "i_op", 0, 0 },
};

/* no process has more open files than this; a bigger max_fds is junk */
#define MAX_FDS (1u << 24)

struct files_ctx {
	struct session *s;
	struct kfield f[N_FIELDS];
	struct dpath dp;
	uint64_t pipe_iops;	/* pipe_inode_operations, 0 if none */
	struct json_writer *w;
	const struct ktasks *k;
};

struct open_file {
	uint64_t file, dentry, inode;
	const char *type;
	char path[1024];
};

/* crash's TYPE column (filesys.c, inode_type): four characters. */
static const char *type_of(const struct files_ctx *c, uint32_t mode,
			   uint64_t iop, char *path)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "REG ";
	case S_IFLNK: return "LNK ";
	case S_IFDIR: return "DIR ";
	case S_IFCHR: return "CHR ";
	case S_IFBLK: return "BLK ";
	case S_IFIFO:
		if (c->pipe_iops && iop == c->pipe_iops) {
			path[0] = '\0';
			return "PIPE";
		}
		return "FIFO";
	case S_IFSOCK:
		if (strcmp(path, "/") == 0)
			path[0] = '\0';
		return "SOCK";
	}
	return "UNKN";
}

static struct kdk_error *read_file(struct files_ctx *c, uint64_t file,
				   struct open_file *o)
{
	uint64_t mode, iop = 0;
	struct kdk_error *err;

	o->file = file;
	o->inode = 0;
	err = dpath_file(c->s, &c->dp, file, &o->dentry, o->path,
			 sizeof(o->path));
	if (!err && o->dentry)
		err = kread_u64(c->s, o->dentry + c->dp.f[DP_INODE].off,
				&o->inode);
	if (err)
		return err;
	mode = 0;
	if (o->inode) {
		err = kread_field(c->s, o->inode, &c->f[INODE_MODE], &mode);
		if (!err)
			err = kread_u64(c->s, o->inode + c->f[INODE_OP].off,
					&iop);
	}
	o->type = o->inode ? type_of(c, (uint32_t)mode, iop, o->path) : "UNKN";
	return err;
}

static void put_file(struct files_ctx *c, uint64_t fd,
		     const struct open_file *o)
{
	char hex[24];

	if (!c->s->json) {
		fprintf(c->s->out, "%3" PRIu64 " %016" PRIx64 " %016" PRIx64
			" %016" PRIx64 " %s %s\n", fd, o->file, o->dentry,
			o->inode, o->type, o->path);
		return;
	}
	json_begin_object(c->w);
	json_key_int(c->w, "fd", (int64_t)fd);
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, o->file);
	json_key_string(c->w, "file", hex);
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, o->dentry);
	json_key_string(c->w, "dentry", hex);
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, o->inode);
	json_key_string(c->w, "inode", hex);
	json_key_string(c->w, "type", o->type);
	json_key_string(c->w, "path", o->path);
	json_end_object(c->w);
}

static struct kdk_error *root_and_cwd(struct files_ctx *c, uint64_t fs,
				      char *root, char *cwd, size_t n)
{
	uint64_t v[4];
	struct kdk_error *err = NULL;
	const int which[4] = { FS_ROOT_MNT, FS_ROOT_DENTRY, FS_PWD_MNT,
			       FS_PWD_DENTRY };

	root[0] = cwd[0] = '\0';
	if (!fs)
		return NULL;
	for (int i = 0; i < 4 && !err; i++)
		err = kread_u64(c->s, fs + c->f[which[i]].off, &v[i]);
	if (!err && v[1])
		err = dpath_get(c->s, &c->dp, v[0], v[1], root, n);
	if (!err && v[3])
		err = dpath_get(c->s, &c->dp, v[2], v[3], cwd, n);
	return err;
}

/* The open files of one task, fd by fd. */
static struct kdk_error *fd_table(struct files_ctx *c, uint64_t files,
				  bool *any)
{
	uint64_t fdt = 0, max = 0, fdv = 0, *fds;
	struct kdk_error *err = NULL;

	*any = false;
	if (files)
		err = kread_u64(c->s, files + c->f[FILES_FDT].off, &fdt);
	if (!err && fdt)
		err = kread_field(c->s, fdt, &c->f[FDT_MAX_FDS], &max);
	if (!err && fdt)
		err = kread_u64(c->s, fdt + c->f[FDT_FD].off, &fdv);
	if (err || !max || !fdv)
		return err;
	if (max > MAX_FDS)
		return kdk_error(KDK_ERR_FORMAT, "fdtable 0x%" PRIx64 " says "
				 "max_fds %" PRIu64 ": not a real table", fdt,
				 max);
	fds = malloc(max * sizeof(*fds));
	if (!fds)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = target_read_kvaddr(c->s->target, fdv, fds, max * sizeof(*fds));
	for (uint64_t i = 0; i < max && !err; i++) {
		struct open_file o;

		if (!fds[i])
			continue;
		if (!*any && !c->s->json)
			fputs(" FD       FILE            DENTRY           INODE"
			      "       TYPE PATH\n", c->s->out);
		*any = true;
		err = read_file(c, fds[i], &o);
		if (!err)
			put_file(c, i, &o);
	}
	free(fds);
	return err;
}

static struct kdk_error *one_task(void *arg, const struct ktask *t,
				  bool first)
{
	struct files_ctx *c = arg;
	const struct ktasks *k = c->k;
	uint64_t fs, files;
	char root[1024], cwd[1024];
	bool any;
	struct kdk_error *err;

	err = kread_u64(c->s, t->addr + c->f[F_FS].off, &fs);
	if (!err)
		err = kread_u64(c->s, t->addr + c->f[F_FILES].off, &files);
	if (!err)
		err = root_and_cwd(c, fs, root, cwd, sizeof(root));
	if (err)
		return kdk_error_wrap(err, "pid %d", t->pid);
	if (c->s->json) {
		json_begin_object(c->w);
		context_json_members(c->s, k, c->w, t);
		json_key_string(c->w, "root", root);
		json_key_string(c->w, "cwd", cwd);
		json_key(c->w, "files");
		json_begin_array(c->w);
	} else {
		if (!first)
			fputc('\n', c->s->out);
		context_print_header(c->s, t);
		if (fs)
			fprintf(c->s->out, "ROOT: %s    CWD: %s\n", root, cwd);
	}
	err = fd_table(c, files, &any);
	if (c->s->json) {
		json_end_array(c->w);
		json_end_object(c->w);
	} else if (!any && !err) {
		fputs("No open files\n", c->s->out);
	}
	return err ? kdk_error_wrap(err, "pid %d: open files", t->pid) : NULL;
}

static struct kdk_error *cmd_files(struct session *s, int argc, char **argv)
{
	struct files_ctx c = { .s = s };
	struct command_opts o;
	const struct ktasks *k;
	const struct ktask **tasks = NULL;
	const struct sym *pipe;
	struct json_writer w;
	struct kdk_error *err = NULL, *first = NULL;
	size_t n = 0;
	int ch;

	command_opts_init(&o, argc, argv);
	while ((ch = command_opts_next(&o, &cmd_files_def, "", &err)) != 0)
		if (err)
			return err;
	memcpy(c.f, fields, sizeof(fields));
	err = session_tasks(s, &k);
	if (!err)
		err = kfields_resolve(s, c.f, N_FIELDS);
	if (!err)
		err = dpath_init(s, &c.dp);
	if (!err)
		err = context_tasks(s, k, argc - o.ind, argv + o.ind, &tasks,
				    &n);
	if (err)
		return err;
	pipe = s->symbols ? sym_find_name(s->symbols, "pipe_inode_operations")
			  : NULL;
	c.pipe_iops = pipe ? pipe->addr : 0;
	c.w = &w;
	c.k = k;
	first = context_for_tasks(s, &w, tasks, n, one_task, &c);
	free(tasks);
	return first;
}

const struct command cmd_files_def = {
	.name = "files",
	.fn = cmd_files,
	.summary = "open files",
	.synopsis = "files [pid | taskp] ...",
	.help =
"Shows a task's root and current directory and each open file: its\n"
"descriptor, struct file, dentry and inode, the inode's type (REG, DIR,\n"
"CHR, BLK, FIFO, PIPE, SOCK, LNK) and the path, built as d_path() does\n"
"across mounts. Without an operand: the current task (set); a PID\n"
"names every thread of it. foreach ... files runs it on many tasks.\n"
"\n"
"With --json: per task {pid, command, task, cpu, st, ..., root, cwd,\n"
"files: [{fd, file, dentry, inode, type, path}]}.",
	.examples =
"  crash> files\n"
"  PID: 134      TASK: ffff88ce01809800  CPU: 0    COMMAND: \"insmod\"\n"
"  ROOT: /    CWD: /\n"
"   FD       FILE            DENTRY           INODE       TYPE PATH\n"
"    0 ffff88ce018a6400 ffff88ce020b33c0 ffff88ce01825910 CHR  /dev/console\n"
"    3 ffff88ce027b5e00 ffff88ce020b4840 ffff88ce01825600 REG  /crashme.ko",
	.flags = CMD_NEEDS_TARGET,
};
