/* kdumpkit save: in the capture kernel, save the crashed kernel.
 *
 * Under <path>/<YYYYMMDD-HHMMSS>/ (UTC), in this order, so that what
 * matters most is on disk first:
 *   dmesg.txt  the kernel log (makedump --dump-dmesg)
 *   vmcore     kdump-compressed (makedump), written as vmcore.incomplete,
 *              fsynced and renamed: a half dump never has the final name
 * When the dump does not fit (or fails) at the configured level, it is
 * tried again at level 31; when that fails too, what is left is the log
 * and vmcore.incomplete (marked incomplete in its header), and save says
 * so and exits 1. Old dump directories beyond `keep` go first.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"
#include "base/progress.h"
#include "capture/config.h"
#include "capture/hostfs.h"
#include "capture/makedump.h"
#include "subcommands.h"

#define SAVE_USAGE "usage: kdumpkit save [--config FILE] [--vmcore FILE] " \
	"[--path DIR] [--quiet] [--json]\n" \
	"       kdumpkit save --print-config [--config FILE]"

/* Below this much free space after the log, a dump is not tried. */
#define MIN_FREE_FOR_DUMP (4u << 20)

struct save_opts {
	const char *config, *vmcore, *path;
	bool print_config, quiet, json;
};

/* What save did, for --json (and the summary line). */
struct save_result {
	char dir[1024];
	bool dmesg;		/* dmesg.txt written */
	bool vmcore;		/* vmcore written whole */
	int level;		/* its dump level; -1 none */
	uint64_t bytes;		/* its size */
	double seconds;
};

static struct kdk_error *parse_args(int argc, char **argv,
				    struct save_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (strcmp(a, "--config") == 0)
			slot = &o->config;
		else if (strcmp(a, "--vmcore") == 0)
			slot = &o->vmcore;
		else if (strcmp(a, "--path") == 0)
			slot = &o->path;
		else if (strcmp(a, "--print-config") == 0)
			o->print_config = true;
		else if (strcmp(a, "--quiet") == 0)
			o->quiet = true;
		else if (strcmp(a, "--json") == 0)
			o->json = true;
		else
			return kdk_error(KDK_ERR_USAGE, "save: unknown argument "
					 "'%s'\n%s", a, SAVE_USAGE);
		if (slot) {
			if (i + 1 >= argc)
				return kdk_error(KDK_ERR_USAGE, "save: %s needs "
						 "a value\n%s", a, SAVE_USAGE);
			*slot = argv[++i];
		}
	}
	return NULL;
}

static bool is_dump_dir(const char *name)
{
	int y, mo, d, h, mi, s, n = 0;

	return sscanf(name, "%4d%2d%2d-%2d%2d%2d%n", &y, &mo, &d, &h, &mi, &s,
		      &n) == 6 && n == 15;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *p;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    asprintf(&p, "%s/%s", dir, e->d_name) >= 0) {
			unlink(p);
			free(p);
		}
	closedir(d);
	rmdir(dir);
}

