/* vm: a task's address space in crash's layout: its mm_struct, page
 * directory, RSS and total size, then each VMA with its range, flags and
 * the file it maps:
 *
 *   PID: 1        TASK: ffff88ce011f9800  CPU: 1    COMMAND: "init"
 *          MM               PGD          RSS    TOTAL_VM
 *   ffff88ce025ae880  ffff88ce02522000  1796k    2260k
 *         VMA           START       END     FLAGS FILE
 *   ffff88ce3ffb1000     400000     401000 8000871 /bin/busybox
 *
 * The VMAs come from the maple tree mm->mm_mt on 6.1+ (crash 8.0.2 stops
 * there: "invalid structure member offset: mm_struct_mmap"), from the
 * mm->mmap list before.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/context.h"
#include "cmd/dpath.h"
#include "cmd/kread.h"
#include "cmd/tree.h"
#include "cmd/struct.h"
#include "debuginfo/types.h"

enum {
	MM_PGD, VMA_START, VMA_END, VMA_FLAGS, VMA_FILE, N_FIELDS
};

static const struct kfield fields[N_FIELDS] = {
	[MM_PGD] = { "struct mm_struct", "pgd", 0, 0 },
	[VMA_START] = { "struct vm_area_struct", "vm_start", 0, 0 },
	[VMA_END] = { "struct vm_area_struct", "vm_end", 0, 0 },
	[VMA_FLAGS] = { "struct vm_area_struct", "vm_flags", 0, 0 },
	[VMA_FILE] = { "struct vm_area_struct", "vm_file", 0, 0 },
};

/* no process has this many VMAs (vm.max_map_count is 65530 by default) */
#define MAX_VMAS (1u << 24)

struct vm_ctx {
	struct session *s;
	struct kfield f[N_FIELDS];
	struct dpath dp;
	struct json_writer *w;
	bool structs;		/* -v */
	bool mm_only;		/* -m */
	const struct ktasks *k;
	/* the old list: mm->mmap, vma->vm_next */
	bool list;
	uint64_t mmap_off, next_off, mt_off;
	uint64_t count;
};

/* crash's mkstring(CENTER|LJUST): text centred in width, the odd space
 * on the right. */
static void centre(FILE *out, int width, const char *text)
{
	int len = (int)strlen(text), left = (width - len) / 2;

	if (left < 0)
		left = 0;
	fprintf(out, "%*s%s%*s", left, "", text,
		width - left - len > 0 ? width - left - len : 0, "");
}

static struct kdk_error *run_struct(struct session *s, const char *type,
				    uint64_t addr)
{
	char at[24], *argv[4];

	snprintf(at, sizeof(at), "0x%" PRIx64, addr);
	argv[0] = (char *)"struct";
	argv[1] = (char *)type;
	argv[2] = at;
	argv[3] = NULL;
	return struct_command(s, &cmd_struct_def, TYPE_STRUCT, 3, argv);
}

static struct kdk_error *one_vma(void *arg, uint64_t vma)
{
	struct vm_ctx *c = arg;
	uint64_t start, end, flags, file;
	char path[1024] = "", hex[24];
	struct kdk_error *err;

	if (++c->count > MAX_VMAS)
		return kdk_error(KDK_ERR_FORMAT, "more than %u VMAs: the VMA "
				 "tree or list is corrupted", MAX_VMAS);
	if (c->structs && !c->s->json)
		return run_struct(c->s, "vm_area_struct", vma);
	err = kread_u64(c->s, vma + c->f[VMA_START].off, &start);
	if (!err)
		err = kread_u64(c->s, vma + c->f[VMA_END].off, &end);
	if (!err)
		err = kread_field(c->s, vma, &c->f[VMA_FLAGS], &flags);
	if (!err)
		err = kread_u64(c->s, vma + c->f[VMA_FILE].off, &file);
	if (!err && file)
		err = dpath_file(c->s, &c->dp, file, NULL, path, sizeof(path));
	if (err)
		return kdk_error_wrap(err, "VMA 0x%" PRIx64, vma);
	if (!c->s->json) {
		fprintf(c->s->out, "%016" PRIx64 " %10" PRIx64 " %10" PRIx64
			" %6" PRIx64 " %s\n", vma, start, end, flags, path);
		return NULL;
	}
	json_begin_object(c->w);
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, vma);
	json_key_string(c->w, "vma", hex);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, start);
	json_key_string(c->w, "start", hex);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, end);
	json_key_string(c->w, "end", hex);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, flags);
	json_key_string(c->w, "flags", hex);
	json_key_string(c->w, "file", path);
	json_end_object(c->w);
	return NULL;
}

