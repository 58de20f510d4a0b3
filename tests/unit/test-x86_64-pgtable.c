/* The x86_64 page-table walk on tables built in memory: 4 and 5 levels,
 * 4K/2M/1G pages, the SME bit, the PAT bit of large pages, entries not
 * present, non-canonical addresses, and finding the direct map. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "fake-phys.h"
#include "tap.h"
#include "vtop-expect.h"

#define PAGE 4096
#define P 0x1ULL
#define RW 0x2ULL
#define PSE 0x80ULL
#define PAT_LARGE 0x1000ULL
#define PHYS_BASE 0x1000000ULL
#define PGD_PADDR (0x2a10000ULL + PHYS_BASE)	/* init_top_pgt below */

struct fake_mem {
	struct fake_phys phys;
	uint64_t next_table;
	int levels;
	uint64_t entry_bits;	/* added to every entry (SME) */
};

static uint64_t *entry_at(struct fake_mem *m, uint64_t table, unsigned idx)
{
	return (uint64_t *)fake_page(&m->phys, table, true) + idx;
}

/* Map vaddr to paddr with a page of 1 << shift bytes (12, 21 or 30) in
 * the tables whose top is at root. */
static void map_in(struct fake_mem *m, uint64_t root, uint64_t vaddr,
		   uint64_t paddr, int shift, uint64_t extra)
{
	uint64_t table = root;

	for (int lvl = 0; lvl < m->levels; lvl++) {
		int s = 12 + 9 * (m->levels - 1 - lvl);
		uint64_t *e = entry_at(m, table, (vaddr >> s) & 511);

		if (s == shift) {
			*e = paddr | P | RW | (s > 12 ? PSE : 0) | extra |
			     m->entry_bits;
			return;
		}
		if (!(*e & P)) {
			*e = m->next_table | P | RW | m->entry_bits;
			m->next_table += PAGE;
		}
		table = *e & 0x000ffffffffff000ULL & ~m->entry_bits;
	}
}

static void map(struct fake_mem *m, uint64_t vaddr, uint64_t paddr, int shift,
		uint64_t extra)
{
	map_in(m, PGD_PADDR, vaddr, paddr, shift, extra);
}

static struct arch *open_x86(struct fake_mem *m, const char *vmcoreinfo_text,
			     struct vmcoreinfo **vi)
{
	struct arch_context ctx = { .read_phys = fake_phys_read,
				    .read_arg = &m->phys };
	struct kdk_error *err;
	struct arch *a = NULL;

	err = vmcoreinfo_parse(vmcoreinfo_text, strlen(vmcoreinfo_text), vi);
	ok(!err, "VMCOREINFO parses");
	ctx.vmcoreinfo = *vi;
	err = arch_open("x86_64", &ctx, &a);
	ok(!err, "arch_open x86_64%s%s", err ? ": " : "", err ? err->msg : "");
	kdk_error_free(err);
	return a;
}

static void expect_error(struct arch *a, uint64_t vaddr, const char *msg,
			 int nsteps)
{
	struct arch_vtop vt;
	struct kdk_error *err = arch_vtop(a, vaddr, &vt);

	ok(err && err->code == KDK_ERR_NOT_PRESENT, "%#llx does not translate",
	   (unsigned long long)vaddr);
	is_str(err ? err->msg : NULL, msg, "%#llx: message",
	       (unsigned long long)vaddr);
	ok(vt.nsteps == nsteps, "%#llx: %d levels walked (got %d)",
	   (unsigned long long)vaddr, nsteps, vt.nsteps);
	kdk_error_free(err);
}

static const char vmcoreinfo_l4[] =
	"SYMBOL(init_top_pgt)=ffffffff82a10000\n"
	"NUMBER(phys_base)=16777216\n"
	"NUMBER(pgtable_l5_enabled)=0\n"
	"KERNELOFFSET=0\n";

