#include "kernel/modules.h"

#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct kmodules {
	struct kmodule *mods;
	size_t n;
};

/* Where struct module keeps what we read, from the type source. */
struct module_layout {
	uint64_t size;
	struct kbtf_member state, list, name, kallsyms;
	bool has_mem;			/* 6.4+: mem[MOD_MEM_NUM_TYPES] */
	struct kbtf_member core_base, core_size, init_base, init_size;
	struct kbtf_member mem;
	uint64_t mem_stride;
	size_t mem_n;
	struct kbtf_member mem_base, mem_size;
	struct kbtf_member ks_symtab, ks_num, ks_strtab, ks_typetab;
};

/* A corrupt list must not run forever. */
#define MAX_MODULES 65536
/* include/linux/module.h (6.4): enum mod_mem_type; MOD_INIT_TEXT and
 * after are freed once init ran. */
#define MOD_INIT_TEXT 4

static struct kdk_error *member(const struct kbtf *btf, const char *type,
				const char *path, struct kbtf_member *out)
{
	return kbtf_member(btf, type, path, out);
}

static struct kdk_error *find_layout(const struct kbtf *btf,
				     struct module_layout *l)
{
	struct kdk_error *err;
	uint32_t id;

	err = kbtf_find_struct(btf, "module", &id);
	if (!err)
		err = kbtf_type_size(btf, id, &l->size);
	if (!err)
		err = member(btf, "module", "state", &l->state);
	if (!err)
		err = member(btf, "module", "list", &l->list);
	if (!err)
		err = member(btf, "module", "name", &l->name);
	if (!err)
		err = member(btf, "module", "kallsyms", &l->kallsyms);
	if (err)
		return err;
	l->has_mem = kbtf_has_member(btf, "module", "mem");
	if (l->has_mem) {
		struct kbtf_member first;

		err = member(btf, "module", "mem", &l->mem);
		if (!err)
			err = member(btf, "module", "mem[0]", &first);
		if (!err)
			err = member(btf, "module_memory", "base", &l->mem_base);
		if (!err)
			err = member(btf, "module_memory", "size", &l->mem_size);
		if (err)
			return err;
		l->mem_stride = first.size;
		l->mem_n = first.size ? l->mem.size / first.size : 0;
		if (l->mem_n > KMODULE_MAX_RANGES)
			l->mem_n = KMODULE_MAX_RANGES;
	} else {
		err = member(btf, "module", "core_layout.base", &l->core_base);
		if (!err)
			err = member(btf, "module", "core_layout.size",
				     &l->core_size);
		if (!err)
			err = member(btf, "module", "init_layout.base",
				     &l->init_base);
		if (!err)
			err = member(btf, "module", "init_layout.size",
				     &l->init_size);
		if (err)
			return err;
	}
	err = member(btf, "mod_kallsyms", "symtab", &l->ks_symtab);
	if (!err)
		err = member(btf, "mod_kallsyms", "num_symtab", &l->ks_num);
	if (!err)
		err = member(btf, "mod_kallsyms", "strtab", &l->ks_strtab);
	if (!err)
		err = member(btf, "mod_kallsyms", "typetab", &l->ks_typetab);
	return err;
}

/* An unsigned field of the copy of a kernel struct in buf. */
static uint64_t field(const uint8_t *buf, const struct kbtf_member *m)
{
	uint64_t v = 0;

	switch (m->size) {
	case 1: v = buf[m->offset]; break;
	case 2: { uint16_t x; memcpy(&x, buf + m->offset, 2); v = x; break; }
	case 4: { uint32_t x; memcpy(&x, buf + m->offset, 4); v = x; break; }
	case 8: memcpy(&v, buf + m->offset, 8); break;
	}
	return v;
}

static void add_range(struct kmodule *mod, uint64_t start, uint64_t size,
		      bool init)
{
	if (!start || !size || mod->n_ranges == KMODULE_MAX_RANGES)
		return;
	mod->ranges[mod->n_ranges++] = (struct kmodule_range){
		start, start + size, init };
}

