/* kdumpkit status: is this machine ready to capture a crash? One line per
 * check, OK or WARN, and for a WARN what to do about it:
 *   reservation  crashkernel= memory (/sys/kernel/kexec_crash_size,
 *                /proc/iomem "Crash kernel")
 *   loaded       a capture kernel is loaded (/sys/kernel/kexec_crash_loaded)
 *   sysctls      which failures panic, and so get dumped at all
 *   config       /etc/kdumpkit.conf
 *   target       the dump directory and its free space
 * Exit status 0 when every check is OK, 1 when one warns.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/error.h"
#include "base/json.h"
#include "capture/config.h"
#include "capture/hostfs.h"
#include "subcommands.h"

#define STATUS_USAGE "usage: kdumpkit status [--json] [--root DIR]\n" \
	"  --root DIR  read DIR/proc, DIR/sys and DIR/etc (also $KDUMPKIT_ROOT)"

#define MAX_CHECKS 16

struct check {
	const char *name;
	bool ok;
	char detail[1024];
	char fix[1024];
};

struct status {
	const char *root;
	struct check checks[MAX_CHECKS];
	int n;
};

__attribute__((format(printf, 4, 5)))
static struct check *add(struct status *st, const char *name, bool ok,
			 const char *fmt, ...)
{
	struct check *c = &st->checks[st->n++];
	va_list ap;

	c->name = name;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	c->fix[0] = '\0';
	return c;
}

static double mib(uint64_t b)
{
	return b / 1048576.0;
}

static void check_reservation(struct status *st)
{
	int64_t size = 0;
	uint64_t start = 0, bytes = 0;
	bool have_size = hostfs_read_i64(st->root, "/sys/kernel/kexec_crash_size",
					 &size);
	bool in_iomem = hostfs_iomem(st->root, "Crash kernel", &start, &bytes);
	struct check *c;

	if (!have_size && !in_iomem) {
		c = add(st, "reservation", false, "this kernel has no kexec "
			"(no /sys/kernel/kexec_crash_size)");
		snprintf(c->fix, sizeof(c->fix), "boot a kernel built with "
			 "CONFIG_KEXEC_FILE or CONFIG_KEXEC and CONFIG_CRASH_DUMP");
		return;
	}
	if (!have_size)
		size = (int64_t)bytes;
	if (size <= 0) {
		c = add(st, "reservation", false, "no memory reserved for a "
			"capture kernel (no crashkernel= on the command line)");
		snprintf(c->fix, sizeof(c->fix), "add crashkernel=SIZE (see "
			 "'kdumpkit estimate') to the kernel command line and "
			 "reboot");
		return;
	}
	if (in_iomem)
		add(st, "reservation", true, "%.0f MiB reserved at 0x%" PRIx64,
		    mib((uint64_t)size), start);
	else
		add(st, "reservation", true, "%.0f MiB reserved",
		    mib((uint64_t)size));
}

static void check_loaded(struct status *st)
{
	int64_t loaded = 0;
	struct check *c;

	if (!hostfs_read_i64(st->root, "/sys/kernel/kexec_crash_loaded",
			     &loaded)) {
		c = add(st, "loaded", false, "cannot tell (no "
			"/sys/kernel/kexec_crash_loaded)");
		snprintf(c->fix, sizeof(c->fix), "mount sysfs on /sys");
		return;
	}
	if (loaded == 1) {
		add(st, "loaded", true, "a capture kernel is loaded");
		return;
	}
	c = add(st, "loaded", false, "no capture kernel is loaded: a crash "
		"now is not saved");
	snprintf(c->fix, sizeof(c->fix), "kdumpkit load");
}

/* A panic sysctl: the failure it turns into a panic, and so into a dump. */
static void check_sysctl(struct status *st, const char *name,
			 const char *file, const char *what, bool want_positive)
{
	int64_t v;
	struct check *c;

	if (!hostfs_read_i64(st->root, file, &v)) {
		add(st, name, true, "not in this kernel (%s absent)", file);
		return;
	}
	if (want_positive ? v > 0 : v != 0) {
		if (want_positive)
			add(st, name, true, "%" PRId64 ": %s is detected after "
			    "%" PRId64 " s", v, what, v);
		else
			add(st, name, true, "%" PRId64 ": %s panics, and is "
			    "dumped", v, what);
		return;
	}
	if (want_positive)
		c = add(st, name, false, "%" PRId64 ": %s is never detected",
			v, what);
	else
		c = add(st, name, false, "%" PRId64 ": %s is reported but the "
			"kernel lives on: no dump", v, what);
	snprintf(c->fix, sizeof(c->fix), "sysctl -w %s=%s (and in "
		 "/etc/sysctl.d/ to keep it)", file + strlen("/proc/sys/"),
		 want_positive ? "120" : "1");
	/* /proc/sys/kernel/x -> kernel.x */
	for (char *p = c->fix + strlen("sysctl -w "); *p && *p != '='; p++)
		if (*p == '/')
			*p = '.';
}

