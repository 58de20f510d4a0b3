/* sym: from an address to the symbol that holds it, from a name to its
 * address, and the whole table. One line per symbol, as crash prints it:
 * "ADDRESS (TYPE) NAME[+OFFSET]". */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "debuginfo/symtab.h"

struct sym_hit {
	uint64_t addr;		/* the address asked, or the symbol's */
	const char *name;
	uint64_t offset;
	char type;
};

static void print_hit(struct session *s, struct json_writer *w,
		      const struct sym_hit *h)
{
	if (s->json) {
		char hex[24];

		snprintf(hex, sizeof(hex), "0x%016" PRIx64, h->addr);
		json_begin_object(w);
		json_key_string(w, "address", hex);
		json_key_string(w, "name", h->name);
		json_key_uint(w, "offset", h->offset);
		json_key_string(w, "type", (char[]){ h->type, 0 });
		json_end_object(w);
		return;
	}
	fprintf(s->out, "%016" PRIx64 " (%c) %s", h->addr, h->type, h->name);
	if (h->offset)
		fprintf(s->out, "+%" PRIu64, h->offset);
	fputc('\n', s->out);
}

static void hit_of(const struct symtab *st, const struct sym *sym,
		   struct sym_hit *h)
{
	h->addr = sym->addr;
	h->name = symtab_name(st, sym);
	h->offset = 0;
	h->type = sym->type;
}

/* Every symbol whose name contains needle (NULL: every symbol). */
static void list_symbols(struct session *s, struct json_writer *w,
			 const char *needle)
{
	size_t n = symtab_count(s->symbols);

	for (size_t i = 0; i < n; i++) {
		const struct sym *sym = symtab_get(s->symbols, i);
		struct sym_hit h;

		hit_of(s->symbols, sym, &h);
		if (needle && !strstr(h.name, needle))
			continue;
		print_hit(s, w, &h);
	}
}

/* The type letter of the symbol named name at base. */
static char type_at(const struct symtab *st, uint64_t base, const char *name)
{
	size_t lo = 0, hi = symtab_count(st);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (symtab_get(st, mid)->addr < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < symtab_count(st); lo++) {
		const struct sym *sym = symtab_get(st, lo);

		if (sym->addr != base)
			break;
		if (strcmp(symtab_name(st, sym), name) == 0)
			return sym->type;
	}
	return '?';
}

/* An operand that parses whole as hex (with or without 0x) is an
 * address, as crash takes it; anything else is a name. */
static bool parse_address(const char *arg, uint64_t *addr)
{
	char *end;

	if (!*arg)
		return false;
	*addr = strtoull(arg, &end, 16);
	return *end == '\0' && (strncmp(arg, "0x", 2) == 0 ||
				strlen(arg) >= 8);
}

static struct kdk_error *lookup_one(struct session *s, struct json_writer *w,
				    const char *arg)
{
	struct kdk_error *err;
	struct sym_hit h;
	uint64_t addr;

	if (parse_address(arg, &addr)) {
		uint64_t size;

		err = sym_lookup_addr(s->symbols, addr, &h.name, &h.offset,
				      &size);
		if (err || (size && h.offset >= size)) {
			kdk_error_free(err);
			return kdk_error(KDK_ERR_NOT_FOUND, "%s: no symbol "
					 "holds this address", arg);
		}
		h.type = type_at(s->symbols, addr - h.offset, h.name);
		h.addr = addr;
		print_hit(s, w, &h);
		return NULL;
	}
	{
		const struct sym *sym = sym_find_name(s->symbols, arg);

		if (!sym)
			return kdk_error(KDK_ERR_NOT_FOUND, "%s: no such "
					 "symbol", arg);
		hit_of(s->symbols, sym, &h);
		print_hit(s, w, &h);
	}
	return NULL;
}

static struct kdk_error *cmd_sym(struct session *s, int argc, char **argv)
{
	const char *search = NULL;
	struct kdk_error *err, *first = NULL;
	struct command_opts o;
	struct json_writer w;
	bool list = false;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_sym_def, "lq:", &err)) != 0) {
		if (err)
			return err;
		if (c == 'l')
			list = true;
		else if (c == 'q')
			search = o.arg;
	}
	if (!list && !search && o.ind >= argc)
		return command_usage(&cmd_sym_def, "an address or a symbol "
				     "name is needed");
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	if (list || search)
		list_symbols(s, &w, search);
	for (int i = o.ind; i < argc; i++) {
		err = lookup_one(s, &w, argv[i]);
		first = command_keep_first(first, err);
	}
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	return first;
}

const struct command cmd_sym_def = {
	.name = "sym",
	.fn = cmd_sym,
	.summary = "translate a symbol to its value or vice versa",
	.synopsis = "sym [-l] | [-q string] | [address | symbol] ...",
	.help =
"Shows the kernel symbol that holds an address, with its nm-style type\n"
"letter and the offset of the address within it, or the address of a\n"
"named symbol. An operand that reads as a hexadecimal number is an\n"
"address; any other operand is a symbol name.\n"
"\n"
"Symbols come from the vmlinux when one was given (its ELF symbol table,\n"
"moved by the dump's KASLR offset), else from the kernel's own kallsyms\n"
"tables in the dump, which lack data symbols on kernels built without\n"
"CONFIG_KALLSYMS_ALL (Debian's arm64 kernel).\n"
"\n"
"  -l         list every symbol, in address order.\n"
"  -q string  list every symbol whose name contains string.\n"
"\n"
"With --json, each line is an object with the address, name, offset and\n"
"type.",
	.examples =
"Which function holds a return address:\n"
"\n"
"  crash> sym ffffffff8a46c62f\n"
"  ffffffff8a46c62f (T) machine_kexec+79\n"
"\n"
"Where a function starts:\n"
"\n"
"  crash> sym machine_kexec\n"
"  ffffffff8a46c5e0 (T) machine_kexec",
	.flags = CMD_NEEDS_SYMBOLS,
};
