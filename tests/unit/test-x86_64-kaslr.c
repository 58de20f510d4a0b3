/* x86_64 KASLR from CPU state on page tables built in memory: QEMU's CPU
 * note decoded, the offset from IDT gate 0 when the IDTR points at the CPU
 * entry area (Linux >= 4.15) and from the IDTR when it points at idt_table
 * (older kernels), the kernel half of a PTI CR3 pair, and the refusals. The
 * lab dumps test the same on real kernels (tests/target/test_kaslr_from_cpu.py). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64_kaslr.h"
#include "fake-phys.h"
#include "tap.h"

#define PAGE 4096
#define PTE 0x3ULL		/* present, writable */
#define SKM 0xffffffff80000000ULL
#define CEA_IDT 0xfffffe0000000000ULL

#define KERNEL_PGD 0x100000ULL
#define USER_PGD (KERNEL_PGD + PAGE)
#define OFFSET 0x39800000ULL		/* the KASLR offset to find */
#define PHYS_BASE 0xffffffffe0000000ULL	/* negative, as in the lab */
#define LINK_STEXT 0xffffffff81000000ULL
#define LINK_HANDLER 0xffffffff81c00990ULL
#define LINK_IDT 0xffffffff832b4000ULL

struct fake_mem {
	struct fake_phys phys;
	uint64_t next_table;
};

/* Map the 4K page at vaddr to paddr under the 4-level tables at pgd. */
static void map(struct fake_mem *m, uint64_t pgd, uint64_t vaddr,
		uint64_t paddr)
{
	uint64_t table = pgd;

	for (int lvl = 0; lvl < 4; lvl++) {
		int shift = 39 - 9 * lvl;
		uint64_t *e = (uint64_t *)fake_page(&m->phys, table, true) +
			      ((vaddr >> shift) & 511);

		if (lvl == 3) {
			*e = (paddr & ~(uint64_t)(PAGE - 1)) | PTE;
			return;
		}
		if (!*e) {
			*e = m->next_table | PTE;
			m->next_table += PAGE;
		}
		table = *e & 0x000ffffffffff000ULL;
	}
}

static uint64_t pa_symbol(uint64_t link)
{
	return link + OFFSET - SKM + PHYS_BASE;
}

/* A kernel with PTI: the kernel half maps the image and the CPU entry
 * area, the user half the entry area only; gate 0 -> the handler. */
static void build(struct fake_mem *m)
{
	uint64_t handler = LINK_HANDLER + OFFSET;
	unsigned char *gate;

	m->next_table = 0x200000;
	map(m, KERNEL_PGD, LINK_STEXT + OFFSET, pa_symbol(LINK_STEXT));
	map(m, KERNEL_PGD, LINK_IDT + OFFSET, pa_symbol(LINK_IDT));
	map(m, KERNEL_PGD, LINK_IDT + OFFSET + PAGE, pa_symbol(LINK_IDT + PAGE));
	map(m, KERNEL_PGD, CEA_IDT, pa_symbol(LINK_IDT));
	map(m, USER_PGD, CEA_IDT, pa_symbol(LINK_IDT));
	gate = fake_page(&m->phys, pa_symbol(LINK_IDT), true);
	gate[0] = handler & 0xff;
	gate[1] = handler >> 8 & 0xff;
	gate[2] = 0x10;				/* __KERNEL_CS */
	gate[5] = 0x8e;				/* present, interrupt gate */
	gate[6] = handler >> 16 & 0xff;
	gate[7] = handler >> 24 & 0xff;
	memcpy(gate + 8, (uint32_t[]){ handler >> 32 }, 4);
}

struct sym { const char *name; uint64_t addr; };

static struct sym syms[] = {
	{ "_stext", LINK_STEXT },
	{ "asm_exc_divide_error", LINK_HANDLER },
	{ "idt_table", LINK_IDT },
	{ NULL, 0 },
};

static struct kdk_error *lookup(void *arg, const char *name, uint64_t *addr)
{
	for (struct sym *s = arg; s->name; s++)
		if (strcmp(s->name, name) == 0) {
			*addr = s->addr;
			return NULL;
		}
	return kdk_error(KDK_ERR_NOT_FOUND, "no symbol %s", name);
}

static struct x86_64_cpu_state cpu(uint64_t cr3, uint64_t idt)
{
	return (struct x86_64_cpu_state){
		.cr0 = 0x80050033, .cr3 = cr3, .cr4 = 0x3606f0,
		.idt_base = idt, .idt_limit = 4095,
	};
}

