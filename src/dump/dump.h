/* A kernel crash dump, as physical memory.
 *
 * dump_open() recognizes the format by its magic: ELF64 vmcores (/proc/vmcore
 * copies, QEMU dump-guest-memory, makedumpfile -E), kdump-compressed dumps
 * (makedumpfile -c/-l/-p/-z, QEMU -z/-l/-s), and either inside makedumpfile's
 * flattened format. Reads of physical memory then work the same whatever
 * the format, with errors that say why bytes are missing:
 *
 *   physical address 0x3f000000: not in the dump
 *   physical address 0x1234000: excluded from the dump (dump level 31)
 *   physical address 0x2000000: beyond the end of a truncated file (...)
 *
 * A dump is not thread-safe: one thread per struct dump.
 */
#ifndef KDK_DUMP_DUMP_H
#define KDK_DUMP_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "dump/notes.h"
#include "dump/page_cache.h"
#include "dump/vmcoreinfo.h"

struct dump;

/* What the file says about itself. Fields a format lacks are 0, "" or -1. */
struct dump_facts {
	const char *format;		/* "ELF", "kdump-compressed" or
					   "ELF (/proc/kcore, live)" */
	int format_version;		/* kdump header version (1-6); 0 */
	const char *container;		/* "flattened", or NULL */
	uint64_t container_records;	/* data records in the flattened stream */
	char compression[32];		/* "zlib", "lzo", ... or "none" */
	int dump_level;			/* makedumpfile -d; -1 if unknown */
	uint32_t page_size;
	bool page_size_assumed;		/* neither the format nor VMCOREINFO said */
	char machine[65];		/* "x86_64", "aarch64" ... */
	char release[65];		/* kdump header: the kernel's uname -r */
	char node[65];			/* kdump header: the host name */
	int64_t timestamp;		/* kdump header: when it was written; 0 */
	int nr_cpus;			/* kdump header; 0 */
	uint64_t phys_base;		/* kdump sub-header (x86_64: the kernel's
					   physical load offset); 0 */
	bool incomplete;		/* the writer marked the dump incomplete */
	bool live;			/* /proc/kcore: the running kernel's
					   memory, changing as it is read */
	size_t split_parts;		/* a split dump (makedumpfile --split):
					   the parts given; 0 */
};

/* Page counts, where the format has them. */
struct dump_page_counts {
	uint64_t max_pfn;	/* PFNs the dump describes: 0 .. max_pfn - 1 */
	uint64_t in_memory;	/* pages of memory the dump knows exist */
	uint64_t present;	/* pages whose data it holds */
	uint64_t excluded;	/* pages of memory left out when it was written */
	uint64_t zero;		/* present pages stored as the shared zero page */
	uint64_t missing;	/* present pages whose data the file lacks */
	bool has_zero;		/* the format marks zero pages (diskdump) */
};

/* A range of physical memory the dump describes: [start, end). */
struct dump_range {
	uint64_t start;
	uint64_t end;
};

/* Open the dump at path. Errors say why, without the path. */
struct kdk_error *dump_open(const char *path, struct dump **out);

/*
 * Open the parts of a split dump (makedumpfile --split, several
 * kdump-compressed files that together are one dump), given in any order,
 * as one dump. Parts may be missing: the dump then opens with a problem
 * naming the PFNs they held, and reads there fail saying so. Parts of
 * different dumps, a part given twice, or a whole dump among them are
 * errors, which name the files. With one path, the same as dump_open()
 * (a lone part of a split dump opens with its missing parts reported).
 */
struct kdk_error *dump_open_set(const char *const *paths, size_t n,
				struct dump **out);
void dump_close(struct dump *d);

/* The PFNs of a split dump, in order: [start_pfn, end_pfn) for each part,
 * path NULL where a part was not given. */
struct dump_part {
	const char *path;
	uint64_t start_pfn;
	uint64_t end_pfn;
};

/* NULL (*n = 0) if d is not a split dump. */
const struct dump_part *dump_parts(const struct dump *d, size_t *n);

/* Read len bytes of physical memory at paddr. */
struct kdk_error *dump_read_phys(struct dump *d, uint64_t paddr, void *buf,
				 size_t len);

const struct dump_facts *dump_facts(const struct dump *d);

