/* kdumpkit info: what a dump file is and what it holds, without debuginfo:
 * format, compression, dump level, page counts, CPU notes, the highlights
 * of VMCOREINFO and the physical memory ranges. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/error.h"
#include "base/json.h"
#include "cmd/log.h"
#include "debuginfo/vmcoreinfo_derive.h"
#include "dump/dump.h"
#include "subcommands.h"

#define INFO_USAGE "usage: kdumpkit info [--json] [--vmcoreinfo | --dmesg] " \
	"[--vmlinux FILE] vmcore..."

struct info_opts {
	bool json;
	bool all_vmcoreinfo;	/* print every VMCOREINFO line */
	bool dmesg;		/* the kernel log instead (cmd/log.c) */
	const char *vmlinux;	/* derives VMCOREINFO where there is none */
	const char **paths;	/* one, or the parts of a split dump */
	size_t n_paths;
	char *path;		/* their names, space-separated */
};

/* What info shows, gathered once for both outputs. */
struct info {
	const char *path;
	struct dump *dump;
	const struct dump_facts *f;
	struct dump_page_counts pages;
	const struct dump_range *ranges;
	size_t n_ranges;
	uint64_t memory_bytes;
	size_t n_cpus;
	const char *release;		/* VMCOREINFO's, else the header's */
	const char *build_id;
	bool has_kernel_offset, has_crashtime;
	uint64_t kernel_offset;
	int64_t crashtime;
};

static const char *const dump_level_bits[] = {
	"zero", "cache", "private cache", "user", "free",
};

static struct kdk_error *join_paths(struct info_opts *o)
{
	size_t len = 1;

	for (size_t i = 0; i < o->n_paths; i++)
		len += strlen(o->paths[i]) + 1;
	o->path = malloc(len);
	if (!o->path)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	o->path[0] = '\0';
	for (size_t i = 0; i < o->n_paths; i++) {
		if (i)
			strcat(o->path, " ");
		strcat(o->path, o->paths[i]);
	}
	return NULL;
}

static struct kdk_error *parse_args(int argc, char **argv,
				    struct info_opts *o)
{
	bool opts_done = false;

	o->paths = calloc(argc, sizeof(*o->paths));
	if (!o->paths)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts_done || a[0] != '-' || !a[1]) {
			o->paths[o->n_paths++] = a;
		} else if (strcmp(a, "--") == 0) {
			opts_done = true;
		} else if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--vmcoreinfo") == 0) {
			o->all_vmcoreinfo = true;
		} else if (strcmp(a, "--dmesg") == 0) {
			o->dmesg = true;
		} else if (strcmp(a, "--vmlinux") == 0 && i + 1 < argc) {
			o->vmlinux = argv[++i];
		} else {
			return kdk_error(KDK_ERR_USAGE, "info: unknown option "
					 "'%s' (%s)", a, INFO_USAGE);
		}
	}
	if (!o->n_paths)
		return kdk_error(KDK_ERR_USAGE, "info: which dump? (%s)",
				 INFO_USAGE);
	return join_paths(o);
}

static void gather_vmcoreinfo(struct info *in)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(in->dump);
	struct kdk_error *err;

	in->release = in->f->release[0] ? in->f->release : NULL;
	if (!vi)
		return;
	if (vmcoreinfo_get(vi, "OSRELEASE"))
		in->release = vmcoreinfo_get(vi, "OSRELEASE");
	in->build_id = vmcoreinfo_get(vi, "BUILD-ID");
	err = vmcoreinfo_hex(vi, "KERNELOFFSET", &in->kernel_offset);
	in->has_kernel_offset = !err;
	kdk_error_free(err);
	err = vmcoreinfo_decimal(vi, "CRASHTIME", &in->crashtime);
	in->has_crashtime = !err;
	kdk_error_free(err);
}

static struct kdk_error *gather(struct info *in)
{
	struct kdk_error *err;

	in->f = dump_facts(in->dump);
	err = dump_count_pages(in->dump, &in->pages);
	if (err)
		return err;
	in->ranges = dump_ranges(in->dump, &in->n_ranges);
	for (size_t i = 0; i < in->n_ranges; i++)
		in->memory_bytes += in->ranges[i].end - in->ranges[i].start;
	in->n_cpus = dump_cpu_count(in->dump);
	gather_vmcoreinfo(in);
	return NULL;
}

