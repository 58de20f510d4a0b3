/* Reading commands and running them: from a string (-c), a script (-i),
 * standard input, or a terminal with line editing and history. */
#ifndef KDK_SHELL_SHELL_H
#define KDK_SHELL_SHELL_H

#include <stdbool.h>
#include <stdio.h>

#include "shell/session.h"

#define SHELL_PROMPT "kdumpkit> "
#define SHELL_HISTORY_FILE ".kdumpkit_history"

/* Run one line of input: "!cmd", or commands separated by ';', each
 * maybe ending in "| pipeline", "> file" or ">> file". Errors are
 * printed on stderr, one line each, and the next command runs. Returns
 * false if any command failed. */
bool shell_run_line(struct session *s, const char *line);

/* Every line of f until its end or q. False if any command failed. */
bool shell_run_stream(struct session *s, FILE *f);

/* The prompt, with GNU readline and a history in ~/.kdumpkit_history. */
void shell_run_terminal(struct session *s);

#endif
