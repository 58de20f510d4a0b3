/* x86_64: 4- and 5-level page tables, KASLR, phys_base, the direct map.
 *
 * Facts relied on (arch/x86/include/asm/pgtable_64_types.h, page_64.h,
 * arch/x86/kernel/machine_kexec_64.c):
 *  - the kernel image is mapped linearly at __START_KERNEL_map
 *    (0xffffffff80000000): __pa_symbol(x) = x - __START_KERNEL_map +
 *    phys_base, whatever KASLR did;
 *  - VMCOREINFO carries SYMBOL(init_top_pgt), NUMBER(phys_base),
 *    NUMBER(pgtable_l5_enabled), NUMBER(sme_mask) and KERNELOFFSET, but not
 *    the bases KASLR gives the direct map, vmalloc and vmemmap
 *    (page_offset_base ...): those come from symbols, or are detected;
 *  - a PUD or PMD entry with PSE set maps a 1G or 2M page.
 *
 * Reads always follow the page tables, never the linear formulas: the
 * kernel unmaps parts of both linear maps (freed __init text in the image
 * map, KFENCE guard pages and set_memory_np() pages, ROM and holes in the
 * direct map), and a read the kernel could not have done must fail. The
 * target caches translations, so walks are rare.
 */
#include "arch/x86_64.h"

#include <stdlib.h>
#include <string.h>

#define START_KERNEL_MAP	X86_64_START_KERNEL_MAP
#define PTE_PRESENT		(1ULL << 0)
#define PTE_PSE			(1ULL << 7)
#define PTE_ADDR_MASK		0x000ffffffffff000ULL
#define ENTRIES			512
#define PUD_SHIFT		30

/* Region bases without KASLR of the memory layout (page_64_types.h,
 * pgtable_64_types.h), for 4 and 5 levels. */
#define PAGE_OFFSET_L4		0xffff888000000000ULL
#define PAGE_OFFSET_L5		0xff11000000000000ULL
#define VMALLOC_L4		0xffffc90000000000ULL
#define VMALLOC_L5		0xffa0000000000000ULL
#define VMEMMAP_L4		0xffffea0000000000ULL
#define VMEMMAP_L5		0xffd4000000000000ULL

struct x86_64 {
	struct arch_context ctx;
	int levels;
	uint64_t pgd;			/* physical address of init_top_pgt */
	uint64_t top[ENTRIES];		/* its entries, read once */
	uint64_t phys_base;
	uint64_t kernel_offset;
	uint64_t addr_mask;		/* PTE_ADDR_MASK less the SME bit */
	uint64_t page_offset;
	uint64_t direct_map_size;
	bool page_offset_known;
	uint64_t vmalloc_base;
	uint64_t vmemmap_base;
};

static const char *const level_names4[] = { "PGD", "PUD", "PMD", "PTE" };
static const char *const level_names5[] = { "PGD", "P4D", "PUD", "PMD",
					    "PTE" };

static const char *level_name(const struct x86_64 *x, int i)
{
	return x->levels == 5 ? level_names5[i] : level_names4[i];
}

static int level_shift(const struct x86_64 *x, int i)
{
	return 12 + 9 * (x->levels - 1 - i);
}

static bool canonical(const struct x86_64 *x, uint64_t vaddr)
{
	int bits = x->levels == 5 ? 57 : 48;

	return (uint64_t)((int64_t)(vaddr << (64 - bits)) >> (64 - bits)) ==
	       vaddr;
}

/* Entry index of table, the level-th from the top. The top table of the
 * kernel's own tables (table == x->pgd) was read once at open. */
static struct kdk_error *read_entry(struct x86_64 *x, uint64_t table,
				    unsigned int index, int level,
				    uint64_t *entry)
{
	struct kdk_error *err;

	if (level == 0 && table == x->pgd) {
		*entry = x->top[index];
		return NULL;
	}
	err = x->ctx.read_phys(x->ctx.read_arg, table + 8 * index, entry, 8);
	return kdk_error_wrap(err, "reading the %s table at %#llx",
			      level_name(x, level),
			      (unsigned long long)table);
}

