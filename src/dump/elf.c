/* ELF64 vmcores: /proc/vmcore saved as is, QEMU's dump-guest-memory,
 * makedumpfile -E, and the running kernel's /proc/kcore (kcore.h). Each
 * PT_LOAD segment is a range of physical memory (p_paddr); its first
 * p_filesz bytes are in the file at p_offset, the rest up to p_memsz was
 * left out (makedumpfile -E does this for runs of excluded pages). A
 * segment without a physical address (p_paddr -1: /proc/kcore's vmalloc,
 * modules and vmemmap) is passed over: the page tables reach that memory
 * through physical memory. The PT_NOTE segment holds the CPUs' registers
 * and VMCOREINFO.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "dump/format.h"
#include "dump/kcore.h"

/* Physical [start, file_end) is in the file at offset; [file_end, mem_end)
 * is memory the file left out. */
struct elf_segment {
	uint64_t start;
	uint64_t file_end;
	uint64_t mem_end;
	uint64_t offset;
};

struct elf_dump {
	struct elf_segment *seg;	/* sorted by start, disjoint */
	size_t n;
	uint64_t sections_end;	/* where the section headers and data end */
};

static bool elf_probe(const unsigned char *head, size_t len)
{
	return len >= SELFMAG && memcmp(head, ELFMAG, SELFMAG) == 0;
}

static const char *machine_name(uint16_t machine)
{
	switch (machine) {
	case EM_X86_64:		return "x86_64";
	case EM_AARCH64:	return "aarch64";
	case EM_386:		return "i386";
	case EM_ARM:		return "arm";
	case EM_PPC64:		return "ppc64";
	case EM_S390:		return "s390x";
	case EM_RISCV:		return "riscv64";
	default:		return "unknown";
	}
}

static struct kdk_error *check_ehdr(const Elf64_Ehdr *eh)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return kdk_error(KDK_ERR_FORMAT, "a 32-bit ELF file: ELF32 "
				 "vmcores are not supported yet");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return kdk_error(KDK_ERR_FORMAT, "a big-endian ELF file: "
				 "big-endian vmcores are not supported yet");
	if (eh->e_type != ET_CORE)
		return kdk_error(KDK_ERR_FORMAT, "an ELF file, but not a core "
				 "dump (ELF type %u; a vmlinux or module goes "
				 "before the vmcore, not in its place)",
				 eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return kdk_error(KDK_ERR_FORMAT, "corrupt ELF header: program "
				 "headers of %u bytes, not %zu", eh->e_phentsize,
				 sizeof(Elf64_Phdr));
	return NULL;
}

/* e_phnum, or, past 0xfffe segments, sh_info of section header 0 (QEMU
 * writes that for guests with many memory regions). */
static struct kdk_error *phdr_count(struct dump *d, const Elf64_Ehdr *eh,
				    uint64_t *n)
{
	Elf64_Shdr sh;
	struct kdk_error *err;

	*n = eh->e_phnum;
	if (eh->e_phnum != PN_XNUM)
		return NULL;
	err = dump_source_read(d->src, eh->e_shoff, &sh, sizeof(sh));
	if (err)
		return kdk_error_wrap(err, "reading section header 0 for the "
				      "number of segments");
	*n = sh.sh_info;
	return NULL;
}

/*
 * Where the sections end: QEMU writes a section header table and a
 * .shstrtab after the memory, so cutting the file there loses no memory
 * but is still a truncation.
 */
static uint64_t sections_end(struct dump *d, const Elf64_Ehdr *eh)
{
	uint64_t end = eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr);
	Elf64_Shdr sh;

	if (!eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr))
		return 0;
	for (uint16_t i = 0; i < eh->e_shnum; i++) {
		struct kdk_error *err = dump_source_read(d->src,
			eh->e_shoff + i * sizeof(sh), &sh, sizeof(sh));

		if (err) {	/* the table itself is cut */
			kdk_error_free(err);
			break;
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > end &&
		    sh.sh_offset + sh.sh_size >= sh.sh_offset)
			end = sh.sh_offset + sh.sh_size;
	}
	return end;
}

