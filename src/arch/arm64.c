/* arm64: 4K, 16K and 64K granules, 3 or 4 levels, KASLR.
 *
 * Facts relied on (arch/arm64/include/asm/memory.h, pgtable-hwdef.h,
 * arch/arm64/kernel/vmcore_info.c / crash_core.c):
 *  - VMCOREINFO carries NUMBER(VA_BITS), NUMBER(TCR_EL1_T1SZ) (the VA
 *    size the kernel's TTBR1 tables really cover), NUMBER(kimage_voffset)
 *    (image virtual minus physical), NUMBER(PHYS_OFFSET) (memstart_addr,
 *    which linear-map randomization may make "negative"), PAGESIZE and
 *    SYMBOL(swapper_pg_dir), the kernel's top table, in the image;
 *  - the linear map is the bottom half of the kernel space since 5.4:
 *    PAGE_OFFSET = -(1 << VA_BITS), __phys_to_virt(p) =
 *    (p - PHYS_OFFSET) | PAGE_OFFSET;
 *  - descriptors: bit 0 valid, bits 1:0 = 01 a block (not at the top
 *    level), 11 a table (or a page at the last level); the output address
 *    is bits 47:page_shift, and with 64K pages and 52-bit PAs bits 15:12
 *    hold PA bits 51:48 (ARMv8.2 LPA).
 */
#include "arch/arch.h"

#include <stdlib.h>
#include <string.h>

#define DESC_VALID	0x1ULL
#define DESC_TABLE	0x2ULL
#define ADDR_MASK_48	0x0000ffffffffffffULL
#define MAX_LEVELS	4

struct arm64 {
	struct arch_context ctx;
	int page_shift;
	int va_bits;			/* VA_BITS: fixes PAGE_OFFSET */
	int walk_bits;			/* 64 - TCR_EL1.T1SZ: what the walk covers */
	int levels;
	int pa_bits;
	uint64_t pgd;			/* physical address of swapper_pg_dir */
	uint64_t kimage_voffset;
	uint64_t phys_offset;
	bool phys_offset_known;
	uint64_t page_offset;
	uint64_t kernel_offset;
	uint64_t vmalloc_start;
	uint64_t vmemmap_start;
	uint64_t kimage_vaddr;
};

static const char *const names4[] = { "PGD", "PUD", "PMD", "PTE" };
static const char *const names3[] = { "PGD", "PMD", "PTE" };
static const char *const names2[] = { "PGD", "PTE" };

static const char *level_name(const struct arm64 *a, int i)
{
	if (a->levels == 4)
		return names4[i];
	return a->levels == 3 ? names3[i] : names2[i];
}

/* The lowest VA bit that level i's index covers. */
static int level_shift(const struct arm64 *a, int i)
{
	return a->page_shift + (a->page_shift - 3) * (a->levels - 1 - i);
}

static uint64_t desc_addr(const struct arm64 *a, uint64_t desc)
{
	uint64_t addr = desc & ADDR_MASK_48 & ~((1ULL << a->page_shift) - 1);

	if (a->page_shift == 16 && a->pa_bits == 52)
		addr |= (desc & 0xf000ULL) << 36;
	return addr;
}

/* The walk the MMU does from the top table at root; vaddr's bits from
 * walk_bits up are the caller's business (TTBR0 or TTBR1). */
static struct kdk_error *walk(struct arm64 *a, uint64_t root, uint64_t vaddr,
			      struct arch_vtop *out)
{
	uint64_t table = root;

	for (int i = 0; i < a->levels; i++) {
		int shift = level_shift(a, i);
		int bits = i == 0 ? a->walk_bits - shift : a->page_shift - 3;
		unsigned int index = (vaddr >> shift) & ((1ULL << bits) - 1);
		uint64_t desc, size = 1ULL << shift;
		struct kdk_error *err;

		err = a->ctx.read_phys(a->ctx.read_arg, table + 8 * index,
				       &desc, 8);
		if (err)
			return kdk_error_wrap(err, "reading the %s table at "
					      "%#llx", level_name(a, i),
					      (unsigned long long)table);
		out->steps[out->nsteps++] = (struct arch_vtop_step){
			level_name(a, i), table, index, desc };
		if (!(desc & DESC_VALID))
			return kdk_error(KDK_ERR_NOT_PRESENT,
					 "%s entry not present",
					 level_name(a, i));
		if (i == a->levels - 1 || !(desc & DESC_TABLE)) {
			if (i == 0 || (i == a->levels - 1 &&
				       !(desc & DESC_TABLE)))
				return kdk_error(KDK_ERR_FORMAT, "%s entry "
						 "%#llx is not a valid "
						 "descriptor", level_name(a, i),
						 (unsigned long long)desc);
			out->paddr = (desc_addr(a, desc) & ~(size - 1)) |
				     (vaddr & (size - 1));
			out->page_size = size;
			return NULL;
		}
		table = desc_addr(a, desc);
	}
	return NULL;	/* not reached: the last level always returns */
}

