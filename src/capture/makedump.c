/* kdumpkit makedump: makedumpfile's job. Read a vmcore (/proc/vmcore or
 * any dump kdumpkit opens), leave out the pages the dump level says, and
 * write a kdump-compressed dump (or its flattened stream, -F), compressed
 * by worker threads, or an ELF vmcore (-E, elf_writer.c); or save the kernel log (--dump-dmesg); or turn a
 * flattened stream back into a dump (-R, reassemble.c).
 *
 * Nothing is lost silently: the dump is written as OUT.incomplete and
 * renamed to OUT only once it is whole and on disk. When the disk fills
 * or the input fails, the dump is finished with what was written, marked
 * incomplete in its header, left as OUT.incomplete, and the exit status
 * is 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/error.h"
#include "base/progress.h"
#include "capture/compress.h"
#include "capture/elf_writer.h"
#include "capture/filter.h"
#include "capture/header_info.h"
#include "capture/kdump_writer.h"
#include "capture/makedump.h"
#include "capture/pipeline.h"
#include "cmd/log.h"
#include "dump/dump.h"
#include "subcommands.h"
#include "target/target.h"

#define MAKEDUMP_USAGE "usage: kdumpkit makedump [-c|-l|-p|-z] [-d N] " \
	"[--num-threads N] [--message-level N] IN OUT\n" \
	"       kdumpkit makedump -E [-d N] IN OUT\n" \
	"       kdumpkit makedump --split [-c|-l|-p|-z] [-d N] IN OUT1 OUT2 ...\n" \
	"       kdumpkit makedump -F [-c|-l|-p|-z] [-d N] IN > FLATTENED\n" \
	"       kdumpkit makedump -R OUT < FLATTENED\n" \
	"       kdumpkit makedump --dump-dmesg IN LOGFILE"

/* makedumpfile's --message-level bits */
#define ML_PROGRESS	0x01
#define ML_COMMON	0x02
#define ML_DEFAULT	0x07

struct makedump_opts {
	int dump_level;
	enum page_codec codec;
	bool elf, flat, reassemble, dmesg, split;
	int threads;
	int message_level;
	const char *in, *out;
	const char **outs;	/* --split: the parts' files */
	int n_outs;
	const char **args;	/* the file arguments (allocated) */
};

static struct kdk_error *usage(const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	return kdk_error(KDK_ERR_USAGE, "makedump: %s\n%s", msg,
			 MAKEDUMP_USAGE);
}

static struct kdk_error *parse_int(const char *opt, const char *s, int lo,
				   int hi, int *out)
{
	char *end;
	long v;

	if (!s)
		return usage("%s needs a number", opt);
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < lo || v > hi) {
		char what[128];

		snprintf(what, sizeof(what), "%s %s: not a number from %d to %d",
			 opt, s, lo, hi);
		return usage("%s", what);
	}
	*out = (int)v;
	return NULL;
}