static struct kdk_error *read_phdrs(struct dump *d, Elf64_Phdr **out,
				    uint64_t *n)
{
	Elf64_Ehdr eh;
	struct kdk_error *err;
	uint64_t end;

	if (d->src->size < sizeof(eh))
		return kdk_error(KDK_ERR_FORMAT, "truncated: the file has %llu "
				 "bytes, less than an ELF header",
				 (unsigned long long)d->src->size);
	err = dump_source_read(d->src, 0, &eh, sizeof(eh));
	if (!err)
		err = check_ehdr(&eh);
	if (!err)
		err = phdr_count(d, &eh, n);
	if (err)
		return err;
	end = eh.e_phoff + *n * sizeof(Elf64_Phdr);
	if (!*n || eh.e_phoff > d->src->size || end > d->src->size)
		return kdk_error(KDK_ERR_FORMAT, "%s: %llu program headers at "
				 "file offset 0x%llx, the file has 0x%llx bytes",
				 *n ? "truncated" : "no segments",
				 (unsigned long long)*n,
				 (unsigned long long)eh.e_phoff,
				 (unsigned long long)d->src->size);
	*out = malloc(*n * sizeof(Elf64_Phdr));
	if (!*out)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = dump_source_read(d->src, eh.e_phoff, *out, *n * sizeof(Elf64_Phdr));
	if (err) {
		free(*out);
		return err;
	}
	snprintf(d->facts.machine, sizeof(d->facts.machine), "%s",
		 machine_name(eh.e_machine));
	((struct elf_dump *)d->priv)->sections_end = sections_end(d, &eh);
	return NULL;
}

/* All PT_NOTE segments, as one note area. */
static struct kdk_error *read_notes(struct dump *d, const Elf64_Phdr *ph,
				    uint64_t n)
{
	unsigned char *area = NULL;
	struct kdk_error *err = NULL;
	size_t len = 0;

	for (uint64_t i = 0; i < n && !err; i++) {
		void *p;

		if (ph[i].p_type != PT_NOTE || !ph[i].p_filesz)
			continue;
		if (ph[i].p_filesz > (64 << 20))
			return dump_add_problem(d, "ELF notes: a note segment "
				"of %llu bytes is too large to be real",
				(unsigned long long)ph[i].p_filesz);
		p = realloc(area, len + ph[i].p_filesz);
		if (!p) {
			free(area);
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		}
		area = p;
		err = dump_source_read(d->src, ph[i].p_offset, area + len,
				       ph[i].p_filesz);
		len += ph[i].p_filesz;
	}
	if (err)
		err = dump_add_problem_err(d, err, "ELF notes");
	else if (len)
		err = dump_set_notes(d, area, len);
	free(area);
	return err;
}

static int cmp_segment(const void *a, const void *b)
{
	const struct elf_segment *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Sort the segments and cut overlaps: /proc/vmcore maps the kernel text
 * twice, once on its own and once within the direct map. Both hold the
 * same memory, so the earlier segment keeps the overlap.
 */
static void make_disjoint(struct elf_dump *ed)
{
	size_t w = 0;

	if (ed->n > 1)
		qsort(ed->seg, ed->n, sizeof(*ed->seg), cmp_segment);
	for (size_t i = 0; i < ed->n; i++) {
		struct elf_segment s = ed->seg[i];
		const struct elf_segment *prev = w ? &ed->seg[w - 1] : NULL;

		if (prev && s.start < prev->mem_end) {
			uint64_t cut = prev->mem_end - s.start;

			if (s.mem_end <= prev->mem_end)
				continue;
			s.start += cut;
			s.offset += cut;
			if (s.file_end < s.start)
				s.file_end = s.start;
		}
		ed->seg[w++] = s;
	}
	ed->n = w;
}

static struct kdk_error *add_load(struct dump *d, struct elf_dump *ed,
				  const Elf64_Phdr *ph)
{
	uint64_t filesz = ph->p_filesz < ph->p_memsz ? ph->p_filesz : ph->p_memsz;

	if (!ph->p_memsz || ph->p_paddr == KCORE_NO_PADDR)
		return NULL;
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr ||
	    ph->p_offset + filesz < ph->p_offset)
		return kdk_error(KDK_ERR_FORMAT, "corrupt segment: physical "
				 "0x%llx + 0x%llx bytes at file offset 0x%llx",
				 (unsigned long long)ph->p_paddr,
				 (unsigned long long)ph->p_memsz,
				 (unsigned long long)ph->p_offset);
	ed->seg[ed->n++] = (struct elf_segment){
		.start = ph->p_paddr,
		.file_end = ph->p_paddr + filesz,
		.mem_end = ph->p_paddr + ph->p_memsz,
		.offset = ph->p_offset,
	};
	return dump_add_range(d, ph->p_paddr, ph->p_paddr + ph->p_memsz);
}

static struct kdk_error *check_truncation(struct dump *d,
					  const struct elf_dump *ed)
{
	uint64_t need = 0;

	for (size_t i = 0; i < ed->n; i++) {
		uint64_t end = ed->seg[i].offset +
			       (ed->seg[i].file_end - ed->seg[i].start);

		if (end > need)
			need = end;
	}
	if (need > d->src->size)
		return dump_add_problem(d, "truncated: the file ends at 0x%llx, "
			"but its segments' data goes on to 0x%llx (%llu MiB "
			"missing)", (unsigned long long)d->src->size,
			(unsigned long long)need,
			(unsigned long long)(need - d->src->size) >> 20);
	if (ed->sections_end > d->src->size)
		return dump_add_problem(d, "truncated: the file ends at 0x%llx, "
			"but its sections go on to 0x%llx",
			(unsigned long long)d->src->size,
			(unsigned long long)ed->sections_end);
	return NULL;
}

