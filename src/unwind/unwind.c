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

static struct kdk_error *cpu_task_pid(struct unwind *u, size_t cpu,
				      int32_t *pid)
{
	uint64_t task;
	struct kdk_error *err = unwind_cpu_task(u, cpu, &task);

	if (!err)
		err = unwind_read_member(u, task, "task_struct", "pid", pid,
					 sizeof(*pid));
	return err;
}

/* Note i -> CPU: see unwind.h. */
static struct kdk_error *map_notes(struct unwind *u)
{
	struct dump *d = target_dump(u->t);
	size_t n = dump_cpu_count(d), cpu = 0;
	uint64_t addr;
	int32_t nr = 0;

	u->n_notes = n;
	u->note_cpu = calloc(n ? n : 1, sizeof(*u->note_cpu));
	if (!u->note_cpu)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		u->note_cpu[i] = i;
	if (!unwind_ok(sym_lookup_name(u->syms, "nr_cpu_ids", &addr)) ||
	    !unwind_ok(target_read_kvaddr(u->t, addr, &nr, sizeof(nr))) ||
	    nr <= 0) {
		u->notes_guessed = true;
		return NULL;
	}
	if (n >= (size_t)nr)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct dump_prstatus pr;
		int32_t pid;

		if (!unwind_ok(dump_cpu_prstatus(d, i, &pr)))
			goto guess;
		for (; cpu < (size_t)nr; cpu++)
			if (unwind_ok(cpu_task_pid(u, cpu, &pid)) &&
			    pid == pr.pid)
				break;
		if (cpu == (size_t)nr)
			goto guess;
		u->note_cpu[i] = cpu++;
	}
	return NULL;
guess:
	for (size_t i = 0; i < n; i++)
		u->note_cpu[i] = i;
	u->notes_guessed = true;
	return NULL;
}

size_t unwind_note_count(const struct unwind *u)
{
	return u->n_notes;
}

size_t unwind_note_cpu(const struct unwind *u, size_t note)
{
	return u->note_cpu[note];
}

bool unwind_notes_guessed(const struct unwind *u)
{
	return u->notes_guessed;
}

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
	if (!err)
		err = map_notes(u);
	if (err) {
		unwind_free(u);
		return err;
	}
	*out = u;
	return NULL;
}

void unwind_free(struct unwind *u)
{
	if (!u)
		return;
	if (u->ops->close && u->priv)
		u->ops->close(u);
	free(u->note_cpu);
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

struct kdk_error *unwind_read_member(struct unwind *u, uint64_t addr,
				     const char *type, const char *path,
				     void *v, size_t size)
{
	struct kbtf_member m;
	struct kdk_error *err;

	if (!u->btf)
		return kdk_error(KDK_ERR_NOT_FOUND, "no kernel types");
	err = kbtf_member(u->btf, type, path, &m);
	if (err)
		return err;
	if (m.size < size)
		size = m.size;
	memset(v, 0, size);
	err = target_read_kvaddr(u->t, addr + m.offset, v, size);
	if (err)
		return kdk_error_wrap(err, "reading %s.%s at %llx", type, path,
				      (unsigned long long)addr);
	return NULL;
}

struct kdk_error *unwind_task_regs(struct unwind *u, uint64_t task,
				   struct unwind_regs *out)
{
	memset(out, 0, sizeof(*out));
	return u->ops->task_regs(u, task, out);
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
	size_t i;

	for (i = 0; i < u->n_notes; i++)
		if (u->note_cpu[i] == cpu)
			break;
	if (i == u->n_notes)
		return kdk_error(KDK_ERR_NOT_FOUND, "CPU %zu saved no "
				 "registers in the dump (%zu CPU notes)", cpu,
				 u->n_notes);
	err = dump_cpu_prstatus(d, i, &pr);
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