/* The walk the MMU does from the top table at root. */
static struct kdk_error *walk(struct x86_64 *x, uint64_t root,
			      uint64_t vaddr, struct arch_vtop *out)
{
	uint64_t table = root;

	for (int i = 0; i < x->levels; i++) {
		int shift = level_shift(x, i);
		unsigned int index = (vaddr >> shift) % ENTRIES;
		uint64_t entry, size = 1ULL << shift;
		struct arch_vtop_step *step = &out->steps[out->nsteps];
		struct kdk_error *err;

		err = read_entry(x, table, index, i, &entry);
		if (err)
			return err;
		*step = (struct arch_vtop_step){ level_name(x, i), table,
						 index, entry };
		out->nsteps++;
		if (!(entry & PTE_PRESENT))
			return kdk_error(KDK_ERR_NOT_PRESENT,
					 "%s entry not present",
					 level_name(x, i));
		table = entry & x->addr_mask;
		/* PSE means a large page at the PUD and PMD levels only. */
		if (i == x->levels - 1 ||
		    (i >= x->levels - 3 && (entry & PTE_PSE))) {
			out->paddr = (table & ~(size - 1)) |
				     (vaddr & (size - 1));
			out->page_size = size;
			return NULL;
		}
	}
	return NULL;	/* not reached: the last level always returns */
}

static struct kdk_error *x86_64_vtop(void *priv, uint64_t vaddr,
				     struct arch_vtop *out)
{
	struct x86_64 *x = priv;

	if (!canonical(x, vaddr))
		return kdk_error(KDK_ERR_NOT_PRESENT, "not a canonical "
				 "address (%d-level paging)", x->levels);
	return walk(x, x->pgd, vaddr, out);
}

/* User space is the lower half of the canonical addresses: below
 * 1 << 47 (4 levels) or 1 << 56 (5 levels), TASK_SIZE_MAX being a page
 * less (arch/x86/include/asm/page_64_types.h). */
static enum arch_addr_kind x86_64_addr_kind(void *priv, uint64_t vaddr)
{
	struct x86_64 *x = priv;

	if (!canonical(x, vaddr))
		return ARCH_ADDR_NEITHER;
	return vaddr >> 63 ? ARCH_ADDR_KERNEL : ARCH_ADDR_USER;
}

static struct kdk_error *x86_64_uvtop(void *priv, uint64_t root,
				      uint64_t vaddr, struct arch_vtop *out)
{
	struct x86_64 *x = priv;

	if (x86_64_addr_kind(x, vaddr) != ARCH_ADDR_USER)
		return kdk_error(KDK_ERR_NOT_PRESENT, "not a user address "
				 "(%d-level paging)", x->levels);
	return walk(x, root & x->addr_mask, vaddr, out);
}

static struct kdk_error *x86_64_ptov(void *priv, uint64_t paddr,
				     uint64_t *vaddr)
{
	struct x86_64 *x = priv;

	if (!x->page_offset_known)
		return kdk_error(KDK_ERR_NOT_FOUND, "physical address %#llx: "
				 "the base of the direct map is unknown",
				 (unsigned long long)paddr);
	if (paddr >= x->direct_map_size)
		return kdk_error(KDK_ERR_NOT_PRESENT, "physical address %#llx "
				 "is beyond the direct map",
				 (unsigned long long)paddr);
	*vaddr = x->page_offset + paddr;
	return NULL;
}

static struct kdk_error *read_kvaddr_u64(struct x86_64 *x, uint64_t vaddr,
					 uint64_t *val)
{
	struct arch_vtop vt = { .vaddr = vaddr };
	struct kdk_error *err = x86_64_vtop(x, vaddr, &vt);

	if (!err)
		err = x->ctx.read_phys(x->ctx.read_arg, vt.paddr, val, 8);
	return kdk_error_wrap(err, "reading %#llx", (unsigned long long)vaddr);
}

/* Set *where to the value of the pointer variable name, if it exists. */
static struct kdk_error *read_base(struct x86_64 *x, arch_symbol_fn *fn,
				   void *arg, const char *name,
				   uint64_t *where, bool *found)
{
	struct kdk_error *err;
	uint64_t addr;

	err = fn(arg, name, &addr);
	if (err && err->code == KDK_ERR_NOT_FOUND) {
		kdk_error_free(err);
		return NULL;
	}
	if (!err)
		err = read_kvaddr_u64(x, addr, where);
	if (!err && found)
		*found = true;
	return kdk_error_wrap(err, "%s", name);
}

