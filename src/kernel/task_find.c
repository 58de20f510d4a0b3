#include "kernel/task_find.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* include/linux/sched.h */
#define PF_KTHREAD 0x00200000u
/* How far past _einittext to look: init data, then .data (6 MB on
 * Debian's arm64 6.1). */
#define SCAN_BYTES (64ull << 20)
#define CHUNK (1u << 20)
#define PAGE 4096u
static const char NAME[] = "swapper/0";	/* with its NUL */

/* Is name missing from st? Else *addr is its address. */
static bool no_sym(const struct symtab *st, const char *name, uint64_t *addr)
{
	const struct sym *s = sym_find_name(st, name);

	if (s)
		*addr = s->addr;
	return !s;
}

static uint64_t field(const uint8_t *buf, const struct kbtf_member *m)
{
	uint64_t v = 0;

	memcpy(&v, buf + m->offset, m->size < 8 ? m->size : 8);
	return v;
}

/* Is the task_struct at addr init_task? */
static bool is_init_task(struct target *t, const struct task_layout *l,
			 uint8_t *buf, uint64_t addr)
{
	uint64_t head = addr + l->tasks.offset, next, prev, v;
	struct kdk_error *err;

	err = target_read_kvaddr(t, addr, buf, l->read_size);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	if (field(buf, &l->pid) || field(buf, &l->tgid) ||
	    field(buf, &l->real_parent) != addr ||
	    !(field(buf, &l->flags) & PF_KTHREAD) || field(buf, &l->mm))
		return false;
	next = field(buf, &l->tasks);
	prev = *(const uint64_t *)(const void *)(buf + l->tasks.offset + 8);
	err = target_read_kvaddr(t, next + 8, &v, 8);	/* next->prev */
	if (!err && v == head)
		err = target_read_kvaddr(t, prev, &v, 8);	/* prev->next */
	if (err) {
		kdk_error_free(err);
		return false;
	}
	return v == head;
}

/* Read [addr, addr + len) page by page where a whole read fails; pages
 * that cannot be read (zero pages a dump left out) become zeros. */
static void read_chunk(struct target *t, uint64_t addr, uint8_t *buf,
		       size_t len)
{
	struct kdk_error *err = target_read_kvaddr(t, addr, buf, len);

	if (!err)
		return;
	kdk_error_free(err);
	for (size_t off = 0; off < len; off += PAGE) {
		err = target_read_kvaddr(t, addr + off, buf + off, PAGE);
		if (err) {
			kdk_error_free(err);
			memset(buf + off, 0, PAGE);
		}
	}
}

struct kdk_error *task_find_init_task(struct target *t,
				      const struct task_layout *l,
				      const struct symtab *syms,
				      uint64_t *out)
{
	uint8_t *chunk = malloc(CHUNK);
	uint8_t *task = malloc(l->read_size);
	struct kdk_error *err = NULL;
	uint64_t start, found = 0;
	size_t n_found = 0;

	if (!chunk || !task) {
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (no_sym(syms, "_einittext", &start)) {
		err = kdk_error(KDK_ERR_NOT_FOUND, "init_task is not in the "
				"symbols, nor _einittext to look for it from; "
				"give the vmlinux");
		goto out;
	}
	start &= ~(uint64_t)(PAGE - 1);
	/* chunks overlap by a page, so no name falls between two */
	for (uint64_t off = 0; off < SCAN_BYTES; off += CHUNK - PAGE) {
		const uint8_t *p = chunk, *end = chunk + CHUNK;

		read_chunk(t, start + off, chunk, CHUNK);
		while ((p = memmem(p, (size_t)(end - p), NAME, sizeof(NAME)))) {
			uint64_t cand = start + off + (uint64_t)(p - chunk) -
					l->comm.offset;

			if (cand % 64 == 0 && cand != found &&
			    is_init_task(t, l, task, cand)) {
				found = cand;
				n_found++;
			}
			p++;
		}
		if (n_found)
			break;
	}
	if (n_found != 1)
		err = kdk_error(KDK_ERR_NOT_FOUND, "init_task is not in the "
				"symbols (arm64 kallsyms has no data symbols) "
				"and %s in the %llu MB after _einittext; give "
				"the vmlinux", n_found ? "more than one task "
				"looks like it" : "no task_struct like it is",
				SCAN_BYTES >> 20);
	else
		*out = found;
out:
	free(chunk);
	free(task);
	return err;
}
