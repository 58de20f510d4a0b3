#include "cmd/address.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/symtab.h"
#include "expr/calc.h"
#include "kernel/modules.h"

bool address_is_hex(const char *arg)
{
	if (arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X'))
		arg += 2;
	if (!*arg)
		return false;
	for (; *arg; arg++)
		if (!isxdigit((unsigned char)*arg))
			return false;
	return true;
}

struct kdk_error *address_symbol_value(void *arg, const char *name,
					size_t len, uint64_t *value)
{
	struct session *s = arg;
	struct kdk_error *err;
	char *copy;

	if (!s->symbols)
		return kdk_error(KDK_ERR_NOT_FOUND, "'%.*s': no symbols "
				 "loaded (%s)", (int)len, name,
				 s->symbols_why ? s->symbols_why :
				 "no dump open");
	copy = strndup(name, len);
	if (!copy)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = sym_lookup_name(s->symbols, copy, value);
	if (err && err->code == KDK_ERR_NOT_FOUND) {
		const struct kmodules *mods;
		const struct sym *sym = NULL;
		struct kdk_error *merr = session_modules(s, &mods);

		if (!merr)
			sym = kmodules_lookup_name(mods, copy, NULL);
		kdk_error_free(merr);
		if (sym) {
			kdk_error_free(err);
			err = NULL;
			*value = sym->addr;
		}
	}
	free(copy);
	return err;
}

bool address_in_module(struct session *s, uint64_t addr,
		       struct address_module_hit *hit,
		       struct kdk_error **err)
{
	const struct kmodules *mods;
	const struct kmodule *mod;
	const struct sym *sym;
	struct kdk_error *e = session_modules(s, &mods);

	*err = NULL;
	if (e) {
		kdk_error_free(e);
		return false;
	}
	if (!kmodules_by_addr(mods, addr, NULL))
		return false;
	e = kmodules_lookup_addr(mods, addr, &mod, &sym);
	if (e) {
		*err = e;
		return true;
	}
	hit->module = mod->name;
	hit->name = symtab_name(mod->symbols, sym);
	hit->sym_addr = sym->addr;
	hit->offset = addr - sym->addr;
	hit->type = sym->type;
	return true;
}

struct kdk_error *address_parse_number(struct session *s, const char *arg,
				       uint64_t *value)
{
	struct calc_hooks hooks = { .symbol = address_symbol_value, .arg = s };

	return kdk_error_wrap(calc_eval(arg, &hooks, value), "'%s'", arg);
}

struct kdk_error *address_parse(struct session *s, const char *arg,
				uint64_t *addr)
{
	if (address_is_hex(arg)) {
		*addr = strtoull(arg, NULL, 16);
		return NULL;
	}
	return address_parse_number(s, arg, addr);
}

bool address_in_image(struct session *s, uint64_t addr)
{
	const struct sym *lo, *hi;

	if (!s->symbols)
		return false;
	lo = sym_find_name(s->symbols, "_text");
	if (!lo)
		lo = sym_find_name(s->symbols, "_stext");
	hi = sym_find_name(s->symbols, "_end");
	if (!hi)
		hi = sym_find_name(s->symbols, "_etext");
	return lo && hi && addr >= lo->addr && addr < hi->addr;
}
