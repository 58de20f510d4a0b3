/* ptype: gdb's "type = ..." of a type or a variable, typedefs written out
 * down to what they name. */
#include <stdlib.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/typename.h"
#include "debuginfo/types_print.h"

static struct kdk_error *cmd_ptype(struct session *s, int argc, char **argv)
{
	struct command_opts o;
	struct kdk_error *err;
	struct typename_hit hit;
	struct json_writer w;
	struct type *t;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_ptype_def, "o", &err)) != 0)
		if (err)
			return err;
	if (o.ind >= argc)
		return command_usage(&cmd_ptype_def, "a type or a symbol is "
				     "needed");
	err = typename_resolve(s, argc - o.ind, argv + o.ind, &hit);
	if (err)
		return err;
	t = hit.type;
	/* gdb's ptype looks through every typedef, at the top */
	while (t && t->kind == TYPE_TYPEDEF)
		t = t->target;
	if (s->json) {
		json_init(&w, s->out, true);
		type_json_definition(&w, t ? t : hit.type);
		json_finish(&w);
	} else {
		fputs("type = ", s->out);
		err = type_print_decl(s->out, t, "", false);
		if (!err)
			fputc('\n', s->out);
	}
	typename_hit_free(&hit);
	return err;
}

const struct command cmd_ptype_def = {
	.name = "ptype",
	.fn = cmd_ptype,
	.summary = "print the type of a type or a variable",
	.synopsis = "ptype [struct | union | enum | typedef | symbol]",
	.help =
"Prints the type as gdb's ptype does: \"type = \" and the definition,\n"
"through typedefs to the struct, union, enum or base type under them.\n"
"A symbol's type needs DWARF except for per-cpu variables, which BTF\n"
"describes (see whatis).\n"
"\n"
"With --json, the definition as struct --json gives it.",
	.examples =
"  crash> ptype spinlock_t\n"
"  type = struct spinlock {\n"
"      union {\n"
"          struct raw_spinlock rlock;\n"
"      };\n"
"  }",
};