static void read_ranges(const struct module_layout *l, const uint8_t *buf,
			struct kmodule *mod)
{
	if (!l->has_mem) {
		mod->base = field(buf, &l->core_base);
		mod->size = field(buf, &l->core_size);
		add_range(mod, mod->base, mod->size, false);
		add_range(mod, field(buf, &l->init_base),
			  field(buf, &l->init_size), true);
		return;
	}
	/* crash shows mem[MOD_TEXT] as the base and the core sizes summed */
	for (size_t i = 0; i < l->mem_n; i++) {
		const uint8_t *mm = buf + l->mem.offset + i * l->mem_stride;
		uint64_t base = field(mm, &l->mem_base);
		uint64_t size = field(mm, &l->mem_size);

		add_range(mod, base, size, i >= MOD_INIT_TEXT);
		if (i == 0)
			mod->base = base;
		if (i < MOD_INIT_TEXT)
			mod->size += size;
	}
}

const struct kmodule_range *kmodule_range_of(const struct kmodule *mod,
					    uint64_t addr)
{
	for (size_t i = 0; i < mod->n_ranges; i++)
		if (addr >= mod->ranges[i].start && addr < mod->ranges[i].end)
			return &mod->ranges[i];
	return NULL;
}

/* include/linux/module_symbol.h (is_mapping_symbol): the linker's $x,
 * $d ... and local labels, never shown by the kernel. */
static bool is_mapping_symbol(const char *name)
{
	if (name[0] == '.' && name[1] == 'L')
		return true;
	if (name[0] == 'L' && name[1] == '0')
		return true;
	return name[0] == '$' && name[1] && strchr("axtd", name[1]) &&
	       (name[2] == '\0' || name[2] == '.');
}

struct mod_kallsyms_copy {
	Elf64_Sym *syms;
	uint64_t n;
	char *strtab;
	uint64_t strtab_len;
	char *types;			/* NULL: none (before 5.2) */
};

static void kallsyms_copy_free(struct mod_kallsyms_copy *c)
{
	free(c->syms);
	free(c->strtab);
	free(c->types);
}

/* The string table has no recorded size: it runs at most to the end of
 * the module memory that holds it. */
static struct kdk_error *read_kallsyms(struct target *t,
				       const struct module_layout *l,
				       const struct kmodule *mod,
				       uint64_t ks_addr,
				       struct mod_kallsyms_copy *c)
{
	uint8_t ks[64];
	const struct kmodule_range *r;
	struct kdk_error *err;
	uint64_t symtab, strtab, typetab;

	memset(c, 0, sizeof(*c));
	if (l->ks_typetab.offset + 8 > sizeof(ks))
		return kdk_error(KDK_ERR_FORMAT, "struct mod_kallsyms is "
				 "larger than expected");
	err = target_read_kvaddr(t, ks_addr, ks, l->ks_typetab.offset + 8);
	if (err)
		return kdk_error_wrap(err, "struct mod_kallsyms");
	symtab = field(ks, &l->ks_symtab);
	c->n = field(ks, &l->ks_num);
	strtab = field(ks, &l->ks_strtab);
	typetab = field(ks, &l->ks_typetab);
	r = kmodule_range_of(mod, strtab);
	if (!r)
		return kdk_error(KDK_ERR_FORMAT, "strtab %#" PRIx64 " is "
				 "outside the module", strtab);
	if (c->n > (1u << 20))
		return kdk_error(KDK_ERR_FORMAT, "%" PRIu64 " symbols: "
				 "corrupt", c->n);
	c->strtab_len = r->end - strtab;
	c->syms = malloc(c->n * sizeof(*c->syms) + 1);
	c->strtab = malloc(c->strtab_len + 1);
	c->types = typetab ? malloc(c->n + 1) : NULL;
	if (!c->syms || !c->strtab || (typetab && !c->types))
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = target_read_kvaddr(t, symtab, c->syms, c->n * sizeof(*c->syms));
	if (!err)
		err = target_read_kvaddr(t, strtab, c->strtab, c->strtab_len);
	if (!err && typetab)
		err = target_read_kvaddr(t, typetab, c->types, c->n);
	c->strtab[c->strtab_len] = '\0';
	return err;
}

