/* kdumpkit estimate: how much memory crashkernel= should reserve here.
 *
 * The capture kernel lives in that reservation only, so it must hold:
 *   kernel      the running kernel's own footprint (/proc/iomem "Kernel
 *               code/rodata/data/bss"; or 4x the compressed image when
 *               /proc/iomem hides addresses from non-root readers)
 *   initramfs   the archive and its unpacked files side by side, until the
 *               archive is freed (gzip's trailer gives the unpacked size)
 *   modules     what the running kernel has loaded (/proc/modules): an
 *               upper bound, the capture kernel loads only its disk's
 *   per-CPU     one CPU's share of "Percpu" (/proc/meminfo): nr_cpus=1
 *   makedump    two bits per page of this machine's memory (its bitmaps)
 *               plus buffers
 *   runtime     64 MiB for the capture kernel's own boot allocations (slab,
 *               page tables, the page cache of the file being written)
 * plus a quarter for what this cannot see, rounded up to 16 MiB.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/error.h"
#include "base/json.h"
#include "capture/hostfs.h"
#include "subcommands.h"

#define ESTIMATE_USAGE "usage: kdumpkit estimate [--json] [--root DIR] " \
	"[--kernel K] [--initrd I]"

#define MIB (1024.0 * 1024.0)
#define RUNTIME_BYTES (64ull << 20)
#define ROUND_BYTES (16ull << 20)

struct item {
	const char *name;
	uint64_t bytes;
	char why[256];
};

struct estimate {
	struct item items[8];
	int n;
	uint64_t sum, margin, total;
};

__attribute__((format(printf, 4, 5)))
static void add(struct estimate *e, const char *name, uint64_t bytes,
		const char *fmt, ...)
{
	struct item *it = &e->items[e->n++];
	va_list ap;

	it->name = name;
	it->bytes = bytes;
	va_start(ap, fmt);
	vsnprintf(it->why, sizeof(it->why), fmt, ap);
	va_end(ap);
	e->sum += bytes;
}

static int64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* A gzip file's unpacked size from its trailer (ISIZE, RFC 1952), for a
 * single-member file under 4 GiB; 0 if not gzip. */
static uint64_t gzip_isize(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char magic[2], t[4];
	uint64_t size = 0;

	if (!f)
		return 0;
	if (fread(magic, 1, 2, f) == 2 && magic[0] == 0x1f && magic[1] == 0x8b &&
	    fseek(f, -4, SEEK_END) == 0 && fread(t, 1, 4, f) == 4)
		size = t[0] | t[1] << 8 | t[2] << 16 | (uint64_t)t[3] << 24;
	fclose(f);
	return size;
}

static void kernel_item(struct estimate *e, const char *root,
			const char *kernel)
{
	static const char *const parts[] = { "Kernel code", "Kernel rodata",
		"Kernel data", "Kernel bss", NULL };
	uint64_t total = 0, start, bytes;
	int64_t ksize;

	for (int i = 0; parts[i]; i++)
		if (hostfs_iomem(root, parts[i], &start, &bytes))
			total += bytes;
	if (total) {
		add(e, "kernel", total, "the running kernel's code, rodata, "
		    "data and bss (/proc/iomem)");
		return;
	}
	ksize = file_size(kernel);
	if (ksize > 0)
		add(e, "kernel", 4 * (uint64_t)ksize, "4 x %s (%.1f MiB; "
		    "/proc/iomem shows no kernel ranges to this user)", kernel,
		    ksize / MIB);
	else
		add(e, "kernel", 48ull << 20, "48 MiB assumed: neither "
		    "/proc/iomem nor %s says", kernel);
}

static void initrd_item(struct estimate *e, const char *initrd)
{
	int64_t size = file_size(initrd);
	uint64_t unpacked;

	if (size < 0) {
		add(e, "initramfs", 32ull << 20, "32 MiB assumed: no %s yet "
		    "('kdumpkit initramfs %s' builds it)", initrd, initrd);
		return;
	}
	unpacked = gzip_isize(initrd);
	if (!unpacked)
		unpacked = (uint64_t)size;
	add(e, "initramfs", (uint64_t)size + unpacked, "%s: %.1f MiB archive "
	    "+ %.1f MiB unpacked", initrd, size / MIB, unpacked / MIB);
}

static void modules_item(struct estimate *e, const char *root)
{
	char path[1024], line[512];
	uint64_t total = 0;
	int n = 0;
	FILE *f;

	hostfs_path(root, "/proc/modules", path, sizeof(path));
	f = fopen(path, "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long size;

			if (sscanf(line, "%*s %llu", &size) == 1) {
				total += size;
				n++;
			}
		}
		fclose(f);
	}
	add(e, "modules", total, "%d modules loaded now (/proc/modules): an "
	    "upper bound", n);
}

