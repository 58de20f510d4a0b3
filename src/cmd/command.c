/* Running a command, its usage errors, its help page and its flags. */
#include "cmd/command.h"

#include "cmd/commands.h"
#include "cmd/struct.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "task_struct ADDR" as "struct task_struct ADDR". */
static struct kdk_error *run_shortcut(struct session *s, int argc,
				      char **argv)
{
	char **full = calloc(argc + 2, sizeof(*full));
	struct kdk_error *err;

	if (!full)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	full[0] = (char *)"struct";
	memcpy(full + 1, argv, argc * sizeof(*argv));
	err = struct_command(s, &cmd_struct_def, TYPE_VOID, argc + 1, full);
	free(full);
	return kdk_error_wrap(err, "%s", argv[0]);
}

static struct kdk_error *run_format_letter(struct session *s, int argc,
					   char **argv)
{
	char **v = calloc((size_t)argc + 2, sizeof(*v));
	char p[] = "p";
	struct kdk_error *err;

	if (!v)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	v[0] = p;
	v[1] = argv[0] + 1;
	for (int i = 1; i < argc; i++)
		v[i + 1] = argv[i];
	err = command_run(s, argc + 1, v);
	free(v);
	return err;
}

struct kdk_error *command_run(struct session *s, int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 1)
		return NULL;
	cmd = command_find(argv[0]);
	/* gdb's "p/x EXPR" is "p /x EXPR" */
	if (!cmd && strncmp(argv[0], "p/", 2) == 0 && argv[0][2])
		return run_format_letter(s, argc, argv);
	/* crash runs a type name typed as a command as `struct NAME ...` */
	if (!cmd && struct_shortcut_applies(s, argv[0]))
		return run_shortcut(s, argc, argv);
	if (!cmd)
		return kdk_error(KDK_ERR_NOT_FOUND, "%s: command not found",
				 argv[0]);
	if ((cmd->flags & CMD_NEEDS_TARGET) && !s->target)
		return kdk_error(KDK_ERR_NOT_PRESENT, "%s: needs the kernel's "
				 "virtual memory, which this dump does not "
				 "give: %s", cmd->name, s->target_why ?
				 s->target_why : "no dump open");
	if ((cmd->flags & CMD_NEEDS_SYMBOLS) && !s->symbols)
		return kdk_error(KDK_ERR_NOT_PRESENT, "%s: needs kernel "
				 "symbols, and none are loaded: %s", cmd->name,
				 s->symbols_why ? s->symbols_why :
				 "no dump open");
	return kdk_error_wrap(cmd->fn(s, argc, argv), "%s", cmd->name);
}

struct kdk_error *command_usage(const struct command *cmd, const char *fmt,
				...)
{
	char *what = NULL;
	struct kdk_error *err;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&what, fmt, ap);
	va_end(ap);
	err = kdk_error(KDK_ERR_USAGE, "%s (usage: %s)", n < 0 ? "bad usage" :
			what, cmd->synopsis);
	free(what);
	return err;
}

static void print_indented(FILE *out, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len)
			fprintf(out, "  %.*s\n", (int)len, p);
		else
			fputc('\n', out);
		p += len + (nl ? 1 : 0);
	}
}

void command_print_help(const struct command *cmd, FILE *out)
{
	fprintf(out, "\nNAME\n  %s - %s\n\nSYNOPSIS\n  %s\n\nDESCRIPTION\n",
		cmd->name, cmd->summary, cmd->synopsis);
	print_indented(out, cmd->help);
	if (cmd->examples) {
		fprintf(out, "\nEXAMPLES\n");
		print_indented(out, cmd->examples);
	}
	fputc('\n', out);
}

void command_opts_init(struct command_opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->argc = argc;
	o->argv = argv;
	o->ind = 1;
}

int command_opts_next(struct command_opts *o, const struct command *cmd,
		      const char *spec, struct kdk_error **err)
{
	const char *where;
	char c;

	*err = NULL;
	o->arg = NULL;
	if (!o->next || !*o->next) {
		const char *a;

		if (o->ind >= o->argc)
			return 0;
		a = o->argv[o->ind];
		if (strcmp(a, "--") == 0) {
			o->ind++;
			return 0;
		}
		if (a[0] != '-' || !isalpha((unsigned char)a[1]))
			return 0;
		o->next = a + 1;
		o->ind++;
	}
	c = *o->next++;
	where = strchr(spec, c);
	if (!where || c == ':') {
		*err = command_usage(cmd, "invalid option -- '%c'", c);
		return '?';
	}
	if (where[1] == ':') {
		if (*o->next) {
			o->arg = o->next;
		} else if (o->ind < o->argc) {
			o->arg = o->argv[o->ind++];
		} else {
			*err = command_usage(cmd, "option -%c needs an "
					     "argument", c);
			return '?';
		}
		o->next = NULL;
	}
	return c;
}

struct kdk_error *command_keep_first(struct kdk_error *first,
				     struct kdk_error *err)
{
	if (!first)
		return err;
	kdk_error_free(err);
	return first;
}
