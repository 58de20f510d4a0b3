/* Splitting command lines into words. */
#include <stdlib.h>
#include <string.h>

#include "cmd/argv.h"
#include "tap.h"

/* want: the words joined by '|'. */
static void split(const char *line, const char *want)
{
	struct kdk_error *err;
	char **argv, got[256] = "";
	int argc;

	err = argv_split(line, &argc, &argv);
	ok(!err, "[%s] splits", line);
	if (err) {
		printf("#   %s\n", err->msg);
		kdk_error_free(err);
		return;
	}
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(got, "|");
		strcat(got, argv[i]);
	}
	ok(argv[argc] == NULL, "  argv is NULL-terminated");
	is_str(got, want, "  into [%s]", want);
	argv_free(argv);
}

static void refused(const char *line, const char *want)
{
	struct kdk_error *err;
	char **argv;
	int argc;

	err = argv_split(line, &argc, &argv);
	ok(err != NULL, "[%s] is refused", line);
	if (err) {
		is_str(err->msg, want, "  with '%s'", want);
		kdk_error_free(err);
	} else {
		argv_free(argv);
	}
}

int main(void)
{
	split("", "");
	split("   \t ", "");
	split("ps", "ps");
	split("  bt  -a   1234 ", "bt|-a|1234");
	split("alias kl \"log | tail\"", "alias|kl|log | tail");
	split("echo 'a \"b\" c'", "echo|a \"b\" c");
	split("echo \"a \\\"b\\\" \\\\ \\n\"", "echo|a \"b\" \\ \\n");
	split("a\\ b c", "a b|c");
	split("x''y \"\"", "xy|");
	split("sym 'a'\"b\"c", "sym|abc");
	{
		char *words[] = { "1", "+", "(2 * 3)" }, *text;

		text = argv_join(3, words);
		is_str(text, "1 + (2 * 3)", "argv_join puts one blank between");
		free(text);
		text = argv_join(0, words);
		is_str(text, "", "argv_join of nothing is empty");
		free(text);
	}
	refused("echo 'abc", "column 6: unterminated ' quote");
	refused("a \"b", "column 3: unterminated \" quote");
	return tap_done();
}
