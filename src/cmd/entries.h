/* What the commands that walk kernel data structures (list, tree) share:
 * the offset and start arguments as crash takes them, and one entry's
 * output: its address, an optional position line, and with -s the
 * members `struct` would print for it. */
#ifndef KDK_CMD_ENTRIES_H
#define KDK_CMD_ENTRIES_H

#include <stdint.h>

#include "base/json.h"
#include "shell/session.h"

struct entries_show {
	const char *show;	/* -s STRUCT[.MEMBER,...]; NULL: addresses */
	int radix;		/* for -s: 10 or 16 */
	uint64_t show_off;	/* -s shows the struct at entry - show_off
				 * (list -l: entries are link addresses) */
};

/* "STRUCT.MEMBER" (struct or not) or a number: an offset in bytes. */
struct kdk_error *entries_parse_offset(struct session *s, const char *arg,
				       uint64_t *off);

/* A start address: a number or symbol expression as other commands take
 * it, else a C expression: an object's address (init_task.tasks), a
 * pointer's value ((struct mm_struct *)0x...)->mm_mt. */
struct kdk_error *entries_parse_start(struct session *s, const char *arg,
				      uint64_t *addr);

/* The 8-byte pointer at addr; the error names the address. */
struct kdk_error *entries_read_ptr(struct session *s, uint64_t addr,
				   uint64_t *out);

/* One entry: "ADDR" (hex, no 0x), then "  POSITION" when position is not
 * NULL, then the members of -s; with --json one object {address,
 * position, members} in w's array. */
struct kdk_error *entries_emit(struct session *s, const struct entries_show *o,
			       struct json_writer *w, uint64_t entry,
			       const char *position);

#endif
