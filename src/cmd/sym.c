/* sym: from an address to the symbol that holds it, from a name to its
 * address, and the whole table. One line per symbol, as crash prints it:
 * "ADDRESS (TYPE) NAME[+OFFSET]". */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "debuginfo/symtab.h"
#include "kernel/modules.h"

struct sym_hit {
	uint64_t addr;		/* the address asked, or the symbol's */
	const char *name;
	uint64_t offset;
	char type;
	const char *module;	/* NULL: the kernel; else shown as [name] */
	const char *file;	/* a text symbol's source, with DWARF */
	int line;
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
		if (h->module)
			json_key_string(w, "module", h->module);
		if (h->file) {
			json_key_string(w, "file", h->file);
			json_key_uint(w, "line", (uint64_t)h->line);
		}
		json_end_object(w);
		return;
	}
	fprintf(s->out, "%016" PRIx64 " (%c) %s", h->addr, h->type, h->name);
	if (h->offset)
		fprintf(s->out, "+%" PRIu64, h->offset);
	if (h->module)
		fprintf(s->out, " [%s]", h->module);
	if (h->file)
		fprintf(s->out, " %s: %d", h->file, h->line);
	fputc('\n', s->out);
}

/* A kernel text symbol's hit with its source line, as crash adds it when
 * the vmlinux has DWARF; data symbols get none. */
static void print_hit_line(struct session *s, struct json_writer *w,
			   struct sym_hit *h)
{
	char file[512];

	if (!h->module && strchr("tTwW", h->type) &&
	    session_source_line(s, h->addr, file, sizeof(file), &h->line))
		h->file = file;
	print_hit(s, w, h);
	h->file = NULL;
}

static void hit_of(const struct symtab *st, const struct sym *sym,
		   struct sym_hit *h)
{
	h->addr = sym->addr;
	h->name = symtab_name(st, sym);
	h->offset = 0;
	h->type = sym->type;
	h->module = NULL;
	h->file = NULL;
}

/* Every kernel symbol whose name contains needle (NULL: every symbol). */
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

/* The module symbols whose names contain needle, named with [module] as
 * crash's sym -q shows them. */
static void query_modules(struct session *s, struct json_writer *w,
			  const struct kmodules *mods, const char *needle)
{
	for (size_t m = 0; m < kmodules_count(mods); m++) {
		const struct kmodule *mod = kmodules_get(mods, m);

		for (size_t i = 0; mod->symbols &&
				   i < symtab_count(mod->symbols); i++) {
			const struct sym *sym = symtab_get(mod->symbols, i);
			struct sym_hit h;

			hit_of(mod->symbols, sym, &h);
			if (!strstr(h.name, needle))
				continue;
			h.module = mod->name;
			print_hit(s, w, &h);
		}
	}
}

/* One pseudo line of crash's module listing ("... MODULE START: ext4");
 * JSON lists symbols only. */
static void print_marker(struct session *s, uint64_t addr, const char *what,
			 const char *module)
{
	if (!s->json)
		fprintf(s->out, "%016" PRIx64 " %s: %s\n", addr, what, module);
}

/* A module's symbols as crash's sym -l/-m/-M list them: the core ones
 * between MODULE START and MODULE END, then those of init memory (a
 * module still in its init) between MODULE INIT START and END. */
static void list_module(struct session *s, struct json_writer *w,
			const struct kmodule *mod)
{
	for (int init = 0; init < 2; init++) {
		uint64_t lo = UINT64_MAX, hi = 0;
		bool any = false;

		for (size_t r = 0; r < mod->n_ranges; r++) {
			if (mod->ranges[r].init != init)
				continue;
			any = true;
			lo = mod->ranges[r].start < lo ? mod->ranges[r].start : lo;
			hi = mod->ranges[r].end > hi ? mod->ranges[r].end : hi;
		}
		if (!any)
			continue;
		print_marker(s, init ? lo : mod->base,
			     init ? "MODULE INIT START" : "MODULE START",
			     mod->name);
		for (size_t i = 0; mod->symbols &&
				   i < symtab_count(mod->symbols); i++) {
			const struct sym *sym = symtab_get(mod->symbols, i);
			const struct kmodule_range *range;
			struct sym_hit h;

			if (!(range = kmodule_range_of(mod, sym->addr)) ||
			    range->init != init)
				continue;
			hit_of(mod->symbols, sym, &h);
			print_hit(s, w, &h);
		}
		print_marker(s, init ? hi : mod->base + mod->size,
			     init ? "MODULE INIT END" : "MODULE END",
			     mod->name);
	}
}

