/* bt: the stack of each CPU that saved its registers in the dump, or of a
 * task given by address, unwound exactly (src/unwind/): ORC on x86_64,
 * frame records on arm64. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/bt_eframe.h"
#include "cmd/bt_overflow.h"
#include "cmd/bt_raw.h"
#include "cmd/commands.h"
#include "cmd/slab.h"
#include "dump/dump.h"
#include "kernel/modules.h"
#include "kernel/tasks.h"
#include "unwind/unwind.h"

/* The task a CPU ran, for the header line. TODO(tasks): join with
 * src/kernel/tasks.c once merged; until then read here through BTF. */
struct cpu_task {
	uint64_t task;			/* 0 if not known */
	int64_t pid;			/* -1 if not known */
	char comm[17];
};

struct bt {
	struct session *s;
	struct unwind *u;
	const struct kbtf *btf;
	const struct kmodules *mods;	/* NULL if not known */
	struct json_writer w;
	/* The walk in progress. */
	int level;
	const char *stack;
	size_t frames;
	/* -f: the stack words of the frame printed last start here (0:
	 * none pending). */
	bool words;
	uint64_t words_from;
	int symbolic;		/* -F: words by symbol or slab cache; -FF:
				 * the cache with the address */
	struct slab_lookup slab;
	int offsets;		/* -s: 10, -sx: 16; 0: none */
	/* -t/-T: text symbols on the stack instead of frames */
	int text_scan;		/* 't': from the stack pointer, 'T': base */
	uint64_t task;		/* the stack's task, for -t/-T */
	bool lines;		/* -l: each frame's source file and line */
};

/* -f: the words from the last frame's return address up to and with the
 * next frame's (crash's layout: two a line, "    ADDR: WORD WORD "). Not
 * across stacks (IRQ, exception): there the frames are far apart. */
#define WORDS_MAX 8192

static bool symbolize(struct bt *b, uint64_t addr, const char **name,
		      uint64_t *off, const char **module);

/* Is v an address in the kernel image or a module (crash's
 * in_ksymbol_range) that can be read? */
static bool symbol_range(struct bt *b, uint64_t v)
{
	uint8_t byte;
	struct kdk_error *err;

	if (!address_in_image(b->s, v) &&
	    !(b->mods && kmodules_by_addr(b->mods, v, NULL)))
		return false;
	err = target_read_kvaddr(b->s->target, v, &byte, 1);
	kdk_error_free(err);
	return !err;
}

/* One stack word as -F shows it: "name+off" or "[cache]" left in 16
 * columns, else its hex (crash's format_stack_entry). */
static void put_word(struct bt *b, uint64_t v)
{
	const char *name, *module;
	char buf[160], cache[64];
	uint64_t off;

	if (b->symbolic && symbol_range(b, v) &&
	    symbolize(b, v, &name, &off, &module)) {
		if (off)
			snprintf(buf, sizeof(buf), "%s+%" PRIu64, name, off);
		else
			snprintf(buf, sizeof(buf), "%s", name);
	} else if (b->symbolic && slab_cache_name(&b->slab, v, cache,
						   sizeof(cache))) {
		if (b->symbolic > 1)
			snprintf(buf, sizeof(buf), "[%" PRIx64 ":%s]", v,
				 cache);
		else
			snprintf(buf, sizeof(buf), "[%s]", cache);
	} else {
		fprintf(b->s->out, "%016" PRIx64 " ", v);
		return;
	}
	fprintf(b->s->out, "%-16s ", buf);
}

static void print_words(struct bt *b, uint64_t to)
{
	uint64_t from = b->words_from, n;
	uint64_t *buf;

	b->words_from = 0;
	if (!b->words || !from || to < from || to - from >= WORDS_MAX)
		return;
	n = (to - from) / 8 + 1;
	buf = malloc(n * 8);
	if (!buf)
		return;
	if (unwind_ok(target_read_kvaddr(b->s->target, from, buf, n * 8))) {
		for (uint64_t i = 0; i < n; i++) {
			if (i % 2 == 0)
				fprintf(b->s->out, "    %016" PRIx64 ": ",
					from + i * 8);
			put_word(b, buf[i]);
			if (i % 2 || i + 1 == n)
				fputc('\n', b->s->out);
		}
	}
	free(buf);
}

