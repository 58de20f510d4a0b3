/* vtop: a kernel virtual address through the page tables, one line per
 * table entry, in crash's layout: the address and its translation, the
 * top table, "LEVEL: entry address => entry value" for each level below
 * it, the page, and the final entry with its flags. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "cmd/context.h"
#include "debuginfo/symtab.h"
#include "kernel/task_mm.h"
#include "target/target.h"

/* crash's UVADDR_PRLEN on x86_64 and arm64. */
#define UVADDR_WIDTH 10

/* x86_64 page-table entry bits (arch/x86/include/asm/pgtable_types.h),
 * named as crash names them; bit 7 is PSE above the last level and PAT
 * in it. */
static const struct {
	int bit;
	const char *name;
} x86_flags[] = {
	{ 0, "PRESENT" }, { 1, "RW" }, { 2, "USER" }, { 3, "PWT" },
	{ 4, "PCD" }, { 5, "ACCESSED" }, { 6, "DIRTY" }, { 7, "PSE" },
	{ 8, "GLOBAL" }, { 63, "NX" },
};

static bool is_x86_64(const struct session *s)
{
	return strcmp(target_arch_name(s->target), "x86_64") == 0;
}

static void print_flags(struct session *s, const struct arch_vtop *v,
			uint64_t entry)
{
	bool first = true;

	fputc('(', s->out);
	for (size_t i = 0; i < sizeof(x86_flags) / sizeof(x86_flags[0]);
	     i++) {
		const char *name = x86_flags[i].name;

		if (!(entry & (1ULL << x86_flags[i].bit)))
			continue;
		if (x86_flags[i].bit == 7 && v->page_size == 4096)
			name = "PAT";
		fprintf(s->out, "%s%s", first ? "" : "|", name);
		first = false;
	}
	fputs(")\n", s->out);
}

/* True if err is NULL; frees it otherwise (a lookup that may fail). */
static bool succeeded(struct kdk_error *err)
{
	kdk_error_free(err);
	return err == NULL;
}

/* The virtual address of the top table, as crash shows it: the kernel
 * symbol that names it when there is one. */
static uint64_t top_table_vaddr(struct session *s, uint64_t table)
{
	static const char *const names[] = { "init_top_pgt", "init_level4_pgt",
					     "swapper_pg_dir" };
	const struct vmcoreinfo *vi = dump_vmcoreinfo(s->dump);
	uint64_t va;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct kdk_error *err = vi ? vmcoreinfo_symbol(vi, names[i],
							       &va) :
					kdk_error(KDK_ERR_NOT_FOUND, "none");

		if (!err)
			return va;
		kdk_error_free(err);
		if (s->symbols &&
		    succeeded(sym_lookup_name(s->symbols, names[i], &va)))
			return va;
	}
	if (!succeeded(target_ptov(s->target, table, &va)))
		return table;
	return va;
}

static void print_size_suffix(struct session *s, uint64_t size)
{
	if (size >= (1ULL << 30))
		fprintf(s->out, "  (%" PRIu64 "GB)", size >> 30);
	else if (size >= (1ULL << 20))
		fprintf(s->out, "  (%" PRIu64 "MB)", size >> 20);
	else if (size > 4096 && size >= (1ULL << 10))
		fprintf(s->out, "  (%" PRIu64 "KB)", size >> 10);
}

static void print_page(struct session *s, const struct arch_vtop *v,
		       bool user);

static void print_text(struct session *s, const struct arch_vtop *v,
		       bool mapped)
{
	fprintf(s->out, "%-16s  %-16s\n", "VIRTUAL", "PHYSICAL");
	if (mapped)
		fprintf(s->out, "%-16" PRIx64 "  %-16" PRIx64 "\n\n", v->vaddr,
			v->paddr);
	else
		fprintf(s->out, "%-16" PRIx64 "  %-16s\n\n", v->vaddr,
			"(not mapped)");
	if (v->nsteps == 0)
		return;
	fprintf(s->out, "%s DIRECTORY: %" PRIx64 "\n", v->steps[0].level,
		top_table_vaddr(s, v->steps[0].table));
	fprintf(s->out, "PAGE DIRECTORY: %" PRIx64 "\n", v->steps[0].entry);
	for (int i = 1; i < v->nsteps; i++) {
		const struct arch_vtop_step *st = &v->steps[i];

		fprintf(s->out, "%6s: %" PRIx64 " => %" PRIx64 "\n", st->level,
			st->table + (uint64_t)st->index * 8, st->entry);
	}
	if (mapped)
		print_page(s, v, false);
}

