/* Definitions in gdb's ptype layout (4 spaces a level, unnamed structs and
 * unions and members of anonymous type written out in place), and crash's
 * `struct -o` variant: a column of "[offset]" before each member, as wide
 * as the struct's size in digits plus four, blank on lines that open or
 * close an unnamed struct. */
#include "debuginfo/types_print.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct def_printer {
	FILE *out;
	bool offsets;
	bool quiet;		/* inside a named member's body: gdb's
				 * offsets are only on its closing line */
	int width;		/* of the "[N]" column */
	bool by_address;	/* "[ffff...]": base + offset, in hex */
	uint64_t address;
};

/* Start a line at depth (members of the outer type are depth 1). */
static void line_start(struct def_printer *p, int depth, bool has_off,
		       uint64_t off)
{
	if (p->offsets) {
		if (has_off && !p->quiet) {
			char col[32];

			if (p->by_address)
				snprintf(col, sizeof(col), "[%" PRIx64 "]",
					 p->address + off);
			else
				snprintf(col, sizeof(col), "[%" PRIu64 "]",
					 off);
			fprintf(p->out, "%*s ", p->width, col);
		} else {
			fprintf(p->out, "%*s ", p->width, "");
		}
		fprintf(p->out, "%*s", 4 * (depth - 1), "");
	} else {
		fprintf(p->out, "%*s", 4 * depth, "");
	}
}

/* A struct or union without a name whose body is written out in place,
 * under any arrays ("struct {...} tls[3]"). */
static struct type *anonymous_body(struct type *t)
{
	while (t && t->kind == TYPE_ARRAY)
		t = t->target;
	if (t && (t->kind == TYPE_STRUCT || t->kind == TYPE_UNION) &&
	    !t->name && !t->declared_only)
		return t;
	return NULL;
}

static struct kdk_error *print_enum_body(FILE *out, struct type *t)
{
	struct kdk_error *err = type_fill(t);
	int64_t next = 0;

	if (err)
		return err;
	fputc('{', out);
	for (size_t i = 0; i < t->n_members; i++) {
		const struct type_enumerator *e = &t->enumerators[i];

		fprintf(out, "%s%s", i ? ", " : "", e->name);
		if (e->value != next)
			fprintf(out, " = %" PRId64, e->value);
		next = e->value + 1;
	}
	fputc('}', out);
	return NULL;
}

static struct kdk_error *print_members(struct def_printer *p, struct type *t,
				       int depth, uint64_t base);

/* "struct {" ... "}" of body, the lines between at depth + 1. */
static struct kdk_error *print_body(struct def_printer *p, struct type *body,
				    int depth, uint64_t base)
{
	struct kdk_error *err;

	fprintf(p->out, "%s {\n", body->kind == TYPE_UNION ? "union" :
		"struct");
	err = print_members(p, body, depth + 1, base);
	return err;
}

/* One member line, or lines for a member of anonymous type. */
static struct kdk_error *print_member(struct def_printer *p,
				      const struct type_member *m, int depth,
				      uint64_t base)
{
	uint64_t off = base + m->bit_offset / 8;
	struct type *body = anonymous_body(m->type);
	struct kdk_error *err;
	char *decl;

	if (body) {
		const char *rest;

		bool was_quiet = p->quiet;

		line_start(p, depth, false, 0);
		if (m->type->qualifiers & TYPE_CONST)
			fputs("const ", p->out);
		if (m->name)
			p->quiet = true;
		err = print_body(p, body, depth, off);
		p->quiet = was_quiet;
		if (err)
			return err;
		decl = type_declaration(m->type, m->name ? m->name : "");
		if (!decl)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		rest = strstr(decl, "{...}");
		rest = rest ? rest + 5 : "";
		line_start(p, depth, m->name != NULL, off);
		fprintf(p->out, "}%s;\n", rest);
		free(decl);
		return NULL;
	}
	decl = type_declaration(m->type, m->name ? m->name : "");
	if (!decl)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	line_start(p, depth, true, off);
	fputs(decl, p->out);
	if (m->bit_size)
		fprintf(p->out, " : %" PRIu32, m->bit_size);
	fputs(";\n", p->out);
	free(decl);
	return NULL;
}

/* The members of t at depth, then the closing brace at depth - 1 (no
 * newline: the caller ends the line). */
static struct kdk_error *print_members(struct def_printer *p, struct type *t,
				       int depth, uint64_t base)
{
	struct kdk_error *err = type_fill(t);

	if (err)
		return err;
	for (size_t i = 0; i < t->n_members; i++) {
		err = print_member(p, &t->members[i], depth, base);
		if (err)
			return err;
	}
	if (depth > 1)
		return NULL;	/* the member line closes it */
	fputc('}', p->out);
	return NULL;
}

static int offset_width(struct type *t)
{
	char digits[32];

	return snprintf(digits, sizeof(digits), "%" PRIu64,
			type_strip(t)->size) + 4;
}

/* The head of a named or unnamed body: "struct list_head {". */
static void print_head(FILE *out, struct type *t)
{
	if (t->qualifiers & TYPE_CONST)
		fputs("const ", out);
	if (t->qualifiers & TYPE_VOLATILE)
		fputs("volatile ", out);
	fprintf(out, "%s", t->kind == TYPE_UNION ? "union" :
		t->kind == TYPE_ENUM ? "enum" : "struct");
	if (t->name)
		fprintf(out, " %s", t->name);
	fputs(" {", out);
}