/* "--opt N" or "--opt=N": the value, advancing *i past it. */
static const char *long_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static bool is_long(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static struct kdk_error *parse_short(int argc, char **argv, int *i,
				     struct makedump_opts *o)
{
	const char *a = argv[*i];

	for (size_t j = 1; a[j]; j++) {
		switch (a[j]) {
		case 'c': o->codec = PAGE_CODEC_ZLIB; break;
		case 'l': o->codec = PAGE_CODEC_LZO; break;
		case 'p': o->codec = PAGE_CODEC_SNAPPY; break;
		case 'z': o->codec = PAGE_CODEC_ZSTD; break;
		case 'E': o->elf = true; break;
		case 'F': o->flat = true; break;
		case 'R': o->reassemble = true; break;
		case 'd':
			/* -d N or -dN */
			return parse_int("-d", a[j + 1] ? a + j + 1 :
					 (*i + 1 < argc ? argv[++*i] : NULL),
					 0, 31, &o->dump_level);
		default:
			return usage("unknown option '%s'", a);
		}
	}
	return NULL;
}

static struct kdk_error *parse_args(int argc, char **argv,
				    struct makedump_opts *o)
{
	const char **pos = calloc(argc, sizeof(*pos));
	int n_pos = 0;
	struct kdk_error *err = NULL;

	if (!pos)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	*o = (struct makedump_opts){ .message_level = ML_DEFAULT, .args = pos };
	o->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (o->threads < 1)
		o->threads = 1;
	for (int i = 1; i < argc && !err; i++) {
		const char *a = argv[i];

		if (is_long(a, "--num-threads"))
			err = parse_int("--num-threads",
					long_value(argc, argv, &i, "--num-threads"),
					1, 1024, &o->threads);
		else if (is_long(a, "--message-level"))
			err = parse_int("--message-level",
					long_value(argc, argv, &i,
						   "--message-level"),
					0, 31, &o->message_level);
		else if (strcmp(a, "--dump-dmesg") == 0)
			o->dmesg = true;
		else if (strcmp(a, "--split") == 0)
			o->split = true;
		else if (a[0] == '-' && a[1] && a[1] != '-')
			err = parse_short(argc, argv, &i, o);
		else if (a[0] == '-' && a[1])
			err = usage("unknown option '%s'", a);
		else if (n_pos < 2 || o->split)
			pos[n_pos++] = a;
		else
			err = usage("one file too many: '%s'", a);
	}
	if (err)
		return err;
	if (o->reassemble) {
		if (n_pos != 1)
			return usage("%s", "-R takes one file, the dump to write "
				     "(the stream comes on standard input)");
		o->out = pos[0];
		return NULL;
	}
	if (o->split) {
		if (o->flat || o->elf || o->dmesg)
			return usage("%s", "--split writes kdump-compressed "
				     "files: not with -F, -E or --dump-dmesg");
		if (n_pos < 3)
			return usage("%s", "--split takes the vmcore and two "
				     "files or more to write its parts to");
		o->in = pos[0];
		o->outs = pos + 1;
		o->n_outs = n_pos - 1;
		o->out = o->outs[0];
		return NULL;
	}
	if (o->flat && n_pos != 1)
		return usage("%s", "-F takes one file, the vmcore (the stream "
			     "goes to standard output)");
	if (!o->flat && n_pos != 2)
		return usage("%s", "give the vmcore to read and the file to "
			     "write");
	if (o->flat && isatty(STDOUT_FILENO))
		return usage("%s", "-F writes a stream to standard output, "
			     "which is a terminal: redirect it");
	o->in = pos[0];
	o->out = o->flat ? "(standard output)" : pos[1];
	return NULL;
}

/* --- the dump --- */

struct job {
	const struct makedump_opts *o;
	struct dump *dump;
	struct target *target;
	uint32_t page_size;
	struct page_bits memory, saved;
	uint64_t memory_pages;
	struct filter_counts counts;
	struct kdump_header_info info;
	char *tmp_path;
	int fd;
	struct out_sink sink;
	struct pipeline_result result;
	double t0;
};

static struct kdk_error *build_memory_bitmap(struct job *j)
{
	size_t n;
	const struct dump_range *r = dump_ranges(j->dump, &n);
	uint64_t max_pfn, bytes;

	if (!n)
		return kdk_error(KDK_ERR_FORMAT, "the dump describes no memory");
	/* PFNs from the one holding a range's start up to the last whole
	 * page, as makedumpfile counts them (create_bitmap_from_memhole()):
	 * a range that ends inside a page leaves that page out */
	max_pfn = r[n - 1].end / j->page_size;
	bytes = kdump_bitmap_bytes(max_pfn, j->page_size);
	if (!page_bits_alloc(&j->memory, max_pfn, bytes) ||
	    !page_bits_alloc(&j->saved, max_pfn, bytes))
		return kdk_error(KDK_ERR_NOMEM, "out of memory for bitmaps of "
				 "%llu pages", (unsigned long long)max_pfn);
	for (size_t i = 0; i < n; i++) {
		uint64_t pfn = r[i].start / j->page_size;
		uint64_t end = r[i].end / j->page_size;

		for (; pfn < end; pfn++)
			page_bits_set(&j->memory, pfn);
	}
	memcpy(j->saved.bytes, j->memory.bytes, bytes);
	j->memory_pages = page_bits_count(&j->memory);
	return NULL;
}

static struct kdk_error *filter(struct job *j)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(j->dump);
	int level = j->o->dump_level;
	struct kdk_error *err;

	if (!vi)
		err = kdk_error(KDK_ERR_NOT_FOUND, "the dump has no VMCOREINFO");
	else if (!j->target)
		err = kdk_error(KDK_ERR_OTHER, "its kernel memory cannot be "
				"read");
	else
		err = filter_pages(j->target, vi, j->page_size, level,
				   &j->saved, &j->counts);
	if (!err)
		return NULL;
	/* levels 0 and 1 need no struct page: only the pages that are
	 * always left out (poisoned, offline) are then kept */
	if (!(level & ~DL_EXCLUDE_ZERO)) {
		memcpy(j->saved.bytes, j->memory.bytes, j->memory.nbytes);
		memset(&j->counts, 0, sizeof(j->counts));
		if (j->o->message_level & ML_COMMON)
			fprintf(stderr, "kdumpkit: makedump: not looking for "
				"poisoned or offline pages: %s\n", err->msg);
		kdk_error_free(err);
		return NULL;
	}
	return kdk_error_wrap(err, "dump level %d", level);
}