static bool find_module(void *arg, uint64_t addr, uint64_t *module,
			const char **name)
{
	const struct kmodule *m = kmodules_by_addr(arg, addr, NULL);

	if (!m)
		return false;
	*module = m->addr;
	*name = m->name;
	return true;
}

/* The function holding addr: name, offset and module (NULL: the kernel);
 * false if no symbol does. */
static bool symbolize(struct bt *b, uint64_t addr, const char **name,
		      uint64_t *off, const char **module)
{
	const struct kmodule *mod;
	const struct sym *sym;
	struct kdk_error *err;

	*module = NULL;
	if (b->mods && kmodules_by_addr(b->mods, addr, NULL)) {
		err = kmodules_lookup_addr(b->mods, addr, &mod, &sym);
		if (err) {
			kdk_error_free(err);
			return false;
		}
		*name = symtab_name(mod->symbols, sym);
		*off = addr - sym->addr;
		*module = mod->name;
		return true;
	}
	err = sym_lookup_addr(b->s->symbols, addr, name, off, NULL);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	return true;
}

static void symbolize_text(void *arg, uint64_t addr, char *buf, size_t len)
{
	const char *name, *module;
	uint64_t off;

	if (!symbolize(arg, addr, &name, &off, &module)) {
		buf[0] = '\0';
		return;
	}
	if (off)
		snprintf(buf, len, "%s+%" PRIu64, name, off);
	else
		snprintf(buf, len, "%s", name);
}

/* pid and comm of out->task (left unknown if they cannot be read). */
static void task_names(struct bt *b, struct cpu_task *out)
{
	struct kbtf_member pid, comm;
	int32_t v;

	out->pid = -1;
	out->comm[0] = '\0';
	if (!out->task || !b->btf)
		return;
	if (!unwind_ok(kbtf_member(b->btf, "task_struct", "pid", &pid)) ||
	    !unwind_ok(kbtf_member(b->btf, "task_struct", "comm", &comm)))
		return;
	if (unwind_ok(target_read_kvaddr(b->s->target, out->task + pid.offset,
					 &v, sizeof(v))))
		out->pid = v;
	if (!unwind_ok(target_read_kvaddr(b->s->target,
					  out->task + comm.offset, out->comm,
					  16)))
		out->comm[0] = '\0';
	out->comm[16] = '\0';
}

static void cpu_task_of(struct bt *b, size_t cpu, struct cpu_task *out)
{
	memset(out, 0, sizeof(*out));
	if (!unwind_ok(unwind_cpu_task(b->u, cpu, &out->task)))
		out->task = 0;
	task_names(b, out);
}

/* ---- text ---- */

/* A return address after a call to a noreturn function (panic()) is past
 * its caller's end: the caller is the function holding the call, pc - 1. */
static bool symbolize_frame(struct bt *b, const struct unwind_frame *f,
			    const char **name, uint64_t *off,
			    const char **module)
{
	bool call = f->kind == UNWIND_FRAME_CALL;

	if (!symbolize(b, call ? f->pc - 1 : f->pc, name, off, module))
		return false;
	*off += call;		/* the offset of pc itself */
	return true;
}

static void print_frame_line(struct bt *b, const struct unwind_frame *f)
{
	const char *name, *module;
	uint64_t sp = f->sp, pc = f->pc, off;
	bool scanned = f->scanned;

	fprintf(b->s->out, "%s#%d [%016" PRIx64 "] ", b->level < 10 ? " " : "",
		b->level, sp);
	if (symbolize_frame(b, f, &name, &off, &module)) {
		fputs(name, b->s->out);
		if (b->offsets == 16)
			fprintf(b->s->out, "+0x%" PRIx64, off);
		else if (b->offsets)
			fprintf(b->s->out, "+%" PRIu64, off);
		fprintf(b->s->out, " at %016" PRIx64 "%s%s%s", pc,
			module ? " [" : "", module ? module : "",
			module ? "]" : "");
	}
	else
		fprintf(b->s->out, "(unknown) at %016" PRIx64, pc);
	fputs(scanned ? "  (found by stack scan)\n" : "\n", b->s->out);
	b->level++;
	if (b->lines) {
		char file[512];
		int line;

		/* crash asks for the frame's address itself, not pc - 1. */
		if (session_source_line(b->s, pc, file, sizeof(file), &line))
			fprintf(b->s->out, "    %s: %d\n", file, line);
	}
}

