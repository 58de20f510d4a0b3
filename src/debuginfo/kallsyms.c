/* Decoding kallsyms (scripts/kallsyms.c writes the tables,
 * kernel/kallsyms.c reads them):
 *  - kallsyms_names: per symbol, a length (one byte; since 6.1 two, ULEB128,
 *    when the first has bit 7 set) then that many token numbers;
 *  - kallsyms_token_index[256]: where each token's NUL-terminated text
 *    starts in kallsyms_token_table;
 *  - a symbol's expanded text is its nm type letter, then its name;
 *  - addresses, in the order of the names: kallsyms_relative_base plus the
 *    u32 kallsyms_offsets[i]; with CONFIG_KALLSYMS_ABSOLUTE_PERCPU
 *    (x86_64 SMP) an offset >= 0 is an absolute (per-CPU) address and a
 *    negative one means relative_base - 1 - offset. Only that variant has
 *    negative offsets, which is how it is recognized.
 */
#include "debuginfo/kallsyms.h"

#include <stdlib.h>
#include <string.h>

#define NR_TOKENS	256
#define MAX_NAME	1024		/* KSYM_NAME_LEN is 512 in 6.1 */
#define CHUNK		(256 * 1024)
#define MAX_SYMS	(16u << 20)

struct tokens {
	char *text;			/* kallsyms_token_table, NUL-ended */
	uint16_t index[NR_TOKENS];
	uint8_t len[NR_TOKENS];
};

/* Sequential reads of kallsyms_names in large chunks. */
struct stream {
	kallsyms_read_fn *read;
	void *arg;
	uint64_t base;			/* vaddr of byte 0 */
	uint64_t limit;			/* bytes that may be read; 0 = any */
	unsigned char *buf;
	uint64_t start, len;		/* the window held in buf */
};

static struct kdk_error *stream_fill(struct stream *s, uint64_t pos,
				     size_t need)
{
	uint64_t want = CHUNK;
	struct kdk_error *err;

	if (s->limit && pos + want > s->limit)
		want = s->limit > pos ? s->limit - pos : 0;
	if (want < need)
		return kdk_error(KDK_ERR_FORMAT, "kallsyms_names runs past "
				 "the tables that follow it");
	/* Near the end of mapped memory a big read may fail where the
	 * bytes we need would not: retry smaller. */
	for (;;) {
		err = s->read(s->arg, s->base + pos, s->buf, want);
		if (!err || want <= 4096 || want / 2 < need)
			break;
		kdk_error_free(err);
		want /= 2;
	}
	if (err)
		return err;
	s->start = pos;
	s->len = want;
	return NULL;
}

static struct kdk_error *stream_get(struct stream *s, uint64_t pos,
				    size_t n, const unsigned char **p)
{
	struct kdk_error *err;

	if (pos < s->start || pos + n > s->start + s->len) {
		err = stream_fill(s, pos, n);
		if (err)
			return err;
	}
	*p = s->buf + (pos - s->start);
	return NULL;
}

static struct kdk_error *read_tokens(const struct kallsyms_tables *tab,
				     kallsyms_read_fn *read, void *arg,
				     struct tokens *tk)
{
	size_t size = 0, max = 0;
	struct kdk_error *err;

	err = read(arg, tab->token_index, tk->index, sizeof(tk->index));
	if (err)
		return kdk_error_wrap(err, "kallsyms_token_index");
	for (int i = 0; i < NR_TOKENS; i++)
		if (tk->index[i] > max)
			max = tk->index[i];
	for (size = max + 256; size <= max + 65536; size *= 2) {
		free(tk->text);
		tk->text = malloc(size + 1);
		if (!tk->text)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		err = read(arg, tab->token_table, tk->text, size);
		if (err)
			return kdk_error_wrap(err, "kallsyms_token_table");
		tk->text[size] = '\0';
		if (memchr(tk->text + max, '\0', size - max))
			break;
	}
	for (int i = 0; i < NR_TOKENS; i++) {
		size_t n = strlen(tk->text + tk->index[i]);

		if (n > 255)
			return kdk_error(KDK_ERR_FORMAT, "kallsyms token %d "
					 "is %zu bytes long", i, n);
		tk->len[i] = n;
	}
	return NULL;
}

