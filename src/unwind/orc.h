/* x86_64 ORC: the kernel's own unwind tables, decoded and searched.
 *
 * objtool writes, for every instruction boundary where the stack layout
 * changes, a relative IP (int32, sorted: .orc_unwind_ip) and a 6-byte
 * struct orc_entry (.orc_unwind) saying how to find the caller's stack
 * pointer, frame pointer and return address. The tables stay in memory
 * between __start_orc_unwind_ip/__stop_orc_unwind_ip and
 * __start_orc_unwind; each module has its own (struct module's
 * arch.orc_unwind_ip, orc_unwind, num_orcs). Layout as of Linux 6.1
 * (arch/x86/include/asm/orc_types.h):
 *
 *	s16 sp_offset; s16 bp_offset;
 *	unsigned sp_reg:4, bp_reg:4, type:2, end:1;	(little-endian)
 *
 * (6.4 widened type to 3 bits and renamed end to signal; not handled.)
 * Everything here reads memory through a callback, so tests run it on
 * tables built in memory.
 */
#ifndef KDK_UNWIND_ORC_H
#define KDK_UNWIND_ORC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define ORC_ENTRY_SIZE 6

enum orc_reg {
	ORC_REG_UNDEFINED = 0,
	ORC_REG_PREV_SP = 1,
	ORC_REG_DX = 2,
	ORC_REG_DI = 3,
	ORC_REG_BP = 4,
	ORC_REG_SP = 5,
	ORC_REG_R10 = 6,
	ORC_REG_R13 = 7,
	ORC_REG_BP_INDIRECT = 8,
	ORC_REG_SP_INDIRECT = 9,
};

enum orc_type {
	ORC_TYPE_CALL = 0,
	ORC_TYPE_REGS = 1,		/* a full pt_regs at the CFA */
	ORC_TYPE_REGS_PARTIAL = 2,	/* an iret frame at the CFA */
};

struct orc_entry {
	int16_t sp_offset;
	int16_t bp_offset;
	uint8_t sp_reg;
	uint8_t bp_reg;
	uint8_t type;
	bool end;		/* an undefined sp_reg here ends the stack */
};

void orc_entry_decode(const unsigned char raw[ORC_ENTRY_SIZE],
		      struct orc_entry *out);

typedef struct kdk_error *orc_read_fn(void *arg, uint64_t addr, void *buf,
				      size_t len);

/* One ORC table in memory: n relative IPs at ip_table, n entries at
 * orc_table. The kernel's fast path (orc_lookup) narrows the search for
 * addresses in [text_start, text_end) when lookup is set. */
struct orc_table {
	uint64_t ip_table;
	uint64_t orc_table;
	uint64_t n;
	uint64_t lookup;		/* orc_lookup, or 0 */
	uint64_t lookup_blocks;		/* lookup_num_blocks */
	uint64_t text_start;		/* _stext: LOOKUP_START_IP */
	uint64_t text_end;
};

/* The kernel's LOOKUP_BLOCK_SIZE (arch/x86/include/asm/orc_lookup.h). */
#define ORC_LOOKUP_BLOCK_SIZE 256

/*
 * The entry that covers ip: the last one whose IP is at or below it, as
 * the kernel's __orc_find(). *found is false when ip is below the table's
 * first IP (the entry is then not filled).
 */
struct kdk_error *orc_table_find(const struct orc_table *t, orc_read_fn *read,
				 void *arg, uint64_t ip, struct orc_entry *out,
				 uint64_t *entry_ip, bool *found);

#endif