/* Leaving a stack for another: crash's "--- <IRQ stack> ---". */
static bool stack_changed(struct bt *b, const struct unwind_frame *f)
{
	bool changed = b->stack && (!f->stack || strcmp(b->stack, f->stack));

	if (changed)
		fprintf(b->s->out, "--- <%s stack> ---\n", b->stack);
	b->stack = f->stack;
	return changed;
}

static struct kdk_error *text_frame(void *arg, const struct unwind_frame *f)
{
	struct bt *b = arg;
	char block[2048];

	b->frames++;
	switch (f->kind) {
	case UNWIND_FRAME_START:
		b->stack = f->stack;
		print_frame_line(b, f);
		b->words_from = f->sp + 8;
		break;
	case UNWIND_FRAME_CALL:
		if ((!b->stack && !f->stack) ||
		    (b->stack && f->stack && strcmp(b->stack, f->stack) == 0))
			print_words(b, f->sp);
		b->words_from = 0;
		stack_changed(b, f);
		print_frame_line(b, f);
		b->words_from = f->sp + 8;
		break;
	case UNWIND_FRAME_EXCEPTION:
	case UNWIND_FRAME_USER:
		if (f->regs_addr)
			print_words(b, f->regs_addr - 8);
		b->words_from = 0;
		unwind_format_regs(b->u, f->regs, symbolize_text, b, block,
				   sizeof(block));
		fputs(block, b->s->out);
		if (f->kind == UNWIND_FRAME_EXCEPTION && stack_changed(b, f))
			print_frame_line(b, f);
		break;
	}
	return NULL;
}

/* ---- -t/-T: every word on the stack that is a kernel text address ---- */

#define THREAD_STACK 16384	/* x86_64 and arm64 6.1 without KASAN */

static bool is_text(struct bt *b, uint64_t v)
{
	uint64_t start, end;

	if (b->mods && kmodules_by_addr(b->mods, v, NULL))
		return true;
	return b->s->symbols &&
	       unwind_ok(sym_lookup_name(b->s->symbols, "_stext", &start)) &&
	       unwind_ok(sym_lookup_name(b->s->symbols, "_etext", &end)) &&
	       v >= start && v < end;
}

static struct kdk_error *first_frame(void *arg, const struct unwind_frame *f)
{
	struct unwind_frame *out = arg;

	*out = *f;
	return kdk_error(KDK_ERR_OTHER, "stop");
}

struct user_block {
	struct bt *b;
	char text[2048];
};

/* The registers of user mode at the stack's end, as crash ends -t. */
static struct kdk_error *user_frame(void *arg, const struct unwind_frame *f)
{
	struct user_block *u = arg;

	if (f->kind == UNWIND_FRAME_USER)
		unwind_format_regs(u->b->u, f->regs, symbolize_text, u->b,
				   u->text, sizeof(u->text));
	return NULL;
}

static void text_scan(struct bt *b, size_t cpu, uint64_t task,
		      const struct unwind_regs *regs)
{
	struct unwind_frame f = { 0 };
	struct kbtf_member m;
	uint64_t base = 0, from, *words;
	const char *name, *module;
	uint64_t off;

	kdk_error_free(unwind_from_regs(b->u, cpu, task, regs, first_frame, &f));
	if (f.pc && symbolize(b, f.pc, &name, &off, &module))
		fprintf(b->s->out, "              START: %s at %016" PRIx64 "\n",
			name, f.pc);
	if (!task || !unwind_ok(kbtf_member(b->btf, "task_struct", "stack",
					    &m)) ||
	    !unwind_ok(target_read_kvaddr(b->s->target, task + m.offset,
					  &base, 8)) || !base)
		return;
	from = b->text_scan == 't' && f.sp >= base &&
	       f.sp < base + THREAD_STACK ? f.sp & ~7ull : base;
	words = malloc(THREAD_STACK);
	if (!words)
		return;
	if (unwind_ok(target_read_kvaddr(b->s->target, from, words,
					 base + THREAD_STACK - from)))
		for (uint64_t a = from; a < base + THREAD_STACK; a += 8) {
			uint64_t v = words[(a - from) / 8];

			if (!is_text(b, v) ||
			    !symbolize(b, v, &name, &off, &module))
				continue;
			fprintf(b->s->out, "  [%016" PRIx64 "] %s at %016" PRIx64
				"%s%s%s\n", a, name, v, module ? " [" : "",
				module ? module : "", module ? "]" : "");
		}
	free(words);
	struct user_block u = { .b = b };

	kdk_error_free(unwind_from_regs(b->u, cpu, task, regs, user_frame, &u));
	fputs(u.text, b->s->out);
}

