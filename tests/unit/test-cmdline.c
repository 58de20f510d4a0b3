/* The shell's part of a line: ';', '|', '>' and '>>'. */
#include <stdlib.h>
#include <string.h>

#include "shell/cmdline.h"
#include "tap.h"

static void split(const char *line, const char *want)
{
	struct kdk_error *err;
	char got[256] = "";
	char **cmds;
	size_t n;

	err = cmdline_split(line, &cmds, &n);
	ok(!err, "[%s] splits at ';'", line);
	if (err) {
		kdk_error_free(err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(got, "#");
		strcat(got, cmds[i]);
		free(cmds[i]);
	}
	free(cmds);
	is_str(got, want, "  into [%s]", want);
}

static void parse(const char *text, const char *command, const char *pipe,
		  const char *file, bool append)
{
	struct kdk_error *err;
	struct cmdline cl;

	err = cmdline_parse(text, &cl);
	ok(!err, "[%s] parses", text);
	if (err) {
		printf("#   %s\n", err->msg);
		kdk_error_free(err);
		return;
	}
	is_str(cl.command, command, "  command [%s]", command);
	if (pipe)
		is_str(cl.pipe, pipe, "  pipe [%s]", pipe);
	else
		ok(!cl.pipe, "  no pipe");
	if (file)
		is_str(cl.file, file, "  file [%s]", file);
	else
		ok(!cl.file, "  no file");
	ok(cl.append == append, "  %s", append ? "appends" : "does not append");
	cmdline_free(&cl);
}

static void refused(const char *text, const char *want)
{
	struct kdk_error *err;
	struct cmdline cl;

	err = cmdline_parse(text, &cl);
	ok(err != NULL, "[%s] is refused", text);
	if (err) {
		is_str(err->msg, want, "  with '%s'", want);
		kdk_error_free(err);
	} else {
		cmdline_free(&cl);
	}
}

int main(void)
{
	split("sys", "sys");
	split("sys; ps ;log", "sys#ps#log");
	split(" ; ;", "");
	split("eval 1;   ", "eval 1");
	split("eval 1; \t", "eval 1");
	split("eval 1; alias x 'a; b'; echo \"c;d\"",
	      "eval 1#alias x 'a; b'#echo \"c;d\"");
	split("a \\; b; c", "a \\; b#c");
	split("!echo a; echo b", "!echo a; echo b");
	split("eval 1;  !ls; x", "eval 1#!ls; x");
	split("eval (1 ; eval 2", "eval (1#eval 2");

	parse("ps", "ps", NULL, NULL, false);
	parse("ps | grep UN | wc -l", "ps", "grep UN | wc -l", NULL, false);
	parse("log > /tmp/log.txt", "log", NULL, "/tmp/log.txt", false);
	parse("log >> '/tmp/a b'", "log", NULL, "/tmp/a b", true);
	parse("log>out", "log", NULL, "out", false);
	parse("eval (1 | 2)", "eval (1 | 2)", NULL, NULL, false);
	parse("eval (1 >> 2) | cat", "eval (1 >> 2)", "cat", NULL, false);
	parse("alias x \"ps | wc\"", "alias x \"ps | wc\"", NULL, NULL, false);
	parse("echo a\\|b", "echo a\\|b", NULL, NULL, false);
	parse("ps | grep x > /tmp/o", "ps", "grep x > /tmp/o", NULL, false);
	/* C's arrow is not a redirection; a '>' after it still is */
	parse("p init_task.mm->owner", "p init_task.mm->owner", NULL, NULL,
	      false);
	parse("p a->b > f", "p a->b", NULL, "f", false);

	refused("ps |", "column 4: no shell command after '|'");
	refused("| wc", "column 1: no command before '|'");
	refused("log >", "column 5: '>' needs one file name after it");
	refused("log >> a b", "column 5: '>>' needs one file name after it");
	refused("echo 'a | b", "unterminated ' quote");
	return tap_done();
}
