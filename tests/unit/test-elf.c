/* A tiny ELF vmcore built here: overlapping segments (as /proc/vmcore maps
 * the kernel text twice), a segment whose file size is less than its memory
 * size (makedumpfile -E), a segment ending inside a page, and notes. Then
 * a tiny /proc/kcore (fs/proc/kcore.c's layout) copied to a file. */
#include <elf.h>
#include <stdlib.h>
#include <unistd.h>

#include "dump/dump.h"
#include "tap.h"

#define N_PHDR 4
#define NOTE_OFF (sizeof(Elf64_Ehdr) + N_PHDR * sizeof(Elf64_Phdr))
#define DATA_OFF 0x1000

static const char vmcoreinfo[] = "OSRELEASE=6.1.0-elf\nPAGESIZE=4096\n";

struct image {
	unsigned char buf[DATA_OFF + 0x4000 + 0x800];
	size_t len;
};

/* Byte at physical address a, as the file holds it. */
static unsigned char byte_at(uint64_t a)
{
	return (unsigned char)(a * 7 + (a >> 12));
}

static size_t put_note(unsigned char *p, const char *name, uint32_t type,
		       const void *desc, uint32_t descsz)
{
	uint32_t hdr[3] = { strlen(name) + 1, descsz, type };
	size_t name_len = (hdr[0] + 3) & ~3u;

	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 12, name, hdr[0]);
	memcpy(p + 12 + name_len, desc, descsz);
	return 12 + name_len + ((descsz + 3) & ~3u);
}

static void build(struct image *im)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)im->buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(im->buf + sizeof(*eh));
	unsigned char prstatus[336] = { 0 };
	size_t notes = 0, off = DATA_OFF;
	int32_t pid = 7;

	memset(im->buf, 0, sizeof(im->buf));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = N_PHDR;
	memcpy(prstatus + 32, &pid, 4);
	notes += put_note(im->buf + NOTE_OFF, "CORE", 1, prstatus, sizeof(prstatus));
	notes += put_note(im->buf + NOTE_OFF + notes, "VMCOREINFO", 0, vmcoreinfo,
			  sizeof(vmcoreinfo) - 1);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = NOTE_OFF,
			      .p_filesz = notes };
	/* [0x2000, 0x5000): the first 0x1000 bytes in the file */
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_paddr = 0x2000,
			      .p_offset = off, .p_filesz = 0x1000, .p_memsz = 0x3000 };
	/* [0x1000, 0x3000), overlapping the start of the one above */
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_paddr = 0x1000,
			      .p_offset = off + 0x1000, .p_filesz = 0x2000,
			      .p_memsz = 0x2000 };
	/* [0x10000, 0x10800): half a page */
	ph[3] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_paddr = 0x10000,
			      .p_offset = off + 0x3000, .p_filesz = 0x800,
			      .p_memsz = 0x800 };
	for (int i = 1; i < N_PHDR; i++)
		for (uint64_t a = 0; a < ph[i].p_filesz; a++)
			im->buf[ph[i].p_offset + a] = byte_at(ph[i].p_paddr + a);
	im->len = off + 0x3800;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(buf, 1, len, f);
	fclose(f);
}

static void expect_error(struct dump *d, uint64_t paddr, size_t len,
			 const char *msg)
{
	unsigned char buf[0x2000];
	struct kdk_error *err = dump_read_phys(d, paddr, buf, len);

	ok(err && err->code == KDK_ERR_NOT_PRESENT, "%#llx+%#zx: not present",
	   (unsigned long long)paddr, len);
	is_str(err ? err->msg : NULL, msg, "%#llx+%#zx: message",
	       (unsigned long long)paddr, len);
	kdk_error_free(err);
}

