/* The kernel's own .config, built in with CONFIG_IKCONFIG.
 *
 * kernel/configs.c (since 5.1) puts the gzip of .config in .rodata between
 * two markers: "IKCFG_ST", the label kernel_config_data, the gzip stream,
 * the label kernel_config_data_end, "IKCFG_ED". Before 5.1 the markers
 * were inside the kernel_config_data array itself. scripts/extract-ikconfig
 * finds the same markers in a kernel image. With CONFIG_IKCONFIG=m the
 * blob is in the module configs.ko instead, which is not read here.
 */
#ifndef KDK_KERNEL_IKCONFIG_H
#define KDK_KERNEL_IKCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "target/target.h"

#define IKCONFIG_START "IKCFG_ST"
#define IKCONFIG_END "IKCFG_ED"

/* Where the blob was found. */
enum ikconfig_where {
	IKCONFIG_AT_SYMBOL,		/* kernel_config_data */
	IKCONFIG_BY_SCAN,		/* a scan of the kernel's .rodata */
};

struct ikconfig {
	char *text;			/* the .config, NUL-terminated */
	size_t len;
	enum ikconfig_where where;
	uint64_t addr;			/* of the gzip stream */
	size_t gz_len;
};

void ikconfig_free(struct ikconfig *c);

/* Inflate one gzip stream of len bytes into a NUL-terminated text. */
struct kdk_error *ikconfig_inflate(const void *gz, size_t len, char **text,
				   size_t *text_len);

/* Find IKCFG_ST ... IKCFG_ED in buf: *gz_off and *gz_len give the bytes
 * between them. KDK_ERR_NOT_FOUND without a start marker, KDK_ERR_FORMAT
 * with a start and no end. */
struct kdk_error *ikconfig_find_markers(const void *buf, size_t len,
					size_t *gz_off, size_t *gz_len);

/* Both: the config held in buf between the markers. */
struct kdk_error *ikconfig_extract(const void *buf, size_t len,
				   char **text, size_t *text_len);

/* One line of a .config: "CONFIG_X=value" (is_set) or "# CONFIG_X is
 * not set" (!is_set, value empty). A string value keeps its quotes.
 * False for comments and blank lines. */
struct ikconfig_entry {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	bool is_set;
};

bool ikconfig_parse_line(const char *line, size_t len,
			 struct ikconfig_entry *out);

/* The value as a program wants it: a string without its quotes and the
 * backslashes Kconfig escapes '"' and '\\' with, anything else as
 * written. buf holds e->value_len bytes; returns the length (no NUL). */
size_t ikconfig_value(const struct ikconfig_entry *e, char *buf);

/* The config of the dump's kernel: at kernel_config_data, else by a
 * scan of the kernel's read-only data. KDK_ERR_NOT_FOUND, saying so,
 * when the kernel was built without it. */
struct kdk_error *ikconfig_read(struct target *t, const struct symtab *st,
				struct ikconfig *out);

#endif