static void percpu_item(struct estimate *e, const char *root)
{
	uint64_t percpu = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	char line[64];

	/* under a test root, its own CPU count: sys/devices/system/cpu/online
	 * "0-N" */
	if (root[0] && hostfs_read_line(root, "/sys/devices/system/cpu/online",
					line, sizeof(line))) {
		const char *dash = strrchr(line, '-');

		cpus = dash ? atol(dash + 1) + 1 : 1;
	}
	if (cpus < 1)
		cpus = 1;
	hostfs_meminfo(root, "Percpu", &percpu);
	add(e, "per-CPU", percpu / (uint64_t)cpus, "one CPU's share of %.1f "
	    "MiB per-CPU memory over %ld CPUs (the capture kernel boots with "
	    "nr_cpus=1)", percpu / MIB, cpus);
}

static void makedump_item(struct estimate *e, const char *root)
{
	uint64_t ram = 0, bitmaps;

	hostfs_meminfo(root, "MemTotal", &ram);
	bitmaps = ram / 4096 / 4;
	add(e, "makedump", bitmaps + (8ull << 20), "two bitmaps over %.0f MiB "
	    "of memory (%.1f MiB) + 8 MiB of buffers", ram / MIB,
	    bitmaps / MIB);
}

static void compute(struct estimate *e, const char *root, const char *kernel,
		    const char *initrd)
{
	kernel_item(e, root, kernel);
	initrd_item(e, initrd);
	modules_item(e, root);
	percpu_item(e, root);
	makedump_item(e, root);
	add(e, "runtime", RUNTIME_BYTES, "the capture kernel's own "
	    "allocations at boot (slab, page tables, page cache)");
	e->margin = e->sum / 4;
	e->total = (e->sum + e->margin + ROUND_BYTES - 1) / ROUND_BYTES *
		   ROUND_BYTES;
}

static int print_json(const struct estimate *e)
{
	struct json_writer w;

	json_init(&w, stdout, true);
	json_begin_object(&w);
	json_key_uint(&w, "crashkernel_bytes", e->total);
	json_key(&w, "items");
	json_begin_array(&w);
	for (int i = 0; i < e->n; i++) {
		json_begin_object(&w);
		json_key_string(&w, "name", e->items[i].name);
		json_key_uint(&w, "bytes", e->items[i].bytes);
		json_key_string(&w, "why", e->items[i].why);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_key_uint(&w, "sum_bytes", e->sum);
	json_key_uint(&w, "margin_bytes", e->margin);
	json_end_object(&w);
	return json_finish(&w);
}

int subcmd_estimate(int argc, char **argv)
{
	struct estimate e = { .n = 0 };
	const char *root = NULL, *kernel = NULL, *initrd = NULL;
	char kbuf[512], ibuf[512];
	struct utsname u;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0)
			json = true;
		else if (strcmp(a, "--root") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strcmp(a, "--kernel") == 0 && i + 1 < argc)
			kernel = argv[++i];
		else if (strcmp(a, "--initrd") == 0 && i + 1 < argc)
			initrd = argv[++i];
		else
			return kdk_error_report(kdk_error(KDK_ERR_USAGE,
				"estimate: unexpected '%s'\n%s", a,
				ESTIMATE_USAGE), stderr);
	}
	root = hostfs_root(root);
	uname(&u);
	snprintf(kbuf, sizeof(kbuf), "%s/boot/vmlinuz-%s", root, u.release);
	snprintf(ibuf, sizeof(ibuf), "%s/boot/kdumpkit-%s.img", root, u.release);
	compute(&e, root, kernel ? kernel : kbuf, initrd ? initrd : ibuf);
	if (json)
		return print_json(&e) < 0 ? kdk_error_report(kdk_error_errno(
			"estimate: writing the output"), stderr) : 0;
	printf("crashkernel=%lluM\n", (unsigned long long)(e.total >> 20));
	for (int i = 0; i < e.n; i++)
		printf("  %-10s %7.1f MiB  %s\n", e.items[i].name,
		       e.items[i].bytes / MIB, e.items[i].why);
	printf("  %-10s %7.1f MiB  a quarter more for what this cannot see\n"
	       "  %-10s %7.1f MiB  rounded up to 16 MiB\n", "margin",
	       e.margin / MIB, "total", e.total / MIB);
	return 0;
}