static void test_four_levels(void)
{
	struct fake_mem m = { .phys.page_size = PAGE, .next_table = 0x100000,
			      .levels = 4 };
	/* KASLR moved the direct map up by 5G + 64 * 512G. */
	uint64_t direct = 0xffff888000000000ULL + (64ULL << 39) + (5ULL << 30);
	struct vmcoreinfo *vi = NULL;
	struct arch_layout l;
	struct arch_vtop vt;
	struct arch *a;

	fake_page(&m.phys, PGD_PADDR, true);
	map(&m, 0xffffc90000001000ULL, 0x5000, 12, 0);
	map(&m, 0xffffc90000002000ULL, 0x7000, 12, 0);
	map(&m, 0xffffffff81000000ULL, 0x2000000, 21, PAT_LARGE);
	map(&m, direct, 0, 30, 0);
	map(&m, direct + (1ULL << 30), 1ULL << 30, 30, 0);
	a = open_x86(&m, vmcoreinfo_l4, &vi);
	if (!a)
		goto out;
	expect_paddr(a, 0xffffc90000001234ULL, 0x5234, 4096, "4K page");
	expect_paddr(a, 0xffffc90000002ff8ULL, 0x7ff8, 4096, "next 4K page");
	expect_paddr(a, 0xffffffff81123456ULL, 0x2123456, 2 << 20,
		     "2M page, PAT bit ignored");
	expect_paddr(a, direct + 0x40001234, 0x40001234, 1 << 30, "1G page");
	ok(!arch_vtop(a, 0xffffc90000001000ULL, &vt) && vt.nsteps == 4 &&
	   strcmp(vt.steps[0].level, "PGD") == 0 &&
	   strcmp(vt.steps[3].level, "PTE") == 0 &&
	   vt.steps[0].table == PGD_PADDR, "4K walk reports PGD..PTE");
	expect_error(a, 0xffffc90000200000ULL, "PMD entry not present", 3);
	expect_error(a, 0xffffc90000003000ULL, "PTE entry not present", 4);
	expect_error(a, 0xffffd00000000000ULL, "PGD entry not present", 1);
	expect_error(a, 0x0000900000000000ULL,
		     "not a canonical address (4-level paging)", 0);
	arch_layout(a, &l);
	ok(l.direct_map_known && l.direct_map == direct,
	   "direct map found at %#llx (got %#llx)",
	   (unsigned long long)direct, (unsigned long long)l.direct_map);
	ok(l.levels == 4 && l.phys_base == PHYS_BASE, "levels and phys_base");
	arch_close(a);
out:
	vmcoreinfo_free(vi);
	fake_phys_free(&m.phys);
}

static const char vmcoreinfo_l5[] =
	"SYMBOL(init_top_pgt)=ffffffff82a10000\n"
	"NUMBER(phys_base)=16777216\n"
	"NUMBER(pgtable_l5_enabled)=1\n"
	"NUMBER(sme_mask)=140737488355328\n";	/* bit 47 */

static void test_five_levels_sme(void)
{
	struct fake_mem m = { .phys.page_size = PAGE, .next_table = 0x100000,
			      .levels = 5,
			      .entry_bits = 1ULL << 47 };
	struct vmcoreinfo *vi = NULL;
	struct arch_vtop vt;
	struct arch *a;

	fake_page(&m.phys, PGD_PADDR, true);
	map(&m, 0xff11000000000000ULL, 0, 30, 0);
	map(&m, 0xffa0000000005000ULL, 0x9000, 12, 0);
	map(&m, 0xffffffff81000000ULL, 0x2000000, 21, 0);
	a = open_x86(&m, vmcoreinfo_l5, &vi);
	if (!a)
		goto out;
	expect_paddr(a, 0xffa0000000005010ULL, 0x9010, 4096,
		     "5-level 4K page, SME bit stripped");
	expect_paddr(a, 0xffffffff81000008ULL, 0x2000008, 2 << 20,
		     "5-level 2M page");
	ok(!arch_vtop(a, 0xffa0000000005000ULL, &vt) && vt.nsteps == 5 &&
	   strcmp(vt.steps[1].level, "P4D") == 0, "5-level walk has a P4D");
	expect_error(a, 0x0100000000000000ULL,
		     "not a canonical address (5-level paging)", 0);
	expect_error(a, 0xff80000000000000ULL, "PGD entry not present", 1);
	/* 4-level's direct map shares its PGD entry with the kernel text. */
	expect_error(a, 0xffff888000000000ULL, "P4D entry not present", 2);
	arch_close(a);
out:
	vmcoreinfo_free(vi);
	fake_phys_free(&m.phys);
}

