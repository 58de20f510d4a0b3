/* kdumpkit load / unload: the capture kernel, through kexec_file_load(2)
 * with KEXEC_FILE_ON_CRASH: the running kernel checks and places the image
 * itself (and its signature, under lockdown), builds the ELF core header
 * and the purgatory. Kernels without CONFIG_KEXEC_FILE (Debian's arm64
 * 6.1) would need kexec_load(2) and segments built here: not built yet.
 *
 * The capture kernel's command line is the running one's without what
 * belongs to this boot (crashkernel=, rdinit=/init=: the capture
 * initramfs has its own /init) plus what a kernel booting on a crashed
 * machine needs: irqpoll, nr_cpus=1, reset_devices, and kdumpkit.save=1
 * (the capture initramfs saves when it sees /proc/vmcore).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kexec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/error.h"
#include "base/json.h"
#include "capture/hostfs.h"
#include "subcommands.h"

#define LOAD_USAGE "usage: kdumpkit load [--kernel K] [--initrd I] " \
	"[--append ARGS] [--dry-run] [--json]\n" \
	"  K defaults to /boot/vmlinuz-RELEASE, I to " \
	"/boot/kdumpkit-RELEASE.img ('kdumpkit initramfs' builds it)"

#define CAPTURE_ARGS "irqpoll nr_cpus=1 reset_devices kdumpkit.save=1"

struct load_opts {
	const char *kernel, *initrd, *append;
	bool dry_run, json;
};

static bool dropped(const char *tok)
{
	static const char *const prefixes[] = {
		"crashkernel=", "rdinit=", "init=", "nr_cpus=", "maxcpus=",
		"kdumpkit.save=", NULL };

	for (const char *const *p = prefixes; *p; p++)
		if (strncmp(tok, *p, strlen(*p)) == 0)
			return true;
	return strcmp(tok, "irqpoll") == 0 || strcmp(tok, "reset_devices") == 0;
}

/* The capture kernel's command line, from the running one's. */
static struct kdk_error *capture_cmdline(const char *root, const char *append,
					 char *out, size_t size)
{
	char cur[4096], *save = NULL;
	size_t n = 0;

	if (!hostfs_read_line(root, "/proc/cmdline", cur, sizeof(cur)))
		return kdk_error_errno("load: reading /proc/cmdline");
	out[0] = '\0';
	/* after "--" come the first boot's init's arguments: not ours */
	for (char *t = strtok_r(cur, " \t", &save); t && strcmp(t, "--");
	     t = strtok_r(NULL, " \t", &save))
		if (!dropped(t))
			n += snprintf(out + n, n < size ? size - n : 0, "%s ", t);
	n += snprintf(out + n, n < size ? size - n : 0, "%s%s%s", CAPTURE_ARGS,
		      append ? " " : "", append ? append : "");
	if (n >= size)
		return kdk_error(KDK_ERR_USAGE, "load: the command line is "
				 "longer than %zu bytes", size - 1);
	return NULL;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

static bool lockdown_active(const char *root)
{
	char line[256];

	return hostfs_read_line(root, "/sys/kernel/security/lockdown", line,
				sizeof(line)) && !strstr(line, "[none]");
}

/* What kexec_file_load's errno means here. */
static struct kdk_error *load_error(const char *verb, int e,
				    const char *root, const struct load_opts *o)
{
	switch (e) {
	case ENOSYS:
		return kdk_error(KDK_ERR_NOT_BUILT, "%s: this kernel has no "
			"kexec_file_load (CONFIG_KEXEC_FILE unset); loading "
			"through kexec_load is not built yet", verb);
	case EPERM:
		if (lockdown_active(root))
			return kdk_error(KDK_ERR_OTHER, "%s: refused under "
				"kernel lockdown: %s must be signed by a key "
				"the kernel trusts", verb, o->kernel);
		return kdk_error(KDK_ERR_OTHER, "%s: not permitted (run as "
			"root: it needs CAP_SYS_BOOT; or kexec is disabled by "
			"kernel.kexec_load_disabled)", verb);
	case EKEYREJECTED:
	case ENOKEY:
	case EBADMSG:
		return kdk_error(KDK_ERR_OTHER, "%s: %s: its signature is "
			"missing or not trusted, and this kernel enforces "
			"signatures (%s)", verb, o->kernel, strerror(e));
	case ENOMEM:
	case EADDRNOTAVAIL:
		return kdk_error(KDK_ERR_OTHER, "%s: the crashkernel= "
			"reservation is too small for %s and %s (%s); see "
			"'kdumpkit estimate'", verb, o->kernel, o->initrd,
			strerror(e));
	case ENOEXEC:
		return kdk_error(KDK_ERR_FORMAT, "%s: %s: not a kernel image "
			"this kernel can load (%s)", verb, o->kernel, strerror(e));
	case EBUSY:
		return kdk_error(KDK_ERR_OTHER, "%s: a kexec is under way; "
			"try again", verb);
	default:
		errno = e;
		return kdk_error_errno("%s: kexec_file_load(%s, %s)",
				       verb, o->kernel, o->initrd);
	}
}

static struct kdk_error *parse_args(int argc, char **argv,
				    struct load_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **slot = NULL;

		if (strcmp(a, "--kernel") == 0)
			slot = &o->kernel;
		else if (strcmp(a, "--initrd") == 0)
			slot = &o->initrd;
		else if (strcmp(a, "--append") == 0)
			slot = &o->append;
		else if (strcmp(a, "--dry-run") == 0)
			o->dry_run = true;
		else if (strcmp(a, "--json") == 0)
			o->json = true;
		else
			return kdk_error(KDK_ERR_USAGE, "load: unknown argument "
					 "'%s'\n%s", a, LOAD_USAGE);
		if (slot) {
			if (i + 1 >= argc)
				return kdk_error(KDK_ERR_USAGE, "load: %s needs "
						 "a value\n%s", a, LOAD_USAGE);
			*slot = argv[++i];
		}
	}
	return NULL;
}

