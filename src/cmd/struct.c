/* struct: a struct's definition, its members' offsets, or its values at an
 * address, in crash's layouts. The type comes from the session's type
 * model (BTF today); the bytes from the kernel's virtual memory. */
#include "cmd/struct.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "debuginfo/symtab.h"
#include "debuginfo/types_print.h"
#include "expr/value_print.h"
#include "target/target.h"

/* Members asked with NAME.a,b.c: at most this many. */
#define MAX_MEMBERS 64

struct struct_args {
	const struct command *cmd;
	enum type_kind want;
	bool offsets;		/* -o */
	bool raw;		/* -r: the bytes, as rd shows them */
	char format;		/* -x, -d */
	const char *loff;	/* -l: the address is of this member/offset */
	const char *spec;	/* NAME[.member,...] */
	const char *addr;	/* NULL: the definition */
	const char *count;
};

bool value_symbolize(void *arg, uint64_t addr, char *buf, size_t n)
{
	struct session *s = arg;
	const struct sym *sym;
	const char *name;
	uint64_t off, size;
	struct kdk_error *err;

	if (!s->symbols)
		return false;
	if (!address_in_image(s, addr)) {
		/* crash gives gdb the modules' symbols too */
		struct address_module_hit hit;

		if (!address_in_module(s, addr, &hit, &err))
			return false;
		if (err) {
			kdk_error_free(err);
			return false;
		}
		if (hit.offset)
			snprintf(buf, n, "<%s+%" PRIu64 ">", hit.name,
				 hit.offset);
		else
			snprintf(buf, n, "<%s>", hit.name);
		return true;
	}
	err = sym_lookup_addr(s->symbols, addr, &name, &off, &size);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	/* a symbol of no size (a linker-script label) is not one gdb
	 * names a pointer by, nor one the address is past the ELF size of
	 * (a string after a jump table) */
	if (!size || off >= size)
		return false;
	sym = sym_find_addr(s->symbols, addr);
	if (sym && sym->elf_size && off >= sym->elf_size)
		return false;
	if (off)
		snprintf(buf, n, "<%s+%" PRIu64 ">", name, off);
	else
		snprintf(buf, n, "<%s>", name);
	return true;
}

struct kdk_error *value_read_mem(void *arg, uint64_t addr, void *buf,
				 size_t n)
{
	struct session *s = arg;

	return target_read_kvaddr(s->target, addr, buf, n);
}

static const char *kind_word(enum type_kind k)
{
	return k == TYPE_UNION ? "union" : "struct";
}

/* The type named by the part of spec before '.', of the kind asked. */
static struct kdk_error *find_type(struct session *s,
				   const struct struct_args *a,
				   struct type **out)
{
	struct types *ts;
	struct kdk_error *err = session_types(s, &ts);
	size_t len = strcspn(a->spec, ".");
	char *name, *tagged = NULL;
	struct type *t = NULL, *base;

	if (err)
		return err;
	name = strndup(a->spec, len);
	if (!name)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	/* "struct page" first; then page as a typedef (struct atomic_t) */
	if (a->want != TYPE_VOID &&
	    asprintf(&tagged, "%s %s", kind_word(a->want), name) < 0)
		tagged = NULL;
	err = types_find(ts, tagged ? tagged : name, &t);
	if (err && tagged) {
		kdk_error_free(err);
		err = types_find(ts, name, &t);
	}
	free(tagged);
	if (err) {
		kdk_error_free(err);
		err = kdk_error(KDK_ERR_NOT_FOUND, "invalid data structure "
				"reference: %s (no such type in the %s)", name,
				types_source_name(ts));
		free(name);
		return err;
	}
	base = type_strip(t);
	if (!base || (base->kind != TYPE_STRUCT && base->kind != TYPE_UNION) ||
	    (a->want != TYPE_VOID && base->kind != a->want)) {
		err = kdk_error(KDK_ERR_USAGE, "data type mismatch: %s is not "
				"a %s", name, a->want == TYPE_VOID ?
				"struct or union" : kind_word(a->want));
		free(name);
		return err;
	}
	if (base->declared_only) {
		err = kdk_error(KDK_ERR_NOT_FOUND, "%s: the %s has only its "
				"declaration", name, types_source_name(ts));
		free(name);
		return err;
	}
	free(name);
	*out = t;
	return NULL;
}

