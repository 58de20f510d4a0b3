/* Why the kernel is tainted: add_taint()'s bits and their letters.
 *
 * tainted_mask (kernel/panic.c) is an unsigned long of TAINT_* bits, and
 * taint_flags[] holds one struct taint_flag { char c_true; char c_false;
 * bool module; } per bit, in bit order: the letter print_tainted() shows
 * when the bit is set and when it is not. Both the bits and the letters
 * are an ABI (Documentation/admin-guide/tainted-kernels.rst); Linux 6.1
 * has 19 of them, P/G (0) to N (18).
 *
 * The mask is read from tainted_mask when a symbol names it; kernels
 * without CONFIG_KALLSYMS_ALL (Debian's arm64) have no data symbols in
 * kallsyms, and then the mask is taken from the "Tainted:" letters of
 * the last oops/WARN/panic header in the kernel log.
 */
#ifndef KDK_KERNEL_TAINT_H
#define KDK_KERNEL_TAINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "target/target.h"

/* tainted_mask is one unsigned long. */
#define TAINT_MAX_FLAGS 64

/* TAINT_DIE: set by oops_end()/die() after the oops is printed. */
#define TAINT_BIT_DIE 7
/* TAINT_WARN: set by __warn() after the warning is printed. */
#define TAINT_BIT_WARN 9

struct taint_table {
	int count;
	bool from_kernel;		/* read from taint_flags[] */
	char c_true[TAINT_MAX_FLAGS];
	char c_false[TAINT_MAX_FLAGS];
	bool module[TAINT_MAX_FLAGS];
};

/* What the log says: the letters of its last "Tainted:" header. */
struct taint_log {
	bool found;			/* a header was found */
	uint64_t mask;
	char header[256];		/* that record's first line */
	/* Letters of the header that no flag of the table has. */
	char unknown[TAINT_MAX_FLAGS + 1];
	/* panic("... Fatal exception") came after the header: oops_end()
	 * and arm64's die() set TAINT_DIE before calling it, and the
	 * header was printed before that. */
	bool died_after;
	/* The header was a WARN's: __warn() (kernel/panic.c) prints
	 * "WARNING: CPU: ...", then the header, and only then sets
	 * TAINT_WARN. warn_pending: a WARNING line waits for its header. */
	bool warned_after;
	bool warn_pending;
};

enum taint_source {
	TAINT_FROM_MASK,		/* tainted_mask in memory */
	TAINT_FROM_LOG,			/* the log's last header */
};

struct taint_info {
	uint64_t mask;
	enum taint_source source;
	struct taint_table table;
	struct taint_log log;		/* searched whenever a log is there */
	/* Why the log was not searched or read (NULL if it was). */
	struct kdk_error *log_err;
};

/* The documented table of Linux 6.1 (the 19 flags of tainted-kernels.rst). */
void taint_table_builtin(struct taint_table *out);

/* The TAINT_* name of bit (without "TAINT_"), or NULL past the builtin
 * table. */
const char *taint_flag_name(int bit);

/* Take the kernel's taint_flags[] from raw bytes (3 bytes an entry, at
 * most len / 3 entries): entries are kept while they look like the
 * kernel's (an upper-case c_true, c_false a blank, '-' or upper-case,
 * module 0 or 1). False if not one entry does. */
bool taint_table_parse(const unsigned char *raw, size_t len,
		       struct taint_table *out);

/* crash's letters: c_true of every set bit, and c_false of every clear
 * one unless it is ' ', '-' or 'G' (bit order). */
void taint_letters(const struct taint_table *tab, uint64_t mask, char *buf,
		   size_t len);

/* A log record's taint header: "... Tainted: G           OE      6.1..."
 * or "... Not tainted 6.1...". True if text is one, with *mask the bits
 * its letters name; letters that no flag has go to unknown (at most
 * TAINT_MAX_FLAGS of them, NUL-terminated). */
bool taint_parse_header(const char *text, size_t len,
			const struct taint_table *tab, uint64_t *mask,
			char *unknown);

/* Scan the log for headers: feed every record, oldest first, to
 * taint_log_feed (after zeroing out). */
void taint_log_feed(struct taint_log *out, const struct taint_table *tab,
		    uint8_t facility, const char *text, size_t len);
/* The mask the log stands for: the header's bits, TAINT_DIE when the
 * kernel died of the oops after printing it, and TAINT_WARN when the
 * header was a WARN's. */
uint64_t taint_log_mask(const struct taint_log *log);

/*
 * Read the taints of the dump's kernel. The table is the kernel's own
 * when taint_flags is known, else the builtin one. The mask is
 * tainted_mask's, else the log's (source says which); an error only
 * when neither can be had. Free out->log_err with kdk_error_free
 * afterwards, whatever the return.
 */
struct kdk_error *taint_read(struct target *t, const struct symtab *st,
			     struct taint_info *out);

#endif
