/* union: struct's twin for unions (cmd/struct.c does the work). */
#include "cmd/commands.h"
#include "cmd/struct.h"

static struct kdk_error *cmd_union(struct session *s, int argc, char **argv)
{
	return struct_command(s, &cmd_union_def, TYPE_UNION, argc, argv);
}

const struct command cmd_union_def = {
	.name = "union",
	.fn = cmd_union,
	.summary = "union contents",
	.synopsis = "union [-o] [-x|-d] [-l offset] "
		    "union_name[.member[,member]] [address | symbol] [count]",
	.help =
"Shows the definition of a union, or its contents at an address, in\n"
"crash's (gdb's) layout: everything `help struct` says, for unions. A\n"
"name that is a struct is refused (\"data type mismatch\"), as crash\n"
"does.\n"
"\n"
"  -o           each member's offset, as [N] before it (its address,\n"
"               with an address).\n"
"  -x, -d       integers in hexadecimal or decimal.\n"
"  -l offset    the address is that of the member at this offset.\n"
"\n"
"With --json, the same objects as struct's.",
	.examples =
"  crash> union -o thread_union\n"
"  union thread_union {\n"
"     [0] struct task_struct task;\n"
"     [0] unsigned long stack[2048];\n"
"  }\n"
"  SIZE: 16384",
};