/* ---- JSON ---- */

static void hex_key(struct json_writer *w, const char *key, uint64_t v)
{
	char hex[24];

	snprintf(hex, sizeof(hex), "%016" PRIx64, v);
	json_key_string(w, key, hex);
}

static const char *kind_name(enum unwind_frame_kind k)
{
	switch (k) {
	case UNWIND_FRAME_START: return "start";
	case UNWIND_FRAME_CALL: return "call";
	case UNWIND_FRAME_EXCEPTION: return "exception";
	case UNWIND_FRAME_USER: return "user";
	}
	return "?";
}

static struct kdk_error *json_frame(void *arg, const struct unwind_frame *f)
{
	struct bt *b = arg;
	struct json_writer *w = &b->w;
	const char *name, *module;
	uint64_t off;

	b->frames++;
	json_begin_object(w);
	json_key_string(w, "kind", kind_name(f->kind));
	hex_key(w, "pc", f->pc);
	hex_key(w, "sp", f->sp);
	json_key_string(w, "stack", f->stack);
	json_key_bool(w, "scanned", f->scanned);
	if (f->kind != UNWIND_FRAME_USER &&
	    symbolize_frame(b, f, &name, &off, &module)) {
		json_key_string(w, "function", name);
		json_key_uint(w, "offset", off);
		json_key_string(w, "module", module);
	} else {
		json_key_string(w, "function", NULL);
	}
	char file[512];
	int line;

	if (b->lines && f->kind != UNWIND_FRAME_USER &&
	    session_source_line(b->s, f->pc, file, sizeof(file), &line)) {
		json_key_string(w, "file", file);
		json_key_uint(w, "line", (uint64_t)line);
	}
	if (f->regs && f->kind != UNWIND_FRAME_START) {
		hex_key(w, "regs_addr", f->regs_addr);
		json_key(w, "regs");
		json_begin_object(w);
		for (size_t i = 0; i < f->regs->n; i++)
			hex_key(w, unwind_reg_name(b->u, i), f->regs->v[i]);
		json_end_object(w);
	}
	json_end_object(w);
	return NULL;
}

/* ---- CPUs ---- */

/* Show the stack of task tp, on (or last on) cpu, from regsp; or, if err
 * is set, why it cannot be (regsp is then not read). */
static struct kdk_error *bt_show(struct bt *b, size_t cpu,
				 const struct cpu_task *tp, bool panic,
				 const char *context,
				 const struct unwind_regs *regsp,
				 struct kdk_error *err)
{
	const struct cpu_task t = *tp;
	FILE *out = b->s->out;

	b->level = 0;
	b->stack = NULL;
	b->frames = 0;
	if (b->s->json) {
		json_begin_object(&b->w);
		json_key_uint(&b->w, "cpu", cpu);
		json_key_bool(&b->w, "panic", panic);
		json_key_string(&b->w, "context", context);
		if (t.task)
			hex_key(&b->w, "task", t.task);
		else
			json_key_string(&b->w, "task", NULL);
		if (t.pid >= 0)
			json_key_int(&b->w, "pid", t.pid);
		else
			json_key_string(&b->w, "pid", NULL);
		json_key_string(&b->w, "command", t.task ? t.comm : NULL);
		json_key(&b->w, "frames");
		json_begin_array(&b->w);
		if (!err)
			err = unwind_from_regs(b->u, cpu, t.task, regsp,
					       json_frame, b);
		json_end_array(&b->w);
		json_key_string(&b->w, "error", err ? err->msg : NULL);
		json_end_object(&b->w);
	} else {
		if (t.task)
			fprintf(out, "PID: %-7" PRId64 "  TASK: %016" PRIx64
				"  CPU: %-3zu  COMMAND: \"%s\"\n", t.pid,
				t.task, cpu, t.comm);
		else	/* no runqueues symbol: arm64 without a vmlinux */
			fprintf(out, "PID: -        TASK: (unknown)       "
				"  CPU: %-3zu  COMMAND: (unknown)\n", cpu);
		if (!err && b->text_scan)
			text_scan(b, cpu, t.task, regsp);
		else if (!err)
			err = unwind_from_regs(b->u, cpu, t.task, regsp,
					       text_frame, b);
	}
	if (err && t.task)
		return kdk_error_wrap(err, "task %" PRIx64, t.task);
	if (err)
		return kdk_error_wrap(err, "CPU %zu", cpu);
	return NULL;
}