/* The page found, and the last entry with its page and its flags, in
 * columns as wide as the values. crash ends a user 4K page's line with
 * the blanks before where it would say "(ZERO PAGE)". */
static void print_page(struct session *s, const struct arch_vtop *v,
		       bool user)
{
	const struct arch_vtop_step *last;
	char phys[24];
	int w, left;

	fprintf(s->out, "  PAGE: %" PRIx64, v->paddr & ~(v->page_size - 1));
	print_size_suffix(s, v->page_size);
	if (user && v->page_size == 4096)
		fputs("  ", s->out);
	fputs("\n\n", s->out);
	last = &v->steps[v->nsteps - 1];
	w = snprintf(phys, sizeof(phys), "%" PRIx64, last->entry);
	if (w < 3)
		w = 3;
	left = (w - 3) / 2;
	fprintf(s->out, "%*s%s%*s  %s  %s\n", left, "", "PTE", w - 3 - left,
		"", "PHYSICAL", "FLAGS");
	fprintf(s->out, "%*" PRIx64 "  %8" PRIx64 "  ", w, last->entry,
		v->paddr & ~(v->page_size - 1));
	if (is_x86_64(s))
		print_flags(s, v, last->entry);
	else
		fputc('\n', s->out);
}

/* Where a table entry is, as crash names it: physical on x86_64, in the
 * linear map on arm64 (where crash reads the tables through it). */
static uint64_t entry_address(struct session *s, uint64_t paddr)
{
	uint64_t va;

	if (is_x86_64(s) || !succeeded(target_ptov(s->target, paddr, &va)))
		return paddr;
	return va;
}

/* crash's user-address layout: no top-table lines on x86_64 (the table
 * is the task's, not a symbol's), "PAGE DIRECTORY: pgd" on arm64, then
 * each level as "LEVEL: entry => value". */
static void print_user_text(struct session *s, const struct arch_vtop *v,
			    bool mapped)
{
	fprintf(s->out, "%-*s  %-16s\n", UVADDR_WIDTH, "VIRTUAL", "PHYSICAL");
	if (mapped)
		fprintf(s->out, "%-*" PRIx64 "  %-16" PRIx64 "\n\n",
			UVADDR_WIDTH, v->vaddr, v->paddr);
	else
		fprintf(s->out, "%-*" PRIx64 "  %-16s\n\n", UVADDR_WIDTH,
			v->vaddr, "(not mapped)");
	if (v->nsteps && !is_x86_64(s))
		fprintf(s->out, "PAGE DIRECTORY: %" PRIx64 "\n",
			entry_address(s, v->steps[0].table));
	for (int i = 0; i < v->nsteps; i++) {
		const struct arch_vtop_step *st = &v->steps[i];

		fprintf(s->out, "%6s: %" PRIx64 " => %" PRIx64 "\n", st->level,
			entry_address(s, st->table + (uint64_t)st->index * 8),
			st->entry);
	}
	if (mapped)
		print_page(s, v, true);
}

static void print_json(struct session *s, struct json_writer *w,
		       const struct arch_vtop *v, bool user,
		       struct kdk_error *err)
{
	json_begin_object(w);
	json_key_uint(w, "virtual", v->vaddr);
	json_key_bool(w, "user", user);
	if (err) {
		json_key_string(w, "error", err->msg);
	} else {
		json_key_uint(w, "physical", v->paddr);
		json_key_uint(w, "page_size", v->page_size);
	}
	json_key(w, "levels");
	json_begin_array(w);
	for (int i = 0; i < v->nsteps; i++) {
		json_begin_object(w);
		json_key_string(w, "level", v->steps[i].level);
		json_key_uint(w, "table", v->steps[i].table);
		json_key_uint(w, "index", v->steps[i].index);
		json_key_uint(w, "entry", v->steps[i].entry);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
	(void)s;
}

struct vtop_args {
	bool user, kernel;		/* -u, -k */
	const char *task;		/* -c: a PID or task address */
	bool have_root;
	uint64_t root;			/* the task's user page tables */
};

/* The page tables of -c's task, else of the current task. */
static struct kdk_error *user_root(struct session *s, struct vtop_args *a)
{
	const struct ktasks *k;
	const struct ktask *task;
	const struct kbtf *btf;
	struct kdk_error *err;