static struct kdk_error *open_output(struct job *j, const char *out)
{
	if (j->o->flat) {
		j->sink = (struct out_sink){ .fd = STDOUT_FILENO, .flat = true,
					     .name = "standard output" };
		return NULL;
	}
	if (asprintf(&j->tmp_path, "%s.incomplete", out) < 0)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	j->fd = open(j->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		     0600);
	if (j->fd < 0)
		return kdk_error_errno("creating %s", j->tmp_path);
	j->sink = (struct out_sink){ .fd = j->fd, .name = j->tmp_path };
	return NULL;
}

/* OUT.incomplete becomes OUT, durably. */
static struct kdk_error *commit_output(const char *tmp, const char *out)
{
	char *dir = strdup(out), *slash;
	int fd;

	if (rename(tmp, out) != 0) {
		free(dir);
		return kdk_error_errno("renaming %s to %s", tmp, out);
	}
	if (!dir)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
	return NULL;
}

static double mib(uint64_t bytes)
{
	return bytes / 1048576.0;
}

static void print_summary(const struct job *j, uint64_t out_bytes)
{
	const struct filter_counts *c = &j->counts;
	const struct pipeline_result *r = &j->result;
	double secs = progress_now() - j->t0;
	uint64_t mem_bytes = j->memory_pages * j->page_size;
	uint64_t excluded = j->memory_pages - page_bits_count(&j->saved);

	fprintf(stderr,
		"makedump: %llu pages of memory (%.1f MiB), dump level %d, %s, "
		"%d thread%s\n"
		"  excluded  %llu pages: cache %llu, cache private %llu, "
		"user %llu, free %llu, hwpoison %llu, offline %llu\n"
		"  zero      %llu pages %s\n"
		"  saved     %llu pages (%llu compressed, %llu as is): "
		"%.1f MiB in, %.1f MiB out\n"
		"  file      %.1f MiB, %.2f%% of memory, in %.2f s "
		"(%.0f MB/s of memory)\n",
		(unsigned long long)j->memory_pages, mib(mem_bytes),
		j->o->dump_level, page_codec_name(j->o->codec), j->o->threads,
		j->o->threads == 1 ? "" : "s",
		(unsigned long long)excluded, (unsigned long long)c->cache,
		(unsigned long long)c->cache_private,
		(unsigned long long)c->user, (unsigned long long)c->free,
		(unsigned long long)c->hwpoison, (unsigned long long)c->offline,
		(unsigned long long)(j->o->elf ? c->zero : r->zero),
		j->o->elf ? "left out" : "stored as one shared block",
		(unsigned long long)r->pages_written,
		(unsigned long long)(r->pages_written - r->zero - r->raw),
		(unsigned long long)r->raw, mib(r->bytes_in), mib(r->bytes_out),
		mib(out_bytes), mem_bytes ? 100.0 * out_bytes / mem_bytes : 0,
		secs, secs > 0 ? mem_bytes / 1e6 / secs : 0);
	if (c->unreadable)
		fprintf(stderr, "  kept      %llu pages whose struct page could "
			"not be read\n", (unsigned long long)c->unreadable);
}