static struct kdk_error *bt_cpu(struct bt *b, size_t cpu, bool panic)
{
	struct unwind_regs regs;
	struct cpu_task t;
	struct kdk_error *err;

	cpu_task_of(b, cpu, &t);
	err = unwind_cpu_regs(b->u, cpu, &regs);
	return bt_show(b, cpu, &t, panic, "cpu", &regs, err);
}

/* A task given by address: from its CPU's registers if it was running
 * there, else from the context its last switch saved. */
static struct kdk_error *bt_task(struct bt *b, uint64_t task)
{
	size_t notes = unwind_note_count(b->u);
	struct unwind_regs regs;
	struct cpu_task t = { .task = task };
	struct kbtf_member m;
	struct kdk_error *err;
	uint32_t cpu = 0;
	int32_t on = 0;

	for (size_t i = 0; i < notes; i++) {
		size_t c = unwind_note_cpu(b->u, i);
		uint64_t cur;

		if (unwind_ok(unwind_cpu_task(b->u, c, &cur)) && cur == task)
			return bt_cpu(b, c, false);
	}
	task_names(b, &t);
	if (t.pid < 0)
		return kdk_error(KDK_ERR_NOT_FOUND, "%" PRIx64 " is not a "
				 "readable task_struct", task);
	/* The CPU it last ran on: thread_info.cpu since 5.16, else cpu. */
	if (unwind_ok(kbtf_member(b->btf, "task_struct", "thread_info.cpu",
				  &m)) ||
	    unwind_ok(kbtf_member(b->btf, "task_struct", "cpu", &m)))
		kdk_error_free(target_read_kvaddr(b->s->target,
						  task + m.offset, &cpu,
						  sizeof(cpu)));
	/* Running on a CPU that saved no registers (one spinning with
	 * interrupts off ignores the stop IPI on arm64): what the last
	 * switch saved is stale. */
	if (unwind_ok(kbtf_member(b->btf, "task_struct", "on_cpu", &m)) &&
	    unwind_ok(target_read_kvaddr(b->s->target, task + m.offset, &on,
					 sizeof(on))) && on)
		err = kdk_error(KDK_ERR_NOT_PRESENT, "it was running on CPU %"
				PRIu32 ", which saved no registers in the "
				"dump; its last saved context is stale", cpu);
	else
		err = unwind_task_regs(b->u, task, &regs);
	return bt_show(b, cpu, &t, false, "switch", &regs, err);
}

/* Does cpu's stack pass through panic() or the kdump entry? */
static struct kdk_error *panic_frame(void *arg, const struct unwind_frame *f)
{
	static const char *const names[] = {
		"panic", "__crash_kexec", "crash_kexec", "vpanic",
	};
	struct bt *b = arg;
	const char *name, *module;
	uint64_t off;

	if (f->kind != UNWIND_FRAME_CALL && f->kind != UNWIND_FRAME_START)
		return NULL;
	if (!symbolize_frame(b, f, &name, &off, &module) || module)
		return NULL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			b->frames = 1;
	return NULL;
}

/*
 * The CPU that panicked: the kernel's own panic_cpu (set by panic() and,
 * for an oops going straight to kdump, by crash_kexec()) where the
 * symbols have it; else the first CPU whose stack passes through panic()
 * or crash_kexec() (QEMU dumps of arm64 without a vmlinux).
 */
static struct kdk_error *panic_cpu(struct bt *b, size_t *cpu)
{
	size_t n = unwind_note_count(b->u);
	struct unwind_regs regs;
	uint64_t addr;
	int32_t v;

	if (unwind_ok(sym_lookup_name(b->s->symbols, "panic_cpu", &addr)) &&
	    unwind_ok(target_read_kvaddr(b->s->target, addr, &v, sizeof(v))) &&
	    v >= 0 && unwind_ok(unwind_cpu_regs(b->u, (size_t)v, &regs))) {
		*cpu = (size_t)v;
		return NULL;
	}
	for (size_t note = 0; note < n; note++) {
		size_t i = unwind_note_cpu(b->u, note);
		uint64_t task = 0;
		struct kdk_error *err = unwind_cpu_regs(b->u, i, &regs);

		if (err) {
			kdk_error_free(err);
			continue;
		}
		kdk_error_free(unwind_cpu_task(b->u, i, &task));
		b->frames = 0;
		kdk_error_free(unwind_from_regs(b->u, i, task, &regs,
						panic_frame, b));
		if (b->frames) {
			*cpu = i;
			return NULL;
		}
	}
	return kdk_error(KDK_ERR_NOT_FOUND, "no CPU panicked by what the dump "
			 "says (panic_cpu unset, no stack through panic()); "
			 "try bt -a or bt -c CPU");
}

