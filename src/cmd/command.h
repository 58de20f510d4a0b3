/* The session's commands: one struct command per file of src/cmd/, all
 * listed in registry.c.
 *
 * A command parses its arguments, asks the layers below, and prints to
 * s->out (which the shell points at stdout, a file or a pipe). It never
 * exits: it returns NULL, or an error that the shell prints on one line
 * as "kdumpkit: NAME: message" before reading the next command.
 */
#ifndef KDK_CMD_COMMAND_H
#define KDK_CMD_COMMAND_H

#include <stddef.h>

#include "base/error.h"
#include "shell/session.h"

typedef struct kdk_error *command_fn(struct session *s, int argc, char **argv);

/* What a command needs from the session; command_run() refuses, in one
 * line, to run it without. */
enum command_flags {
	CMD_NEEDS_SYMBOLS = 1 << 0,	/* s->symbols */
	CMD_NEEDS_TARGET = 1 << 1,	/* s->target: kernel virtual memory */
};

struct command {
	const char *name;
	command_fn *fn;
	const char *summary;	/* the NAME line: "eval - ..." */
	const char *synopsis;
	const char *help;	/* DESCRIPTION, lines without indentation */
	const char *examples;	/* EXAMPLES, or NULL */
	unsigned int flags;
};

/* Every command, sorted by name. */
size_t command_count(void);
const struct command *command_get(size_t i);
const struct command *command_find(const char *name);

/* Run argv[0] with its arguments; errors name the command. */
struct kdk_error *command_run(struct session *s, int argc, char **argv);

/* For commands that go on through a list of operands after one fails:
 * keep the first error to return at the end, free the later ones. */
struct kdk_error *command_keep_first(struct kdk_error *first,
				     struct kdk_error *err);

/* A usage error: "MESSAGE (usage: SYNOPSIS)". */
__attribute__((format(printf, 2, 3)))
struct kdk_error *command_usage(const struct command *cmd, const char *fmt,
				...);

/* Print the crash-style help page of cmd. */
void command_print_help(const struct command *cmd, FILE *out);

/*
 * Flags, as getopt(3) would take them but without its global state. Like
 * crash, an argument is a flag only if it is '-' and a letter: "-1" and
 * "-(1)" are operands. Flags end at the first operand or at "--".
 */
struct command_opts {
	int argc;
	char **argv;
	int ind;		/* next argument; operands start here at the end */
	const char *next;	/* rest of a cluster like -bl */
	const char *arg;	/* the flag's argument, for "x:" in spec */
};

void command_opts_init(struct command_opts *o, int argc, char **argv);
/* The next flag letter, 0 at the end of flags, or '?' with *err set. */
int command_opts_next(struct command_opts *o, const struct command *cmd,
		      const char *spec, struct kdk_error **err);

#endif
