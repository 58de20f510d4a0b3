/* gdb's value layout ("set print pretty on" as crash sets it, with no
 * repeat folding and no element limit). crash's -x and -d set gdb's output
 * radix, which changes integers only: pointers, chars, enums and strings
 * print as they do without. */
#include "expr/value_print.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A char pointer's string is read up to here. */
#define STRING_MAX 4096

uint64_t value_load_bits(const uint8_t *data, uint64_t bit_offset,
			 uint32_t bit_size)
{
	uint64_t v = 0;

	/* little-endian: bit i of the value is bit (off + i) of memory */
	for (uint32_t i = 0; i < bit_size; i++) {
		uint64_t b = bit_offset + i;

		if (data[b / 8] >> (b % 8) & 1)
			v |= 1ULL << i;
	}
	return v;
}

static uint64_t load_le(const uint8_t *data, uint64_t size)
{
	uint64_t v = 0;

	for (uint64_t i = 0; i < size && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

static int64_t sign_extend(uint64_t v, unsigned int bits)
{
	if (bits >= 64 || bits == 0)
		return (int64_t)v;
	if (v >> (bits - 1) & 1)
		v |= ~0ULL << bits;
	return (int64_t)v;
}

static void put_char_escaped(FILE *out, uint8_t c, char quote)
{
	static const char named[] = "\a\b\f\n\r\t\v";
	static const char letters[] = "abfnrtv";
	const char *n = c ? strchr(named, c) : NULL;

	if (c == (uint8_t)quote || c == '\\')
		fprintf(out, "\\%c", c);
	else if (n)
		fprintf(out, "\\%c", letters[n - named]);
	else if (c >= 0x20 && c < 0x7f)
		fputc(c, out);
	else
		fprintf(out, "\\%03o", c);
}

static void put_string(FILE *out, const uint8_t *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++)
		put_char_escaped(out, s[i], '"');
	fputc('"', out);
}

/* An integer of bits width, value v, as the format says. */
static void put_int(const struct value_printer *p, struct type *t,
		    uint64_t v, unsigned int bits)
{
	if (bits < 64)
		v &= (1ULL << bits) - 1;
	if (p->letter && p->format == 'd') {
		fprintf(p->out, "%" PRId64, sign_extend(v, bits));
		return;
	}
	if (p->format == 'x')
		fprintf(p->out, "0x%" PRIx64, v);
	else if (p->format == 'd' || t->is_signed)
		fprintf(p->out, "%" PRId64, sign_extend(v, bits));
	else
		fprintf(p->out, "%" PRIu64, v);
	/* under an output radix of 16 gdb shows a char as a number only */
	if (t->is_char && !p->letter && p->format != 'x') {
		fputs(" '", p->out);
		put_char_escaped(p->out, (uint8_t)v, '\'');
		fputc('\'', p->out);
	}
}

static void put_enum(const struct value_printer *p, struct type *t,
		     uint64_t v, unsigned int bits)
{
	int64_t sv = t->is_signed ? sign_extend(v, bits) : (int64_t)v;

	if (!p->letter && !type_fill(t))
		for (size_t i = 0; i < t->n_members; i++)
			if (t->enumerators[i].value == sv) {
				fputs(t->enumerators[i].name, p->out);
				return;
			}
	put_int(p, t, v, bits);
}

static bool is_char_type(struct type *t)
{
	t = type_strip(t);
	return t && t->kind == TYPE_INT && t->is_char && t->size == 1;
}

/* The string at addr, up to its NUL, as gdb shows a char pointer's. */
static void put_pointed_string(const struct value_printer *p, uint64_t addr)
{
	uint8_t buf[256];
	size_t total = 0;
	uint8_t *s = NULL;
	bool done = false;

	if (!p->read)
		return;
	while (!done && total < STRING_MAX) {
		/* to the end of the page, so a string at a page's end is
		 * not lost to the next page being absent */
		size_t n = sizeof(buf) - (addr + total) % sizeof(buf);
		struct kdk_error *err = p->read(p->arg, addr + total, buf, n);
		uint8_t *grown;
		size_t len;

		if (err) {
			kdk_error_free(err);
			if (!total) {
				fprintf(p->out, " <error: Cannot access memory "
					"at address 0x%" PRIx64 ">", addr);
				free(s);
				return;
			}
			break;
		}
		len = strnlen((char *)buf, n);
		done = len < n;
		grown = realloc(s, total + len + 1);
		if (!grown)
			break;
		s = grown;
		memcpy(s + total, buf, len);
		total += len;
	}
	fputc(' ', p->out);
	put_string(p->out, s ? s : (const uint8_t *)"", total);
	free(s);
}

static void put_address(const struct value_printer *p, struct type *to,
			uint64_t v)
{
	char sym[256];

	if (p->letter) {
		if (p->format == 'd')
			fprintf(p->out, "%" PRId64, (int64_t)v);
		else
			fprintf(p->out, "0x%" PRIx64, v);
		return;
	}
	fprintf(p->out, "0x%" PRIx64, v);
	if (!v)
		return;
	if (p->symbolize && p->symbolize(p->arg, v, sym, sizeof(sym)))
		fprintf(p->out, " %s", sym);
	if (is_char_type(to))
		put_pointed_string(p, v);
}

static void put_members(const struct value_printer *p, struct type *t,
			const uint8_t *data, uint64_t addr, int indent);

static void put_array(const struct value_printer *p, struct type *t,
		      const uint8_t *data, uint64_t addr, int indent)
{
	struct type *elem = t->target;
	uint64_t esize = elem ? type_strip(elem)->size : 0;

	if (!t->count || !esize) {
		/* flexible: gdb shows where it starts */
		put_address(p, elem, addr);
		return;
	}
	if (is_char_type(elem) && !p->letter) {
		size_t n = t->count;

		if (n && data[n - 1] == 0)
			n--;
		put_string(p->out, data, n);
		return;
	}
	fputc('{', p->out);
	for (uint64_t i = 0; i < t->count; i++) {
		if (p->elem_limit && i == p->elem_limit) {
			fputs("...", p->out);
			break;
		}
		if (i)
			fputs(", ", p->out);
		value_print(p, elem, data + i * esize, addr + i * esize,
			    indent + 2);
	}
	fputc('}', p->out);
}

void value_print(const struct value_printer *p, struct type *t,
		 const uint8_t *data, uint64_t addr, int indent)
{
	struct type *s = type_strip(t);

	if (!s || s->kind == TYPE_VOID) {
		fputs("void", p->out);
		return;
	}
	switch (s->kind) {
	case TYPE_STRUCT:
	case TYPE_UNION:
		if (!type_fill(s) && !s->n_members) {
			fputs("{<No data fields>}", p->out);
			return;
		}
		fputs("{\n", p->out);
		put_members(p, s, data, addr, indent);
		fprintf(p->out, "%*s}", indent, "");
		return;
	case TYPE_ARRAY:
		put_array(p, s, data, addr, indent);
		return;
	case TYPE_POINTER:
		put_address(p, s->target, load_le(data, s->size));
		return;
	case TYPE_BOOL: {
		uint64_t v = load_le(data, s->size);

		if (p->letter || p->format == 'x')
			put_int(p, s, v, 8 * s->size);
		else if (v <= 1)
			fputs(v ? "true" : "false", p->out);
		else
			fprintf(p->out, "%" PRIu64, v);
		return;
	}
	case TYPE_ENUM:
		put_enum(p, s, load_le(data, s->size), 8 * s->size);
		return;
	case TYPE_FLOAT:
		if (s->size == 8) {
			double d;

			memcpy(&d, data, 8);
			fprintf(p->out, "%g", d);
		} else if (s->size == 4) {
			float f;

			memcpy(&f, data, 4);
			fprintf(p->out, "%g", f);
		} else {
			fputs("<long double>", p->out);
		}
		return;
	case TYPE_FUNCTION:
		put_address(p, NULL, addr);
		return;
	default:
		put_int(p, s, load_le(data, s->size), 8 * s->size);
		return;
	}
}

void value_print_member(const struct value_printer *p, const char *name,
			struct type *t, const uint8_t *data,
			uint64_t bit_offset, uint32_t bit_size,
			uint64_t addr, int indent)
{
	struct type *s = type_strip(t);

	fprintf(p->out, "%*s", indent, "");
	if (name)
		fprintf(p->out, "%s = ", name);
	if (bit_size) {
		uint64_t v = value_load_bits(data, bit_offset, bit_size);

		if (s && s->kind == TYPE_ENUM)
			put_enum(p, s, v, bit_size);
		else if (s && s->kind == TYPE_BOOL && v <= 1 &&
			 !p->letter && p->format != 'x')
			fputs(v ? "true" : "false", p->out);
		else if (s)
			put_int(p, s, v, bit_size);
		return;
	}
	value_print(p, t, data + bit_offset / 8, addr + bit_offset / 8,
		    indent);
}

void value_print_top(const struct value_printer *p, struct type *t,
		     const uint8_t *data, uint64_t addr)
{
	struct type *s = type_strip(t);
	char sym[256];
	char *name;

	if (!s || s->kind == TYPE_FUNCTION) {
		name = t ? type_name(t) : NULL;
		fprintf(p->out, "{%s} 0x%" PRIx64, name ? name :
			"<text variable, no debug info>", addr);
		free(name);
		if (p->symbolize && p->symbolize(p->arg, addr, sym,
						 sizeof(sym)))
			fprintf(p->out, " %s", sym);
		return;
	}
	if (s->kind == TYPE_POINTER && !p->letter && !is_char_type(s->target)) {
		name = type_name(t);
		fprintf(p->out, "(%s) ", name ? name : "?");
		free(name);
	}
	value_print(p, t, data, addr, 0);
}

static void put_members(const struct value_printer *p, struct type *t,
			const uint8_t *data, uint64_t addr, int indent)
{
	if (type_fill(t))
		return;
	for (size_t i = 0; i < t->n_members; i++) {
		const struct type_member *m = &t->members[i];

		value_print_member(p, m->name, m->type, data, m->bit_offset,
				   m->bit_size, addr, indent + 2);
		fputs(i + 1 < t->n_members ? ",\n" : "\n", p->out);
	}
}

static void json_members(struct json_writer *w, struct type *t,
			 const uint8_t *data, uint64_t addr);

void value_json_member(struct json_writer *w, struct type *t,
		       const uint8_t *data, uint64_t bit_offset,
		       uint32_t bit_size, uint64_t addr)
{
	struct type *s = type_strip(t);
	char hex[24];

	if (bit_size) {
		uint64_t v = value_load_bits(data, bit_offset, bit_size);

		if (s && s->is_signed)
			json_int(w, sign_extend(v, bit_size));
		else
			json_uint(w, v);
		return;
	}
	data += bit_offset / 8;
	addr += bit_offset / 8;
	if (!s || s->kind == TYPE_VOID) {
		json_null(w);
		return;
	}
	switch (s->kind) {
	case TYPE_STRUCT:
	case TYPE_UNION:
		json_begin_object(w);
		json_members(w, s, data, addr);
		json_end_object(w);
		return;
	case TYPE_ARRAY: {
		uint64_t esize = s->target ? type_strip(s->target)->size : 0;

		if (!s->count || !esize) {
			snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
			json_string(w, hex);
		} else if (is_char_type(s->target)) {
			json_string_len(w, (const char *)data,
					strnlen((const char *)data, s->count));
		} else {
			json_begin_array(w);
			for (uint64_t i = 0; i < s->count; i++)
				value_json_member(w, s->target, data,
						  i * esize * 8, 0, addr);
			json_end_array(w);
		}
		return;
	}
	case TYPE_POINTER:
		snprintf(hex, sizeof(hex), "0x%" PRIx64, load_le(data, s->size));
		json_string(w, hex);
		return;
	case TYPE_BOOL:
		json_bool(w, load_le(data, s->size) != 0);
		return;
	case TYPE_ENUM: {
		int64_t v = s->is_signed ? sign_extend(load_le(data, s->size),
						       8 * s->size)
					 : (int64_t)load_le(data, s->size);

		if (!type_fill(s))
			for (size_t i = 0; i < s->n_members; i++)
				if (s->enumerators[i].value == v) {
					json_string(w, s->enumerators[i].name);
					return;
				}
		json_int(w, v);
		return;
	}
	case TYPE_FLOAT:
	case TYPE_FUNCTION:
		json_null(w);
		return;
	default:
		if (s->is_signed)
			json_int(w, sign_extend(load_le(data, s->size),
						8 * s->size));
		else
			json_uint(w, load_le(data, s->size));
		return;
	}
}

/* Members of unnamed structs and unions are keys of the outer object, as
 * C names them. */
static void json_members(struct json_writer *w, struct type *t,
			 const uint8_t *data, uint64_t addr)
{
	if (type_fill(t))
		return;
	for (size_t i = 0; i < t->n_members; i++) {
		const struct type_member *m = &t->members[i];
		struct type *ms = type_strip(m->type);

		if (!m->name && ms && (ms->kind == TYPE_STRUCT ||
				       ms->kind == TYPE_UNION)) {
			json_members(w, ms, data + m->bit_offset / 8,
				     addr + m->bit_offset / 8);
			continue;
		}
		json_key(w, m->name ? m->name : "");
		value_json_member(w, m->type, data, m->bit_offset,
				  m->bit_size, addr);
	}
}
