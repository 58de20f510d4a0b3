#include "arch/arch.h"

#include <stdlib.h>
#include <string.h>

static const struct arch_ops *const all_arches[] = {
	&arch_x86_64_ops,
	&arch_arm64_ops,
};

const struct arch_ops *arch_find(const char *machine)
{
	for (size_t i = 0; i < sizeof(all_arches) / sizeof(all_arches[0]); i++) {
		const char *const *m = all_arches[i]->machines;

		for (; *m; m++)
			if (strcmp(*m, machine) == 0)
				return all_arches[i];
	}
	return NULL;
}

const char *arch_guess_machine(const struct vmcoreinfo *vi)
{
	if (!vi)
		return NULL;
	/* arch/x86/kernel/machine_kexec_64.c, arch/arm64/kernel/vmcore_info.c */
	if (vmcoreinfo_get(vi, "SYMBOL(init_top_pgt)"))
		return "x86_64";
	if (vmcoreinfo_get(vi, "NUMBER(kimage_voffset)"))
		return "aarch64";
	return NULL;
}

struct kdk_error *arch_open(const char *machine,
			    const struct arch_context *ctx, struct arch **out)
{
	const struct arch_ops *ops = arch_find(machine);
	const char *guess = arch_guess_machine(ctx->vmcoreinfo);
	struct kdk_error *err;
	struct arch *a;

	if (!ops && guess)
		ops = arch_find(guess);

	if (!ops)
		return kdk_error(KDK_ERR_NOT_BUILT, "no support yet for "
				 "kernel addresses of %s dumps",
				 *machine ? machine : "unknown-machine");
	a = calloc(1, sizeof(*a));
	if (!a)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	a->ops = ops;
	err = ops->open(ctx, &a->priv);
	if (err) {
		free(a);
		return kdk_error_wrap(err, "%s", ops->name);
	}
	*out = a;
	return NULL;
}

void arch_close(struct arch *a)
{
	if (!a)
		return;
	a->ops->close(a->priv);
	free(a);
}

struct kdk_error *arch_vtop(struct arch *a, uint64_t vaddr,
			    struct arch_vtop *out)
{
	memset(out, 0, sizeof(*out));
	out->vaddr = vaddr;
	return a->ops->vtop(a->priv, vaddr, out);
}

struct kdk_error *arch_uvtop(struct arch *a, uint64_t root, uint64_t vaddr,
			     struct arch_vtop *out)
{
	memset(out, 0, sizeof(*out));
	out->vaddr = vaddr;
	return a->ops->uvtop(a->priv, root, vaddr, out);
}

enum arch_addr_kind arch_addr_kind(struct arch *a, uint64_t vaddr)
{
	return a->ops->addr_kind(a->priv, vaddr);
}

struct kdk_error *arch_ptov(struct arch *a, uint64_t paddr, uint64_t *vaddr)
{
	return a->ops->ptov(a->priv, paddr, vaddr);
}

struct kdk_error *arch_use_symbols(struct arch *a, arch_symbol_fn *fn,
				   void *arg)
{
	return a->ops->use_symbols(a->priv, fn, arg);
}

void arch_layout(struct arch *a, struct arch_layout *out)
{
	memset(out, 0, sizeof(*out));
	a->ops->layout(a->priv, out);
}
