/* kdumpkit initramfs OUT: the capture kernel's initramfs.
 *
 * What it holds: a static busybox (its applets as symlinks made at boot),
 * kdumpkit and every shared library this very process has loaded (found
 * with dl_iterate_phdr, so the set is exactly what the dynamic loader
 * needed, under the names it looked up), /etc/kdumpkit.conf, the kernel
 * modules asked for (loaded in the order given), and /init: mount /proc,
 * /sys, /dev; load the modules; mount the configured device on the
 * configured path; kdumpkit save; then the final (or failure) action.
 * Written as a gzip-compressed newc cpio, with no cpio or gzip needed.
 */
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/json.h"
#include "capture/config.h"
#include "capture/cpio.h"
#include "capture/hostfs.h"
#include "capture/moddep.h"
#include "subcommands.h"

#define INITRAMFS_USAGE "usage: kdumpkit initramfs OUT [--config FILE] " \
	"[--busybox FILE] [--module NAME|FILE.ko]... [--moddir DIR] " \
	"[--json]\n" \
	"  a module NAME comes with what it needs, from DIR/modules.dep " \
	"(DIR: /lib/modules/RELEASE)"

#define MAX_MODULES 64

static const char INIT_SCRIPT[] =
	"#!/bin/busybox sh\n"
	"# kdumpkit's capture initramfs: save the crashed kernel, then the\n"
	"# final action of /etc/kdumpkit.conf (kdumpkit initramfs wrote this)\n"
	"/bin/busybox --install -s /bin\n"
	"export PATH=/bin\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sys /sys\n"
	"mount -t devtmpfs dev /dev\n"
	"mount -t tmpfs tmp /tmp\n"
	"say() { echo \"kdumpkit-init: $*\" > /dev/console; }\n"
	"conf() { sed -n \"s/^[ \\t]*$1[ \\t]*=[ \\t]*\\([^# \\t]*\\).*/\\1/p\" "
	"/etc/kdumpkit.conf | tail -n 1; }\n"
	"for m in $(cat /modules.load); do\n"
	"\tinsmod \"/modules/$m\" || say \"insmod $m failed\"\n"
	"done\n"
	"rc=1\n"
	"path=$(conf path)\n"
	"dev=$(conf device)\n"
	"if [ ! -e /proc/vmcore ]; then\n"
	"\tsay \"no /proc/vmcore: this is not a capture kernel\"\n"
	"\tpath=\n"
	"elif [ -n \"$dev\" ]; then\n"
	"\tmkdir -p \"$path\"\n"
	"\ti=0\n"
	"\twhile :; do\n"
	"\t\tcase \"$dev\" in\n"
	"\t\tLABEL=*|UUID=*) d=$(findfs \"$dev\" 2>/dev/null) ;;\n"
	"\t\t*) d=$dev ;;\n"
	"\t\tesac\n"
	"\t\t[ -n \"$d\" ] && [ -b \"$d\" ] && break\n"
	"\t\ti=$((i + 1))\n"
	"\t\t[ $i -ge 30 ] && break\n"
	"\t\tsleep 1\n"
	"\tdone\n"
	"\tif mount -t \"$(conf fstype)\" \"$d\" \"$path\"; then\n"
	"\t\tmounted=1\n"
	"\telse\n"
	"\t\tsay \"cannot mount $dev ($d) on $path\"\n"
	"\t\tpath=\n"
	"\tfi\n"
	"fi\n"
	"if [ -n \"$path\" ]; then\n"
	"\tsay \"saving to $path\"\n"
	"\tkdumpkit save\n"
	"\trc=$?\n"
	"fi\n"
	"sync\n"
	"[ -n \"$mounted\" ] && umount \"$path\"\n"
	"if [ $rc -eq 0 ]; then\n"
	"\ta=$(conf final_action)\n"
	"else\n"
	"\ta=$(conf failure_action)\n"
	"\t[ \"$a\" = dmesg-only ] && a=$(conf final_action)\n"
	"fi\n"
	"say \"save rc=$rc, then $a\"\n"
	"case \"$a\" in\n"
	"shell) exec sh ;;\n"
	"halt) halt -f ;;\n"
	"poweroff) poweroff -f ;;\n"
	"*) reboot -f ;;\n"
	"esac\n"
	"sleep 1000\n";

struct initramfs_opts {
	const char *out, *config, *busybox, *moddir;
	const char *modules[MAX_MODULES];
	int n_modules;
	bool json;
};

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* The module files, dependencies first: names through modules.dep, files
 * as given. */
static struct kdk_error *module_files(const struct initramfs_opts *o,
				      struct moddep_list *l)
{
	char dir[512];
	struct utsname u;
	struct kdk_error *err = NULL;