/* Operands as crash takes them: a decimal number is a PID, a hex one a
 * task_struct's address, a word every task of that command name. */
static struct kdk_error *bt_operands(struct session *s, int argc, char **argv,
				     uint64_t **out, size_t *n)
{
	const struct ktasks *k = NULL;
	uint64_t *v = NULL;
	size_t cap = 0;
	struct kdk_error *err = NULL;

	*n = 0;
	for (int i = 0; i < argc && !err; i++) {
		const char *a = argv[i];
		size_t dec = strspn(a, "0123456789");
		char *end;
		uint64_t one = 0;
		bool by_name = false;
		size_t before = *n;

		errno = 0;
		if (a[dec] == '\0' && dec && dec <= 7) {
			if (!k && (err = session_tasks(s, &k)))
				break;
			const struct ktask *t =
				ktasks_by_pid(k, (int32_t)strtol(a, NULL, 10));

			if (!t) {
				err = kdk_error(KDK_ERR_NOT_FOUND, "no task has "
						"PID %s", a);
				break;
			}
			one = t->addr;
		} else if ((one = strtoull(a, &end, 16), !errno && *a && !*end)) {
			/* a task address */
		} else {
			by_name = true;
			if (!k && (err = session_tasks(s, &k)))
				break;
		}
		for (size_t j = 0; by_name ? j < ktasks_count(k) : j < 1; j++) {
			if (by_name) {
				if (strcmp(ktasks_get(k, j)->comm, a) != 0)
					continue;
				one = ktasks_get(k, j)->addr;
			}
			if (*n == cap) {
				uint64_t *nv;

				cap = cap ? cap * 2 : 16;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv) {
					err = kdk_error(KDK_ERR_NOMEM, "out of "
							"memory");
					break;
				}
				v = nv;
			}
			v[(*n)++] = one;
		}
		if (!err && by_name && *n == before)
			err = kdk_error(KDK_ERR_NOT_FOUND, "'%s': no task, PID "
					"or task address of that name", a);
	}
	if (err) {
		free(v);
		*n = 0;
		return err;
	}
	*out = v;
	return NULL;
}

static struct kdk_error *cmd_bt(struct session *s, int argc, char **argv)
{
	struct bt b = { .s = s };
	struct command_opts o;
	struct kdk_error *err = NULL, *first = NULL;
	size_t ncpu = dump_cpu_count(s->dump), cpu = 0, notes;
	bool all = false, one = false, panic_only = false, overflow = false;
	bool raw = false, eframes = false;
	int c;

	command_opts_init(&o, argc, argv);
	bool hex = false;

	while ((c = command_opts_next(&o, &cmd_bt_def, "afFpsxdtTlvrec:", &err))) {
		if (err)
			return err;
		if (c == 'e') {
			eframes = true;
		} else if (c == 'r') {
			raw = true;
		} else if (c == 'v') {
			overflow = true;
		} else if (c == 'F') {
			b.words = true;
			b.symbolic++;
		} else if (c == 'p') {
			panic_only = true;
		} else if (c == 'l') {
			b.lines = true;
		} else if (c == 'a') {
			all = true;
		} else if (c == 'f') {
			b.words = true;
		} else if (c == 's') {
			b.offsets = b.offsets ? b.offsets : 10;
		} else if (c == 'x' || c == 'd') {
			hex = c == 'x';
		} else if (c == 't' || c == 'T') {
			b.text_scan = c;
		} else {
			char *end;
			unsigned long v = strtoul(o.arg, &end, 10);

			if (!*o.arg || *end)
				return command_usage(&cmd_bt_def, "-c: '%s' is "
						     "not a CPU number", o.arg);
			cpu = v;
			one = true;
		}
	}
	if (raw)
		return all || one || panic_only || overflow || b.words ?
		       command_usage(&cmd_bt_def, "-r takes tasks only") :
		       bt_raw_stacks(s, argc - o.ind, argv + o.ind);
	if (overflow)
		return o.ind < argc || all || one || panic_only || b.words ?
		       command_usage(&cmd_bt_def, "-v checks every task: it "
				     "takes nothing else") :
		       bt_check_overflows(s);
	/* No task named: the current task, once `set` chose one (until
	 * then it is the panic task, which the panic CPU's stack shows). */
	char context[24], *context_argv[] = { argv[0], context, NULL };