struct member_sel {
	char *path;
	struct type_path_hit hit;
};

/* "a,b.c,d[2]" after the type's name: each resolved in t. */
static struct kdk_error *parse_members(struct type *t, const char *list,
				       struct member_sel *sel, size_t *n)
{
	const char *p = list;

	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		struct kdk_error *err;

		if (*n == MAX_MEMBERS)
			return kdk_error(KDK_ERR_USAGE, "more than %d members",
					 MAX_MEMBERS);
		sel[*n].path = strndup(p, len);
		if (!sel[*n].path)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		(*n)++;
		err = type_member_path(t, sel[*n - 1].path, &sel[*n - 1].hit);
		if (err)
			return kdk_error_wrap(err, "invalid data structure "
					      "reference: %s", sel[*n - 1].path);
		p += len;
		if (*p == ',')
			p++;
	}
	return NULL;
}

/* crash's lines for NAME.member without an address: "struct NAME {",
 * each member with its offset (or, at an address, its address), "}". */
static void print_member_lines(struct session *s, struct type *t,
			       const struct member_sel *sel, size_t n_sel,
			       bool at, uint64_t addr)
{
	char *name = type_name(t);

	fprintf(s->out, "%s {\n", name ? name : "?");
	free(name);
	for (size_t i = 0; i < n_sel; i++) {
		char *decl = type_declaration(sel[i].hit.type,
					      sel[i].hit.name);
		uint64_t off = sel[i].hit.bit_offset / 8;

		if (at)
			fprintf(s->out, "  [%" PRIx64 "] ", addr + off);
		else
			fprintf(s->out, "  [%" PRIu64 "] ", off);
		fprintf(s->out, "%s", decl ? decl : "?");
		if (sel[i].hit.bit_size)
			fprintf(s->out, " : %" PRIu32, sel[i].hit.bit_size);
		fputs(";\n", s->out);
		free(decl);
	}
	fputs("}\n", s->out);
}

/* The definition, or with members the lines of those members only. */
static struct kdk_error *print_definition(struct session *s,
					  const struct struct_args *a,
					  struct type *t,
					  const struct member_sel *sel,
					  size_t n_sel)
{
	struct json_writer w;
	struct kdk_error *err;

	if (s->json) {
		json_init(&w, s->out, true);
		type_json_definition(&w, t);
		json_finish(&w);
		return NULL;
	}
	if (n_sel) {
		print_member_lines(s, t, sel, n_sel, false, 0);
		return NULL;
	}
	err = type_print_definition(s->out, t, a->offsets);
	if (err)
		return err;
	fprintf(s->out, "\nSIZE: %" PRIu64 "\n", type_strip(t)->size);
	return NULL;
}

/* -l: how far into the struct the given address is. */
static struct kdk_error *member_offset(struct session *s, struct type *t,
				       const char *loff, uint64_t *off)
{
	const char *dot = strchr(loff, '.');
	struct type_path_hit hit;
	struct kdk_error *err;

	if (!dot)
		return address_parse_number(s, loff, off);
	/* "struct.member": the member of this type */
	err = type_member_path(t, dot + 1, &hit);
	if (err)
		return err;
	*off = hit.bit_offset / 8;
	return NULL;
}

