/* An address's slab cache (slab.h). */
#include "cmd/slab.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/kread.h"
#include "dump/dump.h"
#include "target/target.h"

static bool vmcoreinfo_num(struct session *s, const char *key, uint64_t *v)
{
	const char *text = dump_vmcoreinfo_get(s->dump, key);
	char *end;

	if (!text)
		return false;
	*v = strtoull(text, &end, 10);
	return !*end;
}

void slab_lookup_init(struct session *s, struct slab_lookup *l)
{
	struct kfield f[2] = {
		{ "struct slab", "slab_cache", 0, 0 },
		{ "struct kmem_cache", "name", 0, 0 },
	};
	struct arch_layout layout;
	uint64_t pg;
	struct kdk_error *err;

	memset(l, 0, sizeof(*l));
	l->s = s;
	if (!s->target || !vmcoreinfo_num(s, "SIZE(page)", &l->struct_page) ||
	    !vmcoreinfo_num(s, "OFFSET(page.flags)", &l->flags_off) ||
	    !vmcoreinfo_num(s, "OFFSET(page.compound_head)", &l->head_off) ||
	    !vmcoreinfo_num(s, "NUMBER(PG_slab)", &pg) || pg >= 64 ||
	    !vmcoreinfo_num(s, "PAGESIZE", &l->page_size) || !l->page_size)
		return;
	err = kfields_resolve(s, f, 2);
	if (err) {
		kdk_error_free(err);
		return;
	}
	target_layout(s->target, &layout);
	l->vmemmap = layout.vmemmap;
	l->pg_slab = (unsigned)pg;
	l->cache_off = f[0].off;
	l->name_off = f[1].off;
	l->usable = l->vmemmap != 0;
}

bool slab_cache_name(const struct slab_lookup *l, uint64_t addr, char *name,
		     size_t n)
{
	uint64_t pa, page, flags, head, cache, str;
	struct kdk_error *err;

	if (!l->usable)
		return false;
	err = target_kvaddr_to_paddr(l->s->target, addr, &pa);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	page = l->vmemmap + pa / l->page_size * l->struct_page;
	err = kread_u64(l->s, page + l->head_off, &head);
	if (!err && (head & 1))
		page = head - 1;	/* a tail page: its head's flags */
	if (!err)
		err = kread_u64(l->s, page + l->flags_off, &flags);
	if (!err && !(flags >> l->pg_slab & 1)) {
		return false;
	}
	if (!err)
		err = kread_u64(l->s, page + l->cache_off, &cache);
	if (!err)
		err = kread_u64(l->s, cache + l->name_off, &str);
	if (!err)
		err = kread_str(l->s, str, name, n);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	return name[0] != '\0';
}
