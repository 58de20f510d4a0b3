/* kallsyms decoding on tables built in memory the way scripts/kallsyms.c
 * lays them out: token compression, the two-byte length of long names,
 * relative offsets with and without absolute per-CPU symbols, absolute
 * addresses; then lookups by address and by name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/kallsyms.h"
#include "tap.h"

#define BASE		0xffffffff82000000ULL
#define MEM_SIZE	0x10000
#define OFF_OFFSETS	0x0
#define OFF_RELBASE	0x1000
#define OFF_NUM		0x1008
#define OFF_NAMES	0x1010
#define OFF_TOKTAB	0x8000
#define OFF_TOKIDX	0x9000
#define OFF_ADDRS	0xa000
#define TEXT		0xffffffff81000000ULL

struct fake_kernel {
	unsigned char mem[MEM_SIZE];
	const char *tokens[256];
};

static struct kdk_error *fake_read(void *arg, uint64_t vaddr, void *buf,
				   size_t len)
{
	struct fake_kernel *k = arg;

	if (vaddr < BASE || vaddr - BASE + len > MEM_SIZE)
		return kdk_error(KDK_ERR_NOT_PRESENT, "%#llx: PGD entry not "
				 "present", (unsigned long long)vaddr);
	memcpy(buf, k->mem + (vaddr - BASE), len);
	return NULL;
}

/* Tokens: a few multi-byte ones, as the compressor would find, and every
 * other byte standing for itself. */
static void make_tokens(struct fake_kernel *k)
{
	static char single[256][2];
	uint16_t *index = (uint16_t *)(k->mem + OFF_TOKIDX);
	size_t pos = 0;

	for (int i = 0; i < 256; i++) {
		single[i][0] = i;
		k->tokens[i] = single[i];
	}
	k->tokens[1] = "Tsch";
	k->tokens[2] = "edule";
	k->tokens[3] = "per_cpu";
	k->tokens[4] = "help";
	for (int i = 0; i < 256; i++) {
		size_t n = i ? strlen(k->tokens[i]) : 0;

		index[i] = pos;
		memcpy(k->mem + OFF_TOKTAB + pos, k->tokens[i], n);
		k->mem[OFF_TOKTAB + pos + n] = '\0';
		pos += n + 1;
	}
}

/* Compress text greedily with the tokens; returns the bytes written. */
static size_t encode(struct fake_kernel *k, const char *text,
		     unsigned char *out)
{
	unsigned char tok[600];
	size_t n = 0, len;

	while (*text) {
		int best = (unsigned char)*text;
		size_t best_len = 1;

		for (int t = 1; t < 5; t++) {
			len = strlen(k->tokens[t]);
			if (len > best_len && strncmp(text, k->tokens[t], len) == 0) {
				best = t;
				best_len = len;
			}
		}
		tok[n++] = best;
		text += best_len;
	}
	len = 0;
	if (n > 127) {
		out[len++] = 0x80 | (n & 0x7f);
		out[len++] = n >> 7;
	} else {
		out[len++] = n;
	}
	memcpy(out + len, tok, n);
	return len + n;
}

struct fake_sym {
	const char *text;	/* type letter + name */
	uint64_t addr;
};

static char long_name[202];

/* Without absolute per-CPU symbols, offsets are relative to the lowest
 * address, so there a per-CPU variable is an ordinary kernel address. */
#define PERCPU_ABS	0x1a000ULL
#define PERCPU_REL	(TEXT - 0x1000)

static struct fake_sym syms[] = {
	{ "Dper_cpu_var", PERCPU_ABS },
	{ "T_stext", TEXT },
	{ "thelper", TEXT + 0x10 },
	{ "Tschedule", TEXT + 0x100 },
	{ "thelper", TEXT + 0x200 },
	{ "Thelper", TEXT + 0x300 },
	{ "Talias_a", TEXT + 0x400 },
	{ "Talias_b", TEXT + 0x400 },
	{ NULL, TEXT + 0x500 },			/* long_name */
	{ "B_end", TEXT + 0x800 },
};
#define NSYMS (sizeof(syms) / sizeof(syms[0]))

enum addr_kind { RELATIVE, ABSOLUTE_PERCPU, ABSOLUTE };

static void build(struct fake_kernel *k, enum addr_kind kind,
		  struct kallsyms_tables *tab)
{
	int32_t *off = (int32_t *)(k->mem + OFF_OFFSETS);
	uint64_t *addrs = (uint64_t *)(k->mem + OFF_ADDRS);
	uint64_t relbase = kind == ABSOLUTE_PERCPU ? TEXT : PERCPU_REL;
	size_t pos = OFF_NAMES;
	uint32_t n = NSYMS;