/* Symbols as kernel/module/kallsyms.c lists them: from 1 (0 is ELF's
 * null symbol), defined, named, not a mapping symbol, and inside the
 * module's memory (per-cpu variables point elsewhere). */
static struct kdk_error *build_symtab(const struct kmodule *mod,
				      const struct mod_kallsyms_copy *c,
				      struct symtab **out)
{
	struct symtab *st = symtab_new();
	struct kdk_error *err = NULL;

	if (!st)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (uint64_t i = 1; i < c->n && !err; i++) {
		const Elf64_Sym *s = &c->syms[i];
		const char *name;

		if (s->st_shndx == SHN_UNDEF || s->st_name >= c->strtab_len ||
		    !kmodule_range_of(mod, s->st_value))
			continue;
		name = c->strtab + s->st_name;
		if (!*name || is_mapping_symbol(name))
			continue;
		err = symtab_add(st, name, strlen(name), s->st_value,
				 c->types ? c->types[i] : '?');
	}
	if (!err)
		err = symtab_finish(st);
	if (err) {
		symtab_free(st);
		return err;
	}
	*out = st;
	return NULL;
}

static void load_symbols(struct target *t, const struct module_layout *l,
			 struct kmodule *mod, uint64_t ks_addr)
{
	struct mod_kallsyms_copy c;
	struct kdk_error *err;

	err = read_kallsyms(t, l, mod, ks_addr, &c);
	if (!err)
		err = build_symtab(mod, &c, &mod->symbols);
	kallsyms_copy_free(&c);
	if (err) {
		mod->symbols = NULL;
		mod->symbols_why = strdup(err->msg ? err->msg : "error");
		kdk_error_free(err);
	}
}

static struct kdk_error *read_module(struct target *t,
				     const struct module_layout *l,
				     uint64_t addr, uint8_t *buf,
				     struct kmodule *mod)
{
	struct kdk_error *err;

	memset(mod, 0, sizeof(*mod));
	err = target_read_kvaddr(t, addr, buf, l->size);
	if (err)
		return kdk_error_wrap(err, "struct module at %#" PRIx64, addr);
	mod->addr = addr;
	memcpy(mod->name, buf + l->name.offset,
	       l->name.size < KMODULE_NAME_LEN ? l->name.size
					       : KMODULE_NAME_LEN);
	mod->state = field(buf, &l->state);
	read_ranges(l, buf, mod);
	load_symbols(t, l, mod, field(buf, &l->kallsyms));
	return NULL;
}