static struct kdk_error *x86_64_use_symbols(void *priv, arch_symbol_fn *fn,
					    void *arg)
{
	struct x86_64 *x = priv;
	struct kdk_error *err;

	err = read_base(x, fn, arg, "page_offset_base", &x->page_offset,
			&x->page_offset_known);
	if (!err)
		err = read_base(x, fn, arg, "vmalloc_base", &x->vmalloc_base,
				NULL);
	if (!err)
		err = read_base(x, fn, arg, "vmemmap_base", &x->vmemmap_base,
				NULL);
	if (err)
		return err;
	if (x->vmalloc_base > x->page_offset &&
	    x->vmalloc_base - x->page_offset < x->direct_map_size)
		x->direct_map_size = x->vmalloc_base - x->page_offset;
	return NULL;
}

static void x86_64_layout(void *priv, struct arch_layout *out)
{
	struct x86_64 *x = priv;

	out->direct_map = x->page_offset;
	out->direct_map_known = x->page_offset_known;
	out->vmalloc = x->vmalloc_base;
	out->vmemmap = x->vmemmap_base;
	out->kernel_text = START_KERNEL_MAP;
	out->kernel_offset = x->kernel_offset;
	out->phys_base = x->phys_base;
	out->levels = x->levels;
}

/* Numbers VMCOREINFO may lack; absent means the default. */
static int64_t number_or(const struct vmcoreinfo *vi, const char *name,
			 int64_t dflt)
{
	struct kdk_error *err;
	int64_t v;

	if (!vi)
		return dflt;
	err = vmcoreinfo_number(vi, name, &v);
	if (err) {
		kdk_error_free(err);
		return dflt;
	}
	return v;
}

static struct kdk_error *find_pgd(struct x86_64 *x, uint64_t *pgd_vaddr)
{
	const struct vmcoreinfo *vi = x->ctx.vmcoreinfo;
	struct kdk_error *err;

	if (!vi)
		return kdk_error(KDK_ERR_NOT_FOUND, "the dump has no "
				 "VMCOREINFO to find the kernel page tables");
	err = vmcoreinfo_symbol(vi, "init_top_pgt", pgd_vaddr);
	if (err && err->code == KDK_ERR_NOT_FOUND) {
		kdk_error_free(err);
		err = vmcoreinfo_symbol(vi, "swapper_pg_dir", pgd_vaddr);
	}
	return kdk_error_wrap(err, "finding the kernel page tables");
}

static void read_config(struct x86_64 *x)
{
	const struct vmcoreinfo *vi = x->ctx.vmcoreinfo;
	struct kdk_error *err;
	int64_t bits;

	x->levels = number_or(vi, "pgtable_l5_enabled", 0) ? 5 : 4;
	x->phys_base = number_or(vi, "phys_base", x->ctx.header_phys_base);
	x->addr_mask = PTE_ADDR_MASK & ~(uint64_t)number_or(vi, "sme_mask", 0);
	bits = number_or(vi, "MAX_PHYSMEM_BITS", x->levels == 5 ? 52 : 46);
	x->direct_map_size = 1ULL << (bits > 0 && bits < 60 ? bits : 46);
	/* KASLR shrinks the direct map's region to the memory there is,
	 * rounded up to a TB, plus padding (arch/x86/mm/kaslr.c), and puts
	 * vmalloc right after it: only what covers the dump's memory is
	 * surely direct map. */
	if (x->ctx.max_paddr) {
		uint64_t tb = 1ULL << 40;
		uint64_t end = (x->ctx.max_paddr + tb - 1) / tb * tb;

		if (end < x->direct_map_size)
			x->direct_map_size = end;
	}
	x->page_offset = x->levels == 5 ? PAGE_OFFSET_L5 : PAGE_OFFSET_L4;
	x->vmalloc_base = x->levels == 5 ? VMALLOC_L5 : VMALLOC_L4;
	x->vmemmap_base = x->levels == 5 ? VMEMMAP_L5 : VMEMMAP_L4;
	if (vi) {
		err = vmcoreinfo_hex(vi, "KERNELOFFSET", &x->kernel_offset);
		kdk_error_free(err);
	}
}

/*
 * Without symbols, find the direct map in the page tables: KASLR moves
 * page_offset_base up from its default by whole PUDs (1G), and the direct
 * map is the first region mapped above the default
 * (arch/x86/mm/kaslr.c). Take the first present PUD there and the first
 * page it maps: base = vaddr - paddr, which must be 1G aligned.
 */
