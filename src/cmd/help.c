/* help: the list of commands in columns, or one command's help page. */
#include <string.h>

#include "cmd/commands.h"
#include "config.h"
#include "shell/alias.h"

#define HELP_COLUMNS 5
#define HELP_WIDTH 15

/* Down the columns, then across, as crash lays them out. */
static void print_list(FILE *out)
{
	size_t n = command_count();
	size_t rows = (n + HELP_COLUMNS - 1) / HELP_COLUMNS;

	fputc('\n', out);
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < HELP_COLUMNS; c++) {
			size_t i = c * rows + r;

			if (i < n)
				fprintf(out, "%-*s", HELP_WIDTH,
					command_get(i)->name);
		}
		fputc('\n', out);
	}
	fprintf(out, "\nkdumpkit version: %s\n"
		"Enter \"help COMMAND\" for the help of one command.\n"
		"Enter \"alias\" for the other names of commands.\n\n",
		KDK_VERSION);
}

/* A command by its name or by an alias of it ("help dmesg"). */
static const struct command *find(struct session *s, const char *name)
{
	const struct command *cmd = command_find(name);
	const struct alias *a;
	char word[64];
	size_t len;

	if (cmd)
		return cmd;
	a = alias_find(s->aliases, name);
	if (!a)
		return NULL;
	len = strcspn(a->expansion, " \t");
	if (len >= sizeof(word))
		return NULL;
	memcpy(word, a->expansion, len);
	word[len] = '\0';
	return command_find(word);
}

static struct kdk_error *cmd_help(struct session *s, int argc, char **argv)
{
	if (argc < 2) {
		print_list(s->out);
		return NULL;
	}
	for (int i = 1; i < argc; i++) {
		const struct command *cmd = find(s, argv[i]);

		if (!cmd)
			return kdk_error(KDK_ERR_NOT_FOUND, "no command or "
					 "alias '%s' (\"help\" lists them)",
					 argv[i]);
		command_print_help(cmd, s->out);
	}
	return NULL;
}

const struct command cmd_help_def = {
	.name = "help",
	.fn = cmd_help,
	.summary = "the commands and their help",
	.synopsis = "help [command | alias] ...",
	.help =
"With no argument, lists every command of the session. With names of\n"
"commands or of aliases, shows the help page of each: what it does, its\n"
"flags and examples.\n"
"\n"
"Any command line may end in \"| shell command\" to pipe the output\n"
"through /bin/sh, or in \"> file\" or \">> file\" to write or append it\n"
"to a file. A line starting with \"!\" runs the rest in /bin/sh.\n"
"Several commands can share a line, separated by \";\".",
	.examples =
"  kdumpkit> help eval\n"
"  kdumpkit> help | grep e",
};