static void check_config(struct status *st, struct capture_config *cfg)
{
	char file[1024];
	struct kdk_error *err;
	struct check *c;

	hostfs_path(st->root, KDUMPKIT_CONF, file, sizeof(file));
	capture_config_defaults(cfg);
	err = capture_config_load(file, cfg);
	if (err) {
		c = add(st, "config", false, "%s", err->msg);
		snprintf(c->fix, sizeof(c->fix), "fix %s ('kdumpkit save "
			 "--print-config' shows every key)", KDUMPKIT_CONF);
		kdk_error_free(err);
		capture_config_defaults(cfg);
		return;
	}
	if (!cfg->from_file) {
		c = add(st, "config", false, "no %s: defaults apply (path "
			"%s, dump level %d)", KDUMPKIT_CONF, cfg->path,
			cfg->dump_level);
		snprintf(c->fix, sizeof(c->fix), "kdumpkit save "
			 "--print-config > %s, then edit it", KDUMPKIT_CONF);
		return;
	}
	add(st, "config", true, "%s: path %s, dump level %d, keep %d, "
	    "final action %s", KDUMPKIT_CONF, cfg->path, cfg->dump_level,
	    cfg->keep, cfg->final_action);
}

/* Where `device` points now: LABEL= and UUID= through /dev/disk/by-*. */
static bool find_device(const char *root, const char *device, char *dev,
			size_t size)
{
	char link[600];

	if (strncmp(device, "LABEL=", 6) == 0)
		snprintf(link, sizeof(link), "/dev/disk/by-label/%s", device + 6);
	else if (strncmp(device, "UUID=", 5) == 0)
		snprintf(link, sizeof(link), "/dev/disk/by-uuid/%s", device + 5);
	else
		snprintf(link, sizeof(link), "%s", device);
	hostfs_path(root, link, dev, size);
	return access(dev, F_OK) == 0;
}