static void test_missing_tables(void)
{
	struct fake_mem m = { .phys.page_size = PAGE, .next_table = 0x100000,
			      .levels = 4 };
	struct vmcoreinfo *vi = NULL;
	struct arch_context ctx = { .read_phys = fake_phys_read,
				    .read_arg = &m.phys };
	struct kdk_error *err;
	struct arch *a = NULL;

	vmcoreinfo_parse("PAGESIZE=4096\n", 14, &vi);
	ctx.vmcoreinfo = vi;
	err = arch_open("x86_64", &ctx, &a);
	ok(err && err->code == KDK_ERR_NOT_FOUND,
	   "no init_top_pgt in VMCOREINFO: refused");
	kdk_error_free(err);
	vmcoreinfo_free(vi);
	vmcoreinfo_parse(vmcoreinfo_l4, strlen(vmcoreinfo_l4), &vi);
	ctx.vmcoreinfo = vi;
	err = arch_open("x86_64", &ctx, &a);
	ok(err && strstr(err->msg, "init_top_pgt at 0xffffffff82a10000"),
	   "page tables not in the dump: says where they were looked for");
	kdk_error_free(err);
	vmcoreinfo_free(vi);
	ctx.vmcoreinfo = NULL;
	err = arch_open("sparc64", &ctx, &a);
	ok(err && err->code == KDK_ERR_NOT_BUILT, "unknown machine refused");
	kdk_error_free(err);
}

/* A task's own tables (mm->pgd), walked from their root: the user half
 * only, 4K and 2M pages, holes, and which addresses are whose. */
static void test_user_tables(void)
{
	struct fake_mem m = { .phys.page_size = PAGE, .next_table = 0x100000,
			      .levels = 4 };
	const uint64_t root = 0x3000000;
	struct vmcoreinfo *vi = NULL;
	struct arch_vtop vt;
	struct kdk_error *err;
	struct arch *a;

	fake_page(&m.phys, PGD_PADDR, true);
	fake_page(&m.phys, root, true);
	map(&m, 0xffffffff81000000ULL, 0x2000000, 21, 0);
	map_in(&m, root, 0x400000, 0x29bc000, 12, 0);
	map_in(&m, root, 0x7ffe3f800000ULL, 0x4200000, 21, 0);
	a = open_x86(&m, vmcoreinfo_l4, &vi);
	if (!a)
		goto out;
	err = arch_uvtop(a, root, 0x400123, &vt);
	ok(!err && vt.paddr == 0x29bc123 && vt.page_size == 4096 &&
	   vt.nsteps == 4 && vt.steps[0].table == root &&
	   strcmp(vt.steps[3].level, "PTE") == 0,
	   "user 4K page through the task's PGD..PTE");
	kdk_error_free(err);
	err = arch_uvtop(a, root, 0x7ffe3f991f83ULL, &vt);
	ok(!err && vt.paddr == 0x4200000 + 0x191f83 &&
	   vt.page_size == 2 << 20, "user 2M page");
	kdk_error_free(err);
	err = arch_vtop(a, 0x400123, &vt);
	ok(err && err->code == KDK_ERR_NOT_PRESENT,
	   "the kernel's tables do not map the task's page");
	kdk_error_free(err);
	err = arch_uvtop(a, root, 0x401000, &vt);
	is_str(err ? err->msg : NULL, "PTE entry not present",
	       "a hole in the task's space");
	kdk_error_free(err);
	err = arch_uvtop(a, root, 0xffffffff81000000ULL, &vt);
	is_str(err ? err->msg : NULL, "not a user address (4-level paging)",
	       "a kernel address is not walked from the task's root");
	kdk_error_free(err);
	ok(arch_addr_kind(a, 0x7fffffffffffULL) == ARCH_ADDR_USER &&
	   arch_addr_kind(a, 0xffff800000000000ULL) == ARCH_ADDR_KERNEL &&
	   arch_addr_kind(a, 0x0000800000000000ULL) == ARCH_ADDR_NEITHER,
	   "user below 1 << 47, kernel from the top half, the hole neither");
	arch_close(a);
out:
	vmcoreinfo_free(vi);
	fake_phys_free(&m.phys);
}

int main(void)
{
	test_four_levels();
	test_five_levels_sme();
	test_user_tables();
	test_missing_tables();
	return tap_done();
}