static bool first_present_pud(struct x86_64 *x, int level, uint64_t table,
			      uint64_t va, uint64_t start, uint64_t *found)
{
	int shift = level_shift(x, level);

	for (unsigned int i = 0; i < ENTRIES; i++) {
		uint64_t sub = va | ((uint64_t)i << shift), entry;
		struct kdk_error *err;

		if (level == 0 && i >= ENTRIES / 2)	/* sign-extend */
			sub |= ~0ULL << (x->levels == 5 ? 57 : 48);
		if (sub + (1ULL << shift) - 1 < start)
			continue;
		err = read_entry(x, table, i, level, &entry);
		if (err) {
			kdk_error_free(err);
			return false;
		}
		if (!(entry & PTE_PRESENT))
			continue;
		if (shift == PUD_SHIFT) {
			*found = sub;
			return true;
		}
		if (first_present_pud(x, level + 1, entry & x->addr_mask, sub,
				      start, found))
			return true;
	}
	return false;
}

static void detect_direct_map(struct x86_64 *x)
{
	uint64_t pud_va, step = 2ULL << 20;

	if (!first_present_pud(x, 0, x->pgd, 0, x->page_offset, &pud_va))
		return;
	for (uint64_t off = 0; off < (1ULL << PUD_SHIFT); off += step) {
		struct arch_vtop vt = { .vaddr = pud_va + off };
		struct kdk_error *err = x86_64_vtop(x, pud_va + off, &vt);
		uint64_t base;

		if (err) {
			kdk_error_free(err);
			continue;
		}
		base = vt.vaddr - vt.paddr;
		if (base % (1ULL << PUD_SHIFT) == 0 && base >= x->page_offset) {
			x->page_offset = base;
			x->page_offset_known = true;
		}
		return;
	}
}

static struct kdk_error *x86_64_open(const struct arch_context *ctx,
				     void **priv)
{
	struct x86_64 *x = calloc(1, sizeof(*x));
	struct kdk_error *err;
	uint64_t pgd_vaddr;

	if (!x)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	x->ctx = *ctx;
	read_config(x);
	err = find_pgd(x, &pgd_vaddr);
	if (err)
		goto out;
	x->pgd = pgd_vaddr - START_KERNEL_MAP + x->phys_base;
	err = ctx->read_phys(ctx->read_arg, x->pgd, x->top, sizeof(x->top));
	if (err) {
		err = kdk_error_wrap(err, "reading the kernel page tables "
				     "(init_top_pgt at %#llx)",
				     (unsigned long long)pgd_vaddr);
		goto out;
	}
	detect_direct_map(x);
	*priv = x;
	return NULL;
out:
	free(x);
	return err;
}

static void x86_64_close(void *priv)
{
	free(priv);
}

struct kdk_error *x86_64_translate(arch_read_phys_fn *read, void *arg,
				   uint64_t pgd, int levels, uint64_t vaddr,
				   uint64_t *paddr)
{
	struct x86_64 *x = calloc(1, sizeof(*x));
	struct arch_vtop vt = { .vaddr = vaddr };
	struct kdk_error *err;

	if (!x)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	x->ctx.read_phys = read;
	x->ctx.read_arg = arg;
	x->levels = levels;
	x->pgd = pgd;
	x->addr_mask = PTE_ADDR_MASK;
	err = read(arg, pgd, x->top, sizeof(x->top));
	if (err)
		err = kdk_error_wrap(err, "reading the page table root at "
				     "%#llx", (unsigned long long)pgd);
	else
		err = x86_64_vtop(x, vaddr, &vt);
	if (!err)
		*paddr = vt.paddr;
	free(x);
	return err;
}

static const char *const x86_64_machines[] = { "x86_64", "amd64", NULL };

const struct arch_ops arch_x86_64_ops = {
	.name = "x86_64",
	.machines = x86_64_machines,
	.open = x86_64_open,
	.close = x86_64_close,
	.vtop = x86_64_vtop,
	.uvtop = x86_64_uvtop,
	.addr_kind = x86_64_addr_kind,
	.ptov = x86_64_ptov,
	.use_symbols = x86_64_use_symbols,
	.layout = x86_64_layout,
};