/* One kdump-compressed file: the whole dump, or with part (--split) the
 * saved pages among part's bits; j->info says which PFNs. */
static struct kdk_error *write_kdump(struct job *j, const char *out,
				     const struct page_bits *part)
{
	const struct makedump_opts *o = j->o;
	struct kdump_writer *w;
	struct progress progress;
	struct pipeline_opts po;
	struct pipeline_result res;
	struct kdk_error *err, *ferr;

	err = open_output(j, out);
	if (err)
		return err;
	err = kdump_writer_start(&j->sink, j->page_size, &j->info, &j->memory,
				 &j->saved, &w);
	if (err) {
		if (j->tmp_path)
			unlink(j->tmp_path);
		return kdk_error_wrap(err, "nothing saved");
	}
	po = (struct pipeline_opts){
		.dump = j->dump, .saved = part ? part : &j->saved,
		.page_size = j->page_size,
		.codec = o->codec, .zero_block = j->info.zero_block,
		.threads = o->threads,
		.progress = o->message_level & ML_PROGRESS ? &progress : NULL,
	};
	if (po.progress)
		progress_start(&progress, stderr, "Copying pages",
			       kdump_writer_pages_total(w));
	err = pipeline_run(&po, w, &res);
	if (po.progress)
		progress_end(&progress, res.pages_written,
			     res.pages_written * j->page_size);
	j->result.pages_read += res.pages_read;
	j->result.pages_written += res.pages_written;
	j->result.zero += res.zero;
	j->result.raw += res.raw;
	j->result.bytes_in += res.bytes_in;
	j->result.bytes_out += res.bytes_out;
	j->counts.zero = j->result.zero;
	ferr = kdump_writer_finish(w, err != NULL);
	if (err) {
		uint64_t total = page_bits_count(po.saved);

		if (ferr)
			err = kdk_error_wrap(err, "and marking it incomplete "
					     "failed too (%s)", ferr->msg);
		kdk_error_free(ferr);
		return kdk_error_wrap(err, "the dump %s is INCOMPLETE: %llu of "
				      "%llu pages saved before", j->o->flat ?
				      "stream" : j->tmp_path,
				      (unsigned long long)res.pages_written,
				      (unsigned long long)total);
	}
	if (ferr)
		return ferr;
	if (!o->flat)
		return commit_output(j->tmp_path, out);
	return NULL;
}

static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* --split: parts of about the same number of saved pages, each a file
 * holding one range of PFNs, written one after the other (each with all
 * the threads). Ranges start at multiples of SPLIT_ALIGN PFNs: crash
 * counts a part's saved pages 64 bits of the bitmap at a time from its
 * first PFN, and miscounts from an unaligned one. */
#define SPLIT_ALIGN 4096
static struct kdk_error *write_split(struct job *j)
{
	const struct makedump_opts *o = j->o;
	uint64_t total = page_bits_count(&j->saved), size = 0;
	uint64_t start = 0;
	struct page_bits part;

