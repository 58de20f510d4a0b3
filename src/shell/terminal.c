/* The interactive prompt: GNU readline and a history file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "shell/shell.h"

/* Enough to find last week's commands, small enough to load at once. */
#define HISTORY_MAX_LINES 1000

static char *history_path(void)
{
	const char *home = getenv("HOME");
	char *path;

	if (!home || !*home)
		return NULL;
	if (asprintf(&path, "%s/%s", home, SHELL_HISTORY_FILE) < 0)
		return NULL;
	return path;
}

/* SIGINT interrupts the read of the terminal; on_read_interrupted does
 * the work, outside the signal handler. */
static void on_sigint(int sig)
{
	(void)sig;
}

/* ^C at the prompt: drop what was typed and prompt again, like a shell. */
static int on_read_interrupted(void)
{
	rl_replace_line("", 0);
	rl_crlf();
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

void shell_run_terminal(struct session *s)
{
	struct sigaction sa = { .sa_handler = on_sigint }, old_sa;
	char *history = history_path();
	char *line;

	/* Without SA_RESTART, so that ^C interrupts readline's read(). */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_sa);
	rl_catch_signals = 0;
	/* The hook cannot tell ^C from a resize of the window, so the size
	 * is read again before each line rather than on SIGWINCH. */
	rl_catch_sigwinch = 0;
	rl_signal_event_hook = on_read_interrupted;

	rl_initialize();	/* before the first rl_resize_terminal() */
	using_history();
	if (history)
		read_history(history);
	for (;;) {
		if (s->quit)
			break;
		rl_resize_terminal();
		line = readline(SHELL_PROMPT);
		if (!line)
			break;
		if (*line) {
			HIST_ENTRY *last = history_length ?
				history_get(history_base + history_length - 1) :
				NULL;

			if (!last || strcmp(last->line, line) != 0)
				add_history(line);
		}
		shell_run_line(s, line);
		free(line);
	}
	if (!s->quit)
		putchar('\n');	/* after ^D, leave the terminal's prompt on
				 * a line of its own */
	if (history) {
		write_history(history);
		history_truncate_file(history, HISTORY_MAX_LINES);
		free(history);
	}
	clear_history();
	sigaction(SIGINT, &old_sa, NULL);
}
