/* ORC entry decoding and table search on tables built in memory. */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "unwind/orc.h"

/* A fake address space: [BASE, BASE + sizeof(mem)). */
#define BASE 0xffffffff81000000ull
static unsigned char mem[4096];

static struct kdk_error *read_mem(void *arg, uint64_t addr, void *buf,
				  size_t len)
{
	(void)arg;
	if (addr < BASE || addr + len > BASE + sizeof(mem))
		return kdk_error(KDK_ERR_NOT_PRESENT, "outside the test "
				 "memory");
	memcpy(buf, mem + (addr - BASE), len);
	return NULL;
}

/* Entry i at IP ips[i]: ip table at offset 0, entries at 1024. */
static void put_table(const uint64_t *ips, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t where = BASE + 4 * i;
		int32_t rel = (int32_t)(ips[i] - where);
		unsigned char e[6] = { (unsigned char)(8 * (i + 1)), 0, 0xff,
				       0xff, 0x15, (unsigned char)(i == n - 1
						? 0x04 : 0) };

		memcpy(mem + 4 * i, &rel, 4);
		memcpy(mem + 1024 + 6 * i, e, 6);
	}
}

int main(void)
{
	/* 6.1's layout: sp_offset -8 (0xfff8), bp_offset 16, sp_reg SP (5),
	 * bp_reg PREV_SP (1), type REGS (1), end 1. */
	const unsigned char raw[6] = { 0xf8, 0xff, 0x10, 0x00, 0x15, 0x05 };
	struct orc_entry e;

	orc_entry_decode(raw, &e);
	ok(e.sp_offset == -8, "sp_offset is a signed 16-bit value");
	ok(e.bp_offset == 16, "bp_offset");
	ok(e.sp_reg == ORC_REG_SP, "sp_reg in the low nibble");
	ok(e.bp_reg == ORC_REG_PREV_SP, "bp_reg in the high nibble");
	ok(e.type == ORC_TYPE_REGS, "type in the low two bits");
	ok(e.end, "end is bit 2 of the last byte");

	const uint64_t ips[] = {
		BASE + 0x100, BASE + 0x110, BASE + 0x180, BASE + 0x200,
		BASE + 0x400,
	};
	struct orc_table t = {
		.ip_table = BASE, .orc_table = BASE + 1024, .n = 5,
	};
	uint64_t at;
	bool found;

	put_table(ips, 5);
	ok(!orc_table_find(&t, read_mem, NULL, BASE + 0x100, &e, &at, &found)
	   && found && at == BASE + 0x100 && e.sp_offset == 8,
	   "an IP of the table finds its own entry");
	ok(!orc_table_find(&t, read_mem, NULL, BASE + 0x17f, &e, &at, &found)
	   && found && at == BASE + 0x110 && e.sp_offset == 16,
	   "an IP between two finds the lower one");
	ok(!orc_table_find(&t, read_mem, NULL, BASE + 0x5000, &e, &at, &found)
	   && found && at == BASE + 0x400 && e.end,
	   "an IP past the last finds the last");
	ok(!orc_table_find(&t, read_mem, NULL, BASE + 0x50, &e, &at, &found)
	   && !found, "an IP below the first finds none");

	/* The kernel's orc_lookup: block i holds the first entry for text
	 * at text_start + 256 * i. Blocks: [0x100,0x200) -> 0..2,
	 * [0x200,0x300) -> 3, [0x300,0x400) -> 3, end. */
	const uint32_t lookup[] = { 0, 3, 3, 3, 4 };

	memcpy(mem + 2048, lookup, sizeof(lookup));
	t.lookup = BASE + 2048;
	t.lookup_blocks = 5;
	t.text_start = BASE + 0x100;
	t.text_end = BASE + 0x500;
	ok(!orc_table_find(&t, read_mem, NULL, BASE + 0x190, &e, &at, &found)
	   && found && at == BASE + 0x180, "orc_lookup narrows to the block");
	ok(!orc_table_find(&t, read_mem, NULL, BASE + 0x3ff, &e, &at, &found)
	   && found && at == BASE + 0x200,
	   "a block without its own entry uses the one before it");

	t.n = 0;
	ok(!orc_table_find(&t, read_mem, NULL, BASE + 0x190, &e, &at, &found)
	   && !found, "an empty table finds none");
	t.n = 5;
	t.ip_table = BASE + 8192;
	{
		struct kdk_error *err = orc_table_find(&t, read_mem, NULL,
						       BASE + 0x190, &e, &at,
						       &found);
		ok(err && strstr(err->msg, "ORC IP table"),
		   "an unreadable table is an error that says which");
		kdk_error_free(err);
	}
	return tap_done();
}
