/* rd: memory as words of 8 to 64 bits, in crash's layout: the address
 * right-aligned in 16 columns and ":  ", the words, and with hexadecimal
 * words an ASCII column two blanks after the last word position. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "debuginfo/symtab.h"
#include "kernel/task_mm.h"
#include "target/target.h"

/* crash prints this many printable bytes per line with -a. */
#define RD_ASCII_PER_LINE 60

enum rd_radix { RD_HEX, RD_SIGNED, RD_UNSIGNED, RD_SYMBOLIC };

struct rd_opts {
	unsigned int size;	/* bytes per word */
	enum rd_radix radix;
	bool ascii_column;	/* hex words and no -x */
	bool ascii_only;	/* -a */
	bool physical;		/* -p */
	bool user;		/* -u, or a user address without -k */
	bool kernel;		/* -k */
	uint64_t root;		/* user: the current task's page tables */
	uint64_t addr;
	uint64_t count;		/* words, or bytes with -a */
};

static struct kdk_error *read_mem(struct session *s, const struct rd_opts *o,
				  uint64_t addr, void *buf, size_t len)
{
	if (o->physical)
		return dump_read_phys(s->dump, addr, buf, len);
	if (!s->target)
		return kdk_error(KDK_ERR_NOT_PRESENT, "no kernel virtual "
				 "memory: %s", s->target_why ?
				 s->target_why : "no dump");
	if (o->user)
		return target_read_uvaddr(s->target, o->root, addr, buf, len);
	return target_read_kvaddr(s->target, addr, buf, len);
}

static uint64_t word_at(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);	/* little-endian hosts and targets */
	return v;
}

static int64_t sign_extend(uint64_t v, unsigned int size)
{
	unsigned int shift = 64 - size * 8;

	return (int64_t)(v << shift) >> shift;
}

/* "name+off" for a value inside the kernel's symbols, else false. */
/* True if err is NULL; frees it otherwise (a lookup that may fail). */
static bool succeeded(struct kdk_error *err)
{
	kdk_error_free(err);
	return err == NULL;
}

static bool symbolize(struct session *s, uint64_t v, char *buf,
		      size_t len)
{
	uint64_t off, size;
	const char *name;
	struct address_module_hit hit;
	struct kdk_error *err;

	if (address_in_module(s, v, &hit, &err)) {
		if (!succeeded(err))
			return false;
		if (hit.offset)
			snprintf(buf, len, "%s+%" PRIu64, hit.name, hit.offset);
		else
			snprintf(buf, len, "%s", hit.name);
		return true;
	}

	/* Only the kernel image: per-CPU offsets and absolute symbols sit
	 * at small numbers that plain values would hit. */
	if (!address_in_image(s, v))
		return false;
	if (!succeeded(sym_lookup_addr(s->symbols, v, &name, &off, &size)))
		return false;
	if (off)
		snprintf(buf, len, "%s+%" PRIu64, name, off);
	else
		snprintf(buf, len, "%s", name);
	return true;
}

static void print_word(struct session *s, const struct rd_opts *o,
		       uint64_t v)
{
	static const int dec_width[] = { [1] = 3, [2] = 5, [4] = 12, [8] = 15 };
	char sym[256];

	switch (o->radix) {
	case RD_SYMBOLIC:
		if (o->size == 8 && symbolize(s, v, sym, sizeof(sym))) {
			fprintf(s->out, "%-16s ", sym);
			break;
		}
		/* fall through */
	case RD_HEX:
		fprintf(s->out, "%0*" PRIx64 " ", (int)o->size * 2, v);
		break;
	case RD_SIGNED:
		fprintf(s->out, "%*" PRId64 " ", dec_width[o->size],
			sign_extend(v, o->size));
		break;
	case RD_UNSIGNED:
		fprintf(s->out, "%*" PRIu64 " ",
			o->size == 8 ? 20 : dec_width[o->size], v);
		break;
	}
}

static void print_line(struct session *s, const struct rd_opts *o,
		       uint64_t addr, const uint8_t *buf, unsigned int n,
		       unsigned int per_line)
{
	fprintf(s->out, "%16" PRIx64 ":  ", addr);
	for (unsigned int i = 0; i < n; i++)
		print_word(s, o, word_at(buf + i * o->size, o->size));
	if (o->ascii_column) {
		fprintf(s->out, "%*s  ",
			(int)((per_line - n) * (o->size * 2 + 1)), "");
		for (unsigned int i = 0; i < n * o->size; i++)
			fputc(buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : '.',
			      s->out);
	}
	fputc('\n', s->out);
}

static void json_line(struct json_writer *w, const struct rd_opts *o,
		      uint64_t addr, const uint8_t *buf, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t v = word_at(buf + i * o->size, o->size);

		json_begin_object(w);
		json_key_uint(w, "address", addr + i * o->size);
		if (o->radix == RD_SIGNED)
			json_key_int(w, "value", sign_extend(v, o->size));
		else
			json_key_uint(w, "value", v);
		json_end_object(w);
	}
}