static void print_object(struct session *s, const struct struct_args *a,
			 struct json_writer *w, struct type *t,
			 const uint8_t *data, uint64_t addr,
			 const struct member_sel *sel, size_t n_sel)
{
	struct value_printer p = { s->out, a->format, value_symbolize,
				   value_read_mem, s, false, 0 };

	if (s->json) {
		char hex[24];

		snprintf(hex, sizeof(hex), "0x%016" PRIx64, addr);
		json_begin_object(w);
		json_key_string(w, "address", hex);
		if (n_sel) {
			for (size_t i = 0; i < n_sel; i++) {
				json_key(w, sel[i].path);
				value_json_member(w, sel[i].hit.type, data,
						  sel[i].hit.bit_offset,
						  sel[i].hit.bit_size, addr);
			}
		} else {
			json_key(w, "value");
			value_json_member(w, t, data, 0, 0, addr);
		}
		json_end_object(w);
		return;
	}
	if (n_sel) {
		/* as crash cuts them from gdb's print of the whole: indented
		 * by how deep in unnamed structs they sit, each with ',' */
		for (size_t i = 0; i < n_sel; i++) {
			/* a path is shown whole: "se.load = {" */
			value_print_member(&p, sel[i].path,
					   sel[i].hit.type, data,
					   sel[i].hit.bit_offset,
					   sel[i].hit.bit_size, addr,
					   2 + 2 * sel[i].hit.depth);
			fputs(",\n", s->out);
		}
		return;
	}
	/* crash writes "struct" or "union" and the name as typed, also a
	 * typedef's: "struct spinlock_t {" */
	fprintf(s->out, "%s %s ", type_strip(t)->kind == TYPE_UNION ?
		"union" : "struct", t->name ? t->name : "{...}");
	value_print(&p, t, data, addr, 0);
	fputc('\n', s->out);
}

/* -r: the object's (or one member's) bytes through rd, as crash's
 * raw_data_dump: a member of 1, 2 or 4 bytes as one word of its size,
 * else 8-byte words with the ASCII at the end of each line. */
static struct kdk_error *print_raw(struct session *s, struct type *t,
				   const struct member_sel *sel, uint64_t addr)
{
	uint64_t len = type_strip(t)->size;
	char at[24], words[24], *argv[5];
	const char *width = "-64";

	if (sel) {
		struct type *mt = type_strip(sel->hit.type);

		addr += sel->hit.bit_offset / 8;
		len = mt ? mt->size : 0;
		if (!len)
			return kdk_error(KDK_ERR_USAGE, "-r: %s has no size",
					 sel->path);
	}
	if (len == 1 || len == 2 || len == 4)
		width = len == 1 ? "-8" : len == 2 ? "-16" : "-32";
	snprintf(at, sizeof(at), "0x%" PRIx64, addr);
	snprintf(words, sizeof(words), "%" PRIu64,
		 len < 8 ? 1 : (len + 7) / 8);
	argv[0] = (char *)"rd";
	argv[1] = (char *)width;
	argv[2] = at;
	argv[3] = words;
	argv[4] = NULL;
	return cmd_rd_def.fn(s, 4, argv);
}