/* x86_64's kexec_file_load takes a bzImage only: say so before the kernel
 * answers ENOEXEC (Documentation/arch/x86/boot.rst: "HdrS" at 0x202). */
static struct kdk_error *check_image(int fd, const char *path)
{
#ifdef __x86_64__
	char magic[4];

	if (pread(fd, magic, 4, 0x202) != 4 || memcmp(magic, "HdrS", 4) != 0)
		return kdk_error(KDK_ERR_FORMAT, "load: %s is not a bzImage "
				 "(no \"HdrS\" boot header at 0x202): give "
				 "the vmlinuz, not the vmlinux", path);
#else
	(void)fd;
	(void)path;
#endif
	return NULL;
}

/* {kernel, kernel_bytes, initrd, initrd_bytes, cmdline, loaded,
 * reservation_bytes (0 in a dry run)} */
static void print_json(const struct load_opts *o, off_t ksize, off_t isize,
		       const char *cmdline, int64_t crash_size)
{
	struct json_writer w;

	json_init(&w, stdout, true);
	json_begin_object(&w);
	json_key_string(&w, "kernel", o->kernel);
	json_key_int(&w, "kernel_bytes", ksize);
	json_key_string(&w, "initrd", o->initrd);
	json_key_int(&w, "initrd_bytes", isize);
	json_key_string(&w, "cmdline", cmdline);
	json_key_bool(&w, "loaded", !o->dry_run);
	json_key_int(&w, "reservation_bytes", crash_size);
	json_end_object(&w);
	json_finish(&w);
}

static struct kdk_error *load(struct load_opts *o)
{
	const char *root = hostfs_root(NULL);
	static char kbuf[512], ibuf[512];
	char cmdline[4096];
	struct utsname u;
	int64_t crash_size = 0, loaded = 0;
	off_t ksize, isize;
	int kfd, ifd;
	long rc;
	struct kdk_error *err;