/* Leave keep - 1 old dumps, so that with the new one there are keep. */
static void prune(const char *path, int keep, bool quiet)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, p[1400];
	size_t n = 0;

	if (keep <= 0 || !(d = opendir(path)))
		return;
	while ((e = readdir(d)))
		if (is_dump_dir(e->d_name)) {
			char **nn = realloc(names, (n + 1) * sizeof(*names));

			if (!nn)
				break;
			names = nn;
			names[n++] = strdup(e->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i + (size_t)keep - 1 < n && i < n; i++) {
		if (!names[i])
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, names[i]);
		if (!quiet)
			fprintf(stderr, "kdumpkit: save: removing old dump %s "
				"(keep = %d)\n", p, keep);
		remove_dir(p);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static struct kdk_error *make_dump_dir(const char *path, char *dir,
				       size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (int i = 0; i < 100; i++) {
		if (i)
			snprintf(dir, size, "%s/%s.%d", path, stamp, i);
		else
			snprintf(dir, size, "%s/%s", path, stamp);
		if (mkdir(dir, 0700) == 0)
			return NULL;
		if (errno != EEXIST)
			return kdk_error_errno("save: creating %s", dir);
	}
	return kdk_error(KDK_ERR_IO, "save: %s/%s.*: too many dumps this "
			 "second", path, stamp);
}

static uint64_t free_bytes(const char *dir)
{
	struct statvfs sv;

	if (statvfs(dir, &sv) != 0)
		return UINT64_MAX;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

static void sync_dir(const char *dir)
{
	FILE *f = fopen(dir, "r");

	if (f) {
		fsync(fileno(f));
		fclose(f);
	}
	sync();
}

/* The dump at the configured level, then at 31; NULL when one is whole. */
static struct kdk_error *save_vmcore(const struct capture_config *c,
				     const char *vmcore, const char *dir,
				     bool quiet, int *level_used)
{
	char out[1100], tmp[1200];
	int levels[2] = { c->dump_level, 31 };
	int n = c->dump_level == 31 ? 1 : 2;
	struct kdk_error *err = NULL;

	snprintf(out, sizeof(out), "%s/vmcore", dir);
	snprintf(tmp, sizeof(tmp), "%s.incomplete", out);
	for (int i = 0; i < n; i++) {
		if (err) {
			if (!quiet)
				fprintf(stderr, "kdumpkit: save: %s; trying "
					"again at dump level %d\n", err->msg,
					levels[i]);
			kdk_error_free(err);
			unlink(tmp);
		}
		err = makedump_write(vmcore, out, levels[i], c->codec,
				     c->threads, !quiet);
		if (!err) {
			*level_used = levels[i];
			return NULL;
		}
	}
	return err;
}

static struct kdk_error *save(const struct capture_config *c,
			      const char *vmcore, bool quiet,
			      struct save_result *res)
{
	char *dir = res->dir, log[1100];
	struct kdk_error *err, *dmesg_err;
	struct stat st;
	double t0 = progress_now();
	int level = -1;

	if (access(vmcore, R_OK) != 0)
		return kdk_error_errno("save: %s (is this the capture kernel?)",
				       vmcore);
	if (mkdir(c->path, 0700) != 0 && errno != EEXIST)
		return kdk_error_errno("save: creating %s", c->path);
	prune(c->path, c->keep, quiet);
	err = make_dump_dir(c->path, dir, sizeof(res->dir));
	if (err)
		return err;
	snprintf(log, sizeof(log), "%s/dmesg.txt", dir);
	dmesg_err = makedump_write_dmesg(vmcore, log);
	if (dmesg_err)
		fprintf(stderr, "kdumpkit: save: the kernel log is not saved: "
			"%s\n", dmesg_err->msg);
	else if (!quiet)
		fprintf(stderr, "kdumpkit: save: kernel log saved to %s\n", log);
	if (free_bytes(dir) < MIN_FREE_FOR_DUMP) {
		err = kdk_error(KDK_ERR_IO, "save: %s: %llu KiB free, no room "
				"for a dump", dir,
				(unsigned long long)(free_bytes(dir) >> 10));
	} else {
		err = save_vmcore(c, vmcore, dir, quiet, &level);
	}
	sync_dir(dir);
	res->dmesg = !dmesg_err;
	res->seconds = progress_now() - t0;
	if (err) {
		err = kdk_error_wrap(err, "save: %s: the kernel log is %s, "
				     "the dump is NOT saved whole", dir,
				     dmesg_err ? "NOT saved either" : "saved");
		kdk_error_free(dmesg_err);
		return err;
	}
	snprintf(log, sizeof(log), "%s/vmcore", dir);
	if (stat(log, &st) != 0)
		st.st_size = 0;
	res->vmcore = true;
	res->level = level;
	res->bytes = (uint64_t)st.st_size;
	fprintf(stderr, "kdumpkit: save: saved %s (%.1f MiB, dump level %d)%s "
		"in %.1f s\n", log, st.st_size / 1048576.0, level,
		dmesg_err ? ", the kernel log NOT" : " and dmesg.txt",
		progress_now() - t0);
	if (dmesg_err)
		return kdk_error_wrap(dmesg_err, "save: %s", dir);
	return NULL;
}

/* {dir, dmesg, vmcore, complete, dump_level, bytes, ms, error}:
 * paths null when the file was not written whole. */
static void print_json(const struct save_result *r, const struct kdk_error *err)
{
	struct json_writer w;
	char path[1100];

	json_init(&w, stdout, true);
	json_begin_object(&w);
	json_key_string(&w, "dir", r->dir[0] ? r->dir : NULL);
	snprintf(path, sizeof(path), "%s/dmesg.txt", r->dir);
	json_key_string(&w, "dmesg", r->dmesg ? path : NULL);
	snprintf(path, sizeof(path), "%s/vmcore", r->dir);
	json_key_string(&w, "vmcore", r->vmcore ? path : NULL);
	json_key_bool(&w, "complete", r->vmcore && r->dmesg && !err);
	json_key_int(&w, "dump_level", r->level);
	json_key_uint(&w, "bytes", r->bytes);
	json_key_uint(&w, "ms", (uint64_t)(r->seconds * 1000));
	json_key_string(&w, "error", err ? err->msg : NULL);
	json_end_object(&w);
	json_finish(&w);
}

int subcmd_save(int argc, char **argv)
{
	struct save_opts o = { 0 };
	struct capture_config c;
	char conf[1024];
	struct kdk_error *err = parse_args(argc, argv, &o);

	if (err)
		return kdk_error_report(err, stderr);
	capture_config_defaults(&c);
	if (o.config)
		snprintf(conf, sizeof(conf), "%s", o.config);
	else
		hostfs_path(hostfs_root(NULL), KDUMPKIT_CONF, conf, sizeof(conf));
	err = capture_config_load(conf, &c);
	if (!err && o.config && !c.from_file)
		err = kdk_error(KDK_ERR_NOT_FOUND, "%s: no such file", conf);
	if (err)
		return kdk_error_report(kdk_error_wrap(err, "save"), stderr);
	if (o.path) {
		if (strlen(o.path) >= sizeof(c.path))
			return kdk_error_report(kdk_error(KDK_ERR_USAGE,
				"save: --path is too long"), stderr);
		strcpy(c.path, o.path);
	}
	if (o.print_config) {
		capture_config_write(stdout, &c);
		return 0;
	}
	struct save_result res = { .level = -1 };

	err = save(&c, o.vmcore ? o.vmcore : "/proc/vmcore", o.quiet, &res);
	if (o.json)
		print_json(&res, err);
	return err ? kdk_error_report(err, stderr) : 0;
}
