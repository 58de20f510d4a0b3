/* ELF notes of a dump: the PT_NOTE segment of an ELF vmcore, or the note
 * area of a kdump-compressed dump (which makedumpfile and QEMU copy from
 * the same notes). The kernel's crash notes are NT_PRSTATUS ("CORE"), one
 * per CPU that saved its registers, and "VMCOREINFO"; QEMU adds a "QEMU"
 * note per vCPU with its control registers.
 */
#ifndef KDK_DUMP_NOTES_H
#define KDK_DUMP_NOTES_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define DUMP_NT_PRSTATUS 1

struct dump_note {
	char name[32];			/* truncated if longer */
	uint32_t type;
	const unsigned char *desc;	/* into struct dump_notes' copy */
	uint32_t descsz;
};

struct dump_notes {
	unsigned char *data;	/* our copy of the note area */
	size_t size;		/* its bytes */
	struct dump_note *v;
	size_t n;
};

/* Parse a note area (copied). On a malformed note the notes before it are
 * kept in out and an error says where parsing stopped. */
struct kdk_error *dump_notes_parse(const void *area, size_t len,
				   struct dump_notes *out);
void dump_notes_free(struct dump_notes *notes);

/* The first note with this name and type, or NULL. */
const struct dump_note *dump_notes_find(const struct dump_notes *notes,
					const char *name, uint32_t type);

/* An NT_PRSTATUS note, as struct elf_prstatus of a 64-bit kernel
 * (include/linux/elfcore.h): pr_pid at byte 32, pr_reg (the arch's
 * elf_gregset_t: 27 longs on x86_64, 34 on arm64) at byte 112, then
 * int pr_fpvalid padded to 8 bytes. */
struct dump_prstatus {
	int32_t pid;
	const void *regs;
	size_t regs_size;
};

struct kdk_error *dump_note_prstatus(const struct dump_note *note,
				     struct dump_prstatus *out);

#endif
