/* alias: list the aliases, show one, or define one. */
#include <stdlib.h>
#include <string.h>

#include "cmd/argv.h"
#include "cmd/commands.h"
#include "shell/alias.h"

static const char *origin_name(enum alias_origin o)
{
	return o == ALIAS_BUILTIN ? "builtin" : "runtime";
}

static void print_header(FILE *out)
{
	fprintf(out, "ORIGIN   ALIAS    COMMAND\n");
}

static void print_alias(FILE *out, const struct alias *a)
{
	fprintf(out, "%-8s %-8s %s \n", origin_name(a->origin), a->name,
		a->expansion);
}

static struct kdk_error *cmd_alias(struct session *s, int argc, char **argv)
{
	const struct alias *a;
	struct kdk_error *err;
	char *expansion;

	if (argc == 1) {
		print_header(s->out);
		for (size_t i = 0; i < alias_count(s->aliases); i++)
			print_alias(s->out, alias_get(s->aliases, i));
		return NULL;
	}
	if (argc == 2) {
		a = alias_find(s->aliases, argv[1]);
		if (!a)
			return kdk_error(KDK_ERR_NOT_FOUND, "no alias '%s'",
					 argv[1]);
		print_header(s->out);
		print_alias(s->out, a);
		return NULL;
	}
	if (command_find(argv[1]))
		return kdk_error(KDK_ERR_USAGE, "'%s' is a command: an alias "
				 "cannot replace it", argv[1]);
	expansion = argv_join(argc - 2, argv + 2);
	if (!expansion)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = alias_set(s->aliases, argv[1], expansion, ALIAS_RUNTIME);
	free(expansion);
	if (err)
		return err;
	print_header(s->out);
	print_alias(s->out, alias_find(s->aliases, argv[1]));
	return NULL;
}

const struct command cmd_alias_def = {
	.name = "alias",
	.fn = cmd_alias,
	.summary = "names for command lines",
	.synopsis = "alias [alias [command [arguments ...]]]",
	.help =
"With no argument, lists the aliases: where each comes from (builtin or\n"
"runtime, for those defined in this session), its name, and the command\n"
"line it stands for. With one name, shows that alias. With a name and a\n"
"command line, defines the alias, or redefines it.\n"
"\n"
"An alias is replaced by its command line when it is the first word of\n"
"a command; the rest of the line follows it. Quote a definition that\n"
"holds '|', '>' or ';', or they apply to the alias command itself.",
	.examples =
"Make \"kl\" show the kernel log's last lines:\n"
"\n"
"  kdumpkit> alias kl \"log | tail -20\"\n"
"  ORIGIN   ALIAS    COMMAND\n"
"  runtime  kl       log | tail -20 \n"
"  kdumpkit> kl",
};
