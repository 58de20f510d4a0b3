/* The loaded modules, from the kernel's `modules` list, with each one's
 * symbols from its own in-memory kallsyms (struct mod_kallsyms): what
 * /proc/kallsyms shows for it, no module debuginfo needed.
 *
 * The layout of struct module comes from the kernel's BTF (or, later,
 * any type source): Linux before 6.4 has core_layout/init_layout, 6.4 and
 * later mem[MOD_MEM_NUM_TYPES]; which one is decided by member presence.
 * The address of `modules` comes from whatever symbol table the caller
 * has (kallsyms has it only with CONFIG_KALLSYMS_ALL; a vmlinux always).
 */
#ifndef KDK_KERNEL_MODULES_H
#define KDK_KERNEL_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/btf.h"
#include "debuginfo/symtab.h"
#include "target/target.h"

/* include/linux/module.h: enum module_state. */
enum kmodule_state {
	KMODULE_LIVE,
	KMODULE_COMING,
	KMODULE_GOING,
	KMODULE_UNFORMED,
};

#define KMODULE_NAME_LEN 56		/* MODULE_NAME_LEN on 64-bit */
#define KMODULE_MAX_RANGES 8		/* MOD_MEM_NUM_TYPES is 7 */

struct kmodule_range {
	uint64_t start, end;		/* [start, end) */
	bool init;			/* freed once the module's init ran */
};

struct kmodule {
	uint64_t addr;			/* its struct module */
	char name[KMODULE_NAME_LEN + 1];
	enum kmodule_state state;
	uint64_t base, size;		/* core: what lsmod and crash show */
	struct kmodule_range ranges[KMODULE_MAX_RANGES];
	size_t n_ranges;
	/* Its kallsyms (NULL if unreadable; symbols_why says why). */
	struct symtab *symbols;
	char *symbols_why;
};

struct kmodules;

/* Walk the list headed at modules_addr (the kernel's `modules`). */
struct kdk_error *kmodules_load(struct target *t, const struct kbtf *btf,
				uint64_t modules_addr, struct kmodules **out);
void kmodules_free(struct kmodules *m);

/* The modules in base address order, as crash lists them. */
size_t kmodules_count(const struct kmodules *m);
const struct kmodule *kmodules_get(const struct kmodules *m, size_t i);
const struct kmodule *kmodules_find(const struct kmodules *m,
				    const char *name);

/* The piece of mod's memory that holds addr, or NULL. */
const struct kmodule_range *kmodule_range_of(const struct kmodule *mod,
					     uint64_t addr);

/* The module whose memory holds addr, and which of its ranges. */
const struct kmodule *kmodules_by_addr(const struct kmodules *m,
				       uint64_t addr,
				       const struct kmodule_range **range);

/* The module symbol that holds addr, as the kernel's own lookup finds it
 * (kernel/module/kallsyms.c: the closest symbol at or below addr in the
 * same piece of module memory). */
struct kdk_error *kmodules_lookup_addr(const struct kmodules *m,
				       uint64_t addr,
				       const struct kmodule **mod,
				       const struct sym **sym);

/* The first module (in list order above) that has a symbol name. */
const struct sym *kmodules_lookup_name(const struct kmodules *m,
				       const char *name,
				       const struct kmodule **mod);

#endif