/* Count pages; for kdump-compressed dumps this reads every page
 * descriptor, and finds truncation that opening could not see (it is then
 * added to the problems). */
struct kdk_error *dump_count_pages(struct dump *d,
				   struct dump_page_counts *counts);

/* Memory ranges, sorted and merged. */
const struct dump_range *dump_ranges(const struct dump *d, size_t *n);

/* What is wrong with the file though it opened: truncation, an incomplete
 * dump, a corrupt note area ... */
size_t dump_problem_count(const struct dump *d);
const char *dump_problem(const struct dump *d, size_t i);

/* VMCOREINFO, from the ELF note or the kdump sub-header, or else found in
 * the dump's physical memory (dump_scan_vmcoreinfo()); NULL if none. */
const struct vmcoreinfo *dump_vmcoreinfo(const struct dump *d);
const char *dump_vmcoreinfo_get(const struct dump *d, const char *key);

enum dump_vmcoreinfo_from {
	DUMP_VMCOREINFO_NONE,
	DUMP_VMCOREINFO_NOTE,	/* a "VMCOREINFO" ELF note (ELF PT_NOTE, or
				   the note area of a kdump-compressed dump) */
	DUMP_VMCOREINFO_HEADER,	/* the kdump sub-header's own copy */
	DUMP_VMCOREINFO_MEMORY,	/* the dump had neither: found in memory */
	DUMP_VMCOREINFO_DERIVED,/* none anywhere: made from a vmlinux and the
				   CPU state (dump_adopt_vmcoreinfo()) */
};

/* Where dump_vmcoreinfo() came from. */
struct dump_vmcoreinfo_origin {
	enum dump_vmcoreinfo_from from;
	uint64_t paddr;		/* MEMORY: where the note or the text
				   starts (physical) */
	bool in_note;		/* MEMORY: inside the kernel's vmcoreinfo_note,
				   else its vmcoreinfo_data page */
	bool scanned;		/* memory was scanned (found or not) */
	uint64_t pages_scanned;
};

const struct dump_vmcoreinfo_origin *
dump_vmcoreinfo_origin(const struct dump *d);
/* "ELF note", "kdump header", "memory", "derived" or "none". */
const char *dump_vmcoreinfo_from_name(enum dump_vmcoreinfo_from from);

/* Give a dump that has no VMCOREINFO anywhere one made by a layer above
 * (debuginfo/vmcoreinfo_derive.h), so that everything that reads
 * VMCOREINFO works unchanged; its origin is DUMP_VMCOREINFO_DERIVED.
 * Refused when the dump has its own. */
struct kdk_error *dump_adopt_vmcoreinfo(struct dump *d, const char *text,
					size_t len);

/* What a scan of physical memory found (src/dump/vmcoreinfo_scan.c). */
struct dump_vmcoreinfo_found {
	char *text;		/* malloc'd, NUL-terminated; NULL if none */
	size_t len;
	uint64_t paddr;		/* where the note (in_note) or the text starts */
	bool in_note;
	uint64_t pages_scanned;
};

/* Look for VMCOREINFO at the start of every 4 KiB page of physical memory
 * (dump_open() does this when the file has none). KDK_ERR_NOT_FOUND if
 * there is none; out->pages_scanned is set either way. */
struct kdk_error *dump_scan_vmcoreinfo(struct dump *d,
				       struct dump_vmcoreinfo_found *out);

/* All ELF notes of the dump. */
const struct dump_notes *dump_notes(const struct dump *d);

/*
 * CPU registers: one NT_PRSTATUS note per CPU that saved them, in note
 * order, which is CPU order. The index is not always the CPU number: the
 * kernel writes notes only for CPUs that were online and stopped at the
 * crash. pr_pid is the PID of the task the CPU ran (0 for idle) in kdump
 * dumps, but QEMU's dump-guest-memory writes the vCPU number plus one
 * there (dump/dump.c: cpu_index()), not a PID.
 */
size_t dump_cpu_count(const struct dump *d);
struct kdk_error *dump_cpu_prstatus(const struct dump *d, size_t cpu,
				    struct dump_prstatus *out);

/* Hits and misses of the decoded-page cache (zeros for ELF dumps, which
 * are read in place and need none). */
void dump_cache_stats(const struct dump *d, struct page_cache_stats *stats);

#endif