	if (!page_bits_alloc(&part, j->saved.nbits, j->saved.nbytes))
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (int k = 0; k < o->n_outs; k++) {
		uint64_t end = k == o->n_outs - 1 ? j->saved.nbits :
			page_bits_select(&j->saved, total * (k + 1) / o->n_outs);
		struct kdk_error *err;

		end = (end + SPLIT_ALIGN / 2) / SPLIT_ALIGN * SPLIT_ALIGN;
		if (end < start || k == o->n_outs - 1)
			end = k == o->n_outs - 1 ? j->saved.nbits : start;
		if (end > j->saved.nbits)
			end = j->saved.nbits;

		memset(part.bytes, 0, part.nbytes);
		for (uint64_t pfn = start; pfn < end; pfn++)
			if (page_bits_test(&j->saved, pfn))
				page_bits_set(&part, pfn);
		j->info.split = true;
		j->info.start_pfn = start;
		j->info.end_pfn = end;
		free(j->tmp_path);
		j->tmp_path = NULL;
		err = write_kdump(j, o->outs[k], &part);
		if (j->fd >= 0) {
			close(j->fd);
			j->fd = -1;
		}
		if (err) {
			page_bits_free(&part);
			return k ? kdk_error_wrap(err, "parts 1-%d are saved; "
						  "part %d", k, k + 1) : err;
		}
		size += file_size(o->outs[k]);
		if (o->message_level & ML_COMMON)
			fprintf(stderr, "Part %d (PFNs 0x%llx-0x%llx) is saved "
				"to %s.\n", k + 1, (unsigned long long)start,
				(unsigned long long)end, o->outs[k]);
		start = end;
	}
	page_bits_free(&part);
	if (o->message_level & ML_COMMON)
		print_summary(j, size);
	return NULL;
}

static struct kdk_error *write_dump(struct job *j)
{
	const struct makedump_opts *o = j->o;
	struct kdk_error *err;

	j->info.dump_level = o->dump_level;
	j->info.codec_flag = page_codec_flag(o->codec);
	j->info.zero_block = o->dump_level & DL_EXCLUDE_ZERO;
	if (o->split)
		return write_split(j);
	err = write_kdump(j, o->out, NULL);
	if (err)
		return err;
	if (o->message_level & ML_COMMON) {
		print_summary(j, o->flat ? j->sink.bytes : file_size(o->out));
		if (!o->flat)
			fprintf(stderr, "The dump is saved to %s.\n", o->out);
	}
	return NULL;
}

/* -E: an ELF vmcore. ELF cannot say it is incomplete, so on an error the
 * file stays OUT.incomplete. */
static struct kdk_error *write_elf(struct job *j)
{
	const struct makedump_opts *o = j->o;
	struct progress progress;
	struct elf_write_result r;
	struct elf_write_opts eo = {
		.dump = j->dump, .target = j->target, .memory = &j->memory,
		.notes = j->info.notes, .notes_size = j->info.notes_size,
		.saved = &j->saved, .page_size = j->page_size,
		.exclude_zero = o->dump_level & DL_EXCLUDE_ZERO,
		.progress = o->message_level & ML_PROGRESS ? &progress : NULL,
	};
	struct kdk_error *err = open_output(j, o->out);

	if (err)
		return err;
	err = elf_dump_write(&eo, &j->sink, &r);
	if (err) {
		return kdk_error_wrap(err, "the ELF dump %s is INCOMPLETE: %llu "
				      "pages saved before",
				      o->flat ? "stream" : j->tmp_path,
				      (unsigned long long)r.pages_written);
	}
	if (!o->flat) {
		err = commit_output(j->tmp_path, o->out);
		if (err)
			return err;
	}
	if (o->message_level & ML_COMMON) {
		j->counts.zero = r.zero;
		j->result = (struct pipeline_result){
			.pages_written = r.pages_written, .raw = r.pages_written,
			.bytes_in = r.pages_written * j->page_size,
			.bytes_out = r.bytes_out,
		};
		print_summary(j, o->flat ? j->sink.bytes : file_size(o->out));
		fprintf(stderr, "  ELF       %llu PT_LOAD segments; %llu "
			"left-out pages inside them are written as zeros\n",
			(unsigned long long)r.segments,
			(unsigned long long)r.filled);
		if (!o->flat)
			fprintf(stderr, "The dump is saved to %s.\n", o->out);
	}
	return NULL;
}

