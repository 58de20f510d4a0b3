/* set: the session's settings. crash's `set` also switches the current
 * task; that comes with the task layer. */
#include <string.h>

#include "cmd/commands.h"

static void print_radix(FILE *out, int radix)
{
	fprintf(out, "output radix: %d (%s)\n", radix,
		radix == 16 ? "hex" : "decimal");
}

static void print_settings(struct session *s)
{
	fprintf(s->out, "%14s: %d (%s)\n", "radix", s->radix,
		s->radix == 16 ? "hex" : "decimal");
	fprintf(s->out, "%14s: %s\n", "json", s->json ? "on" : "off");
	fprintf(s->out, "%14s: %s\n", "dumpfile",
		s->dump_path ? s->dump_path : "(none)");
	fprintf(s->out, "%14s: %s\n", "namelist",
		s->vmlinux_path ? s->vmlinux_path : "(none)");
}

static struct kdk_error *set_radix(struct session *s, const char *value)
{
	if (!value) {
		print_radix(s->out, s->radix);
		return NULL;
	}
	if (strcmp(value, "10") == 0 || strcmp(value, "decimal") == 0)
		s->radix = 10;
	else if (strcmp(value, "16") == 0 || strcmp(value, "hex") == 0)
		s->radix = 16;
	else
		return kdk_error(KDK_ERR_USAGE, "radix: %s: 10 or 16 only",
				 value);
	print_radix(s->out, s->radix);
	return NULL;
}

static struct kdk_error *set_json(struct session *s, const char *value)
{
	if (value && strcmp(value, "on") == 0)
		s->json = true;
	else if (value && strcmp(value, "off") == 0)
		s->json = false;
	else if (value)
		return kdk_error(KDK_ERR_USAGE, "json: %s: on or off", value);
	fprintf(s->out, "json: %s\n", s->json ? "on" : "off");
	return NULL;
}

static struct kdk_error *cmd_set(struct session *s, int argc, char **argv)
{
	const char *value;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "-v") == 0)) {
		print_settings(s);
		return NULL;
	}
	if (argc > 3)
		return command_usage(&cmd_set_def, "one setting at a time");
	value = argc == 3 ? argv[2] : NULL;
	if (strcmp(argv[1], "radix") == 0)
		return set_radix(s, value);
	if (strcmp(argv[1], "json") == 0)
		return set_json(s, value);
	return command_usage(&cmd_set_def, "no setting '%s'", argv[1]);
}

const struct command cmd_set_def = {
	.name = "set",
	.fn = cmd_set,
	.summary = "session settings",
	.synopsis = "set [-v] | set radix [10|16] | set json [on|off]",
	.help =
"With no argument or -v, shows every setting. With a setting's name,\n"
"shows it; with a value too, changes it.\n"
"\n"
"  radix  10 or 16: the base commands print numbers in where crash\n"
"         lets the user choose. The aliases \"hex\" and \"dec\" set it.\n"
"  json   on or off: commands print JSON instead of text, as with\n"
"         kdumpkit's --json flag.",
	.examples =
"  kdumpkit> set radix 16\n"
"  output radix: 16 (hex)",
};