static bool reads_as_file(struct dump *d, uint64_t paddr, size_t len)
{
	unsigned char buf[0x2000];
	struct kdk_error *err = dump_read_phys(d, paddr, buf, len);

	if (err) {
		printf("# %s\n", err->msg);
		kdk_error_free(err);
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if (buf[i] != byte_at(paddr + i))
			return false;
	return true;
}

static void check_dump(const char *path)
{
	struct dump_page_counts c;
	struct dump_prstatus pr;
	const struct dump_range *r;
	struct dump *d;
	size_t n;

	if (dump_open(path, &d)) {
		ok(0, "opens");
		return;
	}
	ok(strcmp(dump_facts(d)->format, "ELF") == 0 &&
	   strcmp(dump_facts(d)->machine, "x86_64") == 0 &&
	   dump_facts(d)->page_size == 4096, "facts");
	ok(reads_as_file(d, 0x1000, 0x2000), "the overlapping segments read");
	ok(reads_as_file(d, 0x10000, 0x800), "the half page reads");
	expect_error(d, 0x3000, 16, "physical address 0x3000: excluded from the "
		     "dump (past its ELF segment's file size)");
	expect_error(d, 0x0, 16, "physical address 0x0: not in the dump");
	expect_error(d, 0x107f0, 0x20, "physical address 0x10800: not in the dump");
	expect_error(d, 0x5000, 16, "physical address 0x5000: not in the dump");
	r = dump_ranges(d, &n);
	ok(n == 2 && r[0].start == 0x1000 && r[0].end == 0x5000 &&
	   r[1].start == 0x10000 && r[1].end == 0x10800, "ranges merged");
	ok(!dump_count_pages(d, &c) && c.in_memory == 5 && c.present == 3 &&
	   c.excluded == 2 && !c.has_zero, "page counts (%llu in memory, %llu "
	   "present)", (unsigned long long)c.in_memory,
	   (unsigned long long)c.present);
	ok(dump_cpu_count(d) == 1 && !dump_cpu_prstatus(d, 0, &pr) && pr.pid == 7,
	   "one CPU note");
	is_str(dump_vmcoreinfo_get(d, "OSRELEASE"), "6.1.0-elf",
	       "VMCOREINFO from the note");
	ok(dump_problem_count(d) == 0, "no problems");
	dump_close(d);
}

static void check_truncated(const char *path, const struct image *im)
{
	struct kdk_error *err;
	struct dump *d;

	write_file(path, im->buf, im->len - 0x400);
	ok(!dump_open(path, &d), "truncated in the data: opens");
	ok(dump_problem_count(d) == 1 && strstr(dump_problem(d, 0), "truncated"),
	   "says it is truncated: %s", dump_problem(d, 0) ? dump_problem(d, 0) : "");
	ok(reads_as_file(d, 0x1000, 0x2000), "what is there reads");
	err = dump_read_phys(d, 0x10400, &(char){ 0 }, 1);
	ok(err && strstr(err->msg, "physical address 0x10400: beyond the end of "
	   "a truncated file"), "what is not: %s", err ? err->msg : "no error");
	kdk_error_free(err);
	dump_close(d);

	write_file(path, im->buf, sizeof(Elf64_Ehdr) + 10);
	err = dump_open(path, &d);
	ok(err && strstr(err->msg, "truncated: 4 program headers"),
	   "truncated in the program headers: %s", err ? err->msg : "opened");
	kdk_error_free(err);
}

/*
 * /proc/kcore's layout: p_offset = p_vaddr - PAGE_OFFSET + the header's
 * size; direct-map RAM and kernel text with their physical addresses,
 * vmalloc with p_paddr -1 (and a size no file could hold); notes of a
 * zeroed NT_PRSTATUS, NT_PRPSINFO "vmlinux", NT_TASKSTRUCT, VMCOREINFO.
 */
#define K_PAGE_OFFSET	0xffff888000000000ULL
#define K_TEXT		0xffffffff81000000ULL
#define K_VMALLOC	0xffffc90000000000ULL
#define K_NPHDR		4

static void build_kcore(struct image *im, bool with_paddr)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)im->buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(im->buf + sizeof(*eh));
	size_t note_off = sizeof(*eh) + K_NPHDR * sizeof(Elf64_Phdr), notes = 0;
	unsigned char prstatus[336] = { 0 }, prpsinfo[136] = { 0 };
	unsigned char task[64] = { 1, 2, 3 };

	build(im);	/* the ELF header; the rest is redone */
	memset(im->buf + sizeof(*eh), 0, sizeof(im->buf) - sizeof(*eh));
	eh->e_phnum = K_NPHDR;
	prpsinfo[1] = 'R';
	memcpy(prpsinfo + 40, "vmlinux", 7);
	memcpy(prpsinfo + 56, "console=ttyS0", 13);
	notes += put_note(im->buf + note_off, "CORE", 1, prstatus, sizeof(prstatus));
	notes += put_note(im->buf + note_off + notes, "CORE", 3, prpsinfo,
			  sizeof(prpsinfo));
	notes += put_note(im->buf + note_off + notes, "CORE", 4, task, sizeof(task));
	notes += put_note(im->buf + note_off + notes, "VMCOREINFO", 0, vmcoreinfo,
			  sizeof(vmcoreinfo) - 1);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = note_off,
			      .p_filesz = notes };
	/* RAM: physical [0, 0x3000) at PAGE_OFFSET, in the file at 0x1000 */
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_vaddr = K_PAGE_OFFSET,
			      .p_paddr = 0, .p_offset = DATA_OFF,
			      .p_filesz = 0x3000, .p_memsz = 0x3000 };
	/* the kernel text: physical [0x1000, 0x2000) again, elsewhere in the
	 * file (a real kcore puts it ~128 TB further) */
	ph[2] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_vaddr = K_TEXT,
			      .p_paddr = 0x1000, .p_offset = DATA_OFF + 0x3000,
			      .p_filesz = 0x1000, .p_memsz = 0x1000 };
	/* vmalloc: no physical address, 32 TB */
	ph[3] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_vaddr = K_VMALLOC,
			      .p_paddr = (uint64_t)-1,
			      .p_offset = K_VMALLOC - K_PAGE_OFFSET + DATA_OFF,
			      .p_filesz = 1ULL << 45, .p_memsz = 1ULL << 45 };
	if (!with_paddr)	/* before Linux 4.11 */
		ph[2].p_paddr = ph[3].p_paddr = 0;
	for (uint64_t a = 0; a < 0x3000; a++)
		im->buf[DATA_OFF + a] = byte_at(a);
	for (uint64_t a = 0; a < 0x1000; a++)
		im->buf[DATA_OFF + 0x3000 + a] = byte_at(0x1000 + a);
	im->len = DATA_OFF + 0x4000;
}