static void decode_offsets(const int32_t *off, uint32_t n, uint64_t base,
			   uint64_t *addrs)
{
	bool absolute_percpu = false;

	for (uint32_t i = 0; i < n; i++)
		if (off[i] < 0)
			absolute_percpu = true;
	for (uint32_t i = 0; i < n; i++) {
		if (!absolute_percpu)
			addrs[i] = base + (uint32_t)off[i];
		else if (off[i] >= 0)
			addrs[i] = off[i];
		else
			addrs[i] = base - 1 - off[i];
	}
}

/* Read the addresses of all n symbols into addrs. */
static struct kdk_error *read_addresses(const struct kallsyms_tables *tab,
					kallsyms_read_fn *read, void *arg,
					uint32_t n, uint64_t *addrs)
{
	struct kdk_error *err;
	int32_t *off = NULL;
	uint64_t base;

	if (!tab->offsets) {
		err = read(arg, tab->addresses, addrs, n * sizeof(*addrs));
		return kdk_error_wrap(err, "kallsyms_addresses");
	}
	err = read(arg, tab->relative_base, &base, sizeof(base));
	if (err)
		return kdk_error_wrap(err, "kallsyms_relative_base");
	off = malloc(n * sizeof(*off));
	if (!off)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = read(arg, tab->offsets, off, n * sizeof(*off));
	if (err)
		err = kdk_error_wrap(err, "kallsyms_offsets");
	else
		decode_offsets(off, n, base, addrs);
	free(off);
	return err;
}

/* Expand the symbol at *pos into name, NUL-terminated, of *len bytes. */
static struct kdk_error *decode_name(struct stream *s, const struct tokens *tk,
				     uint64_t *pos, char *name, size_t *len)
{
	const unsigned char *p;
	struct kdk_error *err;
	size_t n, out = 0;

	err = stream_get(s, *pos, 2, &p);
	if (err)
		return err;
	n = p[0];
	(*pos)++;
	if (n & 0x80) {
		n = (n & 0x7f) | (size_t)p[1] << 7;
		(*pos)++;
	}
	err = stream_get(s, *pos, n, &p);
	if (err)
		return err;
	*pos += n;
	for (size_t i = 0; i < n; i++) {
		uint8_t t = p[i];

		if (out + tk->len[t] >= MAX_NAME)
			return kdk_error(KDK_ERR_FORMAT, "a symbol name longer "
					 "than %d bytes", MAX_NAME);
		memcpy(name + out, tk->text + tk->index[t], tk->len[t]);
		out += tk->len[t];
	}
	name[out] = '\0';
	*len = out;
	return NULL;
}