	if (o->moddir) {
		snprintf(dir, sizeof(dir), "%s", o->moddir);
	} else {
		uname(&u);
		snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	}
	for (int i = 0; i < o->n_modules && !err; i++) {
		const char *m = o->modules[i];

		if (strchr(m, '/') || ends_with(m, ".ko"))
			err = moddep_add_file(m, l);
		else
			err = moddep_add(dir, m, l);
	}
	for (size_t i = 0; i < l->n && !err; i++)
		if (!ends_with(l->paths[i], ".ko"))
			err = kdk_error(KDK_ERR_USAGE, "%s: a compressed module; "
					"busybox's insmod needs it uncompressed",
					l->paths[i]);
	return err;
}

/* Every directory above name, once each, before name itself. */
static struct kdk_error *parents(struct cpio *c, const char *name,
				 char (*done)[256], int *n_done, int max_done)
{
	char dir[256];
	struct kdk_error *err;

	for (const char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		bool seen = false;

		if ((size_t)(s - name) >= sizeof(dir))
			return kdk_error(KDK_ERR_USAGE, "%s: path too long", name);
		memcpy(dir, name, s - name);
		dir[s - name] = '\0';
		for (int i = 0; i < *n_done && !seen; i++)
			seen = strcmp(done[i], dir) == 0;
		if (seen)
			continue;
		if (*n_done >= max_done)
			return kdk_error(KDK_ERR_OTHER, "too many directories");
		strcpy(done[(*n_done)++], dir);
		err = cpio_dir(c, dir);
		if (err)
			return err;
	}
	return NULL;
}

struct libs {
	char names[64][256];
	int n;
};

/* The loaded objects with a path: the libraries under the names the
 * dynamic loader opened, and the loader itself under kdumpkit's PT_INTERP
 * (e.g. /lib64/ld-linux-x86-64.so.2). */
static int collect_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct libs *l = arg;

	(void)size;
	if (info->dlpi_name[0] == '/' && l->n < 64 &&
	    strlen(info->dlpi_name) < sizeof(l->names[0]))
		strcpy(l->names[l->n++], info->dlpi_name);
	return 0;
}

/* A 64-bit ELF program without PT_INTERP: needs no dynamic loader. */
static bool is_static_elf(const char *path)
{
	FILE *f = fopen(path, "rb");
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	bool is_static = false;

	if (!f)
		return false;
	if (fread(&eh, sizeof(eh), 1, f) == 1 &&
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64) {
		is_static = true;
		for (int i = 0; i < eh.e_phnum; i++) {
			if (fseek(f, (long)(eh.e_phoff + i * sizeof(ph)),
				  SEEK_SET) != 0 || fread(&ph, sizeof(ph), 1, f) != 1) {
				is_static = false;
				break;
			}
			if (ph.p_type == PT_INTERP)
				is_static = false;
		}
	}
	fclose(f);
	return is_static;
}

static struct kdk_error *config_text(const struct initramfs_opts *o,
				     char **text, size_t *len)
{
	struct capture_config cfg;
	char file[1024];
	struct kdk_error *err;
	FILE *m;

	capture_config_defaults(&cfg);
	if (o->config)
		snprintf(file, sizeof(file), "%s", o->config);
	else
		hostfs_path(hostfs_root(NULL), KDUMPKIT_CONF, file, sizeof(file));
	err = capture_config_load(file, &cfg);
	if (!err && o->config && !cfg.from_file)
		err = kdk_error(KDK_ERR_NOT_FOUND, "%s: no such file", file);
	if (err)
		return err;
	m = open_memstream(text, len);
	if (!m)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	capture_config_write(m, &cfg);
	fclose(m);
	return NULL;
}

/* {path, bytes, busybox, libraries: [...], modules: [...]} */
static void print_json(const struct initramfs_opts *o, const struct libs *libs,
		       const struct moddep_list *mods)
{
	struct json_writer w;
	struct stat st;

	json_init(&w, stdout, true);
	json_begin_object(&w);
	json_key_string(&w, "path", o->out);
	json_key_uint(&w, "bytes", stat(o->out, &st) == 0 ?
		      (uint64_t)st.st_size : 0);
	json_key_string(&w, "busybox", o->busybox);
	json_key(&w, "libraries");
	json_begin_array(&w);
	for (int i = 0; i < libs->n; i++)
		json_string(&w, libs->names[i]);
	json_end_array(&w);
	json_key(&w, "modules");
	json_begin_array(&w);
	for (size_t i = 0; i < mods->n; i++)
		json_string(&w, mods->paths[i]);
	json_end_array(&w);
	json_end_object(&w);
	json_finish(&w);
}