static struct kdk_error *run_dump(const struct makedump_opts *o)
{
	struct job j = { .o = o, .fd = -1, .t0 = progress_now() };
	struct kdk_error *err, *terr;

	err = dump_open(o->in, &j.dump);
	if (err)
		return kdk_error_wrap(err, "makedump: %s", o->in);
	j.page_size = dump_facts(j.dump)->page_size;
	terr = target_open(j.dump, &j.target);
	if (terr)
		j.target = NULL;
	err = build_memory_bitmap(&j);
	if (!err && terr && (o->dump_level & ~DL_EXCLUDE_ZERO)) {
		err = kdk_error_wrap(terr, "dump level %d needs the kernel's "
				     "memory", o->dump_level);
		terr = NULL;
	}
	if (!err)
		err = filter(&j);
	if (!err)
		err = header_info_gather(j.dump, j.target, &j.info);
	if (!err)
		err = o->elf ? write_elf(&j) : write_dump(&j);
	if (err)
		err = kdk_error_wrap(err, "makedump: %s", o->in);
	kdk_error_free(terr);
	if (j.fd >= 0)
		close(j.fd);
	free(j.tmp_path);
	header_info_free(&j.info);
	page_bits_free(&j.memory);
	page_bits_free(&j.saved);
	if (j.target)
		target_close(j.target);
	dump_close(j.dump);
	return err;
}

/* makedumpfile --dump-dmesg: the kernel log as text, not a dump. */
static struct kdk_error *run_dmesg(const struct makedump_opts *o)
{
	char *tmp = NULL;
	FILE *f;
	struct kdk_error *err;

	if (asprintf(&tmp, "%s.incomplete", o->out) < 0)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	f = fopen(tmp, "w");
	if (!f) {
		err = kdk_error_errno("makedump: creating %s", tmp);
		free(tmp);
		return err;
	}
	err = log_print_dump_files(&o->in, 1, f, false);
	if (err)
		err = kdk_error_wrap(err, "makedump: %s", o->in);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		if (!err)
			err = kdk_error_errno("makedump: writing %s", tmp);
	}
	fclose(f);
	if (!err)
		err = commit_output(tmp, o->out);
	else
		unlink(tmp);
	if (!err && (o->message_level & ML_COMMON))
		fprintf(stderr, "The kernel log is saved to %s.\n", o->out);
	free(tmp);
	return err;
}

struct kdk_error *makedump_write(const char *in, const char *out,
				 int dump_level, enum page_codec codec,
				 int threads, bool verbose)
{
	struct makedump_opts o = {
		.dump_level = dump_level, .codec = codec, .threads = threads,
		.message_level = verbose ? ML_DEFAULT : 0, .in = in, .out = out,
	};

	if (o.threads < 1)
		o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (o.threads < 1)
		o.threads = 1;
	return run_dump(&o);
}

struct kdk_error *makedump_write_dmesg(const char *in, const char *out)
{
	struct makedump_opts o = { .in = in, .out = out, .dmesg = true };

	return run_dmesg(&o);
}

int subcmd_makedump(int argc, char **argv)
{
	struct makedump_opts o = { 0 };
	struct kdk_error *err = parse_args(argc, argv, &o);

	if (!err && o.reassemble)
		err = makedump_reassemble(STDIN_FILENO, o.out,
					  o.message_level & ML_COMMON);
	else if (!err && o.dmesg)
		err = run_dmesg(&o);
	else if (!err)
		err = run_dump(&o);
	free(o.args);
	return err ? kdk_error_report(err, stderr) : 0;
}
