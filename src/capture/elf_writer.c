#include "capture/elf_writer.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "capture/page_read.h"

/* Program headers are kept under the ELF limit by widening the gap that
 * is filled with zeros rather than split. */
#define MAX_LOADS (PN_XNUM - 2)
#define CHUNK_PAGES 256

/* PFNs [start, end) of memory; the data of [start, file_end) is in the
 * file, the rest reads as zeros (p_filesz < p_memsz). */
struct seg {
	uint64_t start, file_end, end;
};

struct segs {
	struct seg *v;
	size_t n, cap;
	uint64_t filled;	/* left-out pages written as zeros */
};

/* The first PFN from pfn on whose bit is want, or b->nbits. */
static uint64_t next_bit(const struct page_bits *b, uint64_t pfn, bool want)
{
	uint8_t skip = want ? 0 : 0xff;

	while (pfn < b->nbits) {
		if (pfn % 8 == 0 && b->bytes[pfn / 8] == skip) {
			pfn += 8;
			continue;
		}
		if (page_bits_test(b, pfn) == want)
			return pfn;
		pfn++;
	}
	return b->nbits;
}

static uint64_t next_saved(const struct page_bits *saved, uint64_t pfn)
{
	return next_bit(saved, pfn, true);
}

static struct kdk_error *add_seg(struct segs *out, uint64_t start,
				 uint64_t file_end, uint64_t end)
{
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64;
		struct seg *v = realloc(out->v, cap * sizeof(*v));

		if (!v)
			return kdk_error(KDK_ERR_NOMEM, "out of memory for %zu "
					 "segments", cap);
		out->v = v;
		out->cap = cap;
	}
	out->v[out->n++] = (struct seg){ start, file_end, end };
	return NULL;
}

/* The segments of one run of memory [a, b): each starts at a run of saved
 * pages (the first may start with none), takes in gaps shorter than gap
 * as zeros, and ends with the left-out pages before the next run. */
static struct kdk_error *plan_range(const struct page_bits *saved, uint64_t a,
				    uint64_t b, uint64_t gap, struct segs *out)
{
	uint64_t start = a;
	struct kdk_error *err;

	while (start < b) {
		uint64_t file_end = next_saved(saved, start), end;

		if (file_end > b)
			file_end = b;
		if (file_end == start) {
			for (;;) {
				uint64_t hole = next_bit(saved, file_end, false);
				uint64_t next;

				if (hole >= b) {
					file_end = b;
					break;
				}
				next = next_saved(saved, hole);
				if (next >= b || next - hole >= gap) {
					file_end = hole;
					break;
				}
				out->filled += next - hole;
				file_end = next;
			}
		} else {
			file_end = start;	/* a range opening with a hole */
		}
		end = next_saved(saved, file_end);
		if (end > b)
			end = b;
		err = add_seg(out, start, file_end, end);
		if (err)
			return err;
		start = end;
	}
	return NULL;
}

static struct kdk_error *plan(const struct page_bits *memory,
			      const struct page_bits *saved, uint64_t gap,
			      struct segs *out)
{
	uint64_t a = next_bit(memory, 0, true);