static struct kdk_error *dump_words(struct session *s,
				    const struct rd_opts *o)
{
	unsigned int per_line = 16 / o->size;
	struct kdk_error *err = NULL;
	struct json_writer w;
	uint64_t addr = o->addr, left = o->count;
	uint8_t buf[16];

	json_init(&w, s->out, true);
	if (s->json) {
		json_begin_object(&w);
		json_key_uint(&w, "size", o->size);
		json_key_bool(&w, "physical", o->physical);
		json_key_bool(&w, "user", o->user);
		json_key(&w, "words");
		json_begin_array(&w);
	}
	while (left) {
		unsigned int n = left < per_line ? left : per_line;

		err = read_mem(s, o, addr, buf, n * o->size);
		if (err)
			break;
		if (s->json)
			json_line(&w, o, addr, buf, n);
		else
			print_line(s, o, addr, buf, n, per_line);
		addr += n * o->size;
		left -= n;
	}
	if (s->json) {
		json_end_array(&w);
		json_end_object(&w);
		json_finish(&w);
	}
	return err;
}

/* -a: printable bytes, up to the first that is not (or count bytes). */
static struct kdk_error *dump_ascii(struct session *s,
				    const struct rd_opts *o)
{
	struct kdk_error *err = NULL;
	uint64_t addr = o->addr;
	unsigned int col = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *acc = open_memstream(&text, &len);

	if (!acc)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (uint64_t i = 0; !o->count || i < o->count; i++, addr++) {
		uint8_t c;

		err = read_mem(s, o, addr, &c, 1);
		if (err || !isprint(c))
			break;
		if (!s->json && col % RD_ASCII_PER_LINE == 0)
			fprintf(s->out, "%s%16" PRIx64 ":  ", col ? "\n" : "",
				addr);
		if (!s->json)
			fputc(c, s->out);
		fputc(c, acc);
		col++;
	}
	fclose(acc);
	if (s->json) {
		struct json_writer w;

		json_init(&w, s->out, true);
		json_begin_object(&w);
		json_key_uint(&w, "address", o->addr);
		json_key(&w, "text");
		json_string_len(&w, text, len);
		json_end_object(&w);
		json_finish(&w);
	} else if (col) {
		fputc('\n', s->out);
	}
	free(text);
	return err;
}

/* The bytes of a word for -8, -16, -32 and -64; 0 for anything else. */
static unsigned int word_size_flag(const char *arg)
{
	static const struct {
		const char *flag;
		unsigned int size;
	} sizes[] = { { "-8", 1 }, { "-16", 2 }, { "-32", 4 }, { "-64", 8 } };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		if (strcmp(arg, sizes[i].flag) == 0)
			return sizes[i].size;
	return 0;
}

static bool is_letter_flag(const char *arg)
{
	return arg[0] == '-' && isalpha((unsigned char)arg[1]);
}

/* The word sizes look like negative numbers to the flag parser, so they
 * are taken out first; and as crash (GNU getopt) does, flags may follow
 * the operands, so they are moved before them. */
static int take_sizes(int argc, char **argv, unsigned int *size,
		      char **rest)
{
	int n = 0;

	rest[n++] = argv[0];
	for (int i = 1; i < argc; i++) {
		if (word_size_flag(argv[i])) {
			*size = word_size_flag(argv[i]);
		} else if (is_letter_flag(argv[i])) {
			rest[n++] = argv[i];
			if (strcmp(argv[i], "-e") == 0 && i + 1 < argc)
				rest[n++] = argv[++i];
		}
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-e") == 0)
			i++;
		else if (!word_size_flag(argv[i]) && !is_letter_flag(argv[i]))
			rest[n++] = argv[i];
	}
	rest[n] = NULL;
	return n;
}

static struct kdk_error *parse(struct session *s, int argc, char **argv,
			       struct rd_opts *o)
{
	const char *end_arg = NULL;
	struct command_opts co;
	struct kdk_error *err;
	int c;