static struct kdk_error *arm64_vtop(void *priv, uint64_t vaddr,
				    struct arch_vtop *out)
{
	struct arm64 *a = priv;

	if (vaddr >> a->walk_bits != ~0ULL >> a->walk_bits)
		return kdk_error(KDK_ERR_NOT_PRESENT, "not a kernel address "
				 "(the kernel's tables start at %#llx)",
				 (unsigned long long)(~0ULL << a->walk_bits));
	return walk(a, a->pgd, vaddr, out);
}

/* User pointers may carry a tag in their top byte, which the MMU ignores
 * for TTBR0 (TBI0; Documentation/arm64/tagged-pointers.rst). User space
 * is the low TTBR0 range of as many bits as the kernel's (6.1 sets T0SZ
 * and T1SZ alike from vabits_actual). */
static uint64_t untag(uint64_t vaddr)
{
	return vaddr >> 56 == 0xff ? vaddr : vaddr & ((1ULL << 56) - 1);
}

static enum arch_addr_kind arm64_addr_kind(void *priv, uint64_t vaddr)
{
	struct arm64 *a = priv;

	if (vaddr >> a->walk_bits == ~0ULL >> a->walk_bits)
		return ARCH_ADDR_KERNEL;
	if (untag(vaddr) >> a->walk_bits == 0)
		return ARCH_ADDR_USER;
	return ARCH_ADDR_NEITHER;
}

static struct kdk_error *arm64_uvtop(void *priv, uint64_t root,
				     uint64_t vaddr, struct arch_vtop *out)
{
	struct arm64 *a = priv;

	if (arm64_addr_kind(a, vaddr) != ARCH_ADDR_USER)
		return kdk_error(KDK_ERR_NOT_PRESENT, "not a user address "
				 "(user space ends at %#llx)",
				 (unsigned long long)(1ULL << a->walk_bits));
	return walk(a, root, untag(vaddr), out);
}

static struct kdk_error *arm64_ptov(void *priv, uint64_t paddr,
				    uint64_t *vaddr)
{
	struct arm64 *a = priv;
	uint64_t off = paddr - a->phys_offset;

	if (!a->phys_offset_known)
		return kdk_error(KDK_ERR_NOT_FOUND, "physical address %#llx: "
				 "PHYS_OFFSET is unknown",
				 (unsigned long long)paddr);
	/* The linear map is half the kernel's space (memory.h). */
	if (paddr >> a->pa_bits || off >> (a->va_bits - 1))
		return kdk_error(KDK_ERR_NOT_PRESENT, "physical address %#llx "
				 "is outside the linear map",
				 (unsigned long long)paddr);
	*vaddr = off | a->page_offset;
	return NULL;
}

static struct kdk_error *arm64_use_symbols(void *priv, arch_symbol_fn *fn,
					   void *arg)
{
	(void)priv;
	(void)fn;
	(void)arg;
	return NULL;	/* VMCOREINFO said it all */
}

static void arm64_layout(void *priv, struct arch_layout *out)
{
	struct arm64 *a = priv;

	out->direct_map = a->page_offset;
	out->direct_map_known = a->phys_offset_known;
	out->vmalloc = a->vmalloc_start;
	out->vmemmap = a->vmemmap_start;
	out->kernel_text = a->kimage_vaddr;
	out->kernel_offset = a->kernel_offset;
	out->phys_base = a->phys_offset;
	out->levels = a->levels;
}