	if (!all && !one && !panic_only && o.ind == argc &&
	    s->context_chosen) {
		snprintf(context, sizeof(context), "%" PRIx64, s->context);
		argv = context_argv;
		argc = 2;
		o.ind = 1;
	}
	uint64_t *tasks = NULL;
	size_t n_tasks = 0;

	if (o.ind < argc) {
		err = bt_operands(s, argc - o.ind, argv + o.ind, &tasks,
				  &n_tasks);
		if (err)
			return err;
	}
	if (b.offsets)
		b.offsets = hex ? 16 : 10;
	if (b.text_scan && s->json)
		err = command_usage(&cmd_bt_def, "-%c prints text only: run it "
				    "without --json", b.text_scan);
	else if (b.words && s->json)
		err = command_usage(&cmd_bt_def, "-%c prints text only: run it "
				    "without --json", b.symbolic ? 'F' : 'f');
	else if (o.ind < argc && (all || one || panic_only))
		err = command_usage(&cmd_bt_def, "-a, -c and -p take no task");
	else if (panic_only && (all || one))
		err = command_usage(&cmd_bt_def, "-p is the panic task's only");
	else if (all && one)
		err = command_usage(&cmd_bt_def, "-a and -c exclude each "
				    "other");
	else if (!ncpu)
		err = kdk_error(KDK_ERR_NOT_FOUND, "the dump has no CPU "
				"register notes");
	if (err) {
		free(tasks);
		return err;
	}
	if (b.symbolic)
		slab_lookup_init(s, &b.slab);
	err = session_btf(s, &b.btf);
	/* Without BTF: no task, no stack names. */
	if (err)
		kdk_error_free(err);
	err = session_modules(s, &b.mods);
	if (err) {
		kdk_error_free(err);
		b.mods = NULL;
	}
	err = unwind_open(s->target, s->symbols, b.mods ? find_module : NULL,
			  (void *)b.mods, b.btf, &b.u);
	if (err) {
		free(tasks);
		return err;
	}
	if (eframes) {
		err = all || one || panic_only || b.words || b.text_scan ?
		      command_usage(&cmd_bt_def, "-e takes tasks only") :
		      bt_eframe_search(s, b.u, symbolize_text, &b,
				       argc - o.ind, argv + o.ind);
		goto out;
	}
	if (one) {
		struct unwind_regs regs;

		err = unwind_cpu_regs(b.u, cpu, &regs);
	} else if (!all && o.ind == argc) {
		err = panic_cpu(&b, &cpu);
	}
	if (err)
		goto out;
	if (o.ind < argc) {
		if (s->json) {
			json_init(&b.w, s->out, true);
			json_begin_array(&b.w);
		}
		for (size_t i = 0; i < n_tasks; i++) {
			if (i && !s->json)
				fputc('\n', s->out);
			first = command_keep_first(first, bt_task(&b,
								  tasks[i]));
		}
		if (s->json) {
			json_end_array(&b.w);
			json_finish(&b.w);
		}
		err = first;
		goto out;
	}
	if (s->json) {
		json_init(&b.w, s->out, true);
		json_begin_array(&b.w);
	}
	notes = all ? unwind_note_count(b.u) : 1;
	for (size_t i = 0; i < notes; i++) {
		if (i && !s->json)
			fputc('\n', s->out);
		first = command_keep_first(first, bt_cpu(&b,
			all ? unwind_note_cpu(b.u, i) : cpu, !all && !one));
	}
	if (s->json) {
		json_end_array(&b.w);
		json_finish(&b.w);
	}
	err = first;
out:
	free(tasks);
	unwind_free(b.u);
	return err;
}

