/* Writing an ELF vmcore (makedump -E), the layout /proc/vmcore has and
 * crash, gdb, drgn and libkdumpfile all read:
 *
 *   ELF header   program headers: one PT_NOTE, then PT_LOADs   the notes
 *   (the input's, header_info.h)   the segments' page data, in order
 *
 * Every page of memory is in some PT_LOAD, as in makedumpfile -E's dumps:
 * a segment starts at a run of saved pages and ends with the left-out
 * pages before the next run, which are not in the file (p_filesz <
 * p_memsz) and read as zeros, as ELF says. So the pages of zeros dump
 * level bit 1 leaves out still read right in crash, gdb and drgn. Short
 * runs of left-out pages between saved ones (fewer than ELF_GAP_PAGES)
 * are written as zeros instead of starting a segment, as makedumpfile
 * does, so that a dump level 31 dump does not need a hundred thousand
 * program headers; the summary says how many pages were so filled.
 */
#ifndef KDK_CAPTURE_ELF_WRITER_H
#define KDK_CAPTURE_ELF_WRITER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/progress.h"
#include "capture/page_bits.h"
#include "capture/sink.h"
#include "dump/dump.h"
#include "target/target.h"

#define ELF_GAP_PAGES 256

struct elf_write_opts {
	struct dump *dump;
	struct target *target;		/* for virtual addresses; may be NULL */
	const void *notes;		/* the PT_NOTE's bytes */
	size_t notes_size;
	const struct page_bits *memory;	/* pages that exist */
	struct page_bits *saved;	/* pages to save; zero pages are
					 * cleared from it when exclude_zero */
	uint32_t page_size;
	bool exclude_zero;		/* dump level bit 1 */
	struct progress *progress;	/* NULL: none */
};

struct elf_write_result {
	uint64_t segments;		/* PT_LOAD headers */
	uint64_t pages_written;		/* saved pages whose data is in */
	uint64_t zero;			/* zero pages left out */
	uint64_t filled;		/* left-out pages written as zeros */
	uint64_t bytes_out;		/* page data bytes */
};

/* Write the whole ELF dump to sink. On error, r says how far it got. */
struct kdk_error *elf_dump_write(const struct elf_write_opts *o,
				 struct out_sink *sink,
				 struct elf_write_result *r);

#endif
