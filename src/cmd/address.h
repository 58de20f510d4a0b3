/* Address operands of rd, vtop, ptov, sym ...: as crash takes them, a
 * word of hex digits (with or without 0x) is hexadecimal whatever the
 * radix, and anything else is an expression whose words are kernel
 * symbols (linux_banner+0x28, "(jiffies + 8)"). */
#ifndef KDK_CMD_ADDRESS_H
#define KDK_CMD_ADDRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "shell/session.h"

/* Is arg all hex digits, with an optional 0x? */
bool address_is_hex(const char *arg);

struct kdk_error *address_parse(struct session *s, const char *arg,
				uint64_t *addr);

/* The calc hook (expr/calc.h) that gives a kernel symbol's value from the
 * session's symbols; arg is the struct session. */
struct kdk_error *address_symbol_value(void *arg, const char *name,
					size_t len, uint64_t *value);

/* A symbol of a loaded module, from its in-memory kallsyms. */
struct address_module_hit {
	const char *module;
	const char *name;
	uint64_t sym_addr;		/* where the symbol starts */
	uint64_t offset;		/* of the address asked, from sym_addr */
	char type;
};

/* Is addr inside a loaded module (false if it isn't, or the module list
 * cannot be read)? If it is, *hit is its symbol, or the error says why
 * none holds addr. */
bool address_in_module(struct session *s, uint64_t addr,
		       struct address_module_hit *hit,
		       struct kdk_error **err);

/* Is addr in the kernel image, _text (or _stext) up to _end (or
 * _etext)? Past it, the symbol below an address (the last one, a per-CPU
 * offset, an absolute value) does not hold it. */
bool address_in_image(struct session *s, uint64_t addr);

/* A count or other number: an expression, decimal unless it says 0x. */
struct kdk_error *address_parse_number(struct session *s, const char *arg,
				       uint64_t *value);

#endif