/* A NUMBER() that may be absent (then dflt, *found false). */
static int64_t number_or(const struct vmcoreinfo *vi, const char *name,
			 int64_t dflt, bool *found)
{
	struct kdk_error *err;
	int64_t v;

	err = vi ? vmcoreinfo_number(vi, name, &v) :
		   kdk_error(KDK_ERR_NOT_FOUND, "no VMCOREINFO");
	if (found)
		*found = !err;
	if (err) {
		kdk_error_free(err);
		return dflt;
	}
	return v;
}

static struct kdk_error *read_config(struct arm64 *a)
{
	const struct vmcoreinfo *vi = a->ctx.vmcoreinfo;
	int64_t page_size = a->ctx.page_size, t1sz;
	bool have_voffset;
	struct kdk_error *err;

	if (!vi)
		return kdk_error(KDK_ERR_NOT_FOUND, "the dump has no "
				 "VMCOREINFO to find the kernel page tables");
	/* The kernel's page size, not the dump's blocks: QEMU writes arm64
	 * kdump-compressed dumps in 64K blocks whatever the granule. */
	err = vmcoreinfo_decimal(vi, "PAGESIZE", &page_size);
	if (err) {
		kdk_error_free(err);
		page_size = a->ctx.page_size;
	}
	if (page_size != 4096 && page_size != 16384 && page_size != 65536)
		return kdk_error(KDK_ERR_FORMAT, "page size %lld is not an "
				 "arm64 granule", (long long)page_size);
	a->page_shift = __builtin_ctz(page_size);
	a->va_bits = number_or(vi, "VA_BITS", 48, NULL);
	t1sz = number_or(vi, "TCR_EL1_T1SZ", 64 - a->va_bits, NULL);
	a->walk_bits = 64 - t1sz;
	if (a->va_bits < 36 || a->va_bits > 52 || a->walk_bits < 36 ||
	    a->walk_bits > 52)
		return kdk_error(KDK_ERR_FORMAT, "VA_BITS %d / TCR_EL1_T1SZ "
				 "%lld make no sense", a->va_bits,
				 (long long)t1sz);
	a->levels = (a->walk_bits - a->page_shift + a->page_shift - 4) /
		    (a->page_shift - 3);
	a->pa_bits = number_or(vi, "MAX_PHYSMEM_BITS", 48, NULL);
	a->kimage_voffset = number_or(vi, "kimage_voffset", 0, &have_voffset);
	if (!have_voffset)
		return kdk_error(KDK_ERR_NOT_FOUND, "no NUMBER(kimage_voffset) "
				 "in VMCOREINFO");
	a->phys_offset = number_or(vi, "PHYS_OFFSET", 0,
				   &a->phys_offset_known);
	a->page_offset = ~0ULL << a->va_bits;
	a->vmalloc_start = number_or(vi, "VMALLOC_START", 0, NULL);
	a->vmemmap_start = number_or(vi, "VMEMMAP_START", 0, NULL);
	a->kimage_vaddr = number_or(vi, "MODULES_END", 0, NULL);
	kdk_error_free(vmcoreinfo_hex(vi, "KERNELOFFSET", &a->kernel_offset));
	return NULL;
}

static struct kdk_error *arm64_open(const struct arch_context *ctx,
				    void **priv)
{
	struct arm64 *a = calloc(1, sizeof(*a));
	struct kdk_error *err;
	uint64_t pgd_vaddr;

	if (!a)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	a->ctx = *ctx;
	err = read_config(a);
	if (!err)
		err = vmcoreinfo_symbol(ctx->vmcoreinfo, "swapper_pg_dir",
					&pgd_vaddr);
	if (err) {
		free(a);
		return kdk_error_wrap(err, "finding the kernel page tables");
	}
	/* The image is mapped at kimage_voffset from its physical home
	 * (__kimg_to_phys). */
	a->pgd = pgd_vaddr - a->kimage_voffset;
	*priv = a;
	return NULL;
}

static void arm64_close(void *priv)
{
	free(priv);
}

static const char *const arm64_machines[] = { "aarch64", "arm64", NULL };

const struct arch_ops arch_arm64_ops = {
	.name = "arm64",
	.machines = arm64_machines,
	.open = arm64_open,
	.close = arm64_close,
	.vtop = arm64_vtop,
	.uvtop = arm64_uvtop,
	.addr_kind = arm64_addr_kind,
	.ptov = arm64_ptov,
	.use_symbols = arm64_use_symbols,
	.layout = arm64_layout,
};
