/* VMCOREINFO found in physical memory, for dumps written without it:
 * QEMU's dump-guest-memory without `-device vmcoreinfo`, or an ELF core
 * made by a tool that does not know the kernel.
 *
 * The kernel keeps two copies in its own memory (kernel/crash_core.c,
 * crash_save_vmcoreinfo_init(), Linux 6.1):
 *  - vmcoreinfo_data, a page from get_zeroed_page() whose text starts with
 *    the first line the kernel writes: "OSRELEASE=";
 *  - vmcoreinfo_note, pages from alloc_pages_exact(), holding that text as
 *    an ELF note: n_namesz 11, n_descsz, n_type 0, "VMCOREINFO\0" padded to
 *    12 bytes, then the text at byte 24. This is the note /proc/vmcore and
 *    QEMU's vmcoreinfo device hand on, and at a crash it is rewritten with
 *    CRASHTIME (crash_save_vmcoreinfo(), from the safe copy that kexec_load
 *    puts in the crash kernel's memory when a capture kernel is loaded).
 * Both start a page, so looking at the first bytes of each page finds
 * them. The note is taken as soon as one is found, because it is what a
 * dump with VMCOREINFO would have carried; failing that, the first text
 * page with CRASHTIME, else the first text page.
 */
#include <stdlib.h>
#include <string.h>

#include "dump/format.h"

#define SCAN_STEP	4096	/* the smallest page size of any arch */
#define MAGIC		"OSRELEASE="
#define MAGIC_LEN	(sizeof(MAGIC) - 1)
#define NOTE_NAME	"VMCOREINFO"
#define NOTE_HEAD	24	/* Elf_Nhdr (12) + "VMCOREINFO\0" padded (12) */
#define HEAD_BYTES	(NOTE_HEAD + MAGIC_LEN)
#define MAX_TEXT	(64 << 10)	/* VMCOREINFO_BYTES is one kernel page */

struct candidate {
	char *text;
	size_t len;
	uint64_t paddr;		/* of the text */
	bool in_note;
	bool has_crashtime;
};

static uint32_t le32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Does the page starting with head hold VMCOREINFO text, and where? */
static bool looks_like(const unsigned char *head, uint64_t page,
		       uint64_t *text, bool *in_note, uint32_t *descsz)
{
	if (memcmp(head, MAGIC, MAGIC_LEN) == 0) {
		*text = page;
		*in_note = false;
		*descsz = 0;
		return true;
	}
	if (le32(head) == sizeof(NOTE_NAME) && le32(head + 8) == 0 &&
	    memcmp(head + 12, NOTE_NAME, sizeof(NOTE_NAME)) == 0 &&
	    memcmp(head + NOTE_HEAD, MAGIC, MAGIC_LEN) == 0) {
		*text = page + NOTE_HEAD;
		*in_note = true;
		*descsz = le32(head + 4);
		return *descsz > MAGIC_LEN && *descsz <= MAX_TEXT;
	}
	return false;
}

/* The text at paddr: descsz bytes of a note, or up to the NUL that ends
 * vmcoreinfo_data (the rest of the page is zero). */
static struct kdk_error *read_text(struct dump *d, uint64_t paddr,
				   uint32_t descsz, char **out, size_t *len)
{
	size_t cap = descsz ? descsz : SCAN_STEP, have = 0;
	char *buf = NULL;

	for (;;) {
		struct kdk_error *err;
		char *p = realloc(buf, cap + 1);

		if (!p) {
			free(buf);
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		}
		buf = p;
		err = dump_read_phys(d, paddr + have, buf + have, cap - have);
		if (err) {
			free(buf);
			return err;
		}
		buf[cap] = '\0';
		have = cap;
		if (descsz || memchr(buf, '\0', cap) || cap >= MAX_TEXT)
			break;
		cap *= 2;
	}
	*len = strnlen(buf, have);
	*out = buf;
	return NULL;
}