static int cmp_base(const void *a, const void *b)
{
	const struct kmodule *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

static struct kdk_error *walk(struct target *t, const struct module_layout *l,
			      uint64_t head, struct kmodules *m, uint8_t *buf)
{
	struct kdk_error *err;
	uint64_t next;
	size_t cap = 0;

	err = target_read_kvaddr(t, head, &next, sizeof(next));
	if (err)
		return kdk_error_wrap(err, "the list head `modules`");
	while (next != head) {
		uint64_t addr = next - l->list.offset;
		struct kmodule mod;

		if (m->n == MAX_MODULES)
			return kdk_error(KDK_ERR_FORMAT, "more than %d modules: "
					 "the list loops", MAX_MODULES);
		err = read_module(t, l, addr, buf, &mod);
		if (err)
			return err;
		next = field(buf, &(struct kbtf_member){ l->list.offset, 0, 8 });
		/* a module still being set up (lsmod skips it too) */
		if (mod.state == KMODULE_UNFORMED) {
			symtab_free(mod.symbols);
			free(mod.symbols_why);
			continue;
		}
		if (m->n == cap) {
			struct kmodule *p;

			cap = cap ? cap * 2 : 32;
			p = realloc(m->mods, cap * sizeof(*p));
			if (!p) {
				symtab_free(mod.symbols);
				free(mod.symbols_why);
				return kdk_error(KDK_ERR_NOMEM, "out of memory");
			}
			m->mods = p;
		}
		m->mods[m->n++] = mod;
	}
	return NULL;
}

struct kdk_error *kmodules_load(struct target *t, const struct kbtf *btf,
				uint64_t modules_addr, struct kmodules **out)
{
	struct module_layout l;
	struct kmodules *m;
	struct kdk_error *err;
	uint8_t *buf;

	err = find_layout(btf, &l);
	if (err)
		return kdk_error_wrap(err, "module list");
	m = calloc(1, sizeof(*m));
	buf = malloc(l.size);
	if (!m || !buf) {
		free(m);
		free(buf);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	err = walk(t, &l, modules_addr, m, buf);
	free(buf);
	if (err) {
		kmodules_free(m);
		return kdk_error_wrap(err, "module list");
	}
	if (m->n)	/* none loaded: mods is NULL */
		qsort(m->mods, m->n, sizeof(*m->mods), cmp_base);
	*out = m;
	return NULL;
}

void kmodules_free(struct kmodules *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		symtab_free(m->mods[i].symbols);
		free(m->mods[i].symbols_why);
	}
	free(m->mods);
	free(m);
}

size_t kmodules_count(const struct kmodules *m)
{
	return m->n;
}

const struct kmodule *kmodules_get(const struct kmodules *m, size_t i)
{
	return i < m->n ? &m->mods[i] : NULL;
}

const struct kmodule *kmodules_find(const struct kmodules *m,
				    const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->mods[i].name, name) == 0)
			return &m->mods[i];
	return NULL;
}

const struct kmodule *kmodules_by_addr(const struct kmodules *m,
				       uint64_t addr,
				       const struct kmodule_range **range)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct kmodule_range *r = kmodule_range_of(&m->mods[i], addr);

		if (r) {
			if (range)
				*range = r;
			return &m->mods[i];
		}
	}
	return NULL;
}

/* The last symbol at or below addr in st (the first of several at one
 * address), or NULL. */
static const struct sym *symbol_at_or_below(const struct symtab *st,
					    uint64_t addr)
{
	size_t lo = 0, hi = symtab_count(st);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (symtab_get(st, mid)->addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	while (lo > 1 && symtab_get(st, lo - 2)->addr ==
			 symtab_get(st, lo - 1)->addr)
		lo--;
	return symtab_get(st, lo - 1);
}

struct kdk_error *kmodules_lookup_addr(const struct kmodules *m,
				       uint64_t addr,
				       const struct kmodule **mod,
				       const struct sym **sym)
{
	const struct kmodule_range *r;
	const struct kmodule *md = kmodules_by_addr(m, addr, &r);
	const struct sym *s;

	if (!md)
		return kdk_error(KDK_ERR_NOT_FOUND, "%#" PRIx64 " is in no "
				 "module", addr);
	*mod = md;
	if (!md->symbols)
		return kdk_error(KDK_ERR_NOT_PRESENT, "module %s: no symbols "
				 "(%s)", md->name, md->symbols_why);
	s = symbol_at_or_below(md->symbols, addr);
	if (!s || s->addr < r->start)
		return kdk_error(KDK_ERR_NOT_FOUND, "%#" PRIx64 ": no symbol "
				 "of module %s at or below it", addr, md->name);
	*sym = s;
	return NULL;
}

const struct sym *kmodules_lookup_name(const struct kmodules *m,
				       const char *name,
				       const struct kmodule **mod)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct sym *s;

		if (!m->mods[i].symbols)
			continue;
		s = sym_find_name(m->mods[i].symbols, name);
		if (s) {
			if (mod)
				*mod = &m->mods[i];
			return s;
		}
	}
	return NULL;
}