static struct kdk_error *print_values(struct session *s,
				      const struct struct_args *a,
				      struct type *t,
				      const struct member_sel *sel,
				      size_t n_sel)
{
	uint64_t size = type_strip(t)->size, addr, off = 0, count = 1;
	uint64_t span = size;
	int64_t signed_count = 1;
	struct kdk_error *err;
	struct json_writer w;
	uint8_t *buf;

	if (!s->target)
		return kdk_error(KDK_ERR_NOT_PRESENT, "no kernel virtual "
				 "memory: %s", s->target_why ? s->target_why :
				 "no dump open");
	err = address_parse(s, a->addr, &addr);
	if (err)
		return err;
	if (a->loff) {
		err = member_offset(s, t, a->loff, &off);
		if (err)
			return err;
		addr -= off;
	}
	if (a->count) {
		err = address_parse_number(s, a->count, &count);
		if (err)
			return err;
		signed_count = (int64_t)count;
		if (signed_count < 0) {
			/* the |n| objects that end with the one at addr */
			count = -signed_count;
			addr -= (count - 1) * size;
		}
		if (!count)
			return kdk_error(KDK_ERR_USAGE, "a count of 0");
	}
	if (!size)
		return kdk_error(KDK_ERR_FORMAT, "%s has no size", a->spec);
	if (a->raw) {
		if (n_sel > 1)
			return kdk_error(KDK_ERR_USAGE, "-r shows one member "
					 "only");
		for (uint64_t i = 0; i < count && !err; i++) {
			if (i && !s->json)
				fputc('\n', s->out);
			err = print_raw(s, t, n_sel ? &sel[0] : NULL,
					addr + i * size);
		}
		return err;
	}
	if (a->offsets && !s->json) {
		/* crash: where each member is, not what it holds */
		for (uint64_t i = 0; i < count; i++) {
			if (n_sel) {
				print_member_lines(s, t, sel, n_sel, true,
						   addr + i * size);
				continue;
			}
			err = type_print_at(s->out, t, addr + i * size);
			if (err)
				return err;
			fprintf(s->out, "\nSIZE: %" PRIu64 "\n", size);
		}
		return NULL;
	}
	/* a member past the end: an element of a flexible array
	 * (pid.numbers[0]) is read with the object */
	for (size_t i = 0; i < n_sel; i++) {
		struct type *mt = type_strip(sel[i].hit.type);
		uint64_t end = (sel[i].hit.bit_offset + (sel[i].hit.bit_size ?
			       sel[i].hit.bit_size : (mt ? mt->size : 0) * 8) +
				7) / 8;

		span = end > span ? end : span;
	}
	if (span > (1u << 24))
		return kdk_error(KDK_ERR_USAGE, "%s: %" PRIu64 " bytes is more "
				 "than an object can be", a->spec, span);
	buf = malloc(span);
	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	for (uint64_t i = 0; i < count; i++) {
		uint64_t at = addr + i * size;

		err = target_read_kvaddr(s->target, at, buf, span);
		if (err) {
			err = kdk_error_wrap(err, "%s at %" PRIx64, a->spec, at);
			break;
		}
		if (i && n_sel && !s->json)
			fputc('\n', s->out);
		print_object(s, a, &w, t, buf, at, sel, n_sel);
	}
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	free(buf);
	return err;
}

/* "-x": a flag (a '-' and a letter); "-2" is a count. */
static bool is_flag(const char *arg)
{
	return arg[0] == '-' && ((arg[1] >= 'a' && arg[1] <= 'z') ||
				 (arg[1] >= 'A' && arg[1] <= 'Z'));
}

static struct kdk_error *struct_parse(struct session *s,
				      const struct command *cmd,
				      enum type_kind want, int argc,
				      char **argv);

struct kdk_error *struct_command(struct session *s, const struct command *cmd,
				 enum type_kind want, int argc, char **argv)
{
	struct kdk_error *err;

	/* crash takes flags after the operands too
	 * (struct list_head -x ADDR): flags first, operands after */
	{
		char **sorted = calloc(argc + 1, sizeof(*sorted));
		int n = 0;

		if (!sorted)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		sorted[n++] = argv[0];
		for (int i = 1; i < argc; i++)
			if (is_flag(argv[i])) {
				sorted[n++] = argv[i];
				if (strcmp(argv[i], "-l") == 0 && i + 1 < argc)
					sorted[n++] = argv[++i];
			}
		for (int i = 1; i < argc; i++)
			if (!is_flag(argv[i]) && !(i > 1 &&
			    strcmp(argv[i - 1], "-l") == 0))
				sorted[n++] = argv[i];
		err = struct_parse(s, cmd, want, n, sorted);
		free(sorted);
		return err;
	}
}

static struct kdk_error *struct_parse(struct session *s,
				      const struct command *cmd,
				      enum type_kind want, int argc,
				      char **argv)
{
	/* crash prints struct members in the session's output radix */
	struct struct_args a = { .cmd = cmd, .want = want,
				 .format = s->radix == 16 ? 'x' : 0 };
	struct member_sel sel[MAX_MEMBERS];
	struct command_opts o;
	struct kdk_error *err;
	struct type *t;
	size_t n_sel = 0;
	const char *dot;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, cmd, "oxdrl:", &err)) != 0) {
		if (err)
			return err;
		if (c == 'o')
			a.offsets = true;
		else if (c == 'r')
			a.raw = true;
		else if (c == 'x' || c == 'd')
			a.format = (char)c;
		else if (c == 'l')
			a.loff = o.arg;
	}
	if (o.ind >= argc)
		return command_usage(cmd, "a %s name is needed",
				     want == TYPE_UNION ? "union" : "struct");
	a.spec = argv[o.ind];
	if (o.ind + 1 < argc)
		a.addr = argv[o.ind + 1];
	if (o.ind + 2 < argc)
		a.count = argv[o.ind + 2];
	if (o.ind + 3 < argc)
		return command_usage(cmd, "too many arguments");
	/* crash takes -x, -d after the address too; here flags come first */
	err = find_type(s, &a, &t);
	if (err)
		return err;
	dot = strchr(a.spec, '.');
	if (dot)
		err = parse_members(t, dot + 1, sel, &n_sel);
	if (!err)
		err = a.addr ? print_values(s, &a, t, sel, n_sel)
			     : print_definition(s, &a, t, sel, n_sel);
	for (size_t i = 0; i < n_sel; i++)
		free(sel[i].path);
	return err;
}