	if (a->have_root)
		return NULL;
	err = session_tasks(s, &k);
	if (!err)
		err = a->task ? context_task_arg(k, a->task, &task)
			      : session_context(s, k, &task);
	if (!err)
		err = session_btf(s, &btf);
	if (!err)
		err = task_user_root(s->target, btf, task, &a->root);
	a->have_root = !err;
	return err;
}

/* One address, a user one (-u, or below the top of user space without
 * -k) through the task's tables, else through the kernel's. */
static struct kdk_error *vtop_one(struct session *s, struct vtop_args *a,
				  struct json_writer *w, uint64_t addr)
{
	bool user = a->user || (!a->kernel && target_addr_kind(s->target,
					       addr) == ARCH_ADDR_USER);
	struct arch_vtop v = { .vaddr = addr };
	struct kdk_error *err;

	if (user) {
		if (target_addr_kind(s->target, addr) != ARCH_ADDR_USER)
			return kdk_error(KDK_ERR_USAGE, "-u: %" PRIx64 " is not "
					 "a user virtual address", addr);
		err = user_root(s, a);
		if (err)
			return err;
		err = target_uvtop(s->target, a->root, addr, &v);
	} else {
		err = target_vtop(s->target, addr, &v);
	}
	if (s->json)
		print_json(s, w, &v, user, err);
	else if (user)
		print_user_text(s, &v, !err);
	else
		print_text(s, &v, !err);
	return err;
}

static struct kdk_error *cmd_vtop(struct session *s, int argc, char **argv)
{
	struct kdk_error *err, *first = NULL;
	struct vtop_args a = { 0 };
	struct command_opts o;
	struct json_writer w;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_vtop_def, "ukc:", &err)) != 0) {
		if (err)
			return err;
		if (c == 'u')
			a.user = true;
		else if (c == 'k')
			a.kernel = true;
		else
			a.task = o.arg;
	}
	if (o.ind >= argc)
		return command_usage(&cmd_vtop_def, "an address is needed");
	if (a.user && a.kernel)
		return command_usage(&cmd_vtop_def, "-u and -k are mutually "
				     "exclusive");
	if (a.task) {	/* a bad -c is wrong for every address */
		const struct ktasks *k;
		const struct ktask *task;

		err = session_tasks(s, &k);
		if (!err)
			err = context_task_arg(k, a.task, &task);
		if (err)
			return err;
	}
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	for (int i = o.ind; i < argc; i++) {
		uint64_t addr;

		err = address_parse(s, argv[i], &addr);
		if (!err) {
			err = vtop_one(s, &a, &w, addr);
			if (!s->json && i + 1 < argc)
				fputc('\n', s->out);
		}
		first = command_keep_first(first, err);
	}
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	return first;
}

const struct command cmd_vtop_def = {
	.name = "vtop",
	.fn = cmd_vtop,
	.summary = "virtual to physical",
	.synopsis = "vtop [-c [pid | taskp]] [-u|-k] address ...",
	.help =
"Translates kernel virtual addresses through the kernel's own page\n"
"tables and shows each step: the top table (by the symbol that names it),\n"
"the entry read at each level below it as \"LEVEL: where => value\", the\n"
"physical page with its size when it is a large page, and the last entry\n"
"with its flags. When a level's entry is not present the walk stops there\n"
"and the error says which level it was.\n"
"\n"
"A user virtual address (below the top of user space, or any with -u)\n"
"is translated through the page tables of the current task (see set),\n"
"or of the task -c names: task->mm->pgd. The table entries are then\n"
"shown as crash shows a user walk: every level as \"LEVEL: entry =>\n"
"value\" (the entry's physical address on x86_64, its linear-map address\n"
"on arm64). Kernel threads have no user page tables.\n"
"\n"
"  -u  the address is a user virtual address.\n"
"  -k  the address is a kernel virtual address.\n"
"  -c pid | taskp\n"
"      user addresses of this task (a PID or a task_struct address)\n"
"      instead of the current task's.\n"
"\n"
"With --json, an array with one object per address: virtual, user,\n"
"physical and page_size (or error), and levels: [{level, table, index,\n"
"entry}].",
	.examples =
"A kernel text address, mapped by a 2MB page:\n"
"\n"
"  crash> vtop ffffffff8a46c62f\n"
"  VIRTUAL           PHYSICAL\n"
"  ffffffff8a46c62f  16e6c62f\n"
"\n"
"  PGD DIRECTORY: ffffffff8be10000\n"
"  PAGE DIRECTORY: 18815067\n"
"     PUD: 18815ff0 => 18816063\n"
"     PMD: 18816290 => 16e001e1\n"
"    PAGE: 16e00000  (2MB)\n"
"  ...",
	.flags = CMD_NEEDS_TARGET,
};