	out->n = 0;
	out->filled = 0;
	while (a < memory->nbits) {
		uint64_t b = next_bit(memory, a, false);
		struct kdk_error *err = plan_range(saved, a, b, gap, out);

		if (err)
			return err;
		a = next_bit(memory, b, true);
	}
	return NULL;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

/* Dump level bit 1: pages of zeros are left out like any other. */
static struct kdk_error *drop_zero_pages(const struct elf_write_opts *o,
					 unsigned char *buf,
					 struct elf_write_result *r)
{
	for (uint64_t pfn = next_saved(o->saved, 0); pfn < o->saved->nbits;
	     pfn = next_saved(o->saved, pfn + 1)) {
		struct kdk_error *err = capture_read_page(o->dump, o->page_size,
							  pfn, buf);

		if (err)
			return err;
		if (all_zero(buf, o->page_size)) {
			page_bits_clear(o->saved, pfn);
			r->zero++;
		}
	}
	return NULL;
}

static uint16_t elf_machine(const char *machine)
{
	if (strcmp(machine, "x86_64") == 0)
		return EM_X86_64;
	if (strcmp(machine, "aarch64") == 0)
		return EM_AARCH64;
	return EM_NONE;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

static struct kdk_error *write_headers(const struct elf_write_opts *o,
				       const struct segs *sg,
				       struct out_sink *sink, uint64_t *data_off)
{
	size_t notes_size = o->notes_size;
	size_t nph = sg->n + 1;
	size_t hsize = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	unsigned char *h = calloc(1, hsize);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)h;
	Elf64_Phdr *ph = (Elf64_Phdr *)(h + sizeof(*eh));
	uint64_t off;
	struct kdk_error *err;

	if (!h)
		return kdk_error(KDK_ERR_NOMEM, "out of memory for %zu program "
				 "headers", nph);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_CORE;
	eh->e_machine = elf_machine(dump_facts(o->dump)->machine);
	eh->e_version = EV_CURRENT;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (Elf64_Half)nph;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = hsize,
			      .p_filesz = notes_size, .p_memsz = notes_size };
	off = align_up(hsize + notes_size, o->page_size);
	*data_off = off;
	for (size_t i = 0; i < sg->n; i++) {
		uint64_t paddr = sg->v[i].start * o->page_size;
		uint64_t filesz = (sg->v[i].file_end - sg->v[i].start) *
				  o->page_size;
		uint64_t memsz = (sg->v[i].end - sg->v[i].start) * o->page_size;
		uint64_t vaddr = 0;
		struct kdk_error *verr = o->target ?
			target_ptov(o->target, paddr, &vaddr) : NULL;

		/* no direct map known: crash and drgn read by p_paddr */
		if (verr)
			vaddr = 0;
		kdk_error_free(verr);
		ph[i + 1] = (Elf64_Phdr){
			.p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
			.p_offset = off, .p_vaddr = vaddr, .p_paddr = paddr,
			.p_filesz = filesz, .p_memsz = memsz,
		};
		off += filesz;
	}
	err = sink_write(sink, 0, h, hsize, NULL);
	if (!err && notes_size)
		err = sink_write(sink, hsize, o->notes, notes_size, NULL);
	free(h);
	return err;
}

static struct kdk_error *write_pages(const struct elf_write_opts *o,
				     const struct segs *sg,
				     struct out_sink *sink, uint64_t off,
				     unsigned char *buf,
				     struct elf_write_result *r)
{
	uint64_t total = page_bits_count(o->saved);

	for (size_t i = 0; i < sg->n; i++) {
		uint64_t pfn = sg->v[i].start;

		while (pfn < sg->v[i].file_end) {
			uint64_t n = sg->v[i].file_end - pfn;
			size_t bytes;
			struct kdk_error *err;

			if (n > CHUNK_PAGES)
				n = CHUNK_PAGES;
			for (uint64_t k = 0; k < n; k++) {
				unsigned char *p = buf + k * o->page_size;

				if (!page_bits_test(o->saved, pfn + k)) {
					memset(p, 0, o->page_size);
					continue;
				}
				err = capture_read_page(o->dump, o->page_size,
							pfn + k, p);
				if (err)
					return err;
				r->pages_written++;
			}
			bytes = n * o->page_size;
			err = sink_write(sink, off, buf, bytes, NULL);
			if (err)
				return err;
			off += bytes;
			r->bytes_out += bytes;
			pfn += n;
			if (o->progress)
				progress_update(o->progress, r->pages_written,
						r->pages_written * o->page_size);
		}
	}
	if (o->progress)
		progress_end(o->progress, total, total * o->page_size);
	return NULL;
}

struct kdk_error *elf_dump_write(const struct elf_write_opts *o,
				 struct out_sink *sink,
				 struct elf_write_result *r)
{
	struct segs sg = { 0 };
	unsigned char *buf = malloc((size_t)CHUNK_PAGES * o->page_size);
	uint64_t gap = ELF_GAP_PAGES, data_off = 0;
	struct kdk_error *err = NULL;

	*r = (struct elf_write_result){ 0 };
	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (o->exclude_zero)
		err = drop_zero_pages(o, buf, r);
	while (!err) {
		err = plan(o->memory, o->saved, gap, &sg);
		if (err || sg.n <= MAX_LOADS)
			break;
		gap *= 2;
	}
	if (!err) {
		r->segments = sg.n;
		r->filled = sg.filled;
		err = sink_begin(sink);
	}
	if (!err)
		err = write_headers(o, &sg, sink, &data_off);
	if (!err) {
		if (o->progress)
			progress_start(o->progress, stderr, "Copying pages",
				       page_bits_count(o->saved));
		err = write_pages(o, &sg, sink, data_off, buf, r);
	}
	if (!err)
		err = sink_end(sink);
	free(sg.v);
	free(buf);
	return err;
}
