/* The arm64 page-table walk on tables built in memory: 4K pages with 4
 * levels and 1G/2M blocks, 64K pages with 3 levels and 512M blocks, the
 * linear map's ptov, and addresses outside the kernel's half. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "fake-phys.h"
#include "tap.h"
#include "vtop-expect.h"

#define VALID 0x1ULL
#define TABLE 0x3ULL		/* table, or page at the last level */
#define BLOCK 0x1ULL
#define AF 0x400ULL
#define KIMAGE_VOFFSET 0xffff7fffc0000000ULL
#define PGD_VADDR 0xffff800009000000ULL	/* swapper_pg_dir */
#define PGD_PADDR (PGD_VADDR - KIMAGE_VOFFSET)

struct fake_mem {
	struct fake_phys phys;
	uint64_t next_table;
	int page_shift, levels, va_bits;
};

/* Map vaddr to paddr with a page or block of 1 << shift bytes, in the
 * tables whose top is at root. */
static void map_in(struct fake_mem *m, uint64_t root, uint64_t vaddr,
		   uint64_t paddr, int shift)
{
	uint64_t table = root;
	int ps = m->page_shift;

	for (int lvl = 0; lvl < m->levels; lvl++) {
		int s = ps + (ps - 3) * (m->levels - 1 - lvl);
		int bits = lvl == 0 ? m->va_bits - s : ps - 3;
		unsigned idx = (vaddr >> s) & ((1ULL << bits) - 1);
		uint64_t *e = (uint64_t *)fake_page(&m->phys, table, true) + idx;

		if (s == shift) {
			*e = paddr | AF | (s == ps ? TABLE : BLOCK);
			return;
		}
		if (!(*e & VALID)) {
			*e = m->next_table | TABLE;
			m->next_table += 1ULL << ps;
		}
		table = *e & 0x0000fffffffff000ULL & ~((1ULL << ps) - 1);
	}
}

static void map(struct fake_mem *m, uint64_t vaddr, uint64_t paddr, int shift)
{
	map_in(m, PGD_PADDR, vaddr, paddr, shift);
}

static struct arch *open_arm64(struct fake_mem *m, const char *text,
			       struct vmcoreinfo **vi)
{
	struct arch_context ctx = { .read_phys = fake_phys_read,
				    .read_arg = &m->phys,
				    .page_size = 65536 };
	struct kdk_error *err;
	struct arch *a = NULL;

	err = vmcoreinfo_parse(text, strlen(text), vi);
	ok(!err, "VMCOREINFO parses");
	ctx.vmcoreinfo = *vi;
	/* QEMU's arm64 kdump headers say "Unknown": VMCOREINFO tells. */
	err = arch_open("Unknown", &ctx, &a);
	ok(!err, "arch_open finds arm64%s%s", err ? ": " : "",
	   err ? err->msg : "");
	kdk_error_free(err);
	return a;
}

static void expect_error(struct arch *a, uint64_t vaddr, const char *msg)
{
	struct arch_vtop vt;
	struct kdk_error *err = arch_vtop(a, vaddr, &vt);

	is_str(err ? err->msg : NULL, msg, "%#llx: error",
	       (unsigned long long)vaddr);
	kdk_error_free(err);
}

/* A task's TTBR0 tables (mm->pgd) beside the kernel's: the low half
 * only, a tagged pointer's top byte ignored (TBI0). */
static void test_user_4k(struct fake_mem *m, struct arch *a)
{
	const uint64_t root = 0x41000000;
	struct arch_vtop vt;
	struct kdk_error *err;

	fake_page(&m->phys, root, true);
	map_in(m, root, 0xffffe57f4000ULL, 0x41e81000, 12);
	map_in(m, root, 0x400000, 0x42000000, 21);
	err = arch_uvtop(a, root, 0xffffe57f4f83ULL, &vt);
	ok(!err && vt.paddr == 0x41e81f83 && vt.page_size == 4096 &&
	   vt.nsteps == 4 && vt.steps[0].table == root,
	   "user 4K page through the task's tables");
	kdk_error_free(err);
	err = arch_uvtop(a, root, 0x0b00ffffe57f4f83ULL, &vt);
	ok(!err && vt.paddr == 0x41e81f83, "a tagged user pointer");
	kdk_error_free(err);
	err = arch_uvtop(a, root, 0x412345, &vt);
	ok(!err && vt.paddr == 0x42012345 && vt.page_size == 2 << 20,
	   "user 2M block");
	kdk_error_free(err);
	err = arch_uvtop(a, root, 0x800000, &vt);
	is_str(err ? err->msg : NULL, "PMD entry not present",
	       "a hole in the task's space");
	kdk_error_free(err);
	err = arch_uvtop(a, root, 0xffff800008010000ULL, &vt);
	is_str(err ? err->msg : NULL, "not a user address (user space ends "
	       "at 0x1000000000000)", "a kernel address is not the task's");
	kdk_error_free(err);
	ok(arch_addr_kind(a, 0xffffe57f4f83ULL) == ARCH_ADDR_USER &&
	   arch_addr_kind(a, 0xffff800008010000ULL) == ARCH_ADDR_KERNEL &&
	   arch_addr_kind(a, 0x0001000000000000ULL) == ARCH_ADDR_NEITHER,
	   "user below 1 << 48, kernel from ~0 << 48, between neither");
}