static struct kdk_error *each_vma(struct vm_ctx *c, uint64_t mm)
{
	uint64_t vma;
	struct kdk_error *err;

	c->count = 0;
	if (!c->list)
		return tree_maple_each(c->s, mm + c->mt_off, one_vma, c);
	err = kread_u64(c->s, mm + c->mmap_off, &vma);
	while (!err && vma) {
		err = one_vma(c, vma);
		if (!err)
			err = kread_u64(c->s, vma + c->next_off, &vma);
	}
	return err;
}

static void mm_line(struct vm_ctx *c, const struct ktask *t, uint64_t pgd,
		    uint32_t page_size)
{
	char buf[32];

	fputs("       MM               PGD          RSS    TOTAL_VM\n",
	      c->s->out);
	snprintf(buf, sizeof(buf), "%" PRIx64, t->mm);
	centre(c->s->out, 16, buf);
	fputs("  ", c->s->out);
	snprintf(buf, sizeof(buf), "%" PRIx64, pgd);
	centre(c->s->out, 16, buf);
	fputs("  ", c->s->out);
	snprintf(buf, sizeof(buf), "%" PRIu64 "k",
		 t->rss_pages * page_size / 1024);
	centre(c->s->out, 6, buf);
	fputs("  ", c->s->out);
	snprintf(buf, sizeof(buf), "%" PRIu64 "k",
		 t->total_vm_pages * page_size / 1024);
	centre(c->s->out, 8, buf);
	fputc('\n', c->s->out);
}

static struct kdk_error *one_task(void *arg, const struct ktask *t,
				  bool first)
{
	struct vm_ctx *c = arg;
	const struct ktasks *k = c->k;
	bool mm_only = c->mm_only;
	uint32_t page_size = ktasks_page_size(k);
	uint64_t pgd = 0;
	struct kdk_error *err = NULL;

	if (t->mm)
		err = kread_u64(c->s, t->mm + c->f[MM_PGD].off, &pgd);
	if (err)
		return kdk_error_wrap(err, "pid %d: mm_struct", t->pid);
	if (c->s->json) {
		char hex[24];

		json_begin_object(c->w);
		context_json_members(c->s, k, c->w, t);
		snprintf(hex, sizeof(hex), "0x%016" PRIx64, t->mm);
		json_key_string(c->w, "mm", hex);
		snprintf(hex, sizeof(hex), "0x%016" PRIx64, pgd);
		json_key_string(c->w, "pgd", hex);
		json_key_uint(c->w, "rss_kb", t->rss_pages * page_size / 1024);
		json_key_uint(c->w, "total_vm_kb",
			      t->total_vm_pages * page_size / 1024);
		json_key(c->w, "vmas");
		json_begin_array(c->w);
		if (t->mm)
			err = each_vma(c, t->mm);
		json_end_array(c->w);
		json_end_object(c->w);
		return err ? kdk_error_wrap(err, "pid %d", t->pid) : NULL;
	}
	if (!first)
		fputc('\n', c->s->out);
	context_print_header(c->s, t);
	if (mm_only)
		return t->mm ? run_struct(c->s, "mm_struct", t->mm) : NULL;
	if (!c->structs)
		mm_line(c, t, pgd, page_size);
	if (!t->mm)
		return NULL;
	if (!c->structs)
		fputs("      VMA           START       END     FLAGS FILE\n",
		      c->s->out);
	err = each_vma(c, t->mm);
	return err ? kdk_error_wrap(err, "pid %d", t->pid) : NULL;
}