/* Is something mounted on path (root/proc/mounts)? */
static bool mounted_on(const char *root, const char *path)
{
	char file[1024], line[1024], on[512];
	bool found = false;
	FILE *f;

	hostfs_path(root, "/proc/mounts", file, sizeof(file));
	f = fopen(file, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %511s", on) == 1 && strcmp(on, path) == 0;
	fclose(f);
	return found;
}

/* The capture initramfs mounts `device` on path: it must exist now. */
static bool check_device(struct status *st, const struct capture_config *cfg)
{
	char dev[1024];
	struct check *c;

	if (!cfg->device[0])
		return true;
	if (find_device(st->root, cfg->device, dev, sizeof(dev))) {
		add(st, "device", true, "%s (%s) is there; the capture kernel "
		    "mounts it on %s", cfg->device, dev + strlen(st->root),
		    cfg->path);
		return true;
	}
	c = add(st, "device", false, "%s: no such device now: the capture "
		"kernel could not mount it", cfg->device);
	snprintf(c->fix, sizeof(c->fix), "set device in %s to one that blkid "
		 "lists", KDUMPKIT_CONF);
	return false;
}

/* A level-31 dump is a few percent of memory; below an eighth of it the
 * target may hold the kernel log only. */
static void check_target(struct status *st, const struct capture_config *cfg)
{
	char dir[1024];
	struct statvfs sv;
	uint64_t free_b, ram = 0;
	struct check *c;

	if (!check_device(st, cfg))
		return;
	if (cfg->device[0] && !mounted_on(st->root, cfg->path)) {
		add(st, "target", true, "%s is not mounted now: its free space "
		    "is known only once the capture kernel mounts it",
		    cfg->device);
		return;
	}

	hostfs_path(st->root, cfg->path, dir, sizeof(dir));
	if (statvfs(dir, &sv) != 0) {
		c = add(st, "target", false, "%s: %m", cfg->path);
		snprintf(c->fix, sizeof(c->fix), "mkdir -p %s (or set path in "
			 "%s)", cfg->path, KDUMPKIT_CONF);
		return;
	}
	free_b = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (!hostfs_meminfo(st->root, "MemTotal", &ram) || free_b >= ram / 8) {
		add(st, "target", true, "%s: %.0f MiB free (memory %.0f MiB)",
		    cfg->path, mib(free_b), mib(ram));
		return;
	}
	c = add(st, "target", false, "%s: %.0f MiB free, less than an eighth "
		"of memory (%.0f MiB): the dump may not fit", cfg->path,
		mib(free_b), mib(ram));
	snprintf(c->fix, sizeof(c->fix), "free space there, or point path in "
		 "%s at a larger file system", KDUMPKIT_CONF);
}

static void print_text(const struct status *st)
{
	for (int i = 0; i < st->n; i++) {
		const struct check *c = &st->checks[i];

		printf("%-4s  %-19s %s\n", c->ok ? "OK" : "WARN", c->name,
		       c->detail);
		if (!c->ok && c->fix[0])
			printf("      %-19s fix: %s\n", "", c->fix);
	}
}

static int print_json(const struct status *st, bool ready)
{
	struct json_writer w;

	json_init(&w, stdout, true);
	json_begin_object(&w);
	json_key_bool(&w, "ready", ready);
	json_key(&w, "checks");
	json_begin_array(&w);
	for (int i = 0; i < st->n; i++) {
		const struct check *c = &st->checks[i];

		json_begin_object(&w);
		json_key_string(&w, "name", c->name);
		json_key_string(&w, "status", c->ok ? "OK" : "WARN");
		json_key_string(&w, "detail", c->detail);
		json_key_string(&w, "fix", c->ok ? NULL : c->fix);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_end_object(&w);
	return json_finish(&w);
}

int subcmd_status(int argc, char **argv)
{
	struct status st = { 0 };
	struct capture_config cfg;
	const char *root = NULL;
	bool json = false, ready = true;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			root = argv[++i];
		else
			return kdk_error_report(kdk_error(KDK_ERR_USAGE,
				"status: unknown argument '%s'\n%s", argv[i],
				STATUS_USAGE), stderr);
	}
	st.root = hostfs_root(root);
	check_reservation(&st);
	check_loaded(&st);
	check_sysctl(&st, "panic_on_oops", "/proc/sys/kernel/panic_on_oops",
		     "an oops", false);
	check_sysctl(&st, "hung_task_panic", "/proc/sys/kernel/hung_task_panic",
		     "a hung task", false);
	check_sysctl(&st, "hung_task_timeout", "/proc/sys/kernel/"
		     "hung_task_timeout_secs", "a hung task",
		     true);
	check_sysctl(&st, "softlockup_panic", "/proc/sys/kernel/softlockup_panic",
		     "a soft lockup", false);
	check_sysctl(&st, "panic_on_oom", "/proc/sys/vm/panic_on_oom",
		     "running out of memory", false);
	check_config(&st, &cfg);
	check_target(&st, &cfg);
	for (int i = 0; i < st.n; i++)
		ready &= st.checks[i].ok;
	if (json) {
		if (print_json(&st, ready) < 0)
			return kdk_error_report(kdk_error_errno("status: "
				"writing the output"), stderr);
	} else {
		print_text(&st);
	}
	return ready ? 0 : 1;
}