const struct command cmd_bt_def = {
	.name = "bt",
	.fn = cmd_bt,
	.summary = "backtrace",
	.synopsis = "bt [-f | -t | -T] [-l] [-s [-x|-d]] [-a | -c cpu | pid | task | command ...]",
	.help =
"Shows the kernel stack of a task. One running on a CPU when the dump\n"
"was taken is unwound from the registers that CPU saved in the dump (its\n"
"NT_PRSTATUS note, written by kdump and by QEMU alike); a sleeping one\n"
"(given by address) from the context its last switch saved. With no\n"
"flag, the CPU that panicked: the kernel's panic_cpu, or, where the\n"
"symbols lack it (arm64 without a vmlinux), the first CPU whose stack\n"
"runs through panic() or crash_kexec(). A kdump kernel writes notes only\n"
"for the CPUs that stopped, in CPU order; when some are missing, each note\n"
"is matched to the CPU whose current task has the note's PID.\n"
"\n"
"  -a      every CPU that saved its registers.\n"
"  -c cpu  that CPU.\n"
"  -t      instead of frames, every word on the stack from the stack\n"
"          pointer up that is an address in kernel or module text, with\n"
"          its function (stale return addresses too: what ran before);\n"
"          -T from the base of the task's stack.\n"
"  -s      each frame's function with the offset of its address in it;\n"
"          -x in hexadecimal, -d (the default) in decimal.\n"
"  -f      after each frame, the stack words it holds: from above its\n"
"          return address up to and with the next frame's (text only).\n"
"  -F      as -f, each word that is a kernel or module address named\n"
"          (name+offset), each that points into a slab object by its\n"
"          cache: \"[kmalloc-16]\"; -FF: \"[ADDR:kmalloc-16]\".\n"
"  -p      the task that panicked, whatever `set` chose.\n"
"  -r      the whole kernel stack, raw, as rd -s shows memory.\n"
"  -e      search the kernel stack for words that read as an exception\n"
"          frame (pt_regs), kernel- or user-mode, as crash does.\n"
"  -v      every task's stack checked for an overflow: the\n"
"          STACK_END_MAGIC at its lowest word overwritten.\n"
"  -l      under each frame, its source file and line, from the\n"
"          vmlinux's DWARF (kernel frames; with --json, file and line).\n"
"  task    a task_struct address (hex): from its CPU's registers if it\n"
"          was running, else from the context its last switch saved.\n"
"\n"
"Unwinding is exact, as the kernel's own: on x86_64 with the kernel's and\n"
"the modules' ORC tables, read from the dump's memory (no vmlinux\n"
"needed), through interrupt and exception frames and across the IRQ and\n"
"exception (NMI, #DF, #DB, #MC) stacks; on arm64 with the frame records,\n"
"return addresses stripped of their pointer authentication code,\n"
"through the pt_regs of exceptions. Each line is a frame: its number,\n"
"the stack address where its return address (x86_64) or frame record\n"
"(arm64) was found, the function and the address in it. An exception\n"
"frame is shown as crash shows it: \"[exception RIP: function+offset]\"\n"
"and the registers it saved; the registers of user mode end the stack.\n"
"\"--- <IRQ stack> ---\" marks where the stack named was left for the\n"
"one below. The frame the CPU's registers point at is #0; a kdump\n"
"kernel saves, for an oops, the registers of the faulting instruction\n"
"and, for the other CPUs, where the stop interrupt found them.\n"
"\n"
"The PID, TASK and COMMAND of the header are the CPU's runqueue's\n"
"current task, which needs the runqueues symbol (on arm64, a vmlinux).\n"
"Operands: a PID (decimal), a task_struct address (hex) or a command\n"
"name (every task of that name).\n"
"\n"
"With --json, an array with one object per stack: cpu, panic, context\n"
"(\"cpu\": the CPU's registers, \"switch\": the saved context), task, pid,\n"
"command,\n"
"frames (kind: start, call, exception or user; pc, sp, stack, scanned,\n"
"function, module, and the registers of exception frames) and error.",
	.examples =
"  crash> bt\n"
"  PID: 134      TASK: ffff88ce01809800  CPU: 0    COMMAND: \"insmod\"\n"
"   #0 [ffffcb428044bbc8] create_oops at ffffffffc05299b7 [crashme]\n"
"   #1 [ffffcb428044bbd8] run_oops at ffffffffc0529115 [crashme]\n"
"   #2 [ffffcb428044bc30] do_one_initcall at ffffffff8a4024b9",
	.flags = CMD_NEEDS_SYMBOLS | CMD_NEEDS_TARGET,
};