	syms[0].addr = kind == ABSOLUTE_PERCPU ? PERCPU_ABS : PERCPU_REL;
	memset(k->mem, 0, sizeof(k->mem));
	make_tokens(k);
	memcpy(k->mem + OFF_RELBASE, &relbase, 8);
	memcpy(k->mem + OFF_NUM, &n, 4);
	for (size_t i = 0; i < NSYMS; i++) {
		const char *text = syms[i].text ? syms[i].text : long_name;
		uint64_t a = syms[i].addr;

		pos += encode(k, text, k->mem + pos);
		addrs[i] = a;
		if (kind == RELATIVE)
			off[i] = (int32_t)(uint32_t)(a - relbase);
		else if (a < 0x100000)
			off[i] = a;
		else
			off[i] = (int32_t)(relbase - 1 - a);
	}
	*tab = (struct kallsyms_tables){
		.num_syms = BASE + OFF_NUM,
		.names = BASE + OFF_NAMES,
		.token_table = BASE + OFF_TOKTAB,
		.token_index = BASE + OFF_TOKIDX,
	};
	if (kind == ABSOLUTE) {
		tab->addresses = BASE + OFF_ADDRS;
	} else {
		tab->offsets = BASE + OFF_OFFSETS;
		tab->relative_base = BASE + OFF_RELBASE;
	}
}

static const char *const kind_names[] = { "relative", "absolute per-CPU",
					  "absolute" };

static void check_lookups(struct symtab *st, const char *kind)
{
	uint64_t addr = 0, offset = 0, size = 0;
	const char *name = NULL;
	struct kdk_error *err;
	const struct sym *s;

	ok(symtab_count(st) == NSYMS, "%s: %zu symbols", kind, NSYMS);
	ok(!sym_lookup_name(st, "schedule", &addr) && addr == TEXT + 0x100,
	   "%s: schedule by name", kind);
	err = sym_lookup_addr(st, TEXT + 0x105, &name, &offset, &size);
	ok(!err && offset == 5 && size == 0x100, "%s: schedule+5 by address",
	   kind);
	is_str(name, "schedule", "%s: its name", kind);
	kdk_error_free(err);
	s = sym_find_name(st, "helper");
	ok(s && s->addr == TEXT + 0x300 && s->type == 'T',
	   "%s: the global helper wins over local ones", kind);
	s = sym_find_name(st, "per_cpu_var");
	ok(s && s->addr == syms[0].addr && s->type == 'D',
	   "%s: per-CPU symbol at %#llx", kind,
	   (unsigned long long)syms[0].addr);
	ok(!sym_lookup_name(st, long_name + 1, &addr) && addr == TEXT + 0x500,
	   "%s: a name of %zu tokens (two-byte length)", kind,
	   strlen(long_name));
	name = NULL;
	kdk_error_free(sym_lookup_addr(st, TEXT + 0x400, &name, NULL, &size));
	is_str(name, "alias_a", "%s: first of two aliases", kind);
	ok(size == 0x100, "%s: alias size runs to the next address", kind);
	err = sym_lookup_name(st, "nonexistent", &addr);
	ok(err && err->code == KDK_ERR_NOT_FOUND, "%s: unknown name", kind);
	kdk_error_free(err);
	err = sym_lookup_addr(st, syms[0].addr - 1, &name, &offset, &size);
	ok(err && err->code == KDK_ERR_NOT_FOUND, "%s: below every symbol",
	   kind);
	kdk_error_free(err);
}

static void test_kind(enum addr_kind kind)
{
	static struct fake_kernel k;
	struct kallsyms_tables tab;
	struct symtab *st = NULL;
	struct kdk_error *err;

	build(&k, kind, &tab);
	err = kallsyms_decode(&tab, fake_read, &k, &st);
	ok(!err, "%s: decodes%s%s", kind_names[kind], err ? ": " : "",
	   err ? err->msg : "");
	kdk_error_free(err);
	if (st)
		check_lookups(st, kind_names[kind]);
	symtab_free(st);
}

static void test_errors(void)
{
	static struct fake_kernel k;
	struct kallsyms_tables tab;
	struct symtab *st = NULL;
	struct kdk_error *err;
	struct vmcoreinfo *vi;

	build(&k, RELATIVE, &tab);
	tab.token_index = 0x1000;
	err = kallsyms_decode(&tab, fake_read, &k, &st);
	ok(err && strstr(err->msg, "kallsyms_token_index") &&
	   strstr(err->msg, "PGD entry not present"),
	   "unreadable table: the error names it");
	kdk_error_free(err);
	vmcoreinfo_parse("OSRELEASE=5.10.0\n", 17, &vi);
	err = kallsyms_find_tables(vi, &tab);
	ok(err && err->code == KDK_ERR_NOT_FOUND && strstr(err->msg, "6.0"),
	   "VMCOREINFO of an older kernel: not found, says why");
	kdk_error_free(err);
	vmcoreinfo_free(vi);
}

int main(void)
{
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[0] = 't';
	test_kind(RELATIVE);
	test_kind(ABSOLUTE_PERCPU);
	test_kind(ABSOLUTE);
	test_errors();
	return tap_done();
}