/* --- text --- */

static void format_time(int64_t t, char *buf, size_t size)
{
	time_t tt = t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC",
					     &tm))
		snprintf(buf, size, "%" PRId64 " (seconds since 1970)", t);
}

static void format_size(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	int u = 0;

	while (v >= 1024 && u < 4)
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, size, "%" PRIu64 " bytes", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

static void print_dump_level(int level)
{
	bool first = true;

	printf("%-14s%d", "dump level", level);
	for (int b = 0; b < 5; b++) {
		if (!(level & (1 << b)))
			continue;
		printf("%s%s", first ? " (filtered: " : ", ", dump_level_bits[b]);
		first = false;
	}
	printf("%s\n", first ? " (nothing filtered)" : " pages)");
}

/* The parts of a split dump, and the PFNs of those not given. */
static void print_split(const struct info *in)
{
	const struct dump_part *p;
	size_t n;

	p = dump_parts(in->dump, &n);
	if (!n)
		return;
	printf("%-14s%zu part%s of a makedumpfile --split dump\n", "split",
	       in->f->split_parts, in->f->split_parts == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++)
		printf("%-14sPFNs 0x%" PRIx64 "-0x%" PRIx64 "  %s\n", "",
		       p[i].start_pfn, p[i].end_pfn - 1,
		       p[i].path ? p[i].path : "(not given)");
}

static void print_format(const struct info *in)
{
	const char *kernel_page = dump_vmcoreinfo_get(in->dump, "PAGESIZE");

	printf("%-14s%s\n", "file", in->path);
	printf("%-14s%s", "format", in->f->format);
	if (in->f->format_version)
		printf(" version %d", in->f->format_version);
	if (in->f->container)
		printf(", in a %s file (%" PRIu64 " records)", in->f->container,
		       in->f->container_records);
	printf("\n%-14s%s\n", "compression", in->f->compression);
	if (in->f->dump_level >= 0)
		print_dump_level(in->f->dump_level);
	printf("%-14s%u", "page size", in->f->page_size);
	if (in->f->page_size_assumed)
		printf(" (assumed: the dump does not say)");
	else if (kernel_page && strtoull(kernel_page, NULL, 10) != in->f->page_size)
		printf(" (the dump's blocks; the kernel's pages: %s)", kernel_page);
	printf("\n");
	print_split(in);
	if (in->f->machine[0])
		printf("%-14s%s\n", "machine", in->f->machine);
	if (in->f->node[0])
		printf("%-14s%s\n", "node", in->f->node);
}

static void print_pages(const struct info *in)
{
	const struct dump_page_counts *p = &in->pages;

	printf("%-14s%" PRIu64 " in memory, %" PRIu64 " saved", "pages",
	       p->in_memory, p->present);
	if (p->has_zero)
		printf(" (%" PRIu64 " of them zero)", p->zero);
	printf(", %" PRIu64 " excluded", p->excluded);
	if (p->missing)
		printf(", %" PRIu64 " missing", p->missing);
	printf("\n");
}

/* QEMU's dump-guest-memory adds a "QEMU" note per vCPU. */
static size_t qemu_notes(const struct dump *d)
{
	const struct dump_notes *notes = dump_notes(d);
	size_t n = 0;

	for (size_t i = 0; i < notes->n; i++)
		n += strcmp(notes->v[i].name, "QEMU") == 0;
	return n;
}

static void print_cpus(const struct info *in)
{
	struct dump_prstatus pr;

	if (in->f->live) {
		printf("%-14s%s\n", "CPU notes", "none (a running kernel saves "
		       "no registers)");
		return;
	}
	printf("%-14s%zu", "CPU notes", in->n_cpus);
	if (qemu_notes(in->dump)) {
		printf(" (written by QEMU: pr_pid is the vCPU number + 1)\n");
		return;
	}
	printf(" (pr_pid:");
	for (size_t i = 0; i < in->n_cpus; i++) {
		struct kdk_error *err = dump_cpu_prstatus(in->dump, i, &pr);

		if (err)
			printf(" ?");
		else
			printf(" %d", pr.pid);
		kdk_error_free(err);
	}
	printf(")\n");
}

/* Where VMCOREINFO came from; said only when it was not a note or the
 * header, as a dump without it is worth knowing about. */
static void print_vmcoreinfo_origin(const struct info *in)
{
	const struct dump_vmcoreinfo_origin *o =
		dump_vmcoreinfo_origin(in->dump);

	if (o->from == DUMP_VMCOREINFO_MEMORY)
		printf("%-14sfound in memory at physical 0x%" PRIx64 " (the "
		       "kernel's %s), the dump had no VMCOREINFO note\n",
		       "VMCOREINFO", o->paddr,
		       o->in_note ? "vmcoreinfo_note" : "vmcoreinfo_data page");
	else if (o->from == DUMP_VMCOREINFO_DERIVED)
		printf("%-14sderived from the vmlinux and the CPU state (the "
		       "dump has none anywhere)\n", "VMCOREINFO");
	else if (o->from == DUMP_VMCOREINFO_NONE && o->scanned)
		printf("%-14snone: no note, and none found in memory (%" PRIu64
		       " pages looked at); give the kernel's vmlinux\n",
		       "VMCOREINFO", o->pages_scanned);
	else if (o->from == DUMP_VMCOREINFO_NONE)
		printf("%-14s%s\n", "VMCOREINFO", "none in this dump");
}

static void print_kernel(const struct info *in)
{
	char when[64];

	print_cpus(in);
	if (in->release)
		printf("%-14s%s\n", "release", in->release);
	if (in->build_id)
		printf("%-14s%s\n", "build-id", in->build_id);
	if (in->has_kernel_offset)
		printf("%-14s0x%" PRIx64 "\n", "kernel offset", in->kernel_offset);
	if (in->has_crashtime) {
		format_time(in->crashtime, when, sizeof(when));
		printf("%-14s%s\n", "crash time", when);
	} else if (in->f->timestamp) {
		format_time(in->f->timestamp, when, sizeof(when));
		printf("%-14s%s (when the dump was written)\n", "dump time", when);
	}
	print_vmcoreinfo_origin(in);
}

static void print_ranges(const struct info *in)
{
	char size[32];

	format_size(in->memory_bytes, size, sizeof(size));
	printf("%-14s%zu range%s, %s\n", "memory", in->n_ranges,
	       in->n_ranges == 1 ? "" : "s", size);
	for (size_t i = 0; i < in->n_ranges; i++) {
		format_size(in->ranges[i].end - in->ranges[i].start, size,
			    sizeof(size));
		printf("%-14s0x%016" PRIx64 "-0x%016" PRIx64 "  %s\n", "",
		       in->ranges[i].start, in->ranges[i].end - 1, size);
	}
}

static void print_all_vmcoreinfo(const struct info *in)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(in->dump);
	const char *key, *value;

	if (!vi)
		return;
	printf("\nVMCOREINFO\n");
	for (size_t i = 0; i < vmcoreinfo_count(vi); i++) {
		vmcoreinfo_line(vi, i, &key, &value);
		printf("  %s=%s\n", key, value);
	}
}