static void test_4k(void)
{
	struct fake_mem m = { .next_table = 0x40100000, .page_shift = 12,
			      .phys.page_size = 1ULL << 12,
			      .levels = 4, .va_bits = 48 };
	static const char text[] =
		"PAGESIZE=4096\n"
		"NUMBER(VA_BITS)=48\n"
		"NUMBER(TCR_EL1_T1SZ)=0x10\n"
		"NUMBER(kimage_voffset)=0xffff7fffc0000000\n"
		"NUMBER(PHYS_OFFSET)=0x40000000\n"
		"SYMBOL(swapper_pg_dir)=ffff800009000000\n";
	struct vmcoreinfo *vi = NULL;
	struct arch_layout l;
	struct arch_vtop vt;
	uint64_t v = 0;
	struct arch *a;

	fake_page(&m.phys, PGD_PADDR, true);
	map(&m, 0xffff800008010000ULL, 0x48010000ULL, 12);
	map(&m, 0xffff800008200000ULL, 0x48200000ULL, 21);
	map(&m, 0xffff000000000000ULL, 0x40000000ULL, 30);
	a = open_arm64(&m, text, &vi);
	if (!a)
		goto out;
	expect_paddr(a, 0xffff800008010123ULL, 0x48010123, 4096, "4K page");
	expect_paddr(a, 0xffff8000082abcdeULL, 0x482abcde, 2 << 20,
		     "2M block");
	expect_paddr(a, 0xffff000012345678ULL, 0x52345678, 1 << 30,
		     "1G block of the linear map");
	ok(!arch_vtop(a, 0xffff800008010000ULL, &vt) && vt.nsteps == 4 &&
	   strcmp(vt.steps[1].level, "PUD") == 0, "4 levels, PGD..PTE");
	expect_error(a, 0xffff800008011000ULL, "PTE entry not present");
	expect_error(a, 0xffff900000000000ULL, "PGD entry not present");
	expect_error(a, 0xffff800100000000ULL, "PUD entry not present");
	expect_error(a, 0x0000800000000000ULL, "not a kernel address (the "
		     "kernel's tables start at 0xffff000000000000)");
	ok(!arch_ptov(a, 0x52345678, &v) && v == 0xffff000012345678ULL,
	   "ptov through the linear map");
	test_user_4k(&m, a);
	arch_layout(a, &l);
	ok(l.levels == 4 && l.direct_map == 0xffff000000000000ULL,
	   "layout: 4 levels, PAGE_OFFSET");
	arch_close(a);
out:
	vmcoreinfo_free(vi);
	fake_phys_free(&m.phys);
}

static void test_64k(void)
{
	struct fake_mem m = { .next_table = 0x40100000, .page_shift = 16,
			      .phys.page_size = 1ULL << 16,
			      .levels = 3, .va_bits = 48 };
	static const char text[] =
		"PAGESIZE=65536\n"
		"NUMBER(VA_BITS)=48\n"
		"NUMBER(kimage_voffset)=0xffff7fffc0000000\n"
		"NUMBER(PHYS_OFFSET)=0xffffb87300000000\n"
		"SYMBOL(swapper_pg_dir)=ffff800009000000\n";
	struct vmcoreinfo *vi = NULL;
	struct arch_vtop vt;
	uint64_t v = 0;
	struct arch *a;

	fake_page(&m.phys, PGD_PADDR, true);
	map(&m, 0xffff800008010000ULL, 0x48010000ULL, 16);
	map(&m, 0xffff800020000000ULL, 0x60000000ULL, 29);
	a = open_arm64(&m, text, &vi);
	if (!a)
		goto out;
	expect_paddr(a, 0xffff80000801fff8ULL, 0x4801fff8, 65536,
		     "64K page");
	expect_paddr(a, 0xffff80002abcdef0ULL, 0x6abcdef0, 512 << 20,
		     "512M block");
	ok(!arch_vtop(a, 0xffff800008010000ULL, &vt) && vt.nsteps == 3 &&
	   strcmp(vt.steps[1].level, "PMD") == 0, "3 levels, PGD PMD PTE");
	/* A "negative" PHYS_OFFSET, as linear-map randomization makes it. */
	ok(!arch_ptov(a, 0x7fdcf380, &v) && v == 0xffff478d7fdcf380ULL,
	   "ptov with a negative PHYS_OFFSET");
	arch_close(a);
out:
	vmcoreinfo_free(vi);
	fake_phys_free(&m.phys);
}

int main(void)
{
	test_4k();
	test_64k();
	return tap_done();
}
