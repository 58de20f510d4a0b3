#include "shell/shell.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/argv.h"
#include "cmd/command.h"
#include "dump/dump.h"
#include "shell/alias.h"
#include "shell/cmdline.h"
#include "shell/output.h"
#include "target/target.h"

/* Aliases may name aliases ("quit" is "q"); a loop of them stops here. */
#define ALIAS_MAX_DEPTH 8

static void report(struct kdk_error *err)
{
	fflush(stdout);
	kdk_error_report(err, stderr);
}

/* text with its first word replaced by the alias it names, repeatedly;
 * a copy of text when it starts with no alias. */
static char *expand_aliases(struct session *s, const char *text)
{
	char *line = strdup(text);

	for (int i = 0; line && i < ALIAS_MAX_DEPTH; i++) {
		size_t len = strcspn(line, " \t"), len_self;
		const struct alias *a;
		char *word, *next;

		word = strndup(line, len);
		if (!word) {
			free(line);
			return NULL;
		}
		a = command_find(word) ? NULL : alias_find(s->aliases, word);
		free(word);
		if (!a)
			break;
		len_self = strcspn(a->expansion, " \t");
		if (len_self == len && strncmp(a->expansion, line, len) == 0)
			i = ALIAS_MAX_DEPTH;	/* "alias ls ls -l": once */
		if (asprintf(&next, "%s%s", a->expansion, line + len) < 0)
			next = NULL;
		free(line);
		line = next;
	}
	return line;
}

static struct kdk_error *run_argv(struct session *s, const char *text,
				  FILE *out)
{
	struct kdk_error *err;
	char **argv;
	int argc;

	err = argv_split(text, &argc, &argv);
	if (err)
		return err;
	s->out = out;
	/* A running kernel changes its page tables from one command to the
	 * next: translate afresh. */
	if (s->target && dump_facts(s->dump)->live)
		target_forget(s->target);
	err = command_run(s, argc, argv);
	s->out = stdout;
	argv_free(argv);
	return err;
}

static struct kdk_error *run_command(struct session *s, const char *text)
{
	struct kdk_error *err, *close_err;
	struct cmdline cl;
	struct output o;
	char *line;

	line = expand_aliases(s, text);
	if (!line)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = cmdline_parse(line, &cl);
	free(line);
	if (err)
		return err;
	err = output_open(&cl, &o);
	if (!err) {
		err = run_argv(s, cl.command, o.f);
		close_err = output_close(&o);
		if (err)
			kdk_error_free(close_err);
		else
			err = close_err;
	}
	cmdline_free(&cl);
	return err;
}

/* "!cmd" runs cmd in /bin/sh; a lone "!" starts an interactive shell. */
static bool run_shell_escape(const char *cmd)
{
	const char *shell = getenv("SHELL");

	while (isspace((unsigned char)*cmd))
		cmd++;
	if (!*cmd)
		cmd = shell && *shell ? shell : "/bin/sh";
	fflush(stdout);
	return system(cmd) != -1;
}

bool shell_run_line(struct session *s, const char *line)
{
	struct kdk_error *err;
	bool ok = true;
	char **cmds;
	size_t n;

	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return true;
	err = cmdline_split(line, &cmds, &n);
	if (err) {
		report(err);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (s->quit) {
			/* the rest of the line is not run */
		} else if (cmds[i][0] == '!') {
			if (!run_shell_escape(cmds[i] + 1))
				ok = false;
		} else {
			err = run_command(s, cmds[i]);
			if (err) {
				report(err);
				ok = false;
			}
		}
		free(cmds[i]);
	}
	free(cmds);
	return ok;
}

bool shell_run_stream(struct session *s, FILE *f)
{
	size_t cap = 0;
	char *line = NULL;
	bool ok = true;

	while (!s->quit && getline(&line, &cap, f) >= 0)
		if (!shell_run_line(s, line))
			ok = false;
	free(line);
	return ok;
}