static void print_text(const struct info *in, const struct info_opts *o)
{
	print_format(in);
	print_pages(in);
	print_kernel(in);
	print_ranges(in);
	for (size_t i = 0; i < dump_problem_count(in->dump); i++)
		printf("%-14s%s\n", i ? "" : "problems", dump_problem(in->dump, i));
	if (o->all_vmcoreinfo)
		print_all_vmcoreinfo(in);
}

/* --- JSON --- */

static void json_key_hex(struct json_writer *w, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	json_key_string(w, key, buf);
}

static void json_header(struct json_writer *w, const struct dump_facts *f)
{
	json_key(w, "header");
	if (strcmp(f->format, "kdump-compressed") != 0) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_key_string(w, "release", f->release);
	json_key_string(w, "node", f->node);
	json_key_int(w, "timestamp", f->timestamp);
	json_key_int(w, "nr_cpus", f->nr_cpus);
	json_key_hex(w, "phys_base", f->phys_base);
	json_key_bool(w, "incomplete", f->incomplete);
	json_end_object(w);
}

/* "split": null, or the parts by PFN, path null for those not given. */
static void json_split(struct json_writer *w, const struct info *in)
{
	const struct dump_part *p;
	size_t n;

	p = dump_parts(in->dump, &n);
	json_key(w, "split");
	if (!n) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_key_uint(w, "parts_given", in->f->split_parts);
	json_key(w, "parts");
	json_begin_array(w);
	for (size_t i = 0; i < n; i++) {
		json_begin_object(w);
		json_key_string(w, "path", p[i].path);
		json_key_uint(w, "start_pfn", p[i].start_pfn);
		json_key_uint(w, "end_pfn", p[i].end_pfn);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

static void json_format(struct json_writer *w, const struct info *in)
{
	const struct dump_facts *f = in->f;

	json_key_string(w, "file", in->path);
	json_key_string(w, "format", f->format);
	json_key_bool(w, "live", f->live);
	json_key_int(w, "format_version", f->format_version);
	json_key_string(w, "container", f->container);
	if (f->container)
		json_key_uint(w, "container_records", f->container_records);
	json_key_string(w, "compression", f->compression);
	json_key(w, "dump_level");
	if (f->dump_level >= 0)
		json_int(w, f->dump_level);
	else
		json_null(w);
	json_key_uint(w, "page_size", f->page_size);
	json_key_bool(w, "page_size_assumed", f->page_size_assumed);
	json_key_string(w, "machine", f->machine[0] ? f->machine : NULL);
	json_header(w, f);
	json_split(w, in);
}

static void json_pages(struct json_writer *w, const struct info *in)
{
	const struct dump_page_counts *p = &in->pages;

	json_key(w, "pages");
	json_begin_object(w);
	json_key_uint(w, "max_pfn", p->max_pfn);
	json_key_uint(w, "in_memory", p->in_memory);
	json_key_uint(w, "present", p->present);
	json_key_uint(w, "excluded", p->excluded);
	json_key(w, "zero");
	if (p->has_zero)
		json_uint(w, p->zero);
	else
		json_null(w);
	json_key_uint(w, "missing", p->missing);
	json_end_object(w);
}

static void json_cpus(struct json_writer *w, const struct info *in)
{
	struct dump_prstatus pr;

	json_key_uint(w, "cpu_notes", in->n_cpus);
	json_key_uint(w, "qemu_notes", qemu_notes(in->dump));
	json_key(w, "cpus");
	json_begin_array(w);
	for (size_t i = 0; i < in->n_cpus; i++) {
		struct kdk_error *err = dump_cpu_prstatus(in->dump, i, &pr);

		json_begin_object(w);
		json_key_uint(w, "index", i);
		if (err) {
			json_key_string(w, "error", err->msg);
			kdk_error_free(err);
		} else {
			json_key_int(w, "pr_pid", pr.pid);
			json_key_uint(w, "regs_size", pr.regs_size);
		}
		json_end_object(w);
	}
	json_end_array(w);
}

static void json_vmcoreinfo_origin(struct json_writer *w,
				   const struct info *in)
{
	const struct dump_vmcoreinfo_origin *o =
		dump_vmcoreinfo_origin(in->dump);

	json_key(w, "vmcoreinfo_source");
	json_begin_object(w);
	json_key_string(w, "from", o->from == DUMP_VMCOREINFO_NONE ? NULL :
			dump_vmcoreinfo_from_name(o->from));
	if (o->from == DUMP_VMCOREINFO_MEMORY) {
		json_key_hex(w, "paddr", o->paddr);
		json_key_string(w, "in", o->in_note ? "vmcoreinfo_note" :
				"vmcoreinfo_data");
	}
	json_key_bool(w, "memory_scanned", o->scanned);
	if (o->scanned)
		json_key_uint(w, "pages_scanned", o->pages_scanned);
	json_end_object(w);
}

static void json_vmcoreinfo(struct json_writer *w, const struct info *in,
			    bool all)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(in->dump);
	const char *key, *value;
	char when[64];

	json_key_string(w, "release", in->release);
	json_vmcoreinfo_origin(w, in);
	json_key(w, "vmcoreinfo");
	if (!vi) {
		json_null(w);
		return;
	}
	json_begin_object(w);
	json_key_string(w, "OSRELEASE", vmcoreinfo_get(vi, "OSRELEASE"));
	json_key_string(w, "BUILD-ID", in->build_id);
	json_key_string(w, "KERNELOFFSET", vmcoreinfo_get(vi, "KERNELOFFSET"));
	json_key_string(w, "PAGESIZE", vmcoreinfo_get(vi, "PAGESIZE"));
	json_key_string(w, "CRASHTIME", vmcoreinfo_get(vi, "CRASHTIME"));
	if (in->has_crashtime) {
		format_time(in->crashtime, when, sizeof(when));
		json_key_string(w, "crash_time", when);
	}
	json_key_uint(w, "lines", vmcoreinfo_count(vi));
	if (all) {
		json_key(w, "all");
		json_begin_object(w);
		for (size_t i = 0; i < vmcoreinfo_count(vi); i++) {
			vmcoreinfo_line(vi, i, &key, &value);
			json_key_string(w, key, value);
		}
		json_end_object(w);
	}
	json_end_object(w);
}

static void json_memory(struct json_writer *w, const struct info *in)
{
	json_key(w, "memory");
	json_begin_object(w);
	json_key_uint(w, "bytes", in->memory_bytes);
	json_key(w, "ranges");
	json_begin_array(w);
	for (size_t i = 0; i < in->n_ranges; i++) {
		json_begin_object(w);
		json_key_uint(w, "start", in->ranges[i].start);
		json_key_uint(w, "end", in->ranges[i].end);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

static struct kdk_error *print_json(const struct info *in,
				    const struct info_opts *o)
{
	struct json_writer w;

	json_init(&w, stdout, true);
	json_begin_object(&w);
	json_format(&w, in);
	json_pages(&w, in);
	json_cpus(&w, in);
	json_vmcoreinfo(&w, in, o->all_vmcoreinfo);
	json_memory(&w, in);
	json_key(&w, "problems");
	json_begin_array(&w);
	for (size_t i = 0; i < dump_problem_count(in->dump); i++)
		json_string(&w, dump_problem(in->dump, i));
	json_end_array(&w);
	json_end_object(&w);
	if (json_finish(&w) < 0)
		return kdk_error_errno("writing the JSON output");
	return NULL;
}

/* --- the command --- */

/* A dump that opened but has problems: say them all on one line. */
static struct kdk_error *problems_error(const struct info *in)
{
	size_t n = dump_problem_count(in->dump);
	struct kdk_error *err;
	char *all = NULL;

	if (!n)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char *more;

		if (asprintf(&more, "%s%s%s", all ? all : "", all ? "; " : "",
			     dump_problem(in->dump, i)) < 0) {
			free(all);
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		}
		free(all);
		all = more;
	}
	err = kdk_error(KDK_ERR_FORMAT, "%s", all);
	free(all);
	return err;
}

static struct kdk_error *run_info(const struct info_opts *o)
{
	struct info in = { .path = o->path };
	struct kdk_error *err;

	err = dump_open_set(o->paths, o->n_paths, &in.dump);
	if (err)
		return err;
	if (o->vmlinux && !dump_vmcoreinfo(in.dump)) {
		char *text;

		err = vmcoreinfo_derive(in.dump, o->vmlinux, &text);
		if (!err) {
			err = dump_adopt_vmcoreinfo(in.dump, text,
						    strlen(text));
			free(text);
		}
	}
	if (!err)
		err = gather(&in);
	if (!err && o->json)
		err = print_json(&in, o);
	else if (!err)
		print_text(&in, o);
	if (!err)
		err = problems_error(&in);
	fflush(stdout);
	dump_close(in.dump);
	return err;
}

int subcmd_info(int argc, char **argv)
{
	struct info_opts o = { 0 };
	struct kdk_error *err;

	err = parse_args(argc, argv, &o);
	if (!err && o.dmesg)
		err = log_print_dump_files(o.paths, o.n_paths, stdout, o.json);
	else if (!err)
		err = run_info(&o);
	/* a split dump's errors name their files */
	if (err && err->code != KDK_ERR_USAGE)
		err = o.n_paths == 1 ? kdk_error_wrap(err, "info: %s", o.path) :
		      kdk_error_wrap(err, "info");
	free(o.paths);
	free(o.path);
	return err ? kdk_error_report(err, stderr) : 0;
}
