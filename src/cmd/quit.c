/* q and exit: end the session. Both names, as in crash. */
#include "cmd/commands.h"

static struct kdk_error *cmd_quit(struct session *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	s->quit = true;
	return NULL;
}

#define QUIT_HELP \
"Ends the session. Commands after it on the same line, in the script or\n" \
"on standard input are not run."

const struct command cmd_q_def = {
	.name = "q",
	.fn = cmd_quit,
	.summary = "end the session",
	.synopsis = "q",
	.help = QUIT_HELP,
};

const struct command cmd_exit_def = {
	.name = "exit",
	.fn = cmd_quit,
	.summary = "end the session",
	.synopsis = "exit",
	.help = QUIT_HELP,
};
