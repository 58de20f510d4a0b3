#include "debuginfo/symtab.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct symtab {
	struct sym *syms;	/* by address, then order of addition */
	size_t n, cap;
	uint32_t *by_name;	/* hash table of indexes into syms + 1,
				   0 = empty; open addressing */
	size_t by_name_mask;
	char *pool;
	size_t pool_len, pool_cap;
};

struct symtab *symtab_new(void)
{
	return calloc(1, sizeof(struct symtab));
}

void symtab_free(struct symtab *st)
{
	if (!st)
		return;
	free(st->syms);
	free(st->by_name);
	free(st->pool);
	free(st);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	size_t cap2 = *cap ? *cap : 1024;
	void *q;

	if (need <= *cap)
		return true;
	while (cap2 < need)
		cap2 *= 2;
	q = realloc(*p, cap2 * elem);
	if (!q)
		return false;
	*p = q;
	*cap = cap2;
	return true;
}

struct kdk_error *symtab_add(struct symtab *st, const char *name,
			     size_t name_len, uint64_t addr, char type)
{
	return symtab_add_sized(st, name, name_len, addr, type, 0);
}

struct kdk_error *symtab_add_sized(struct symtab *st, const char *name,
				   size_t name_len, uint64_t addr, char type,
				   uint32_t elf_size)
{
	if (!grow((void **)&st->syms, &st->cap, st->n + 1, sizeof(*st->syms)) ||
	    !grow((void **)&st->pool, &st->pool_cap,
		  st->pool_len + name_len + 1, 1))
		return kdk_error(KDK_ERR_NOMEM, "out of memory for symbols");
	memcpy(st->pool + st->pool_len, name, name_len);
	st->pool[st->pool_len + name_len] = '\0';
	st->syms[st->n++] = (struct sym){ addr, st->pool_len, type, elf_size };
	st->pool_len += name_len + 1;
	return NULL;
}

/* qsort is not stable: ties on address keep their pool order, which is
 * the order of addition. */
static int cmp_addr(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* Among symbols of one name, the better to return: global before local,
 * then the lower address (the earlier in syms). */
static bool better(const struct symtab *st, uint32_t a, uint32_t b)
{
	bool la = islower((unsigned char)st->syms[a].type);
	bool lb = islower((unsigned char)st->syms[b].type);

	if (la != lb)
		return lb;
	return a < b;
}

static uint64_t hash_name(const char *name)	/* FNV-1a */
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	return h;
}

static bool sorted_by_addr(const struct symtab *st)
{
	for (size_t i = 1; i < st->n; i++)
		if (cmp_addr(&st->syms[i - 1], &st->syms[i]) > 0)
			return false;
	return true;
}

/* kallsyms comes sorted by address already; names are hashed, not
 * sorted, which makes loading several times faster. */
struct kdk_error *symtab_finish(struct symtab *st)
{
	size_t cap = 16;

	if (!sorted_by_addr(st))
		qsort(st->syms, st->n, sizeof(*st->syms), cmp_addr);
	while (cap < 2 * st->n)
		cap *= 2;
	free(st->by_name);
	st->by_name = calloc(cap, sizeof(*st->by_name));
	if (!st->by_name)
		return kdk_error(KDK_ERR_NOMEM, "out of memory for symbols");
	st->by_name_mask = cap - 1;
	for (size_t i = 0; i < st->n; i++) {
		size_t h = hash_name(st->pool + st->syms[i].name);

		while (st->by_name[h & st->by_name_mask])
			h++;
		st->by_name[h & st->by_name_mask] = i + 1;
	}
	return NULL;
}

size_t symtab_count(const struct symtab *st)
{
	return st->n;
}

const struct sym *symtab_get(const struct symtab *st, size_t i)
{
	return i < st->n ? &st->syms[i] : NULL;
}

const char *symtab_name(const struct symtab *st, const struct sym *s)
{
	return st->pool + s->name;
}

/* Index of the first symbol whose address is above addr. */
static size_t upper_bound(const struct symtab *st, uint64_t addr)
{
	size_t lo = 0, hi = st->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (st->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first symbol at the highest address <= addr: index + 1, or 0. */
static size_t first_at_or_below(const struct symtab *st, uint64_t addr)
{
	size_t i = upper_bound(st, addr), first;

	if (i == 0)
		return 0;
	first = i - 1;
	while (first > 0 && st->syms[first - 1].addr == st->syms[i - 1].addr)
		first--;
	return first + 1;
}

const struct sym *sym_find_addr(const struct symtab *st, uint64_t addr)
{
	size_t f = first_at_or_below(st, addr);

	return f ? &st->syms[f - 1] : NULL;
}

struct kdk_error *sym_lookup_addr(const struct symtab *st, uint64_t addr,
				  const char **name, uint64_t *offset,
				  uint64_t *size)
{
	size_t i = upper_bound(st, addr), first = first_at_or_below(st, addr);

	if (first-- == 0)
		return kdk_error(KDK_ERR_NOT_FOUND, "no symbol at or below "
				 "%#llx", (unsigned long long)addr);
	if (name)
		*name = st->pool + st->syms[first].name;
	if (offset)
		*offset = addr - st->syms[first].addr;
	if (size)
		*size = i < st->n ? st->syms[i].addr - st->syms[first].addr : 0;
	return NULL;
}

const struct sym *sym_find_name(const struct symtab *st, const char *name)
{
	size_t h = hash_name(name);
	uint32_t best = 0, slot;

	if (!st->by_name)
		return NULL;
	while ((slot = st->by_name[h & st->by_name_mask])) {
		if (strcmp(st->pool + st->syms[slot - 1].name, name) == 0 &&
		    (!best || better(st, slot - 1, best - 1)))
			best = slot;
		h++;
	}
	return best ? &st->syms[best - 1] : NULL;
}

struct kdk_error *sym_lookup_name(const struct symtab *st, const char *name,
				  uint64_t *addr)
{
	const struct sym *s = sym_find_name(st, name);

	if (!s)
		return kdk_error(KDK_ERR_NOT_FOUND, "no symbol %s", name);
	*addr = s->addr;
	return NULL;
}
