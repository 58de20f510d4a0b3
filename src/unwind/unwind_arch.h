/* What unwind.c shares with its architectures (x86_64.c, arm64.c). */
#ifndef KDK_UNWIND_UNWIND_ARCH_H
#define KDK_UNWIND_UNWIND_ARCH_H

#include "unwind/unwind.h"

/* Frames before a walk is given up as a loop. */
#define UNWIND_MAX_FRAMES 256

struct unwind_arch_ops {
	const char *arch;		/* target_arch_name() */
	size_t nregs;			/* names in reg_names */
	size_t note_regs;		/* of them, in NT_PRSTATUS */
	const char *const *reg_names;
	size_t pc, sp;			/* indexes into unwind_regs.v */
	struct kdk_error *(*open)(struct unwind *u);
	void (*close)(struct unwind *u);
	struct kdk_error *(*walk)(struct unwind *u, size_t cpu, uint64_t task,
				  const struct unwind_regs *regs,
				  unwind_frame_fn *fn, void *arg);
	struct kdk_error *(*task_regs)(struct unwind *u, uint64_t task,
				       struct unwind_regs *out);
	bool (*user)(const struct unwind_regs *r);
	void (*format)(const struct unwind *u, const struct unwind_regs *r,
		       unwind_symbolize_fn *sym, void *sym_arg, char *buf,
		       size_t len);
};

struct unwind {
	struct target *t;
	const struct symtab *syms;
	unwind_module_fn *mod_fn;
	void *mod_arg;
	const struct kbtf *btf;
	const struct unwind_arch_ops *ops;
	void *priv;
	size_t *note_cpu;		/* note index -> CPU */
	size_t n_notes;
	bool notes_guessed;
};

extern const struct unwind_arch_ops unwind_x86_64_ops;
extern const struct unwind_arch_ops unwind_arm64_ops;

struct kdk_error *unwind_read_u64(struct unwind *u, uint64_t addr,
				  uint64_t *v);
/* The address of per-cpu variable name on cpu (name's symbol plus
 * __per_cpu_offset[cpu]); errors if either symbol is missing. */
struct kdk_error *unwind_percpu_addr(struct unwind *u, const char *name,
				     size_t cpu, uint64_t *addr);
/* Read the member path of struct type at addr into v (size bytes). */
struct kdk_error *unwind_read_member(struct unwind *u, uint64_t addr,
				     const char *type, const char *path,
				     void *v, size_t size);
/* task->stack, the lowest address of its THREAD_SIZE stack. */
struct kdk_error *unwind_task_stack(struct unwind *u, uint64_t task,
				    uint64_t *base);

/* Append to buf (len bytes, NUL-terminated) at *at. */
void unwind_put(char *buf, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* THREAD_SIZE on x86_64 and arm64 without KASAN (16 KiB). */
#define UNWIND_THREAD_SIZE 0x4000

#endif