static struct kdk_error *list_modules(struct session *s,
				      struct json_writer *w,
				      const char *only)
{
	const struct kmodules *mods;
	struct kdk_error *err = session_modules(s, &mods);
	bool found = false;

	if (err)
		return err;
	for (size_t m = 0; m < kmodules_count(mods); m++) {
		const struct kmodule *mod = kmodules_get(mods, m);

		if (only && strcmp(mod->name, only) != 0)
			continue;
		found = true;
		list_module(s, w, mod);
	}
	if (only && !found)
		return kdk_error(KDK_ERR_NOT_FOUND, "%s: no such module", only);
	return NULL;
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
		struct address_module_hit mh;
		uint64_t size;

		if (address_in_module(s, addr, &mh, &err)) {
			if (err)
				return kdk_error_wrap(err, "%s", arg);
			h = (struct sym_hit){ addr, mh.name, mh.offset,
					      mh.type, mh.module, NULL, 0 };
			print_hit(s, w, &h);
			return NULL;
		}
		err = sym_lookup_addr(s->symbols, addr, &h.name, &h.offset,
				      &size);
		if (err || (size && h.offset >= size)) {
			kdk_error_free(err);
			return kdk_error(KDK_ERR_NOT_FOUND, "%s: no symbol "
					 "holds this address", arg);
		}
		h.type = type_at(s->symbols, addr - h.offset, h.name);
		h.addr = addr;
		h.module = NULL;
		h.file = NULL;
		print_hit_line(s, w, &h);
		return NULL;
	}
	{
		const struct sym *sym = sym_find_name(s->symbols, arg);
		const struct kmodules *mods;
		const struct kmodule *mod;

		if (sym) {
			hit_of(s->symbols, sym, &h);
			print_hit_line(s, w, &h);
			return NULL;
		}
		err = session_modules(s, &mods);
		if (err)
			return kdk_error_wrap(err, "%s: no such symbol in the "
					      "kernel; modules unknown", arg);
		sym = kmodules_lookup_name(mods, arg, &mod);
		if (!sym)
			return kdk_error(KDK_ERR_NOT_FOUND, "%s: no such "
					 "symbol", arg);
		hit_of(mod->symbols, sym, &h);
		h.module = mod->name;
		print_hit(s, w, &h);
	}
	return NULL;
}

static struct kdk_error *cmd_sym(struct session *s, int argc, char **argv)
{
	const char *search = NULL, *module = NULL;
	struct kdk_error *err, *first = NULL;
	struct command_opts o;
	struct json_writer w;
	bool list = false, all_modules = false;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_sym_def, "lq:m:M", &err)) != 0) {
		if (err)
			return err;
		if (c == 'l')
			list = true;
		else if (c == 'q')
			search = o.arg;
		else if (c == 'm')
			module = o.arg;
		else if (c == 'M')
			all_modules = true;
	}
	if (!list && !search && !module && !all_modules && o.ind >= argc)
		return command_usage(&cmd_sym_def, "an address or a symbol "
				     "name is needed");
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	if (list || search)
		list_symbols(s, &w, search);
	if (search) {
		const struct kmodules *mods;

		/* no modules: the kernel's matches are still the answer */
		err = session_modules(s, &mods);
		if (!err)
			query_modules(s, &w, mods, search);
		kdk_error_free(err);
	}
	/* crash's -l lists the modules too; -l without a module list is
	 * still the whole kernel's, -M and -m without one say why */
	if (all_modules || module)
		first = list_modules(s, &w, module);
	else if (list)
		kdk_error_free(list_modules(s, &w, NULL));
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
	.synopsis = "sym [-l] | [-M] | [-m module] | [-q string] | "
		    "[address | symbol] ...",
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
"For each loaded module, symbols come from the module's own kallsyms in\n"
"memory (the kernel's BTF in the dump gives the layout of struct module);\n"
"a module symbol is followed by its module's name in brackets.\n"
"\n"
"  -l         list every symbol, in address order: the kernel's, then\n"
"             each module's between MODULE START and MODULE END lines\n"
"             (only the kernel's where the module list is unknown: see\n"
"             mod).\n"
"  -M         list the symbols of every module.\n"
"  -m module  list the symbols of one module.\n"
"  -q string  list every symbol whose name contains string.\n"
"\n"
"With --json, each line is an object with the address, name, offset,\n"
"type, and module for a module's symbol.",
	.examples =
"Which function holds a return address:\n"
"\n"
"  crash> sym ffffffff8a46c62f\n"
"  ffffffff8a46c62f (T) machine_kexec+79\n"
"\n"
"Where a function starts:\n"
"\n"
"  crash> sym machine_kexec\n"
"  ffffffff8a46c5e0 (T) machine_kexec\n"
"\n"
"Which module function faulted:\n"
"\n"
"  crash> sym ffffffffc052a01f\n"
"  ffffffffc052a01f (t) create_oops+31 [crashme]",
	.flags = CMD_NEEDS_SYMBOLS,
};
