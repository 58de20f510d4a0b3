/* x86_64 KASLR offset and phys_base from a CPU's CR3 and IDTR (see
 * x86_64_kaslr.h for which dumps carry them).
 *
 * Facts relied on:
 *  - struct QEMUCPUState (QEMU target/i386/arch_dump.c, version 1): u32
 *    version, u32 size; rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags
 *    (u64 each, from byte 8); ten segments cs ds es fs gs ss ldt tr gdt idt
 *    of 24 bytes {u32 selector, limit, flags, pad; u64 base} from byte 152;
 *    u64 cr[5] from byte 392; u64 kernel_gs_base at 432 (size 440).
 *  - Since Linux 4.15 the IDTR points at a read-only alias of idt_table in
 *    the CPU entry area (CPU_ENTRY_AREA_RO_IDT, arch/x86/kernel/idt.c:
 *    idt_map_in_cea()), not at idt_table, so the IDTR alone says nothing
 *    of KASLR there. The IDT's entries do: gate 0 holds the runtime address
 *    of the divide-error handler (asm_exc_divide_error since 5.8,
 *    divide_error before), a gate_struct {u16 offset_low, segment, bits,
 *    offset_middle; u32 offset_high, reserved} (asm/desc_defs.h).
 *    Older kernels load the IDTR with idt_table itself.
 *  - The kernel image is mapped at link address + KASLR offset, and
 *    __pa_symbol(x) = x - __START_KERNEL_map + phys_base (page_64.h); the
 *    offset is a multiple of CONFIG_PHYSICAL_ALIGN, at least 2 MiB.
 *  - With page-table isolation the user half of a CR3 pair is the kernel
 *    PGD + 4 KiB (PTI_USER_PGTABLE_BIT = PAGE_SHIFT); CR3 bits 0-11 are
 *    the PCID and bit 63 the no-flush hint; CR4 bit 12 is LA57.
 */
#include "arch/x86_64_kaslr.h"

#include <string.h>

#include "arch/x86_64.h"

#define QEMU_STATE_VERSION	1
#define OFF_RSP			56
#define OFF_RIP			136
#define OFF_SEGMENTS		152
#define SEGMENT_SIZE		24
#define SEG_GDT			8
#define SEG_IDT			9
#define OFF_CR			392
#define MIN_STATE_SIZE		432	/* without kernel_gs_base */

#define CR3_ADDR_MASK		0x000ffffffffff000ULL
#define CR3_PTI_USER		(1ULL << 12)
#define CR4_LA57		(1ULL << 12)
#define GATE_PRESENT		(1U << 15)
#define MIN_ALIGN		(2ULL << 20)

