/* Finding a dump's vmlinux by its release and build-id (find.h). */
#include "debuginfo/find.h"

#include <elfutils/debuginfod.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "debuginfo/vmlinux.h"

/* What the dump says of its kernel. */
struct wanted {
	const char *release;	/* OSRELEASE; NULL if unknown */
	const char *build_id;	/* BUILD-ID in hex; NULL if unknown */
};

/* Where the search looked, for the message when nothing was found. */
struct looked {
	char text[1024];
};

static void note(struct looked *l, const char *what)
{
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%s%s", n ? ", " : "",
		 what);
}

/* Is path d's kernel: a kernel image of the same build-id? */
static bool fits(const char *path, const struct wanted *w)
{
	struct vmlinux *v;
	struct kdk_error *err;
	bool ok;

	if (access(path, R_OK) != 0)
		return false;
	err = vmlinux_open(path, &v);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	ok = strcasecmp(vmlinux_build_id(v), w->build_id) == 0;
	vmlinux_close(v);
	return ok;
}

static struct kdk_error *found(const char *path, const char *how_fmt,
			       const char *arg, char **out, char **how)
{
	size_t n = strlen(how_fmt) + strlen(arg) + 1;

	*out = strdup(path);
	*how = malloc(n);
	if (!*out || !*how) {
		free(*out);
		free(*how);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	snprintf(*how, n, how_fmt, arg);
	return NULL;
}

/* The candidates under one root, the build-id link first. */
static bool in_root(const char *root, const struct wanted *w,
		    char *path, size_t n)
{
	snprintf(path, n, "%s/.build-id/%.2s/%s.debug", root, w->build_id,
		 w->build_id + 2);
	if (fits(path, w))
		return true;
	if (!w->release)
		return false;
	snprintf(path, n, "%s/boot/vmlinux-%s", root, w->release);
	if (fits(path, w))
		return true;
	snprintf(path, n, "%s/lib/modules/%s/vmlinux", root, w->release);
	return fits(path, w);
}

static bool on_disk(const struct wanted *w, char *path, size_t n,
		    struct looked *l, char *root, size_t root_n)
{
	const char *env = getenv(DEBUGINFO_DIRS_ENV);
	char *dirs = strdup(env ? env : DEBUGINFO_DIRS_DEFAULT), *save = NULL;

	if (!dirs)
		return false;
	for (char *r = strtok_r(dirs, ":", &save); r;
	     r = strtok_r(NULL, ":", &save)) {
		note(l, r);
		if (in_root(r, w, path, n)) {
			snprintf(root, root_n, "%s", r);
			free(dirs);
			return true;
		}
	}
	free(dirs);
	return false;
}

/* debuginfod's progress: "downloading vmlinux 120/590 MB" on a terminal. */
static int show_progress(debuginfod_client *c, long a, long b)
{
	FILE *f = debuginfod_get_user_data(c);

	if (f && b > 0)
		fprintf(f, "\rdebuginfod: downloading the vmlinux %ld/%ld MB",
			a >> 20, b >> 20);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The vmlinux from the servers of DEBUGINFOD_URLS, by build-id: a path
 * in debuginfod's own cache. */
static bool from_debuginfod(const struct wanted *w, FILE *progress,
			    char **path, struct looked *l)
{
	unsigned char id[64];
	size_t len = strlen(w->build_id) / 2;
	debuginfod_client *c;
	bool tty = progress && isatty(fileno(progress));
	int fd;

	if (len > sizeof(id) || strlen(w->build_id) % 2)
		return false;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval(w->build_id[2 * i]);
		int lo = hexval(w->build_id[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		id[i] = (unsigned char)(hi << 4 | lo);
	}
	note(l, "debuginfod");
	c = debuginfod_begin();
	if (!c)
		return false;
	if (tty) {
		debuginfod_set_user_data(c, progress);
		debuginfod_set_progressfn(c, show_progress);
	}
	fd = debuginfod_find_debuginfo(c, id, (int)len, path);
	if (tty)
		fputc('\n', progress);
	debuginfod_end(c);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

struct kdk_error *debuginfo_find_vmlinux(struct dump *d, FILE *progress,
					 char **path, char **how)
{
	struct wanted w = {
		.release = dump_vmcoreinfo_get(d, "OSRELEASE"),
		.build_id = dump_vmcoreinfo_get(d, "BUILD-ID"),
	};
	struct looked l = { "" };
	const char *urls = getenv("DEBUGINFOD_URLS");
	char p[4096], root[512], *dl = NULL;
	struct kdk_error *err;

	if (!w.build_id || strlen(w.build_id) < 3)
		return kdk_error(KDK_ERR_NOT_FOUND, "the dump's VMCOREINFO has "
				 "no BUILD-ID (kernels before 5.18 write none)"
				 " to find its vmlinux by");
	if (on_disk(&w, p, sizeof(p), &l, root, sizeof(root)))
		return found(p, "found in %s", root, path, how);
	if (urls && *urls &&
	    from_debuginfod(&w, progress, &dl, &l)) {
		err = found(dl, "from debuginfod (%s)", urls, path, how);
		free(dl);
		return err;
	}
	return kdk_error(KDK_ERR_NOT_FOUND, "no vmlinux for %s (build-id %s) "
			 "in %s", w.release ? w.release : "the dump",
			 w.build_id, l.text[0] ? l.text : "no place (" DEBUGINFO_DIRS_ENV
			 " is empty and DEBUGINFOD_URLS unset)");
}
