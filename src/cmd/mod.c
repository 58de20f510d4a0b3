/* mod: the loaded modules, one line each, as crash lists them:
 * "MODULE NAME BASE SIZE OBJECT FILE". */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "kernel/modules.h"

static const char *state_name(enum kmodule_state state)
{
	switch (state) {
	case KMODULE_LIVE: return "live";
	case KMODULE_COMING: return "coming";
	case KMODULE_GOING: return "going";
	case KMODULE_UNFORMED: return "unformed";
	}
	return "unknown";
}

static void hex_key(struct json_writer *w, const char *key, uint64_t v)
{
	char hex[24];

	snprintf(hex, sizeof(hex), "0x%016" PRIx64, v);
	json_key_string(w, key, hex);
}

static void print_json(struct session *s, const struct kmodules *mods)
{
	struct json_writer w;

	json_init(&w, s->out, true);
	json_begin_array(&w);
	for (size_t i = 0; i < kmodules_count(mods); i++) {
		const struct kmodule *m = kmodules_get(mods, i);

		json_begin_object(&w);
		hex_key(&w, "module", m->addr);
		json_key_string(&w, "name", m->name);
		hex_key(&w, "base", m->base);
		json_key_uint(&w, "size", m->size);
		json_key_string(&w, "state", state_name(m->state));
		json_key_uint(&w, "symbols",
			      m->symbols ? symtab_count(m->symbols) : 0);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_finish(&w);
}

/* crash's columns: the names and sizes as wide as the widest; the
 * addresses' headings centred over 16 digits. */
static void print_text(struct session *s, const struct kmodules *mods)
{
	int name_w = 4, size_w = 4;

	for (size_t i = 0; i < kmodules_count(mods); i++) {
		const struct kmodule *m = kmodules_get(mods, i);
		int n = snprintf(NULL, 0, "%" PRIu64, m->size);

		name_w = (int)strlen(m->name) > name_w ? (int)strlen(m->name)
						       : name_w;
		size_w = n > size_w ? n : size_w;
	}
	fprintf(s->out, "     MODULE       %-*s        BASE        %*s  "
		"OBJECT FILE\n", name_w, "NAME", size_w, "SIZE");
	for (size_t i = 0; i < kmodules_count(mods); i++) {
		const struct kmodule *m = kmodules_get(mods, i);

		fprintf(s->out, "%016" PRIx64 "  %-*s  %016" PRIx64
			"  %*" PRIu64 "  (not loaded)%s\n", m->addr, name_w,
			m->name, m->base, size_w, m->size,
			m->symbols ? "  [CONFIG_KALLSYMS]" : "");
	}
}

static struct kdk_error *cmd_mod(struct session *s, int argc, char **argv)
{
	const struct kmodules *mods;
	struct kdk_error *err;
	struct command_opts o;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_mod_def, "sSdDt", &err)) != 0) {
		if (err)
			return err;
		return kdk_error(KDK_ERR_NOT_BUILT, "-%c: loading or listing "
				 "module object files is not built yet", c);
	}
	if (o.ind < argc)
		return command_usage(&cmd_mod_def, "unexpected operand '%s'",
				     argv[o.ind]);
	err = session_modules(s, &mods);
	if (err)
		return err;
	if (s->json)
		print_json(s, mods);
	else
		print_text(s, mods);
	return NULL;
}

const struct command cmd_mod_def = {
	.name = "mod",
	.fn = cmd_mod,
	.summary = "module information",
	.synopsis = "mod",
	.help =
"Lists the loaded modules, read from the kernel's `modules` list in the\n"
"dump: the address of each struct module, its name, the base address\n"
"and size of its core memory, and its object file. No module object\n"
"file is loaded (mod -s and -S are not built yet), so the object file\n"
"is \"(not loaded)\"; \"[CONFIG_KALLSYMS]\" says the module's own\n"
"symbol table was read from memory, as sym uses it.\n"
"\n"
"The layout of struct module comes from the kernel's BTF in the dump.\n"
"Finding `modules` needs it in the kernel's symbols: kallsyms has it only\n"
"with CONFIG_KALLSYMS_ALL.\n"
"\n"
"With --json, an array of objects with module, name, base, size, state\n"
"(live, coming, going) and the number of symbols.",
	.examples =
"  crash> mod\n"
"       MODULE       NAME     BASE         SIZE  OBJECT FILE\n"
"  ffffffffc052c080  crashme  ffffffffc0529000  20480  (not loaded)"
"  [CONFIG_KALLSYMS]",
	.flags = CMD_NEEDS_SYMBOLS,
};
