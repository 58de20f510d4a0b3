#include "target/target.h"

#include <stdlib.h>
#include <string.h>

#include "target/table_cache.h"
#include "target/tlb.h"

struct target {
	struct dump *dump;
	struct arch *arch;
	struct tlb tlb;
	struct table_cache tables;
};

/* The arch reads page tables through here. */
static struct kdk_error *read_table(void *arg, uint64_t paddr, void *buf,
				    size_t len)
{
	struct target *t = arg;

	return table_cache_read(&t->tables, t->dump, paddr, buf, len);
}

static uint64_t max_paddr(const struct dump *d)
{
	const struct dump_range *r;
	size_t n;

	r = dump_ranges(d, &n);
	return n ? r[n - 1].end : 0;
}

/* The arches find the kernel page tables through VMCOREINFO; say plainly
 * when a dump has none anywhere, and what would do instead. */
static struct kdk_error *need_vmcoreinfo(const struct dump *d)
{
	const struct dump_vmcoreinfo_origin *o = dump_vmcoreinfo_origin(d);

	if (dump_vmcoreinfo(d))
		return NULL;
	if (!o->scanned)
		return kdk_error(KDK_ERR_NOT_FOUND, "the dump has no "
				 "VMCOREINFO; give the kernel's vmlinux "
				 "(kdumpkit vmlinux vmcore)");
	return kdk_error(KDK_ERR_NOT_FOUND, "no VMCOREINFO anywhere: the "
			 "dump has no VMCOREINFO note and none was found in "
			 "its memory (%llu pages looked at); give the "
			 "kernel's vmlinux (kdumpkit vmlinux vmcore)",
			 (unsigned long long)o->pages_scanned);
}

struct kdk_error *target_open(struct dump *d, struct target **out)
{
	const struct dump_facts *facts = dump_facts(d);
	struct arch_context ctx = {
		.vmcoreinfo = dump_vmcoreinfo(d),
		.header_phys_base = facts->phys_base,
		.page_size = facts->page_size,
		.max_paddr = max_paddr(d),
		.read_phys = read_table,
	};
	struct target *t = calloc(1, sizeof(*t));
	struct kdk_error *err;

	if (!t)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	t->dump = d;
	tlb_init(&t->tlb);
	ctx.read_arg = t;
	err = need_vmcoreinfo(d);
	if (!err)
		err = table_cache_init(&t->tables);
	if (!err)
		err = arch_open(facts->machine, &ctx, &t->arch);
	if (err) {
		table_cache_fini(&t->tables);
		free(t);
		return kdk_error_wrap(err, "kernel virtual memory");
	}
	*out = t;
	return NULL;
}

void target_close(struct target *t)
{
	if (!t)
		return;
	arch_close(t->arch);
	table_cache_fini(&t->tables);
	free(t);
}

struct dump *target_dump(const struct target *t)
{
	return t->dump;
}

const char *target_arch_name(const struct target *t)
{
	return t->arch->ops->name;
}

/* Physical address of vaddr and how many bytes from there are in the
 * same page. */
static struct kdk_error *translate(struct target *t, uint64_t vaddr,
				   uint64_t *paddr, uint64_t *room)
{
	struct arch_vtop vt;
	struct kdk_error *err;

	if (tlb_lookup(&t->tlb, vaddr, paddr, room))
		return NULL;
	err = arch_vtop(t->arch, vaddr, &vt);
	if (err)
		return err;
	tlb_insert(&t->tlb, vaddr, vt.paddr, vt.page_size);
	*paddr = vt.paddr;
	*room = vt.page_size - (vaddr & (vt.page_size - 1));
	return NULL;
}

struct kdk_error *target_read_kvaddr(struct target *t, uint64_t vaddr,
				     void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		uint64_t paddr, room;
		struct kdk_error *err = translate(t, vaddr, &paddr, &room);
		size_t chunk;

		if (!err) {
			chunk = len < room ? len : room;
			err = dump_read_phys(t->dump, paddr, p, chunk);
		}
		if (err)
			return kdk_error_wrap(err, "reading %#llx",
					      (unsigned long long)vaddr);
		p += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return NULL;
}

struct kdk_error *target_vtop(struct target *t, uint64_t vaddr,
			      struct arch_vtop *out)
{
	return kdk_error_wrap(arch_vtop(t->arch, vaddr, out),
			      "translating %#llx", (unsigned long long)vaddr);
}

struct kdk_error *target_uvtop(struct target *t, uint64_t root,
			       uint64_t vaddr, struct arch_vtop *out)
{
	return kdk_error_wrap(arch_uvtop(t->arch, root, vaddr, out),
			      "translating user address %#llx",
			      (unsigned long long)vaddr);
}

struct kdk_error *target_read_uvaddr(struct target *t, uint64_t root,
				     uint64_t vaddr, void *buf, size_t len)
{
	unsigned char *p = buf;

	while (len) {
		struct arch_vtop vt;
		struct kdk_error *err = arch_uvtop(t->arch, root, vaddr, &vt);
		uint64_t room;
		size_t chunk = 0;

		if (!err) {
			room = vt.page_size - (vaddr & (vt.page_size - 1));
			chunk = len < room ? len : room;
			err = dump_read_phys(t->dump, vt.paddr, p, chunk);
		}
		if (err)
			return kdk_error_wrap(err, "reading user address %#llx",
					      (unsigned long long)vaddr);
		p += chunk;
		vaddr += chunk;
		len -= chunk;
	}
	return NULL;
}

enum arch_addr_kind target_addr_kind(const struct target *t, uint64_t vaddr)
{
	return arch_addr_kind(t->arch, vaddr);
}

struct kdk_error *target_kvaddr_to_paddr(struct target *t, uint64_t vaddr,
					 uint64_t *paddr)
{
	uint64_t room;

	return kdk_error_wrap(translate(t, vaddr, paddr, &room),
			      "translating %#llx", (unsigned long long)vaddr);
}

struct kdk_error *target_ptov(struct target *t, uint64_t paddr,
			      uint64_t *vaddr)
{
	return arch_ptov(t->arch, paddr, vaddr);
}

struct kdk_error *target_use_symbols(struct target *t, arch_symbol_fn *fn,
				     void *arg)
{
	return kdk_error_wrap(arch_use_symbols(t->arch, fn, arg),
			      "kernel memory layout");
}

void target_layout(const struct target *t, struct arch_layout *out)
{
	arch_layout(t->arch, out);
}

void target_forget(struct target *t)
{
	uint64_t hits = t->tlb.hits, misses = t->tlb.misses;

	tlb_init(&t->tlb);
	t->tlb.hits = hits;
	t->tlb.misses = misses;
	table_cache_clear(&t->tables);
}

void target_tlb_stats(const struct target *t, uint64_t *hits,
		      uint64_t *misses)
{
	*hits = t->tlb.hits;
	*misses = t->tlb.misses;
}