	command_opts_init(&co, argc, argv);
	while ((c = command_opts_next(&co, &cmd_rd_def, "adDspuxe:kS", &err))) {
		if (err)
			return err;
		switch (c) {
		case 'a':
			o->ascii_only = true;
			break;
		case 'd':
			o->radix = RD_SIGNED;
			break;
		case 'D':
			o->radix = RD_UNSIGNED;
			break;
		case 'u':
			o->user = true;
			break;
		case 's':
		case 'S':
			o->radix = RD_SYMBOLIC;
			o->size = 8;
			break;
		case 'x':
			o->ascii_column = false;
			break;
		case 'p':
			o->physical = true;
			break;
		case 'e':
			end_arg = co.arg;
			break;
		case 'k':
			o->kernel = true;
			break;
		}
	}
	if (o->user + o->kernel + o->physical > 1)
		return command_usage(&cmd_rd_def, "-u, -k and -p exclude each "
				     "other");
	if (co.ind >= argc)
		return command_usage(&cmd_rd_def, "an address is needed");
	err = address_parse(s, argv[co.ind], &o->addr);
	if (err)
		return err;
	if (co.ind + 1 < argc) {
		err = address_parse_number(s, argv[co.ind + 1], &o->count);
		if (err)
			return err;
	} else if (!o->ascii_only) {
		o->count = 1;
	}
	if (end_arg) {
		uint64_t end;

		err = address_parse(s, end_arg, &end);
		if (err)
			return err;
		if (end <= o->addr)
			return command_usage(&cmd_rd_def, "-e %s is not past "
					     "the start address", end_arg);
		o->count = o->ascii_only ? end - o->addr :
			   (end - o->addr + o->size - 1) / o->size;
	}
	if (o->radix != RD_HEX)
		o->ascii_column = false;
	/* More than this is a typo (a negative count), not a request. */
	if (!o->ascii_only && (o->count == 0 || o->count > (1ULL << 32)))
		return command_usage(&cmd_rd_def, "bad count %" PRIu64,
				     o->count);
	return NULL;
}

/* crash's guess without -u or -k: an address below the top of user
 * space is the current task's, anything else the kernel's. Then, for a
 * user address, the task's page tables. */
static struct kdk_error *user_space(struct session *s, struct rd_opts *o)
{
	const struct ktasks *k;
	const struct ktask *task;
	const struct kbtf *btf;
	struct kdk_error *err;

	if (o->physical || o->kernel || !s->target)
		return NULL;
	if (!o->user &&
	    target_addr_kind(s->target, o->addr) != ARCH_ADDR_USER)
		return NULL;
	if (target_addr_kind(s->target, o->addr) != ARCH_ADDR_USER)
		return kdk_error(KDK_ERR_USAGE, "-u: %" PRIx64 " is not a user "
				 "virtual address", o->addr);
	o->user = true;
	err = session_tasks(s, &k);
	if (!err)
		err = session_context(s, k, &task);
	if (!err)
		err = session_btf(s, &btf);
	if (!err)
		err = task_user_root(s->target, btf, task, &o->root);
	return err;
}

static struct kdk_error *cmd_rd(struct session *s, int argc, char **argv)
{
	struct rd_opts o = { .size = 8, .ascii_column = true };
	struct kdk_error *err;
	char **rest = calloc(argc + 1, sizeof(*rest));
	int n;

	if (!rest)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	n = take_sizes(argc, argv, &o.size, rest);
	err = parse(s, n, rest, &o);
	if (!err)
		err = user_space(s, &o);
	if (!err)
		err = o.ascii_only ? dump_ascii(s, &o) : dump_words(s, &o);
	free(rest);
	return err;
}

const struct command cmd_rd_def = {
	.name = "rd",
	.fn = cmd_rd,
	.summary = "read memory",
	.synopsis = "rd [-adDspxuk][-8|-16|-32|-64][-e addr] [address | symbol] "
		    "[count]",
	.help =
"Shows count words of memory (one if no count is given) from a kernel\n"
"virtual address, a symbol or an expression of symbols, a user virtual\n"
"address of the current task (see set), or with -p a physical address.\n"
"Without -u or -k, an address below the top of user space is taken as\n"
"the current task's, as crash does. Each line begins with the address\n"
"of its first word.\n"
"Hexadecimal words are followed by the same bytes as ASCII, with a dot\n"
"for each byte that is not printable.\n"
"\n"
"  -8, -16, -32, -64  the size of a word in bits (default 64).\n"
"  -x   hexadecimal without the ASCII column.\n"
"  -d   signed decimal.\n"
"  -D   unsigned decimal.\n"
"  -s   64-bit words, each shown as symbol+offset when it points\n"
"       into the kernel's or a module's symbols.\n"
"  -a   the bytes as text, up to the first that is not printable (or\n"
"       count bytes), 60 to a line.\n"
"  -p   the address is physical.\n"
"  -u   the address is a user virtual address of the current task,\n"
"       read through its page tables (task->mm->pgd); a kernel\n"
"       thread has none.\n"
"  -k   the address is a kernel virtual address.\n"
"  -e addr  read up to addr instead of giving a count.\n"
"\n"
"A word that cannot be read (an address not mapped, a page excluded from\n"
"the dump) ends the output with a line that says why. Dumps made with\n"
"dump level 31 (makedumpfile -d 31, kdump's default) leave every user\n"
"page out: rd -u says so.",
	.examples =
"The start of the kernel's version string:\n"
"\n"
"  crash> rd linux_banner 2\n"
"  ffffffff8b51ffe0:  65762078756e694c 2e36206e6f697372   Linux version 6.\n"
"\n"
"The same as text:\n"
"\n"
"  crash> rd -a linux_banner\n"
"  ffffffff8b51ffe0:  Linux version 6.1.0-56-cloud-amd64 (debian-kernel@...",
};