/* /proc/kcore, told by its notes: no registers, and live when read from
 * /proc itself rather than from a copy. */
static struct kdk_error *recognize_kcore(struct dump *d, const Elf64_Phdr *ph,
					 uint64_t n)
{
	if (!kcore_notes_match(&d->notes))
		return NULL;
	d->no_cpu_regs = true;
	d->facts.live = d->src->in_procfs;
	d->facts.format = d->facts.live ? "ELF (/proc/kcore, live)" :
					  "ELF (a copy of /proc/kcore)";
	return kcore_check_segments(ph, n);
}

static struct kdk_error *elf_open(struct dump *d)
{
	struct elf_dump *ed = calloc(1, sizeof(*ed));
	struct kdk_error *err;
	Elf64_Phdr *ph = NULL;
	uint64_t n = 0;

	if (!ed)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	d->priv = ed;
	err = read_phdrs(d, &ph, &n);
	if (err)
		return err;
	ed->seg = calloc(n, sizeof(*ed->seg));
	if (!ed->seg)
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (!err)
		err = read_notes(d, ph, n);
	if (!err)
		err = recognize_kcore(d, ph, n);
	for (uint64_t i = 0; i < n && !err; i++)
		if (ph[i].p_type == PT_LOAD)
			err = add_load(d, ed, &ph[i]);
	free(ph);
	if (err)
		return err;
	make_disjoint(ed);
	snprintf(d->facts.compression, sizeof(d->facts.compression), "none");
	return check_truncation(d, ed);
}

/* The segment holding paddr, or NULL. */
static const struct elf_segment *find_segment(const struct elf_dump *ed,
					      uint64_t paddr)
{
	size_t lo = 0, hi = ed->n;

	while (lo < hi) {	/* the first segment ending after paddr */
		size_t mid = lo + (hi - lo) / 2;

		if (ed->seg[mid].mem_end <= paddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ed->n || ed->seg[lo].start > paddr)
		return NULL;
	return &ed->seg[lo];
}

static struct kdk_error *elf_read(struct dump *d, uint64_t paddr, void *buf,
				  size_t len, size_t *done)
{
	const struct elf_dump *ed = d->priv;

	while (*done < len) {
		uint64_t addr = paddr + *done;
		const struct elf_segment *s = find_segment(ed, addr);
		struct kdk_error *err;
		size_t n;

		if (!s)
			return dump_err_not_in_dump();
		if (addr >= s->file_end)
			return dump_err_excluded(d, "past its ELF segment's "
						 "file size");
		n = len - *done < s->file_end - addr ? len - *done :
						       s->file_end - addr;
		err = dump_source_read(d->src, s->offset + (addr - s->start),
				       (unsigned char *)buf + *done, n);
		if (err)
			return err;
		*done += n;
	}
	return NULL;
}

static uint64_t pages_in(uint64_t bytes, uint32_t page_size)
{
	return (bytes + page_size - 1) / page_size;
}

static struct kdk_error *elf_count_pages(struct dump *d,
					 struct dump_page_counts *c)
{
	const struct elf_dump *ed = d->priv;
	uint32_t ps = d->facts.page_size;

	for (size_t i = 0; i < ed->n; i++) {
		const struct elf_segment *s = &ed->seg[i];
		uint64_t file_bytes = s->file_end - s->start, have = 0;

		if (s->offset < d->src->size)
			have = d->src->size - s->offset;
		if (have > file_bytes)
			have = file_bytes;
		c->in_memory += pages_in(s->mem_end - s->start, ps);
		c->present += pages_in(file_bytes, ps);
		c->missing += pages_in(file_bytes, ps) - pages_in(have, ps);
	}
	c->excluded = c->in_memory - c->present;
	if (ed->n)
		c->max_pfn = pages_in(ed->seg[ed->n - 1].mem_end, ps);
	return NULL;
}

static void elf_close(struct dump *d)
{
	struct elf_dump *ed = d->priv;

	if (!ed)
		return;
	free(ed->seg);
	free(ed);
}

const struct dump_format_ops dump_elf_ops = {
	.name = "ELF",
	.probe = elf_probe,
	.open = elf_open,
	.read = elf_read,
	.count_pages = elf_count_pages,
	.close = elf_close,
};
