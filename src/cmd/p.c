/* p, px, pd: print the value of a C expression (expr/expr.h) as crash's
 * p shows gdb's print: "$N = VALUE", "SYMBOL = $N = VALUE" when the
 * expression starts with a kernel symbol, and per-cpu symbols as
 * "per_cpu(NAME, CPU) = $N = VALUE" (NAME:cpuspec). */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/argv.h"
#include "cmd/commands.h"
#include "cmd/struct.h"
#include "debuginfo/symtab.h"
#include "expr/expr.h"
#include "expr/value_print.h"

/* gdb's "print elements" as crash sets it. */
#define ELEMENT_LIMIT 256
/* CPUs a cpuspec may name. */
#define MAX_CPUS 8192

struct p_args {
	char format;		/* -x -d: an output radix */
	bool letter;		/* /x /d: gdb's format letter */
	char *text;		/* the expression */
};

static void env_init(struct session *s, struct expr_env *env)
{
	struct types *ts = NULL;
	struct kdk_error *err = session_types(s, &ts);

	kdk_error_free(err);
	env->types = err ? NULL : ts;
	env->symbols = s->symbols;
	env->read = value_read_mem;
	env->arg = s;
}

static struct kdk_error *read_u64(struct session *s, uint64_t addr,
				  uint64_t *v)
{
	return value_read_mem(s, addr, v, sizeof(*v));
}

/* Is name a per-cpu variable (its symbol inside the per-cpu section)? */
static bool is_percpu(struct session *s, const struct sym *sym)
{
	const struct sym *lo = sym_find_name(s->symbols, "__per_cpu_start");
	const struct sym *hi = sym_find_name(s->symbols, "__per_cpu_end");

	return lo && hi && sym->addr >= lo->addr && sym->addr < hi->addr;
}

static struct kdk_error *cpu_count(struct session *s, unsigned int *n)
{
	const struct sym *sym = sym_find_name(s->symbols, "nr_cpu_ids");
	uint32_t v;
	struct kdk_error *err;

	if (!sym)
		return kdk_error(KDK_ERR_NOT_FOUND, "no symbol nr_cpu_ids: "
				 "per-cpu values need the vmlinux here");
	err = value_read_mem(s, sym->addr, &v, sizeof(v));
	if (err)
		return kdk_error_wrap(err, "reading nr_cpu_ids");
	if (!v || v > MAX_CPUS)
		return kdk_error(KDK_ERR_FORMAT, "nr_cpu_ids is %" PRIu32, v);
	*n = v;
	return NULL;
}

static struct kdk_error *percpu_addr(struct session *s, const struct sym *sym,
				     unsigned int cpu, uint64_t *addr)
{
	const struct sym *off = sym_find_name(s->symbols, "__per_cpu_offset");
	uint64_t v;
	struct kdk_error *err;

	if (!off)
		return kdk_error(KDK_ERR_NOT_FOUND, "no symbol __per_cpu_offset:"
				 " per-cpu values need the vmlinux here");
	err = read_u64(s, off->addr + 8ULL * cpu, &v);
	if (err)
		return kdk_error_wrap(err, "reading __per_cpu_offset[%u]", cpu);
	*addr = sym->addr + v;
	return NULL;
}

/* A bare ':' is the CPU of crash's current task, which is at first the
 * panic task: the CPU in panic_cpu. */
static struct kdk_error *current_cpu(struct session *s, unsigned int n_cpus,
				     bool *want)
{
	const struct sym *sym = sym_find_name(s->symbols, "panic_cpu");
	int32_t cpu;
	struct kdk_error *err;

	if (!sym)
		return kdk_error(KDK_ERR_NOT_FOUND, "no symbol panic_cpu for "
				 "the current CPU: name the CPUs");
	err = value_read_mem(s, sym->addr, &cpu, sizeof(cpu));
	if (err)
		return kdk_error_wrap(err, "reading panic_cpu");
	if (cpu < 0 || (unsigned int)cpu >= n_cpus)
		return kdk_error(KDK_ERR_NOT_FOUND, "no CPU panicked (panic_cpu "
				 "is %" PRId32 "): name the CPUs", cpu);
	want[cpu] = true;
	return NULL;
}

/* crash's cpuspec: "a" or "all", or "N", "N-M", comma-separated; "" the
 * current CPU. */
static struct kdk_error *parse_cpus(struct session *s, const char *spec,
				    unsigned int n_cpus, bool *want)
{
	const char *p = spec;

	if (!*spec)
		return current_cpu(s, n_cpus, want);
	if (strcmp(spec, "a") == 0 || strcmp(spec, "all") == 0) {
		for (unsigned int i = 0; i < n_cpus; i++)
			want[i] = true;
		return NULL;
	}
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || hi < lo)
				goto bad;
		}
		if (hi >= n_cpus)
			goto bad;
		for (unsigned long i = lo; i <= hi; i++)
			want[i] = true;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
	}
	return NULL;
