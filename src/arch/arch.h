/* Architectures: how kernel virtual addresses become physical ones.
 *
 * Each architecture fills a struct arch_ops (x86_64.c, ...); callers go
 * through the arch_*() wrappers and never switch on the architecture. An
 * arch reads physical memory only through the callback it is given, so its
 * page-table walk runs as well on a dump as on tables built in a test.
 */
#ifndef KDK_ARCH_ARCH_H
#define KDK_ARCH_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "dump/vmcoreinfo.h"

typedef struct kdk_error *arch_read_phys_fn(void *arg, uint64_t paddr,
					    void *buf, size_t len);

/* Look a kernel symbol up by name (kallsyms, vmlinux ...). */
typedef struct kdk_error *arch_symbol_fn(void *arg, const char *name,
					 uint64_t *addr);

/* What an arch is told about the kernel when it is opened. */
struct arch_context {
	const struct vmcoreinfo *vmcoreinfo;	/* NULL if the dump has none */
	uint64_t header_phys_base;	/* kdump sub-header phys_base, or 0 */
	uint32_t page_size;		/* of the dump; 0 if unknown */
	uint64_t max_paddr;		/* end of the dump's highest memory
					   range; 0 if unknown */
	arch_read_phys_fn *read_phys;
	void *read_arg;
};

#define ARCH_MAX_LEVELS 6

/* One table entry met on the way down, for `vtop` output. */
struct arch_vtop_step {
	const char *level;		/* "PGD", "P4D", "PUD", "PMD", "PTE" */
	uint64_t table;			/* physical address of the table */
	unsigned int index;
	uint64_t entry;			/* its value */
};

struct arch_vtop {
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t page_size;		/* size of the mapping that was found */
	int nsteps;
	struct arch_vtop_step steps[ARCH_MAX_LEVELS];
};

/* Kernel regions an arch may know, for printing and for tests. */
struct arch_layout {
	uint64_t direct_map;		/* page_offset_base / PAGE_OFFSET */
	uint64_t vmalloc;		/* vmalloc_base / VMALLOC_START */
	uint64_t vmemmap;
	uint64_t kernel_text;		/* __START_KERNEL_map / KIMAGE_VADDR */
	uint64_t kernel_offset;		/* KASLR offset of the image */
	uint64_t phys_base;
	int levels;			/* of the kernel page tables */
	bool direct_map_known;		/* from a symbol or detected */
};

/* What an address is to an arch: one a task's own page tables map (below
 * TASK_SIZE), one the kernel's map, or neither (x86_64's non-canonical
 * hole). */
enum arch_addr_kind {
	ARCH_ADDR_USER,
	ARCH_ADDR_KERNEL,
	ARCH_ADDR_NEITHER,
};

struct arch_ops {
	const char *name;
	/* ELF machine names it handles (uname -m and dump headers). */
	const char *const *machines;
	struct kdk_error *(*open)(const struct arch_context *ctx, void **priv);
	void (*close)(void *priv);
	/* Walk the kernel page tables. On error, out holds the steps
	 * taken up to the entry that failed. */
	struct kdk_error *(*vtop)(void *priv, uint64_t vaddr,
				  struct arch_vtop *out);
	/* Walk a user address space's page tables from root, the physical
	 * address of its top table (the page mm->pgd points at). Only user
	 * addresses: out as for vtop. */
	struct kdk_error *(*uvtop)(void *priv, uint64_t root, uint64_t vaddr,
				   struct arch_vtop *out);
	enum arch_addr_kind (*addr_kind)(void *priv, uint64_t vaddr);
	struct kdk_error *(*ptov)(void *priv, uint64_t paddr, uint64_t *vaddr);
	/* Learn what only symbols say (randomized region bases ...). */
	struct kdk_error *(*use_symbols)(void *priv, arch_symbol_fn *fn,
					 void *arg);
	void (*layout)(void *priv, struct arch_layout *out);
};

struct arch {
	const struct arch_ops *ops;
	void *priv;
};

/* The arch for a machine name ("x86_64", "aarch64" ...), or NULL. */
const struct arch_ops *arch_find(const char *machine);

/* The machine a VMCOREINFO belongs to, from keys only one arch writes
 * (for dumps whose header says "Unknown", as QEMU's arm64 kdump-compressed
 * ones do); NULL if it does not tell. */
const char *arch_guess_machine(const struct vmcoreinfo *vi);

struct kdk_error *arch_open(const char *machine,
			    const struct arch_context *ctx, struct arch **out);
void arch_close(struct arch *a);

struct kdk_error *arch_vtop(struct arch *a, uint64_t vaddr,
			    struct arch_vtop *out);
struct kdk_error *arch_uvtop(struct arch *a, uint64_t root, uint64_t vaddr,
			     struct arch_vtop *out);
enum arch_addr_kind arch_addr_kind(struct arch *a, uint64_t vaddr);
struct kdk_error *arch_ptov(struct arch *a, uint64_t paddr, uint64_t *vaddr);
struct kdk_error *arch_use_symbols(struct arch *a, arch_symbol_fn *fn,
				   void *arg);
void arch_layout(struct arch *a, struct arch_layout *out);

extern const struct arch_ops arch_x86_64_ops;
extern const struct arch_ops arch_arm64_ops;

#endif
