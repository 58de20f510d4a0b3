/* eval: crash's calculator. The value in hexadecimal, decimal, octal and
 * binary, with crash's layout (two blanks after the hexadecimal and
 * decimal values, a size in KB/MB/GB when it is a whole number of them,
 * the signed value when the top bit is set). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/argv.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "debuginfo/symtab.h"
#include "expr/calc.h"

/* crash wraps the "bits set" list once a line reaches this column. */
#define BITS_WRAP_COLUMN 77

static void print_size(FILE *out, uint64_t v)
{
	if (v < 1024)
		return;
	if (v % (1ULL << 30) == 0)
		fprintf(out, "(%" PRIu64 "GB)", v >> 30);
	else if (v % (1ULL << 20) == 0)
		fprintf(out, "(%" PRIu64 "MB)", v >> 20);
	else if (v % (1ULL << 10) == 0)
		fprintf(out, "(%" PRIu64 "KB)", v >> 10);
}

static void print_bits_set(FILE *out, uint64_t v)
{
	static const char hdr[] = "   bits set: ";
	int col = sizeof(hdr) - 1;

	fputs(hdr, out);
	for (int i = 63; i >= 0; i--) {
		if (!(v & (1ULL << i)))
			continue;
		col += fprintf(out, "%d ", i);
		if (col >= BITS_WRAP_COLUMN) {
			fprintf(out, "\n%*s", (int)sizeof(hdr) - 1, "");
			col = sizeof(hdr) - 1;
		}
	}
	fputc('\n', out);
}

static void print_text(FILE *out, uint64_t v, bool bits)
{
	fprintf(out, "hexadecimal: %" PRIx64 "  ", v);
	print_size(out, v);
	fprintf(out, "\n    decimal: %" PRIu64 "  ", v);
	if ((int64_t)v < 0)
		fprintf(out, "(%" PRId64 ")", (int64_t)v);
	fprintf(out, "\n      octal: %" PRIo64 "\n     binary: ", v);
	for (int i = 63; i >= 0; i--)
		fputc(v & (1ULL << i) ? '1' : '0', out);
	fputc('\n', out);
	if (bits)
		print_bits_set(out, v);
}

static void print_json(FILE *out, uint64_t v, bool bits)
{
	struct json_writer w;
	char hex[24];

	snprintf(hex, sizeof(hex), "0x%" PRIx64, v);
	json_init(&w, out, true);
	json_begin_object(&w);
	json_key_uint(&w, "value", v);
	json_key_int(&w, "signed", (int64_t)v);
	json_key_string(&w, "hexadecimal", hex);
	if (bits) {
		json_key(&w, "bits_set");
		json_begin_array(&w);
		for (int i = 63; i >= 0; i--)
			if (v & (1ULL << i))
				json_int(&w, i);
		json_end_array(&w);
	}
	json_end_object(&w);
	json_finish(&w);
}

static struct kdk_error *cmd_eval(struct session *s, int argc, char **argv)
{
	struct calc_hooks hooks = { .symbol = address_symbol_value, .arg = s };
	struct command_opts o;
	struct kdk_error *err;
	bool bits = false;
	uint64_t v;
	char *text;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_eval_def, "bl", &err)) != 0) {
		if (err)
			return err;
		if (c == 'b')
			bits = true;
		/* -l: values are 64 bits on every architecture kdumpkit
		 * reads, so there is nothing to widen. */
	}
	if (o.ind >= argc)
		return command_usage(&cmd_eval_def, "an expression is needed");
	text = argv_join(argc - o.ind, argv + o.ind);
	if (!text)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = calc_eval(text, &hooks, &v);
	if (err) {
		err = kdk_error_wrap(err, "invalid expression '%s'", text);
		free(text);
		return err;
	}
	free(text);
	if (s->json)
		print_json(s->out, v, bits);
	else
		print_text(s->out, v, bits);
	return NULL;
}

const struct command cmd_eval_def = {
	.name = "eval",
	.fn = cmd_eval,
	.summary = "integer calculator",
	.synopsis = "eval [-b][-l] expression | value",
	.help =
"Computes an integer expression and shows the result in hexadecimal,\n"
"decimal, octal and binary. When the result is a whole number of\n"
"gigabytes, megabytes or kilobytes, that size follows the hexadecimal\n"
"value; when its top bit is set, the decimal line also gives the value\n"
"as a signed number.\n"
"\n"
"Values are 64-bit unsigned integers and arithmetic wraps as in C. The\n"
"operators are those of C, with C's precedence, and parentheses group:\n"
"\n"
"  unary:   -  ~  !  +\n"
"  binary:  *  /  %   +  -   <<  >>   &   ^   |\n"
"\n"
"A number is decimal unless it starts with 0x, or is made only of\n"
"hexadecimal digits and has a letter a-f (ffff, 1f). A decimal or 0x\n"
"number may end in k, m or g (either case) to count kilobytes,\n"
"megabytes or gigabytes. Once symbols are loaded, a symbol's name\n"
"stands for its address.\n"
"\n"
"Write expressions with '|' or '>' inside parentheses: on the command\n"
"line outside them they start a pipe or a redirection.\n"
"\n"
"  -b  also list the numbers of the bits that are set.\n"
"  -l  accepted for crash's sake: values are always 64 bits here.",
	.examples =
"Add a hexadecimal and a decimal number:\n"
"\n"
"  kdumpkit> eval 0x1000 + 16\n"
"  hexadecimal: 1010  \n"
"      decimal: 4112  \n"
"        octal: 10020\n"
"       binary: 0000000000000000000000000000000000000000000000000001000000010000\n"
"\n"
"Sizes, and the bits of a mask:\n"
"\n"
"  kdumpkit> eval 3 * 512m\n"
"  hexadecimal: 60000000  (1536MB)\n"
"  ...\n"
"  kdumpkit> eval -b (1 << 12) - 1\n"
"  ...\n"
"     bits set: 11 10 9 8 7 6 5 4 3 2 1 0 ",
};