static struct kdk_error *decode_names(const struct kallsyms_tables *tab,
				      kallsyms_read_fn *read, void *arg,
				      const struct tokens *tk, uint32_t n,
				      const uint64_t *addrs, struct symtab *st)
{
	struct stream s = { .read = read, .arg = arg, .base = tab->names };
	struct kdk_error *err = NULL;
	char name[MAX_NAME];
	uint64_t pos = 0;

	/* The token table follows the names in .rodata (scripts/kallsyms.c
	 * writes them in this order); it bounds our reads. */
	if (tab->token_table > tab->names)
		s.limit = tab->token_table - tab->names;
	s.buf = malloc(CHUNK);
	if (!s.buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (uint32_t i = 0; i < n && !err; i++) {
		size_t len = 0;

		err = decode_name(&s, tk, &pos, name, &len);
		if (!err && len < 2)
			err = kdk_error(KDK_ERR_FORMAT, "an empty name");
		if (!err)
			err = symtab_add(st, name + 1, len - 1, addrs[i],
					 name[0]);
		if (err)
			err = kdk_error_wrap(err, "symbol %u of %u", i, n);
	}
	free(s.buf);
	return kdk_error_wrap(err, "kallsyms_names");
}

struct kdk_error *kallsyms_decode(const struct kallsyms_tables *tab,
				  kallsyms_read_fn *read, void *arg,
				  struct symtab **out)
{
	struct tokens tk = { 0 };
	struct symtab *st = NULL;
	uint64_t *addrs = NULL;
	struct kdk_error *err;
	uint32_t n;

	err = read(arg, tab->num_syms, &n, sizeof(n));
	if (err) {
		err = kdk_error_wrap(err, "kallsyms_num_syms");
		goto out;
	}
	if (n == 0 || n > MAX_SYMS) {
		err = kdk_error(KDK_ERR_FORMAT, "kallsyms_num_syms is %u", n);
		goto out;
	}
	err = read_tokens(tab, read, arg, &tk);
	if (err)
		goto out;
	addrs = malloc(n * sizeof(*addrs));
	st = symtab_new();
	if (!addrs || !st) {
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		goto out;
	}
	err = read_addresses(tab, read, arg, n, addrs);
	if (!err)
		err = decode_names(tab, read, arg, &tk, n, addrs, st);
	if (!err)
		err = symtab_finish(st);
out:
	free(addrs);
	free(tk.text);
	if (err) {
		symtab_free(st);
		return kdk_error_wrap(err, "decoding kallsyms");
	}
	*out = st;
	return NULL;
}

static struct kdk_error *find_one(const struct vmcoreinfo *vi,
				  const char *name, bool required,
				  uint64_t *addr)
{
	struct kdk_error *err = vmcoreinfo_symbol(vi, name, addr);

	if (err && !required && err->code == KDK_ERR_NOT_FOUND) {
		kdk_error_free(err);
		*addr = 0;
		return NULL;
	}
	return err;
}

struct kdk_error *kallsyms_find_tables(const struct vmcoreinfo *vi,
				       struct kallsyms_tables *out)
{
	struct kdk_error *err;

	if (!vi)
		return kdk_error(KDK_ERR_NOT_FOUND, "no VMCOREINFO");
	memset(out, 0, sizeof(*out));
	err = find_one(vi, "kallsyms_names", true, &out->names);
	if (!err)
		err = find_one(vi, "kallsyms_num_syms", true, &out->num_syms);
	if (!err)
		err = find_one(vi, "kallsyms_token_table", true,
			       &out->token_table);
	if (!err)
		err = find_one(vi, "kallsyms_token_index", true,
			       &out->token_index);
	if (!err)
		err = find_one(vi, "kallsyms_offsets", false, &out->offsets);
	if (!err && out->offsets)
		err = find_one(vi, "kallsyms_relative_base", true,
			       &out->relative_base);
	if (!err && !out->offsets)
		err = find_one(vi, "kallsyms_addresses", true,
			       &out->addresses);
	if (err && err->code == KDK_ERR_NOT_FOUND)
		return kdk_error_wrap(err, "VMCOREINFO names no kallsyms "
				      "tables (Linux before 6.0?)");
	return err;
}

static struct kdk_error *read_target(void *arg, uint64_t vaddr, void *buf,
				     size_t len)
{
	return target_read_kvaddr(arg, vaddr, buf, len);
}

static struct kdk_error *lookup_symtab(void *arg, const char *name,
				       uint64_t *addr)
{
	return sym_lookup_name(arg, name, addr);
}

struct kdk_error *kallsyms_load(struct target *t, struct symtab **out)
{
	struct kallsyms_tables tab;
	struct symtab *st;
	struct kdk_error *err;

	err = kallsyms_find_tables(dump_vmcoreinfo(target_dump(t)), &tab);
	if (!err)
		err = kallsyms_decode(&tab, read_target, t, &st);
	if (err)
		return kdk_error_wrap(err, "kernel symbols");
	err = target_use_symbols(t, lookup_symtab, st);
	if (err) {
		symtab_free(st);
		return err;
	}
	*out = st;
	return NULL;
}