static void check_kcore(const char *path, struct image *im)
{
	const struct dump_range *r;
	struct kdk_error *err;
	struct dump *d;
	size_t n;

	build_kcore(im, true);
	write_file(path, im->buf, im->len);
	err = dump_open(path, &d);
	ok(!err, "a copy of /proc/kcore opens: %s", err ? err->msg : "yes");
	if (err) {
		kdk_error_free(err);
		return;
	}
	is_str(dump_facts(d)->format, "ELF (a copy of /proc/kcore)",
	       "kcore: told by its notes");
	ok(!dump_facts(d)->live, "kcore: a copy in a file is not live");
	r = dump_ranges(d, &n);
	ok(n == 1 && r[0].start == 0 && r[0].end == 0x3000,
	   "kcore: physical memory from RAM and text, not vmalloc (%zu ranges)",
	   n);
	ok(reads_as_file(d, 0, 0x2000) && reads_as_file(d, 0x2000, 0x1000),
	   "kcore: physical memory reads");
	ok(dump_cpu_count(d) == 0, "kcore: its zeroed NT_PRSTATUS is no CPU");
	is_str(dump_vmcoreinfo_get(d, "OSRELEASE"), "6.1.0-elf",
	       "kcore: VMCOREINFO from its note");
	ok(dump_problem_count(d) == 0, "kcore: no problems (%s)",
	   dump_problem_count(d) ? dump_problem(d, 0) : "none");
	dump_close(d);

	build_kcore(im, false);
	write_file(path, im->buf, im->len);
	err = dump_open(path, &d);
	ok(err && strstr(err->msg, "no physical addresses"),
	   "kcore without p_paddr is refused: %s", err ? err->msg : "opened");
	if (!err)
		dump_close(d);
	kdk_error_free(err);
}

int main(void)
{
	char path[] = "/tmp/kdk-test-elf-XXXXXX";
	struct image *im = malloc(sizeof(*im));
	struct kdk_error *err;
	struct dump *d;
	int fd = mkstemp(path);

	close(fd);
	build(im);
	write_file(path, im->buf, im->len);
	check_dump(path);
	check_truncated(path, im);

	((Elf64_Ehdr *)im->buf)->e_type = ET_EXEC;
	write_file(path, im->buf, im->len);
	err = dump_open(path, &d);
	ok(err && strstr(err->msg, "not a core dump"), "a vmlinux is refused: %s",
	   err ? err->msg : "opened");
	kdk_error_free(err);
	check_kcore(path, im);
	unlink(path);
	free(im);
	return tap_done();
}