static struct kdk_error *build(const struct initramfs_opts *o)
{
	static const char *const dirs[] = { "bin", "dev", "etc", "proc", "sys",
		"tmp", "modules", NULL };
	char (*done)[256];
	int n_done = 0;
	struct libs libs = { .n = 0 };
	struct moddep_list mods = { 0 };
	char *conf = NULL, load[8192] = "";
	size_t conf_len = 0, load_len = 0;
	struct cpio *c;
	struct kdk_error *err;

	if (!is_static_elf(o->busybox))
		return kdk_error(KDK_ERR_USAGE, "%s is not a static 64-bit "
				 "program: the initramfs needs a static busybox "
				 "(Debian: busybox-static), give it with "
				 "--busybox", o->busybox);
	done = calloc(128, sizeof(*done));
	if (!done)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = module_files(o, &mods);
	if (!err)
		err = config_text(o, &conf, &conf_len);
	if (err) {
		moddep_list_free(&mods);
		free(done);
		return err;
	}
	dl_iterate_phdr(collect_lib, &libs);
	err = cpio_create(o->out, &c);
	if (err) {
		free(conf);
		moddep_list_free(&mods);
		free(done);
		return err;
	}
	for (int i = 0; dirs[i] && !err; i++) {
		strcpy(done[n_done++], dirs[i]);
		err = cpio_dir(c, dirs[i]);
	}
	if (!err)
		err = cpio_chardev(c, "dev/console", 5, 1);
	if (!err)
		err = cpio_copy(c, "bin/busybox", 0755, o->busybox);
	if (!err)
		err = cpio_copy(c, "bin/kdumpkit", 0755, "/proc/self/exe");
	for (int i = 0; i < libs.n && !err; i++) {
		err = parents(c, libs.names[i] + 1, done, &n_done, 128);
		if (!err)
			err = cpio_copy(c, libs.names[i] + 1, 0755, libs.names[i]);
	}
	for (size_t i = 0; i < mods.n && !err; i++) {
		const char *base = strrchr(mods.paths[i], '/');
		char name[512];

		base = base ? base + 1 : mods.paths[i];
		snprintf(name, sizeof(name), "modules/%s", base);
		err = cpio_copy(c, name, 0644, mods.paths[i]);
		load_len += snprintf(load + load_len, load_len < sizeof(load) ?
				     sizeof(load) - load_len : 0, "%s\n", base);
	}
	if (!err && load_len >= sizeof(load))
		err = kdk_error(KDK_ERR_USAGE, "too many modules");
	if (!err)
		err = cpio_file(c, "modules.load", 0644, load, load_len);
	if (!err)
		err = cpio_file(c, "etc/kdumpkit.conf", 0644, conf, conf_len);
	if (!err)
		err = cpio_file(c, "init", 0755, INIT_SCRIPT,
				sizeof(INIT_SCRIPT) - 1);
	free(conf);
	free(done);
	if (err) {
		cpio_abort(c);
		moddep_list_free(&mods);
		return err;
	}
	err = cpio_finish(c);
	if (!err && o->json)
		print_json(o, &libs, &mods);
	else if (!err)
		printf("wrote %s: busybox, kdumpkit, %d libraries, %zu modules, "
		       "/etc/kdumpkit.conf, /init\n", o->out, libs.n, mods.n);
	moddep_list_free(&mods);
	return err;
}

int subcmd_initramfs(int argc, char **argv)
{
	struct initramfs_opts o = { .busybox = "/bin/busybox" };
	struct kdk_error *err = NULL;

	for (int i = 1; i < argc && !err; i++) {
		const char *a = argv[i];

		if ((strcmp(a, "--config") == 0 || strcmp(a, "--busybox") == 0 ||
		     strcmp(a, "--module") == 0 || strcmp(a, "--moddir") == 0) &&
		    i + 1 >= argc)
			err = kdk_error(KDK_ERR_USAGE, "initramfs: %s needs a "
					"value\n%s", a, INITRAMFS_USAGE);
		else if (strcmp(a, "--config") == 0)
			o.config = argv[++i];
		else if (strcmp(a, "--busybox") == 0)
			o.busybox = argv[++i];
		else if (strcmp(a, "--moddir") == 0)
			o.moddir = argv[++i];
		else if (strcmp(a, "--json") == 0)
			o.json = true;
		else if (strcmp(a, "--module") == 0 && o.n_modules < MAX_MODULES)
			o.modules[o.n_modules++] = argv[++i];
		else if (a[0] == '-' || o.out)
			err = kdk_error(KDK_ERR_USAGE, "initramfs: unexpected "
					"'%s'\n%s", a, INITRAMFS_USAGE);
		else
			o.out = a;
	}
	if (!err && !o.out)
		err = kdk_error(KDK_ERR_USAGE, "initramfs: give the file to "
				"write\n%s", INITRAMFS_USAGE);
	if (!err)
		err = build(&o);
	return err ? kdk_error_report(kdk_error_wrap(err, "initramfs"),
				      stderr) : 0;
}