static uint64_t get64(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint32_t get32(const unsigned char *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

struct kdk_error *x86_64_qemu_cpu_state(const void *desc, size_t len,
					struct x86_64_cpu_state *out)
{
	const unsigned char *p = desc;
	size_t idt = OFF_SEGMENTS + SEG_IDT * SEGMENT_SIZE;
	size_t gdt = OFF_SEGMENTS + SEG_GDT * SEGMENT_SIZE;
	uint32_t version, size;

	if (len < 8)
		return kdk_error(KDK_ERR_FORMAT, "QEMU CPU note of %zu bytes: "
				 "too short for its header", len);
	version = get32(p, 0);
	size = get32(p, 4);
	if (version != QEMU_STATE_VERSION)
		return kdk_error(KDK_ERR_FORMAT, "QEMU CPU note version %u, "
				 "not %d", version, QEMU_STATE_VERSION);
	if (size < MIN_STATE_SIZE || size > len)
		return kdk_error(KDK_ERR_FORMAT, "QEMU CPU note says %u bytes "
				 "of state in %zu bytes (at least %d expected)",
				 size, len, MIN_STATE_SIZE);
	*out = (struct x86_64_cpu_state){
		.rip = get64(p, OFF_RIP),
		.rsp = get64(p, OFF_RSP),
		.cr0 = get64(p, OFF_CR),
		.cr3 = get64(p, OFF_CR + 3 * 8),
		.cr4 = get64(p, OFF_CR + 4 * 8),
		.idt_base = get64(p, idt + 16),
		.idt_limit = get32(p, idt + 4),
		.gdt_base = get64(p, gdt + 16),
	};
	return NULL;
}

struct walk {
	arch_read_phys_fn *read;
	void *arg;
	uint64_t pgd;
	int levels;
};

static struct kdk_error *translate(const struct walk *w, uint64_t vaddr,
				   uint64_t *paddr)
{
	return x86_64_translate(w->read, w->arg, w->pgd, w->levels, vaddr,
				paddr);
}

/* The handler address in IDT gate 0, read through the IDT's mapping. */
static struct kdk_error *gate0_handler(const struct walk *w,
				       const struct x86_64_cpu_state *cpu,
				       uint64_t *handler)
{
	unsigned char gate[16];
	struct kdk_error *err;
	uint64_t idt;

	if (cpu->idt_limit < sizeof(gate) - 1)
		return kdk_error(KDK_ERR_NOT_FOUND, "the IDT limit is %u: no "
				 "IDT loaded", cpu->idt_limit);
	err = translate(w, cpu->idt_base, &idt);
	if (!err)
		err = w->read(w->arg, idt, gate, sizeof(gate));
	if (err)
		return kdk_error_wrap(err, "reading the IDT at %#llx",
				      (unsigned long long)cpu->idt_base);
	if (!(get32(gate, 4) >> 16 & GATE_PRESENT))
		return kdk_error(KDK_ERR_NOT_FOUND, "IDT gate 0 is not "
				 "present");
	*handler = (uint64_t)(get32(gate, 0) & 0xffff) |
		   (uint64_t)(get32(gate, 4) >> 16) << 16 |
		   (uint64_t)get32(gate, 8) << 32;
	return NULL;
}

static struct kdk_error *link_address(arch_symbol_fn *fn, void *arg,
				      const char *const *names,
				      const char **found, uint64_t *addr)
{
	for (; *names; names++) {
		struct kdk_error *err = fn(arg, *names, addr);

		if (!err) {
			*found = *names;
			return NULL;
		}
		if (err->code != KDK_ERR_NOT_FOUND)
			return err;
		kdk_error_free(err);
	}
	return kdk_error(KDK_ERR_NOT_FOUND, "the vmlinux has no divide-error "
			 "handler (asm_exc_divide_error, divide_error)");
}

/* The offset: from the IDTR itself if it points into the kernel image,
 * else from the handler in gate 0. */
static struct kdk_error *find_offset(const struct walk *w,
				     const struct x86_64_cpu_state *cpu,
				     arch_symbol_fn *fn, void *arg,
				     uint64_t idt_table, struct x86_64_kaslr *out)
{
	static const char *const handlers[] = {
		"asm_exc_divide_error", "divide_error", NULL,
	};
	struct kdk_error *err;
	uint64_t handler = 0, link = 0;

	if (cpu->idt_base >= X86_64_START_KERNEL_MAP) {
		out->kernel_offset = cpu->idt_base - idt_table;
		out->how = "idt_table (the IDTR)";
		return NULL;
	}
	err = gate0_handler(w, cpu, &handler);
	if (!err)
		err = link_address(fn, arg, handlers, &out->how, &link);
	if (err)
		return err;
	out->kernel_offset = handler - link;
	return NULL;
}

/* phys_base from where the page tables map a symbol of the image. */
static struct kdk_error *phys_base_of(const struct walk *w, const char *name,
				      uint64_t runtime, uint64_t *phys_base)
{
	struct kdk_error *err;
	uint64_t paddr;

	err = translate(w, runtime, &paddr);
	if (err)
		return kdk_error_wrap(err, "translating %s at %#llx", name,
				      (unsigned long long)runtime);
	*phys_base = paddr - (runtime - X86_64_START_KERNEL_MAP);
	return NULL;
}

static struct kdk_error *from_root(const struct walk *w,
				   const struct x86_64_cpu_state *cpu,
				   arch_symbol_fn *fn, void *arg,
				   struct x86_64_kaslr *out)
{
	uint64_t idt_table, stext, other, idt_paddr, table_paddr;
	struct kdk_error *err;

	err = fn(arg, "idt_table", &idt_table);
	if (err)
		return kdk_error_wrap(err, "idt_table");
	err = find_offset(w, cpu, fn, arg, idt_table, out);
	if (err)
		return err;
	if (out->kernel_offset % MIN_ALIGN)
		return kdk_error(KDK_ERR_FORMAT, "KASLR offset %#llx from %s "
				 "is not 2 MiB aligned: the vmlinux is not "
				 "this kernel's?",
				 (unsigned long long)out->kernel_offset,
				 out->how);
	err = phys_base_of(w, "idt_table", idt_table + out->kernel_offset,
			   &out->phys_base);
	if (err)
		return err;
	/* The IDT the CPU uses is idt_table's page, under whatever alias. */
	err = translate(w, cpu->idt_base, &idt_paddr);
	if (!err)
		err = translate(w, idt_table + out->kernel_offset,
				&table_paddr);
	if (err)
		return err;
	if (idt_paddr != table_paddr)
		return kdk_error(KDK_ERR_FORMAT, "the IDT is at physical %#llx "
				 "but idt_table + %#llx is at %#llx: the "
				 "vmlinux is not this kernel's?",
				 (unsigned long long)idt_paddr,
				 (unsigned long long)out->kernel_offset,
				 (unsigned long long)table_paddr);
	err = fn(arg, "_stext", &stext);
	if (err && err->code == KDK_ERR_NOT_FOUND) {
		kdk_error_free(err);
		return NULL;
	}
	if (!err)
		err = phys_base_of(w, "_stext", stext + out->kernel_offset,
				   &other);
	if (!err && other != out->phys_base)
		err = kdk_error(KDK_ERR_FORMAT, "phys_base is %#llx by "
				"idt_table but %#llx by _stext",
				(unsigned long long)out->phys_base,
				(unsigned long long)other);
	return err;
}

struct kdk_error *x86_64_kaslr_from_cpu(const struct x86_64_cpu_state *cpu,
					arch_read_phys_fn *read, void *read_arg,
					arch_symbol_fn *link_sym, void *sym_arg,
					struct x86_64_kaslr *out)
{
	struct walk w = {
		.read = read, .arg = read_arg,
		.pgd = cpu->cr3 & CR3_ADDR_MASK,
		.levels = cpu->cr4 & CR4_LA57 ? 5 : 4,
	};
	struct kdk_error *err;

	if (!(cpu->cr0 & 0x80000000) || !w.pgd)
		return kdk_error(KDK_ERR_NOT_FOUND, "paging is off on this CPU "
				 "(CR0 %#llx, CR3 %#llx): an offline or reset "
				 "CPU", (unsigned long long)cpu->cr0,
				 (unsigned long long)cpu->cr3);
	*out = (struct x86_64_kaslr){ .pgd = w.pgd, .levels = w.levels };
	err = from_root(&w, cpu, link_sym, sym_arg, out);
	/* a CPU in user mode under PTI has the user half loaded: the kernel
	 * half, which maps the kernel image, is 4 KiB below */
	if (err && err->code != KDK_ERR_NOMEM && (w.pgd & CR3_PTI_USER)) {
		kdk_error_free(err);
		w.pgd &= ~CR3_PTI_USER;
		*out = (struct x86_64_kaslr){ .pgd = w.pgd, .levels = w.levels };
		err = from_root(&w, cpu, link_sym, sym_arg, out);
	}
	return kdk_error_wrap(err, "KASLR from CR3 %#llx",
			      (unsigned long long)cpu->cr3);
}