/* The 6.1+ maple tree or the older list, whichever the kernel has. */
static struct kdk_error *vma_source(struct vm_ctx *c)
{
	struct kfield f[2] = {
		{ "struct mm_struct", "mm_mt", 0, 0 },
		{ "struct vm_area_struct", "vm_next", 0, 0 },
	};
	struct kdk_error *err = kfields_resolve(c->s, f, 1);

	if (!err) {
		c->mt_off = f[0].off;
		return NULL;
	}
	kdk_error_free(err);
	f[0].member = "mmap";
	err = kfields_resolve(c->s, f, 2);
	if (err)
		return kdk_error_wrap(err, "neither mm_struct.mm_mt nor "
				      "mm_struct.mmap");
	c->list = true;
	c->mmap_off = f[0].off;
	c->next_off = f[1].off;
	return NULL;
}

static struct kdk_error *cmd_vm(struct session *s, int argc, char **argv)
{
	struct vm_ctx c = { .s = s };
	struct command_opts o;
	const struct ktasks *k;
	const struct ktask **tasks = NULL;
	struct json_writer w;
	struct kdk_error *err = NULL, *first = NULL;
	bool mm_only = false;
	size_t n = 0;
	int ch;

	command_opts_init(&o, argc, argv);
	while ((ch = command_opts_next(&o, &cmd_vm_def, "mv", &err)) != 0) {
		if (err)
			return err;
		if (ch == 'm')
			mm_only = true;
		else
			c.structs = true;
	}
	memcpy(c.f, fields, sizeof(fields));
	err = session_tasks(s, &k);
	if (!err)
		err = kfields_resolve(s, c.f, N_FIELDS);
	if (!err)
		err = dpath_init(s, &c.dp);
	if (!err)
		err = vma_source(&c);
	if (!err)
		err = context_tasks(s, k, argc - o.ind, argv + o.ind, &tasks,
				    &n);
	if (err)
		return err;
	c.w = &w;
	c.k = k;
	c.mm_only = mm_only;
	first = context_for_tasks(s, &w, tasks, n, one_task, &c);
	free(tasks);
	return first;
}

const struct command cmd_vm_def = {
	.name = "vm",
	.fn = cmd_vm,
	.summary = "virtual memory",
	.synopsis = "vm [-m | -v] [pid | taskp] ...",
	.help =
"Shows a task's address space: its mm_struct, page directory, resident\n"
"size and total size, then every VMA (vm_area_struct) with its start,\n"
"end, vm_flags and the path of the file it maps. The VMAs are read from\n"
"the maple tree mm->mm_mt (6.1+) or the mm->mmap list (older kernels).\n"
"A kernel thread has no mm: its line shows 0.\n"
"\n"
"  -m   the mm_struct, as `struct mm_struct` shows it.\n"
"  -v   each vm_area_struct, as `struct vm_area_struct` shows it.\n"
"\n"
"Without an operand: the current task (set); a PID names every thread\n"
"of it. foreach ... vm runs it on many tasks.\n"
"With --json: per task {pid, command, task, ..., mm, pgd, rss_kb,\n"
"total_vm_kb, vmas: [{vma, start, end, flags, file}]}.",
	.examples =
"  crash> vm 1\n"
"  PID: 1        TASK: ffff88ce011f9800  CPU: 1    COMMAND: \"init\"\n"
"         MM               PGD          RSS    TOTAL_VM\n"
"  ffff88ce025ae880  ffff88ce02522000  1796k    2260k\n"
"        VMA           START       END     FLAGS FILE\n"
"  ffff88ce3ffb1000     400000     401000 8000871 /bin/busybox",
	.flags = CMD_NEEDS_TARGET,
};
