/* Typed memory printed as gdb prints it (and crash shows it): structs with
 * nested braces two spaces a level, arrays inline, char arrays as strings
 * with octal escapes, pointers in hex with <symbol+offset>, enums by name,
 * bitfields as numbers. */
#ifndef KDK_EXPR_VALUE_PRINT_H
#define KDK_EXPR_VALUE_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "base/json.h"
#include "debuginfo/types.h"

struct value_printer {
	FILE *out;
	char format;		/* integers: 0 natural, 'x' hex, 'd' signed */
	/* "<name+off>" text for addr into buf, or false: none */
	bool (*symbolize)(void *arg, uint64_t addr, char *buf, size_t n);
	/* Memory a char pointer points to (the string gdb shows). */
	struct kdk_error *(*read)(void *arg, uint64_t addr, void *buf,
				  size_t n);
	void *arg;
	/* gdb's print format letters (p /x, p /d) rather than an output
	 * radix: chars, enums, bools and pointers print as numbers too,
	 * char arrays as arrays of them. */
	bool letter;
	/* Elements of an array shown before "..." (gdb's "print elements",
	 * 256 under crash's p); 0: all. */
	unsigned int elem_limit;
};

/* The value of type t in data (its bytes, read from addr), at indent:
 * "{\n  next = 0x0,\n ...}" or "0" (no newline at the end). */
void value_print(const struct value_printer *p, struct type *t,
		 const uint8_t *data, uint64_t addr, int indent);

/* A whole value as gdb's print shows it after "$N = ": a pointer with its
 * type first ("(struct page *) 0x..."; not a char pointer, not under a
 * format letter), a function as "{void (void)} 0x... <schedule>", else as
 * value_print. t NULL: a function without debug info (gdb's "<text
 * variable, no debug info>"). */
void value_print_top(const struct value_printer *p, struct type *t,
		     const uint8_t *data, uint64_t addr);

/* One member as "name = value" lines: the bits at bit_offset (bit_size
 * of them for a bitfield, else 0) of data. */
void value_print_member(const struct value_printer *p, const char *name,
			struct type *t, const uint8_t *data,
			uint64_t bit_offset, uint32_t bit_size,
			uint64_t addr, int indent);

/* The bit_size bits at bit_offset of data (little-endian), unsigned. */
uint64_t value_load_bits(const uint8_t *data, uint64_t bit_offset,
			 uint32_t bit_size);

/* The same value as JSON: structs as objects (members of unnamed structs
 * and unions merged in), arrays as arrays, char arrays as strings,
 * pointers as "0x..." strings, enums by name, numbers as numbers. */
void value_json_member(struct json_writer *w, struct type *t,
		       const uint8_t *data, uint64_t bit_offset,
		       uint32_t bit_size, uint64_t addr);

#endif