bad:
	return kdk_error(KDK_ERR_USAGE, "invalid cpu specification: %s", spec);
}

static void printer_init(struct session *s, const struct p_args *a,
			 struct value_printer *vp)
{
	memset(vp, 0, sizeof(*vp));
	vp->out = s->out;
	/* gdb's output radix 10 is its natural output (unsigned stays
	 * unsigned); a format letter /d is signed */
	vp->format = a->format == 'd' && !a->letter ? 0 : a->format;
	vp->letter = a->letter;
	vp->symbolize = value_symbolize;
	vp->read = value_read_mem;
	vp->arg = s;
	vp->elem_limit = ELEMENT_LIMIT;
}

static void json_value(struct session *s, const char *expr,
		       const struct expr_value *v, int cpu)
{
	struct json_writer w;
	char hex[24], *tn = v->type ? type_name(v->type) : NULL;

	json_init(&w, s->out, true);
	json_begin_object(&w);
	json_key_string(&w, "expression", expr);
	if (cpu >= 0)
		json_key_int(&w, "cpu", cpu);
	json_key(&w, "type");
	if (tn)
		json_string(&w, tn);
	else
		json_null(&w);
	json_key(&w, "address");
	if (v->lvalue) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, v->addr);
		json_string(&w, hex);
	} else {
		json_null(&w);
	}
	json_key(&w, "value");
	if (!v->data) {
		snprintf(hex, sizeof(hex), "0x%" PRIx64, v->addr);
		json_string(&w, hex);
	} else {
		value_json_member(&w, v->type, v->data, 0, 0, v->addr);
	}
	json_end_object(&w);
	json_finish(&w);
	free(tn);
}

/* "[PREFIX = ]$N = VALUE\n" */
static void show(struct session *s, const struct p_args *a,
		 const char *prefix, const struct expr_value *v)
{
	struct value_printer vp;
	struct type *st = v->type ? type_strip(v->type) : NULL;

	printer_init(s, a, &vp);
	if (prefix)
		fprintf(s->out, "%s = ", prefix);
	fprintf(s->out, "$%u = ", ++s->values_shown);
	/* crash puts an array or a function after a symbol's name on a
	 * line of its own */
	if (prefix && (!st || st->kind == TYPE_ARRAY ||
		       st->kind == TYPE_FUNCTION))
		fputs("\n ", s->out);
	value_print_top(&vp, v->type, v->data, v->addr);
	fputc('\n', s->out);
}

/* A value of t at addr (a per-cpu instance). */
static struct kdk_error *value_at(struct session *s, struct type *t,
				  uint64_t addr, uint8_t **buf,
				  struct expr_value *v)
{
	uint64_t size = type_strip(t)->size;

