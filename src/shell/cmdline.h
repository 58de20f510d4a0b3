/* The shell's part of a command line: several commands separated by ';',
 * and a command's output sent on to "| a shell pipeline", "> file" or
 * ">> file". Quotes, backslashes and parentheses protect these
 * characters, so `eval (1 | 2)` and `alias x "ps | wc"` stay whole. */
#ifndef KDK_SHELL_CMDLINE_H
#define KDK_SHELL_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* The commands of line, trimmed, empty ones left out. A command starting
 * with '!' (a shell escape) runs to the end of the line, ';' included.
 * Free each and the vector. */
struct kdk_error *cmdline_split(const char *line, char ***cmds, size_t *n);

struct cmdline {
	char *command;		/* the kdumpkit command, trimmed */
	char *pipe;		/* the text after '|', for /bin/sh; or NULL */
	char *file;		/* the file after '>' or '>>'; or NULL */
	bool append;		/* '>>' */
};

struct kdk_error *cmdline_parse(const char *text, struct cmdline *out);
void cmdline_free(struct cmdline *c);

#endif
