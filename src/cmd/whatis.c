/* whatis: what a type is made of, or a symbol's type, as crash shows
 * them: a struct's definition with its SIZE, a typedef written out to the
 * struct under it, "TYPE SYMBOL;" for a variable. */
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/struct.h"
#include "cmd/typename.h"
#include "debuginfo/types_print.h"
#include "expr/expr.h"

/* crash's own layout for an enum: one "NAME = VALUE" a line, no SIZE. */
static struct kdk_error *print_enum(struct session *s, struct type *t)
{
	struct kdk_error *err = type_fill(t);

	if (err)
		return err;
	fprintf(s->out, "enum %s {\n", t->name ? t->name : "");
	for (size_t i = 0; i < t->n_members; i++)
		fprintf(s->out, "  %s = %lld\n", t->enumerators[i].name,
			(long long)t->enumerators[i].value);
	fputs("};\n", s->out);
	return NULL;
}

/* Does the text look like an expression rather than a name? */
static bool is_expression(int n, char **words)
{
	for (int i = 0; i < n; i++)
		if (strpbrk(words[i], ".[]()*&+-"))
			return true;
	return false;
}

/* gdb's whatis of an expression (init_task.thread, *kmalloc_caches[0]):
 * the type it has, on one line. */
static struct kdk_error *whatis_expression(struct session *s, int n,
					   char **words)
{
	struct expr_env env = { .symbols = s->symbols, .read = value_read_mem,
				.arg = s };
	struct kdk_error *err = session_types(s, &env.types);
	struct expr_ctx *ctx;
	struct expr_value v;
	struct json_writer w;
	char text[512] = "", *name;

	if (err)
		return err;
	for (int i = 0; i < n; i++)
		if (snprintf(text + strlen(text), sizeof(text) - strlen(text),
			     "%s%s", i ? " " : "", words[i]) < 0)
			return kdk_error(KDK_ERR_USAGE, "expression too long");
	err = expr_eval(&env, text, &ctx, &v);
	if (err)
		return err;
	name = v.type ? type_name(v.type) : NULL;
	if (!name) {
		expr_ctx_free(ctx);
		return kdk_error(KDK_ERR_NOT_FOUND, "%s has no type in the %s",
				 text, types_source_name(env.types));
	}
	if (s->json) {
		json_init(&w, s->out, true);
		json_begin_object(&w);
		json_key_string(&w, "expression", text);
		json_key_string(&w, "type", name);
		json_end_object(&w);
		json_finish(&w);
	} else {
		fprintf(s->out, "%s\n", name);
	}
	free(name);
	expr_ctx_free(ctx);
	return NULL;
}

static struct kdk_error *cmd_whatis(struct session *s, int argc, char **argv)
{
	struct command_opts o;
	struct kdk_error *err;
	struct typename_hit hit;
	struct json_writer w;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_whatis_def, "", &err)) != 0)
		if (err)
			return err;
	if (o.ind >= argc)
		return command_usage(&cmd_whatis_def, "a type or a symbol is "
				     "needed");
	err = typename_resolve(s, argc - o.ind, argv + o.ind, &hit);
	if (err && err->code == KDK_ERR_NOT_FOUND &&
	    is_expression(argc - o.ind, argv + o.ind)) {
		kdk_error_free(err);
		return whatis_expression(s, argc - o.ind, argv + o.ind);
	}
	if (err)
		return err;
	if (s->json) {
		json_init(&w, s->out, true);
		if (hit.symbol) {
			char *decl = type_name(hit.type);

			json_begin_object(&w);
			json_key_string(&w, "symbol", hit.symbol);
			json_key_string(&w, "type", decl);
			json_end_object(&w);
			free(decl);
		} else {
			type_json_definition(&w, hit.type);
		}
		json_finish(&w);
	} else if (hit.symbol) {
		char *decl = type_declaration(hit.type, hit.symbol);

		fprintf(s->out, "%s;\n", decl ? decl : "?");
		free(decl);
	} else if (hit.type->kind == TYPE_ENUM && !hit.type->declared_only) {
		err = print_enum(s, hit.type);
	} else {
		struct type *t = hit.type;
		bool body = type_strip(t) && !type_strip(t)->declared_only &&
			    (type_strip(t)->kind == TYPE_STRUCT ||
			     type_strip(t)->kind == TYPE_UNION ||
			     type_strip(t)->kind == TYPE_ENUM);

		/* crash's whatis writes a typedef out to the type at the end
		 * of the chain: "typedef unsigned int u32;" */
		if (t->kind == TYPE_TYPEDEF) {
			fputs("typedef ", s->out);
			err = type_print_decl(s->out, type_strip(t), t->name,
					      false);
		} else {
			err = type_print_definition(s->out, t, false);
		}
		if (err)
			return err;
		/* gdb ends a typedef, an enum and a base type with ';' */
		if (t->kind == TYPE_TYPEDEF || !body || t->kind == TYPE_ENUM)
			fputc(';', s->out);
		fputc('\n', s->out);
		if (type_strip(t))
			fprintf(s->out, "SIZE: %llu\n", (unsigned long long)
				type_strip(t)->size);
	}
	typename_hit_free(&hit);
	return err;
}

const struct command cmd_whatis_def = {
	.name = "whatis",
	.fn = cmd_whatis,
	.summary = "search symbol table for data or type information",
	.synopsis = "whatis [struct | union | enum | typedef | symbol]",
	.help =
"Shows a type's definition and size (a typedef written out down to the\n"
"struct it names; an enum's values one a line), or the type of a kernel\n"
"variable. A name that is both (softnet_data) is the variable, as in\n"
"crash; write \"struct softnet_data\" for the type.\n"
"\n"
"Types come from the kernel's BTF in the dump, or from the vmlinux's .BTF\n"
"section when one was given. BTF describes no global variables except the\n"
"per-cpu ones (runqueues, irq_stat, ...): `whatis init_task` needs the\n"
"vmlinux, whose DWARF describes every global.\n"
"\n"
"An expression (init_task.thread, *kmalloc_caches[0][3]) is evaluated and\n"
"its type shown on one line, as gdb does.\n"
"\n"
"With --json: a type as struct --json shows its definition; a symbol as\n"
"{symbol, type}; an expression as {expression, type}.",
	.examples =
"  crash> whatis spinlock_t\n"
"  typedef struct spinlock {\n"
"      union {\n"
"          struct raw_spinlock rlock;\n"
"      };\n"
"  } spinlock_t;\n"
"  SIZE: 4\n"
"\n"
"  crash> whatis runqueues\n"
"  struct rq runqueues;",
	.flags = 0,
};