	*buf = malloc(size < 8 ? 8 : size);
	if (!*buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	memset(v, 0, sizeof(*v));
	v->type = t;
	v->lvalue = true;
	v->addr = addr;
	v->data = *buf;
	v->size = size;
	return value_read_mem(s, addr, *buf, size);
}

/* crash's answer to a bare per-cpu symbol: its type and each CPU's
 * address. */
static struct kdk_error *percpu_summary(struct session *s, const char *name,
					const struct sym *sym, struct type *t)
{
	unsigned int n;
	struct kdk_error *err = cpu_count(s, &n);
	char *decl;
	struct json_writer w;

	if (err)
		return err;
	decl = type_declaration(t, name);
	if (s->json) {
		json_init(&w, s->out, true);
		json_begin_object(&w);
		json_key_string(&w, "symbol", name);
		json_key_string(&w, "type", decl ? decl : "?");
		json_key(&w, "addresses");
		json_begin_array(&w);
	} else {
		fprintf(s->out, "PER-CPU DATA TYPE:\n  %s;\nPER-CPU ADDRESSES:\n",
			decl ? decl : "?");
	}
	free(decl);
	for (unsigned int cpu = 0; cpu < n && !err; cpu++) {
		uint64_t addr;
		char hex[24];

		err = percpu_addr(s, sym, cpu, &addr);
		if (err)
			break;
		snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
		if (s->json)
			json_string(&w, hex);
		else
			fprintf(s->out, "  [%u]: %" PRIx64 "\n", cpu, addr);
	}
	if (s->json) {
		json_end_array(&w);
		json_end_object(&w);
		json_finish(&w);
	}
	return err;
}

/* NAME:cpuspec, or false if text is not of that form. */
static bool split_percpu(const char *text, char **name, char **spec)
{
	const char *p = text, *colon;

	while (isspace((unsigned char)*p))
		p++;
	colon = strchr(p, ':');
	if (!colon || colon == p)
		return false;
	for (const char *q = p; q < colon; q++)
		if (!isalnum((unsigned char)*q) && *q != '_')
			return false;
	*name = strndup(p, (size_t)(colon - p));
	*spec = strdup(colon + 1);
	if (*spec) {
		size_t len = strlen(*spec);

		while (len && isspace((unsigned char)(*spec)[len - 1]))
			(*spec)[--len] = '\0';
	}
	return true;
}

static struct kdk_error *print_percpu(struct session *s,
				      const struct p_args *a,
				      const char *name, const char *spec,
				      bool *done)
{
	const struct sym *sym = sym_find_name(s->symbols, name);
	struct types *ts;
	struct type *t;
	struct kdk_error *err;
	unsigned int n;
	bool *want, first = true;

	*done = false;
	if (!sym)
		return kdk_error(KDK_ERR_NOT_FOUND, "no symbol \"%s\"", name);
	if (!is_percpu(s, sym)) {
		/* crash: the cpuspec is ignored */
		fprintf(s->out, "WARNING: %s is not percpu; cpuspec "
			"ignored.\n", name);
		return NULL;
	}
	*done = true;
	if ((err = session_types(s, &ts)) ||
	    (err = types_find_var(ts, name, &t)) || (err = cpu_count(s, &n)))
		return err;
	want = calloc(n, sizeof(*want));
	if (!want)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = parse_cpus(s, spec, n, want);
	if (!err && s->json)
		fputs("[\n", s->out);
	for (unsigned int cpu = 0; cpu < n && !err; cpu++) {
		struct expr_value v;
		uint8_t *buf = NULL;
		uint64_t addr;
		char prefix[300];

		if (!want[cpu])
			continue;
		err = percpu_addr(s, sym, cpu, &addr);
		if (!err)
			err = value_at(s, t, addr, &buf, &v);
		if (!err) {
			snprintf(prefix, sizeof(prefix), "per_cpu(%s, %u)",
				 name, cpu);
			if (s->json) {
				if (!first)
					fputs(",\n", s->out);
				json_value(s, name, &v, (int)cpu);
				first = false;
			} else {
				show(s, a, prefix, &v);
			}
		}
		free(buf);
	}
	if (!err && s->json)
		fputs("]\n", s->out);
	free(want);
	return err;
}

/* The first word of text if it is a kernel symbol (crash then shows
 * "SYMBOL = " before gdb's answer). */
static char *leading_symbol(struct session *s, const char *text)
{
	size_t len = strcspn(text, " \t");
	char *w = strndup(text, len);

	if (w && s->symbols && sym_find_name(s->symbols, w))
		return w;
	free(w);
	return NULL;
}

static struct kdk_error *print_value(struct session *s,
				     const struct p_args *a)
{
	struct expr_env env;
	struct expr_ctx *ctx;
	struct expr_value v;
	struct kdk_error *err;
	const struct sym *sym;
	char *prefix;

	env_init(s, &env);
	/* crash answers a bare per-cpu symbol with its CPUs' addresses */
	sym = s->symbols ? sym_find_name(s->symbols, a->text) : NULL;
	if (sym && env.types && is_percpu(s, sym)) {
		struct type *t;

		err = types_find_var(env.types, a->text, &t);
		if (!err)
			return percpu_summary(s, a->text, sym, t);
		kdk_error_free(err);
	}
	err = expr_eval(&env, a->text, &ctx, &v);
	if (err)
		return err;
	prefix = a->letter ? NULL : leading_symbol(s, a->text);
	if (s->json)
		json_value(s, a->text, &v, -1);
	else
		show(s, a, prefix, &v);
	free(prefix);
	expr_ctx_free(ctx);
	return NULL;
}

static struct kdk_error *print_expr(struct session *s, const struct p_args *a)
{
	struct kdk_error *err;
	char *name, *spec;
	bool done = false;

	if (!split_percpu(a->text, &name, &spec))
		return print_value(s, a);
	if (!name || !spec)
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	else
		err = print_percpu(s, a, name, spec, &done);
	if (!err && !done) {
		struct p_args bare = *a;

		bare.text = name;
		err = print_value(s, &bare);
	}
	free(name);
	free(spec);
	return err;
}

static struct kdk_error *p_common(struct session *s, const struct command *cmd,
				  char format, int argc, char **argv)
{
	struct command_opts o;
	struct kdk_error *err;
	struct p_args a = { .format = format };
	int c;

	if (!format && s->radix == 16)
		a.format = 'x';	/* `set radix 16`, as crash's p */

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, cmd, "xdu", &err)) != 0) {
		if (err)
			return err;
		if (c == 'x' || c == 'd')
			a.format = (char)c;
		else
			return kdk_error(KDK_ERR_NOT_BUILT, "-u (an expression "
					 "of user-space addresses) is not "
					 "supported");
	}
	/* gdb's format letters: p /x EXPR, p/x is not a command name */
	if (o.ind < argc && argv[o.ind][0] == '/') {
		const char *f = argv[o.ind] + 1;

		if ((*f != 'x' && *f != 'd') || f[1])
			return command_usage(cmd, "unsupported format '%s' "
					     "(/x and /d are)", argv[o.ind]);
		a.format = *f;
		a.letter = true;
		o.ind++;
	}
	if (o.ind >= argc)
		return command_usage(cmd, "an expression is needed");
	a.text = argv_join(argc - o.ind, argv + o.ind);
	if (!a.text)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = print_expr(s, &a);
	free(a.text);
	return err;
}

