/* Stack unwinding: the parts every architecture shares (unwind.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unwind/unwind_arch.h"

static const struct unwind_arch_ops *const arches[] = {
	&unwind_x86_64_ops,
	&unwind_arm64_ops,
};

struct kdk_error *unwind_open(struct target *t, const struct symtab *syms,
			      unwind_module_fn *mod_fn, void *mod_arg,
			      const struct kbtf *btf, struct unwind **out)
{
	const char *name = target_arch_name(t);
	struct unwind *u;
	struct kdk_error *err;

	*out = NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	u->t = t;
	u->syms = syms;
	u->mod_fn = mod_fn;
	u->mod_arg = mod_arg;
	u->btf = btf;
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (!strcmp(arches[i]->arch, name))
			u->ops = arches[i];
	if (!u->ops) {
		free(u);
		return kdk_error(KDK_ERR_NOT_BUILT, "no stack unwinder for %s",
				 name);
	}
	err = u->ops->open(u);
	if (err) {
		free(u);
		return err;
	}
	*out = u;
	return NULL;
}

void unwind_free(struct unwind *u)
{
	if (!u)
		return;
	if (u->ops->close)
		u->ops->close(u);
	free(u);
}

struct kdk_error *unwind_read_u64(struct unwind *u, uint64_t addr,
				  uint64_t *v)
{
	return target_read_kvaddr(u->t, addr, v, sizeof(*v));
}

struct kdk_error *unwind_percpu_addr(struct unwind *u, const char *name,
				     size_t cpu, uint64_t *addr)
{
	uint64_t var, offsets, off;
	struct kdk_error *err;

	err = sym_lookup_name(u->syms, "__per_cpu_offset", &offsets);
	if (!err)
		err = sym_lookup_name(u->syms, name, &var);
	if (err)
		return err;
	err = unwind_read_u64(u, offsets + 8 * cpu, &off);
	if (err)
		return kdk_error_wrap(err, "reading __per_cpu_offset[%zu]",
				      cpu);
	*addr = var + off;
	return NULL;
}

struct kdk_error *unwind_task_stack(struct unwind *u, uint64_t task,
				    uint64_t *base)
{
	struct kbtf_member m;
	struct kdk_error *err;

	if (!u->btf)
		return kdk_error(KDK_ERR_NOT_FOUND, "no kernel types");
	err = kbtf_member(u->btf, "task_struct", "stack", &m);
	if (err)
		return err;
	err = unwind_read_u64(u, task + m.offset, base);
	if (err)
		return kdk_error_wrap(err, "reading task_struct.stack of %llx",
				      (unsigned long long)task);
	return NULL;
}

struct kdk_error *unwind_cpu_task(struct unwind *u, size_t cpu,
				  uint64_t *task)
{
	struct kbtf_member m;
	uint64_t rq;
	struct kdk_error *err;

	*task = 0;
	if (!u->btf)
		return kdk_error(KDK_ERR_NOT_FOUND, "no kernel types");
	err = kbtf_member(u->btf, "rq", "curr", &m);
	if (!err)
		err = unwind_percpu_addr(u, "runqueues", cpu, &rq);
	if (!err)
		err = unwind_read_u64(u, rq + m.offset, task);
	if (err)
		return kdk_error_wrap(err, "the task current on CPU %zu", cpu);
	return NULL;
}

struct kdk_error *unwind_cpu_regs(struct unwind *u, size_t cpu,
				  struct unwind_regs *out)
{
	struct dump *d = target_dump(u->t);
	struct dump_prstatus pr;
	struct kdk_error *err;

	if (cpu >= dump_cpu_count(d))
		return kdk_error(KDK_ERR_NOT_FOUND, "CPU %zu saved no "
				 "registers in the dump (%zu CPU notes)", cpu,
				 dump_cpu_count(d));
	err = dump_cpu_prstatus(d, cpu, &pr);
	if (err)
		return err;
	if (pr.regs_size < u->ops->note_regs * 8)
		return kdk_error(KDK_ERR_FORMAT, "CPU %zu's register note "
				 "holds %zu bytes, %zu expected", cpu,
				 pr.regs_size,
				 u->ops->note_regs * 8);
	memset(out, 0, sizeof(*out));
	memcpy(out->v, pr.regs, u->ops->note_regs * 8);
	out->n = u->ops->note_regs;
	return NULL;
}

struct kdk_error *unwind_from_regs(struct unwind *u, size_t cpu,
				   uint64_t task,
				   const struct unwind_regs *regs,
				   unwind_frame_fn *fn, void *arg)
{
	return u->ops->walk(u, cpu, task, regs, fn, arg);
}

const char *unwind_reg_name(const struct unwind *u, size_t i)
{
	return i < u->ops->nregs ? u->ops->reg_names[i] : NULL;
}

void unwind_format_regs(const struct unwind *u, const struct unwind_regs *r,
			unwind_symbolize_fn *sym, void *sym_arg, char *buf,
			size_t len)
{
	u->ops->format(u, r, sym, sym_arg, buf, len);
}

bool unwind_regs_user(const struct unwind *u, const struct unwind_regs *r)
{
	return u->ops->user(r);
}

uint64_t unwind_regs_pc(const struct unwind *u, const struct unwind_regs *r)
{
	return r->v[u->ops->pc];
}

uint64_t unwind_regs_sp(const struct unwind *u, const struct unwind_regs *r)
{
	return r->v[u->ops->sp];
}

void unwind_put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}