/* Body of t (struct, union or enum) with its head. */
static struct kdk_error *print_whole(struct def_printer *p, struct type *t)
{
	if (t->kind == TYPE_ENUM) {
		if (t->qualifiers & TYPE_CONST)
			fputs("const ", p->out);
		fprintf(p->out, "enum %s%s", t->name ? t->name : "",
			t->name ? " " : "");
		return print_enum_body(p->out, t);
	}
	print_head(p->out, t);
	fputc('\n', p->out);
	return print_members(p, t, 1, 0);
}

static bool has_body(struct type *t)
{
	return t && !t->declared_only && (t->kind == TYPE_STRUCT ||
					  t->kind == TYPE_UNION ||
					  t->kind == TYPE_ENUM);
}

static struct kdk_error *print_decl(struct def_printer *pp, struct type *t,
				    const char *name);

struct kdk_error *type_print_decl(FILE *out, struct type *t, const char *name,
				  bool offsets)
{
	struct def_printer p = { out, offsets, false, 0, false, 0 };

	return print_decl(&p, t, name);
}

struct kdk_error *type_print_at(FILE *out, struct type *t, uint64_t address)
{
	struct def_printer p = { out, true, false, 0, true, address };
	char col[32];

	if (t->kind == TYPE_TYPEDEF)
		t = type_strip(t);
	/* the column is as wide as an address */
	p.width = snprintf(col, sizeof(col), "[%" PRIx64 "]", address) + 2;
	return print_decl(&p, t, "");
}

static struct kdk_error *print_decl(struct def_printer *pp, struct type *t,
				    const char *name)
{
	struct def_printer p = *pp;
	FILE *out = p.out;
	struct kdk_error *err;
	struct type *body = t;
	char *decl, *base;

	while (body && body->kind == TYPE_ARRAY)
		body = body->target;
	if (!has_body(body)) {
		decl = type_declaration(t, name);
		if (!decl)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		fputs(decl, out);
		free(decl);
		return NULL;
	}
	if (!p.by_address)
		p.width = offset_width(body);
	err = print_whole(&p, body);
	if (err)
		return err;
	decl = type_declaration(t, name);
	if (!decl)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	/* what follows the base type: " init_task", " *p", " tls[3]" */
	base = type_name(body);
	if (!base) {
		free(decl);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (strncmp(decl, base, strlen(base)) == 0)
		fputs(decl + strlen(base), out);
	free(base);
	free(decl);
	return NULL;
}

struct kdk_error *type_print_definition(FILE *out, struct type *t,
					bool offsets)
{
	struct kdk_error *err;

	if (t->kind == TYPE_TYPEDEF) {
		fputs("typedef ", out);
		err = type_print_decl(out, t->target, t->name, offsets);
		if (!err)
			fputc(';', out);
		return err;
	}
	return type_print_decl(out, t, "", offsets);
}

static void json_member_list(struct json_writer *w, struct type *t,
			     uint64_t base);

static void json_member(struct json_writer *w, const struct type_member *m,
			uint64_t base)
{
	struct type *body = anonymous_body(m->type);
	char *decl = type_name(m->type);

	json_begin_object(w);
	json_key_string(w, "name", m->name);
	json_key_string(w, "type", decl);
	json_key_uint(w, "offset", base + m->bit_offset / 8);
	if (m->bit_size) {
		json_key_uint(w, "bit_offset", base * 8 + m->bit_offset);
		json_key_uint(w, "bit_size", m->bit_size);
	}
	json_key_uint(w, "size", type_strip(m->type) ?
		      type_strip(m->type)->size : 0);
	if (body) {
		json_key(w, "members");
		json_member_list(w, body, base + m->bit_offset / 8);
	}
	json_end_object(w);
	free(decl);
}

static void json_member_list(struct json_writer *w, struct type *t,
			     uint64_t base)
{
	json_begin_array(w);
	if (!type_fill(t))
		for (size_t i = 0; i < t->n_members; i++)
			json_member(w, &t->members[i], base);
	json_end_array(w);
}

void type_json_definition(struct json_writer *w, struct type *t)
{
	struct type *s = type_strip(t);
	char *name = type_name(t);

	json_begin_object(w);
	json_key_string(w, "name", name);
	free(name);
	json_key_uint(w, "size", s ? s->size : 0);
	if (t->kind == TYPE_TYPEDEF) {
		name = type_name(t->target);
		json_key_string(w, "typedef_of", name);
		free(name);
	}
	if (s && (s->kind == TYPE_STRUCT || s->kind == TYPE_UNION)) {
		json_key_string(w, "kind", s->kind == TYPE_STRUCT ? "struct" :
				"union");
		json_key(w, "members");
		json_member_list(w, s, 0);
	} else if (s && s->kind == TYPE_ENUM && !type_fill(s)) {
		json_key_string(w, "kind", "enum");
		json_key(w, "enumerators");
		json_begin_object(w);
		for (size_t i = 0; i < s->n_members; i++)
			json_key_int(w, s->enumerators[i].name,
				     s->enumerators[i].value);
		json_end_object(w);
	}
	json_end_object(w);
}