static struct kdk_error *cmd_p(struct session *s, int argc, char **argv)
{
	return p_common(s, &cmd_p_def, 0, argc, argv);
}

static struct kdk_error *cmd_px(struct session *s, int argc, char **argv)
{
	return p_common(s, &cmd_px_def, 'x', argc, argv);
}

static struct kdk_error *cmd_pd(struct session *s, int argc, char **argv)
{
	return p_common(s, &cmd_pd_def, 'd', argc, argv);
}

#define P_HELP \
"Prints the value of a C expression, as gdb's print does under crash:\n" \
"\"$N = VALUE\", with \"SYMBOL = \" first when the expression starts with a\n"\
"kernel symbol. Structs are shown with nested braces, arrays inline (the\n" \
"first 256 elements), char arrays as strings, pointers with their type and\n"\
"the symbol they point into, enums by name.\n" \
"\n" \
"The expression is C: numbers, 'c' and \"strings\", kernel symbols, casts\n" \
"to any type ((struct page *)ADDR), -> . [] & * - ~ ! sizeof, the binary\n" \
"operators with C's precedence, ?:, and parentheses. Pointer arithmetic\n" \
"counts in elements. Hexadecimal numbers need 0x.\n" \
"\n" \
"Types come from the kernel's BTF, which describes no global variable but\n" \
"the per-cpu ones; a table gives the types of the globals the kernel\n" \
"helpers use (init_task, init_mm, jiffies, modules, __per_cpu_offset,\n" \
"nr_cpu_ids, vm_zone_stat, ...). Another symbol is what gdb calls a\n" \
"symbol without debug info: a function prints as {<text variable, no\n" \
"debug info>} ADDRESS, and a variable must be cast to its type:\n" \
"p (int)panic_on_warn.\n" \
"\n" \
"  symbol:cpuspec  a per-cpu symbol on some CPUs: \"a\" or \"all\", CPU\n" \
"                  numbers and ranges (0,2-3), or nothing: the CPU that\n" \
"                  panicked (panic_cpu). A bare per-cpu symbol shows its\n" \
"                  type and every CPU's address.\n" \
"  -x / -d         integers in hexadecimal / decimal (px and pd).\n" \
"  /x / /d         gdb's format letters: chars, enums and pointers too.\n" \
"  -u              (user-space addresses) is not supported.\n" \
"\n" \
"With --json: {expression, type, address, value}, one object per CPU for\n" \
"a cpuspec.\n" \
"\n" \
"Write expressions with '|' or '>' inside parentheses: outside them they\n" \
"start a pipe or a redirection."

const struct command cmd_p_def = {
	.name = "p",
	.fn = cmd_p,
	.summary = "print the value of an expression",
	.synopsis = "p [-x|-d][-u] [/x|/d] [expression | symbol[:cpuspec]]",
	.help = P_HELP,
	.examples =
"  crash> p init_task.pid\n"
"  $1 = 0\n"
"  crash> p &init_task.tasks\n"
"  $2 = (struct list_head *) 0xffffffffb3e1b2d0 <init_task+2192>\n"
"  crash> px jiffies\n"
"  jiffies = $3 = 0xfffee581\n"
"  crash> p runqueues:1\n"
"  per_cpu(runqueues, 1) = $4 = {\n"
"  ...",
	.flags = CMD_NEEDS_SYMBOLS | CMD_NEEDS_TARGET,
};

const struct command cmd_px_def = {
	.name = "px",
	.fn = cmd_px,
	.summary = "print the value of an expression in hexadecimal",
	.synopsis = "px [expression | symbol[:cpuspec]]",
	.help = "p -x: integers in hexadecimal. See help p.",
	.flags = CMD_NEEDS_SYMBOLS | CMD_NEEDS_TARGET,
};

const struct command cmd_pd_def = {
	.name = "pd",
	.fn = cmd_pd,
	.summary = "print the value of an expression in decimal",
	.synopsis = "pd [expression | symbol[:cpuspec]]",
	.help = "p -d: integers in decimal. See help p.",
	.flags = CMD_NEEDS_SYMBOLS | CMD_NEEDS_TARGET,
};
