/* Flags of session commands: clusters, arguments, operands that look like
 * flags ("-1"), and one-line usage errors. */
#include <stdlib.h>
#include <string.h>

#include "cmd/command.h"
#include "tap.h"

static const struct command cmd_demo = {
	.name = "demo",
	.synopsis = "demo [-ab] [-o arg] operand ...",
};

/* The flags seen, as "a b o=ARG", and the index of the first operand. */
static int parse(int argc, char **argv, char *seen, struct kdk_error **err)
{
	struct command_opts o;
	int c;

	seen[0] = '\0';
	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_demo, "abo:", err)) != 0) {
		if (*err)
			return -1;
		if (*seen)
			strcat(seen, " ");
		seen[strlen(seen) + 1] = '\0';
		seen[strlen(seen)] = (char)c;
		if (o.arg) {
			strcat(seen, "=");
			strcat(seen, o.arg);
		}
	}
	return o.ind;
}

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define CHECK(want_seen, want_ind, ...)					\
	do {								\
		struct kdk_error *err = NULL;				\
		char seen[128];						\
		int ind = parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__),	\
				seen, &err);				\
		ok(!err && ind == (want_ind), "%s: operands from %d",	\
		   #__VA_ARGS__, want_ind);				\
		is_str(seen, want_seen, "  flags [%s]", want_seen);	\
		kdk_error_free(err);					\
	} while (0)
#define REFUSED(want, ...)						\
	do {								\
		struct kdk_error *err = NULL;				\
		char seen[128];						\
		parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), seen, &err); \
		ok(err != NULL, "%s is refused", #__VA_ARGS__);		\
		if (err)						\
			is_str(err->msg, want, "  with [%s]", want);	\
		kdk_error_free(err);					\
	} while (0)

int main(void)
{
	CHECK("", 1, "demo");
	CHECK("", 1, "demo", "x");
	CHECK("a b", 3, "demo", "-a", "-b", "x");
	CHECK("a b", 2, "demo", "-ab", "x");
	CHECK("o=val a", 4, "demo", "-o", "val", "-a", "x");
	CHECK("b o=val", 2, "demo", "-boval", "x");
	CHECK("", 1, "demo", "-1");		/* a negative number */
	CHECK("a", 2, "demo", "-a", "-(1)");
	CHECK("a", 3, "demo", "-a", "--", "-b");
	CHECK("", 1, "demo", "x", "-a");	/* flags come first */
	REFUSED("invalid option -- 'x' (usage: demo [-ab] [-o arg] "
		"operand ...)", "demo", "-ax");
	REFUSED("option -o needs an argument (usage: demo [-ab] [-o arg] "
		"operand ...)", "demo", "-o");
	return tap_done();
}