	uname(&u);
	if (!o->kernel) {
		snprintf(kbuf, sizeof(kbuf), "/boot/vmlinuz-%s", u.release);
		o->kernel = kbuf;
	}
	if (!o->initrd) {
		snprintf(ibuf, sizeof(ibuf), "/boot/kdumpkit-%s.img", u.release);
		o->initrd = ibuf;
	}
	ksize = file_size(o->kernel);
	if (ksize < 0)
		return kdk_error_errno("load: kernel %s", o->kernel);
	isize = file_size(o->initrd);
	if (isize < 0)
		return kdk_error_errno("load: initramfs %s (build it with "
				       "'kdumpkit initramfs %s')", o->initrd,
				       o->initrd);
	err = capture_cmdline(root, o->append, cmdline, sizeof(cmdline));
	if (err)
		return err;
	if (o->dry_run && o->json) {
		print_json(o, ksize, isize, cmdline, 0);
		return NULL;
	}
	if (o->dry_run) {
		printf("kernel   %s (%lld bytes)\ninitrd   %s (%lld bytes)\n"
		       "cmdline  %s\n", o->kernel, (long long)ksize, o->initrd,
		       (long long)isize, cmdline);
		return NULL;
	}
	if (!hostfs_read_i64(root, "/sys/kernel/kexec_crash_size", &crash_size))
		return kdk_error(KDK_ERR_NOT_FOUND, "load: this kernel has no "
				 "kexec on crash (no /sys/kernel/"
				 "kexec_crash_size: CONFIG_CRASH_DUMP unset)");
	if (crash_size <= 0)
		return kdk_error(KDK_ERR_OTHER, "load: no memory is reserved "
				 "for a capture kernel: add crashkernel=SIZE "
				 "(see 'kdumpkit estimate') to the kernel "
				 "command line and reboot");
	if (ksize + isize >= crash_size)
		return kdk_error(KDK_ERR_OTHER, "load: %s and %s take %lld MiB, "
				 "the crashkernel= reservation is %lld MiB: "
				 "reserve more (see 'kdumpkit estimate')",
				 o->kernel, o->initrd,
				 (long long)((ksize + isize) >> 20),
				 (long long)(crash_size >> 20));
	kfd = open(o->kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return kdk_error_errno("load: opening %s", o->kernel);
	err = check_image(kfd, o->kernel);
	if (err) {
		close(kfd);
		return err;
	}
	ifd = open(o->initrd, O_RDONLY | O_CLOEXEC);
	if (ifd < 0) {
		err = kdk_error_errno("load: opening %s", o->initrd);
		close(kfd);
		return err;
	}
	rc = syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		     cmdline, (unsigned long)KEXEC_FILE_ON_CRASH);
	err = rc == 0 ? NULL : load_error("load", errno, root, o);
	close(kfd);
	close(ifd);
	if (err)
		return err;
	if (!hostfs_read_i64(root, "/sys/kernel/kexec_crash_loaded",
			     &loaded) || loaded != 1)
		return kdk_error(KDK_ERR_OTHER, "load: kexec_file_load "
				 "succeeded but /sys/kernel/kexec_crash_loaded "
				 "does not say 1");
	if (o->json) {
		print_json(o, ksize, isize, cmdline, crash_size);
		return NULL;
	}
	printf("loaded %s with %s into the %lld MiB reservation\n"
	       "cmdline %s\n", o->kernel, o->initrd,
	       (long long)(crash_size >> 20), cmdline);
	return NULL;
}

int subcmd_load(int argc, char **argv)
{
	struct load_opts o = { 0 };
	struct kdk_error *err = parse_args(argc, argv, &o);

	if (!err)
		err = load(&o);
	return err ? kdk_error_report(err, stderr) : 0;
}

int subcmd_unload(int argc, char **argv)
{
	struct load_opts o = { .kernel = "(none)", .initrd = "(none)" };
	long rc;

	if (argc > 1)
		return kdk_error_report(kdk_error(KDK_ERR_USAGE, "unload: "
			"takes no arguments, not '%s'", argv[1]), stderr);
	rc = syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL,
		     (unsigned long)(KEXEC_FILE_UNLOAD | KEXEC_FILE_ON_CRASH));
	if (rc != 0)
		return kdk_error_report(load_error("unload", errno,
			hostfs_root(NULL), &o), stderr);
	printf("unloaded the capture kernel\n");
	return 0;
}