bool struct_shortcut_applies(struct session *s, const char *word)
{
	struct struct_args a = { .want = TYPE_VOID, .spec = word };
	struct kdk_error *err;
	struct type *t;

	if (!s->symbols && !s->vmlinux_path)
		return false;
	err = find_type(s, &a, &t);
	kdk_error_free(err);
	return err == NULL;
}

static struct kdk_error *cmd_struct(struct session *s, int argc, char **argv)
{
	return struct_command(s, &cmd_struct_def, TYPE_STRUCT, argc, argv);
}

const struct command cmd_struct_def = {
	.name = "struct",
	.fn = cmd_struct,
	.summary = "structure contents",
	.synopsis = "struct [-o] [-r] [-x|-d] [-l offset] "
		    "struct_name[.member[,member]] [address | symbol] [count]",
	.help =
"Shows the definition of a struct, or its contents at an address, in\n"
"crash's (gdb's) layout. A name that is a typedef of a struct works too\n"
"(struct atomic_t). Types come from the kernel's BTF in the dump, or from\n"
"the .BTF section of the vmlinux when one was given.\n"
"\n"
"  struct_name  the definition, with its SIZE.\n"
"  .member[,member...]\n"
"               only these members; a member may be a path through\n"
"               nested structs and arrays (se.load.weight, pid_links[1]).\n"
"               Without an address, each member's offset and declaration.\n"
"  address      a hexadecimal address, or an expression of symbols\n"
"               (init_task, init_task+8): the contents there.\n"
"  count        that many structs one after the other; a negative count\n"
"               shows the structs that end with the one at address.\n"
"  -r           the bytes, as rd shows them (one member at most: words\n"
"               of its size when it is 1, 2 or 4 bytes).\n"
"  -o           each member's offset, as [N] before it; with an address,\n"
"               each member's address instead of its value.\n"
"  -x, -d       integers in hexadecimal or decimal (gdb's output radix:\n"
"               pointers, chars, enums and strings print as without).\n"
"Flags may also follow the operands, as crash takes them.\n"
"  -l offset    the address is that of the member at this offset (a\n"
"               number or struct.member), e.g. of a list_head in it.\n"
"\n"
"A type name typed as a command (task_struct ADDR, mm_struct.mmap_lock\n"
"ADDR) runs struct or union with it, as in crash.\n"
"\n"
"With --json: the definition as {name, size, kind, members: [{name,\n"
"type, offset, size, bit_offset, bit_size}]}; contents as a list of\n"
"{address, value} (or {address, member: value}) with structs as objects,\n"
"pointers as \"0x...\" strings, char arrays as strings, enums by name.",
	.examples =
"  crash> struct list_head\n"
"  struct list_head {\n"
"      struct list_head *next;\n"
"      struct list_head *prev;\n"
"  }\n"
"  SIZE: 16\n"
"\n"
"  crash> struct -o list_head\n"
"  struct list_head {\n"
"     [0] struct list_head *next;\n"
"     [8] struct list_head *prev;\n"
"  }\n"
"  SIZE: 16\n"
"\n"
"  crash> struct task_struct.pid,comm init_task\n"
"    pid = 0,\n"
"    comm = \"swapper/0\\000\\000\\000\\000\\000\\000\",",
};