/* VMCOREINFO that the kernel wrote, not bytes that happen to start so:
 * it parses, names the release and the page size, and gives the kernel
 * page tables (every arch with an MMU writes SYMBOL(swapper_pg_dir)). */
static bool valid(const char *text, size_t len, bool *has_crashtime)
{
	struct vmcoreinfo *vi;
	struct kdk_error *err = vmcoreinfo_parse(text, len, &vi);
	const char *release;
	uint64_t pgd;
	int64_t size;
	bool ok;

	if (err) {
		kdk_error_free(err);
		return false;
	}
	release = vmcoreinfo_get(vi, "OSRELEASE");
	err = vmcoreinfo_decimal(vi, "PAGESIZE", &size);
	if (!err)
		err = vmcoreinfo_symbol(vi, "swapper_pg_dir", &pgd);
	ok = !err && release && *release && size >= 4096 &&
	     !(size & (size - 1));
	*has_crashtime = vmcoreinfo_get(vi, "CRASHTIME") != NULL;
	kdk_error_free(err);
	vmcoreinfo_free(vi);
	return ok;
}

/* The note first, then text with CRASHTIME, then the first found. */
static bool better(const struct candidate *c, const struct candidate *best)
{
	if (!best->text)
		return true;
	if (c->in_note != best->in_note)
		return c->in_note;
	return c->has_crashtime && !best->has_crashtime;
}

/* Look at the page at paddr; a valid find replaces a worse *best. */
static struct kdk_error *try_page(struct dump *d, uint64_t paddr,
				  struct candidate *best)
{
	unsigned char head[HEAD_BYTES];
	struct candidate c = { 0 };
	struct kdk_error *err;
	uint32_t descsz;

	err = dump_read_phys(d, paddr, head, sizeof(head));
	if (err) {	/* not in the dump: nothing to find there */
		kdk_error_free(err);
		return NULL;
	}
	if (!looks_like(head, paddr, &c.paddr, &c.in_note, &descsz))
		return NULL;
	err = read_text(d, c.paddr, descsz, &c.text, &c.len);
	if (err) {
		if (err->code == KDK_ERR_NOMEM)
			return err;
		kdk_error_free(err);
		return NULL;
	}
	if (!valid(c.text, c.len, &c.has_crashtime) || !better(&c, best)) {
		free(c.text);
		return NULL;
	}
	free(best->text);
	*best = c;
	return NULL;
}

struct kdk_error *dump_scan_vmcoreinfo(struct dump *d,
				       struct dump_vmcoreinfo_found *out)
{
	struct candidate best = { 0 };
	uint64_t pages = 0;
	struct kdk_error *err = NULL;

	dump_source_advise(d->src, DUMP_ACCESS_SEQUENTIAL);
	for (size_t i = 0; i < d->n_ranges && !err &&
	     !(best.text && best.in_note); i++) {
		const struct dump_range *r = &d->ranges[i];
		uint64_t page = (r->start + SCAN_STEP - 1) / SCAN_STEP *
				SCAN_STEP;

		for (; page + HEAD_BYTES <= r->end && !err &&
		       !(best.text && best.in_note); page += SCAN_STEP) {
			err = try_page(d, page, &best);
			pages++;
		}
	}
	dump_source_advise(d->src, DUMP_ACCESS_RANDOM);
	*out = (struct dump_vmcoreinfo_found){
		.text = best.text, .len = best.len,
		.paddr = best.in_note ? best.paddr - NOTE_HEAD : best.paddr,
		.in_note = best.in_note, .pages_scanned = pages,
	};
	if (err) {
		free(best.text);
		out->text = NULL;
		return err;
	}
	if (!best.text)
		return kdk_error(KDK_ERR_NOT_FOUND, "no VMCOREINFO in the "
				 "dump's memory (%llu pages looked at)",
				 (unsigned long long)pages);
	return NULL;
}
