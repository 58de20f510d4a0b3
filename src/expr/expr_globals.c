/* The globals the kernel helpers need, with their C types, for when the
 * types come from BTF (which describes no global variable but the per-cpu
 * ones). Each entry is the declaration in Linux 6.1's sources; a test
 * (tests/shell/test_p.py) checks every one against crash, which reads the
 * vmlinux's DWARF. When a source describes a variable (DWARF), that wins:
 * this table is asked only after types_find_var() said no.
 *
 * Arrays are sized by the kernel itself: by the count enumerator the
 * kernel declares them with (vm_zone_stat[NR_VM_ZONE_STAT_ITEMS]), or,
 * for NR_CPUS-sized ones, by the room the symbol takes in the image (up
 * to the next symbol).
 */
#include <stdlib.h>
#include <string.h>

#include "expr/expr_ast.h"

struct global {
	const char *name;
	const char *type;		/* a name types_find() knows */
	unsigned int qualifiers;
	const char *count_enum;		/* "enum zone_stat_item" ... */
	const char *count_name;		/* ... "NR_VM_ZONE_STAT_ITEMS" */
	bool image_sized;		/* an array up to the next symbol */
};

static const struct global globals[] = {
	{ "init_task", "struct task_struct", 0, NULL, NULL, false },
	{ "init_mm", "struct mm_struct", 0, NULL, NULL, false },
	{ "jiffies", "unsigned long", TYPE_VOLATILE, NULL, NULL, false },
	{ "jiffies_64", "u64", 0, NULL, NULL, false },
	{ "modules", "struct list_head", 0, NULL, NULL, false },
	{ "super_blocks", "struct list_head", 0, NULL, NULL, false },
	{ "__per_cpu_offset", "unsigned long", 0, NULL, NULL, true },
	{ "nr_cpu_ids", "unsigned int", 0, NULL, NULL, false },
	{ "_totalram_pages", "atomic_long_t", 0, NULL, NULL, false },
	{ "vm_zone_stat", "atomic_long_t", 0, "enum zone_stat_item",
	  "NR_VM_ZONE_STAT_ITEMS", false },
	{ "vm_node_stat", "atomic_long_t", 0, "enum node_stat_item",
	  "NR_VM_NODE_STAT_ITEMS", false },
	{ "init_uts_ns", "struct uts_namespace", 0, NULL, NULL, false },
	{ "init_pid_ns", "struct pid_namespace", 0, NULL, NULL, false },
	{ "init_cred", "struct cred", 0, NULL, NULL, false },
	{ "init_struct_pid", "struct pid", 0, NULL, NULL, false },
	{ "init_nsproxy", "struct nsproxy", 0, NULL, NULL, false },
	{ "max_pfn", "unsigned long", 0, NULL, NULL, false },
	{ "nr_threads", "int", 0, NULL, NULL, false },
	{ "total_forks", "unsigned long", 0, NULL, NULL, false },
	{ "panic_cpu", "atomic_t", 0, NULL, NULL, false },
	{ "oops_in_progress", "int", 0, NULL, NULL, false },
	{ "panic_on_oops", "int", 0, NULL, NULL, false },
	{ "system_state", "enum system_states", 0, NULL, NULL, false },
	{ "page_offset_base", "unsigned long", 0, NULL, NULL, false },
	{ "vmemmap_base", "unsigned long", 0, NULL, NULL, false },
	{ "vmalloc_base", "unsigned long", 0, NULL, NULL, false },
	{ "high_memory", "void *", 0, NULL, NULL, false },
	{ "tainted_mask", "unsigned long", 0, NULL, NULL, false },
	{ "saved_command_line", "char *", 0, NULL, NULL, false },
	{ "prb", "struct printk_ringbuffer *", 0, NULL, NULL, false },
	{ "mem_section", "struct mem_section **", 0, NULL, NULL, false },
};

/* The value of enumerator name of enum ename; false if unknown. */
static bool enum_value(struct types *ts, const char *ename, const char *name,
		       uint64_t *out)
{
	struct type *t;
	struct kdk_error *err = types_find(ts, ename, &t);

	if (err) {
		kdk_error_free(err);
		return false;
	}
	t = type_strip(t);
	if (!t || t->kind != TYPE_ENUM || type_fill(t))
		return false;
	for (size_t i = 0; i < t->n_members; i++)
		if (strcmp(t->enumerators[i].name, name) == 0) {
			*out = (uint64_t)t->enumerators[i].value;
			return true;
		}
	return false;
}

/* name, with C's base types made here (BTF has no "void") and each
 * trailing '*' a pointer. */
static struct kdk_error *find_type(struct types *ts, struct expr_ctx *ctx,
				   const char *name, struct type **out)
{
	size_t len = strcspn(name, "*");
	char *bare = strndup(name, len);
	struct kdk_error *err = NULL;
	struct type *t;

	if (!bare)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	while (len && bare[len - 1] == ' ')
		bare[--len] = '\0';
	t = expr_base_type(ctx, bare);
	if (!t)
		err = types_find(ts, bare, &t);
	free(bare);
	for (const char *p = name + strcspn(name, "*"); !err && *p == '*';
	     p++) {
		t = expr_pointer_to(ctx, t);
		if (!t)
			err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (!err)
		*out = t;
	return err;
}

struct kdk_error *expr_global_type(struct types *ts, struct expr_ctx *ctx,
				   const char *name, uint64_t addr,
				   uint64_t next, struct type **out)
{
	const struct global *g = NULL;
	struct kdk_error *err;
	struct type *t = NULL, *a;
	uint64_t count = 0;

	for (size_t i = 0; i < sizeof(globals) / sizeof(*globals); i++)
		if (strcmp(globals[i].name, name) == 0)
			g = &globals[i];
	if (!g)
		return kdk_error(KDK_ERR_NOT_FOUND, "%s is not in the table "
				 "of known globals", name);
	err = find_type(ts, ctx, g->type, &t);
	if (err)
		return kdk_error_wrap(err, "the type of %s", name);
	if (g->qualifiers) {
		struct type *q = expr_new_type(ctx);

		if (!q)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		*q = *t;
		q->qualifiers |= g->qualifiers;
		t = q;
	}
	if (g->count_enum && !enum_value(ts, g->count_enum, g->count_name,
					 &count))
		return kdk_error(KDK_ERR_NOT_FOUND, "the size of %s: no %s "
				 "in %s", name, g->count_name, g->count_enum);
	if (g->image_sized) {
		uint64_t esize = type_strip(t)->size;

		if (!next || next <= addr || !esize)
			return kdk_error(KDK_ERR_NOT_FOUND, "the size of %s: "
					 "no symbol after it", name);
		count = (next - addr) / esize;
	}
	if (count) {
		a = expr_new_type(ctx);
		if (!a)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		a->kind = TYPE_ARRAY;
		a->target = t;
		a->count = count;
		a->size = count * type_strip(t)->size;
		t = a;
	}
	*out = t;
	return NULL;
}