static void test_note(void)
{
	unsigned char blob[440] = { 0 };
	struct x86_64_cpu_state st;
	struct kdk_error *err;

	memcpy(blob, (uint32_t[]){ 1, 440 }, 8);
	memcpy(blob + 136, (uint64_t[]){ 0xffffffff81234567ULL }, 8);
	memcpy(blob + 152 + 9 * 24 + 4, (uint32_t[]){ 4095 }, 4);
	memcpy(blob + 152 + 9 * 24 + 16, (uint64_t[]){ CEA_IDT }, 8);
	memcpy(blob + 392 + 3 * 8, (uint64_t[]){ KERNEL_PGD | 5 }, 8);
	memcpy(blob + 392 + 4 * 8, (uint64_t[]){ 0x1000 }, 8);
	err = x86_64_qemu_cpu_state(blob, sizeof(blob), &st);
	ok(!err, "a QEMUCPUState of 440 bytes decodes");
	ok(st.rip == 0xffffffff81234567ULL && st.cr3 == (KERNEL_PGD | 5) &&
	   st.cr4 == 0x1000 && st.idt_base == CEA_IDT && st.idt_limit == 4095,
	   "rip, cr3, cr4 and the IDT are where arch_dump.c puts them");
	err = x86_64_qemu_cpu_state(blob, 432, &st);
	ok(err && strstr(err->msg, "says 440 bytes"), "a cut note: %s",
	   err ? err->msg : "no error");
	kdk_error_free(err);
	memcpy(blob, (uint32_t[]){ 2 }, 4);
	err = x86_64_qemu_cpu_state(blob, sizeof(blob), &st);
	ok(err && strstr(err->msg, "version 2"), "another version: %s",
	   err ? err->msg : "no error");
	kdk_error_free(err);
	err = x86_64_qemu_cpu_state(blob, 4, &st);
	ok(err != NULL, "4 bytes are no note");
	kdk_error_free(err);
}

static void expect(struct fake_mem *m, struct x86_64_cpu_state st,
		   struct sym *s, const char *how, const char *what)
{
	struct x86_64_kaslr k;
	struct kdk_error *err = x86_64_kaslr_from_cpu(&st, fake_phys_read,
						      &m->phys, lookup, s, &k);

	ok(!err && k.kernel_offset == OFFSET && k.phys_base == PHYS_BASE &&
	   k.pgd == KERNEL_PGD && strcmp(k.how, how) == 0, "%s", what);
	if (err)
		printf("#   %s\n", err->msg);
	kdk_error_free(err);
}

static void refuse(struct fake_mem *m, struct x86_64_cpu_state st,
		   struct sym *s, const char *want, const char *what)
{
	struct x86_64_kaslr k;
	struct kdk_error *err = x86_64_kaslr_from_cpu(&st, fake_phys_read,
						      &m->phys, lookup, s, &k);

	ok(err && strstr(err->msg, want), "%s: %s", what,
	   err ? err->msg : "no error");
	kdk_error_free(err);
}

int main(void)
{
	struct fake_mem m = { .phys.page_size = PAGE };
	struct sym shifted[4];

	test_note();
	build(&m);
	expect(&m, cpu(KERNEL_PGD | 5 | 1ULL << 63, CEA_IDT), syms,
	       "asm_exc_divide_error",
	       "IDTR in the CPU entry area: the offset from gate 0");
	expect(&m, cpu(USER_PGD | 5, CEA_IDT), syms, "asm_exc_divide_error",
	       "the user half of a PTI pair: the kernel half is used");
	expect(&m, cpu(KERNEL_PGD, LINK_IDT + OFFSET), syms,
	       "idt_table (the IDTR)",
	       "IDTR at idt_table (before 4.15): the offset from it");
	refuse(&m, (struct x86_64_cpu_state){ 0 }, syms, "paging is off",
	       "an offline vCPU");
	memcpy(shifted, syms, sizeof(shifted));
	shifted[2].addr += PAGE;
	refuse(&m, cpu(KERNEL_PGD, CEA_IDT), shifted, "not this kernel's",
	       "idt_table of another build");
	memcpy(shifted, syms, sizeof(shifted));
	shifted[1].addr += 0x1000;
	refuse(&m, cpu(KERNEL_PGD, CEA_IDT), shifted, "not 2 MiB aligned",
	       "a handler of another build");
	refuse(&m, cpu(KERNEL_PGD, CEA_IDT), syms + 2 + 1, "idt_table",
	       "no idt_table in the vmlinux");
	memcpy(shifted, syms, sizeof(shifted));
	shifted[0].addr += 2 << 20;
	refuse(&m, cpu(KERNEL_PGD, CEA_IDT), shifted, "translating _stext",
	       "_stext where nothing is mapped");
	map(&m, KERNEL_PGD, shifted[0].addr + OFFSET, 0x5000000);
	refuse(&m, cpu(KERNEL_PGD, CEA_IDT), shifted, "by _stext",
	       "_stext mapped elsewhere than phys_base says");
	fake_phys_free(&m.phys);
	return tap_done();
}
