#include "debuginfo/btf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

struct kbtf {
	struct btf *btf;
	void *blob;		/* libbpf keeps its own copy; ours is freed */
	struct kbtf_origin origin;
};

/* include/uapi/linux/btf.h: struct btf_header, as it is in memory. */
#define BTF_HDR_LEN 24
#define BTF_MAGIC_LO 0x9f	/* 0xeB9F, little-endian: the two lab arches */
#define BTF_MAGIC_HI 0xeb
/* Past this the "BTF" is noise: the 6.1 kernels' is about 4-5 MiB. */
#define BTF_MAX_SIZE (256ULL << 20)

struct btf_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off;
	uint32_t type_len;
	uint32_t str_off;
	uint32_t str_len;
};

/* libbpf explains a rejected blob on stderr; a scan tries many. */
static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

void kbtf_free(struct kbtf *b)
{
	if (!b)
		return;
	btf__free(b->btf);
	free(b->blob);
	free(b);
}

const struct kbtf_origin *kbtf_origin(const struct kbtf *b)
{
	return &b->origin;
}

struct btf *kbtf_libbpf(const struct kbtf *b)
{
	return b->btf;
}

struct kdk_error *kbtf_from_blob(const void *data, uint64_t size,
				 struct kbtf **out)
{
	struct kbtf *b;

	if (size > BTF_MAX_SIZE)
		return kdk_error(KDK_ERR_FORMAT, "BTF of %llu bytes is too big",
				 (unsigned long long)size);
	libbpf_set_print(quiet_print);
	b = calloc(1, sizeof(*b));
	if (!b)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	b->btf = btf__new(data, size);
	if (libbpf_get_error(b->btf)) {
		b->btf = NULL;
		kbtf_free(b);
		return kdk_error(KDK_ERR_FORMAT, "BTF does not parse");
	}
	b->origin.size = size;
	*out = b;
	return NULL;
}

struct kdk_error *kbtf_from_elf(const char *path, struct kbtf **out)
{
	struct kdk_error *err;
	struct btf *btf;
	const void *raw;
	uint32_t size;

	libbpf_set_print(quiet_print);
	btf = btf__parse_elf(path, NULL);
	if (libbpf_get_error(btf))
		return kdk_error(KDK_ERR_FORMAT, "no .BTF section that parses");
	raw = btf__raw_data(btf, &size);
	err = raw ? kbtf_from_blob(raw, size, out)
		  : kdk_error(KDK_ERR_NOMEM, "out of memory");
	btf__free(btf);
	return err;
}

/* A header that could start the vmlinux BTF, with the blob's size. The
 * kernel's own checks (kernel/bpf/btf.c: btf_parse_hdr, btf_check_sec_info)
 * want exactly this: no flags, types then strings, no gap. */
static bool header_fits(const struct btf_hdr *h, uint64_t room,
			uint64_t *size)
{
	uint64_t total;

	if (h->magic != 0xeB9F || h->version != 1 || h->flags != 0 ||
	    h->hdr_len != BTF_HDR_LEN || h->type_off != 0 ||
	    h->type_len == 0 || h->type_len % 4 ||
	    h->str_off != h->type_len || h->str_len == 0)
		return false;
	total = (uint64_t)h->hdr_len + h->str_off + h->str_len;
	if (total > room || total > BTF_MAX_SIZE)
		return false;
	*size = total;
	return true;
}

static struct kdk_error *read_blob(struct target *t, uint64_t addr,
				   uint64_t size, struct kbtf **out)
{
	struct kdk_error *err;
	void *buf = malloc(size);

	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory for BTF");
	err = target_read_kvaddr(t, addr, buf, size);
	if (!err)
		err = kbtf_from_blob(buf, size, out);
	free(buf);
	if (!err)
		(*out)->origin.addr = addr;
	return err;
}

/* kallsyms of CONFIG_KALLSYMS_ALL names the section's bounds. */
static struct kdk_error *load_marked(struct target *t,
				     const struct symtab *syms,
				     struct kbtf **out)
{
	const struct sym *start = sym_find_name(syms, "__start_BTF");
	const struct sym *stop = sym_find_name(syms, "__stop_BTF");
	struct btf_hdr h;
	struct kdk_error *err;
	uint64_t size;

	if (!start || !stop)
		return kdk_error(KDK_ERR_NOT_FOUND, "no __start_BTF in kallsyms");
	if (stop->addr <= start->addr)
		return kdk_error(KDK_ERR_FORMAT, "__stop_BTF is not above "
				 "__start_BTF");
	err = target_read_kvaddr(t, start->addr, &h, sizeof(h));
	if (err)
		return kdk_error_wrap(err, "BTF header at __start_BTF");
	if (!header_fits(&h, stop->addr - start->addr, &size))
		return kdk_error(KDK_ERR_FORMAT, "no BTF header at __start_BTF "
				 "(%#llx)", (unsigned long long)start->addr);
	return kdk_error_wrap(read_blob(t, start->addr, size, out),
			      "BTF at __start_BTF");
}

/* The read-only data that holds .BTF: after the text, before init
 * (arch/arm64/kernel/vmlinux.lds.S puts RO_DATA between _etext and
 * __init_begin; so does x86_64's between _etext and __end_rodata). */
static struct kdk_error *scan_bounds(const struct symtab *syms,
				     uint64_t *lo, uint64_t *hi)
{
	static const char *const starts[] = { "__start_rodata", "_etext" };
	static const char *const ends[] = { "__end_rodata", "__init_begin",
					    "_sinittext" };
	const struct sym *s = NULL, *e = NULL;

	for (size_t i = 0; !s && i < sizeof(starts) / sizeof(*starts); i++)
		s = sym_find_name(syms, starts[i]);
	for (size_t i = 0; !e && i < sizeof(ends) / sizeof(*ends); i++)
		e = sym_find_name(syms, ends[i]);
	if (!s || !e || e->addr <= s->addr)
		return kdk_error(KDK_ERR_NOT_FOUND, "kallsyms has neither "
				 "__start_BTF nor the bounds of read-only "
				 "data (_etext, __init_begin)");
	*lo = s->addr;
	*hi = e->addr;
	return NULL;
}

#define SCAN_CHUNK (256u << 10)

/* Try a magic at addr: the header must fit and the blob must parse. */
static bool try_candidate(struct target *t, uint64_t addr, uint64_t hi,
			  struct kbtf **out)
{
	struct btf_hdr h;
	struct kdk_error *err;
	uint64_t size;

	err = target_read_kvaddr(t, addr, &h, sizeof(h));
	if (err || !header_fits(&h, hi - addr, &size)) {
		kdk_error_free(err);
		return false;
	}
	err = read_blob(t, addr, size, out);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	return true;
}

static struct kdk_error *load_scanned(struct target *t,
				      const struct symtab *syms,
				      struct kbtf **out)
{
	struct kdk_error *err;
	uint64_t lo = 0, hi = 0;
	uint8_t *buf;

	err = scan_bounds(syms, &lo, &hi);
	if (err)
		return err;
	buf = malloc(SCAN_CHUNK + 1);
	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (uint64_t at = lo; at < hi; at += SCAN_CHUNK) {
		/* one byte more than the step, for a magic across chunks */
		size_t len = hi - at <= SCAN_CHUNK ? hi - at : SCAN_CHUNK + 1;

		/* a page left out of the dump holds no BTF we can use */
		err = target_read_kvaddr(t, at, buf, len);
		if (err) {
			kdk_error_free(err);
			continue;
		}
		for (size_t i = 0; i + 1 < len; i++) {
			if (buf[i] != BTF_MAGIC_LO || buf[i + 1] != BTF_MAGIC_HI)
				continue;
			if (try_candidate(t, at + i, hi, out)) {
				free(buf);
				(*out)->origin.scanned = true;
				return NULL;
			}
		}
	}
	free(buf);
	return kdk_error(KDK_ERR_NOT_FOUND, "no BTF in the kernel's read-only "
			 "data (%#llx-%#llx): is CONFIG_DEBUG_INFO_BTF off?",
			 (unsigned long long)lo, (unsigned long long)hi);
}

struct kdk_error *kbtf_load(struct target *t, const struct symtab *syms,
			    struct kbtf **out)
{
	struct kdk_error *err = load_marked(t, syms, out);

	if (err && err->code == KDK_ERR_NOT_FOUND) {
		kdk_error_free(err);
		err = load_scanned(t, syms, out);
	}
	return kdk_error_wrap(err, "kernel BTF");
}

struct kdk_error *kbtf_find_struct(const struct kbtf *b, const char *name,
				   uint32_t *id)
{
	int32_t r = btf__find_by_name_kind(b->btf, name, BTF_KIND_STRUCT);

	if (r < 0)
		r = btf__find_by_name_kind(b->btf, name, BTF_KIND_UNION);
	if (r < 0)
		return kdk_error(KDK_ERR_NOT_FOUND, "no struct %s in the "
				 "kernel's BTF", name);
	*id = r;
	return NULL;
}

struct kdk_error *kbtf_type_size(const struct kbtf *b, uint32_t id,
				 uint64_t *size)
{
	int64_t r = btf__resolve_size(b->btf, id);

	if (r < 0)
		return kdk_error(KDK_ERR_FORMAT, "BTF type %u has no size", id);
	*size = r;
	return NULL;
}

/* The type under typedefs and qualifiers. */
static const struct btf_type *resolved(const struct kbtf *b, uint32_t *id)
{
	int32_t r = btf__resolve_type(b->btf, *id);

	if (r < 0)
		return NULL;
	*id = r;
	return btf__type_by_id(b->btf, r);
}

/* Member name (len bytes) of composite id, looking into unnamed members;
 * *off grows by its offset. */
static bool find_member(const struct kbtf *b, uint32_t id, const char *name,
			size_t len, uint64_t *off, uint32_t *type)
{
	const struct btf_type *t = resolved(b, &id);
	const struct btf_member *m;

	if (!t || !btf_is_composite(t))
		return false;
	m = btf_members(t);
	for (uint16_t i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(b->btf, m->name_off);
		uint64_t moff = btf_member_bit_offset(t, i) / 8;

		if (mname && *mname) {
			if (strlen(mname) != len || memcmp(mname, name, len))
				continue;
			*off += moff;
			*type = m->type;
			return true;
		}
		if (find_member(b, m->type, name, len, off, type)) {
			*off += moff;
			return true;
		}
	}
	return false;
}

/* "name" or "name[N]": an element of an array member. */
static struct kdk_error *step(const struct kbtf *b, const char *part,
			      size_t len, uint64_t *off, uint32_t *type)
{
	const char *bracket = memchr(part, '[', len);
	size_t nlen = bracket ? (size_t)(bracket - part) : len;
	const struct btf_type *t;
	uint64_t index, esize;
	char *end;

	if (!find_member(b, *type, part, nlen, off, type))
		return kdk_error(KDK_ERR_NOT_FOUND, "no member %.*s",
				 (int)nlen, part);
	if (!bracket)
		return NULL;
	index = strtoull(bracket + 1, &end, 10);
	t = resolved(b, type);
	if (end == bracket + 1 || *end != ']' || end + 1 != part + len ||
	    !t || !btf_is_array(t))
		return kdk_error(KDK_ERR_USAGE, "%.*s is not an array element",
				 (int)len, part);
	if (index >= btf_array(t)->nelems)
		return kdk_error(KDK_ERR_USAGE, "%.*s is past the array's "
				 "%u elements", (int)len, part,
				 btf_array(t)->nelems);
	*type = btf_array(t)->type;
	if (kbtf_type_size(b, *type, &esize))
		return kdk_error(KDK_ERR_FORMAT, "%.*s: element has no size",
				 (int)len, part);
	*off += index * esize;
	return NULL;
}

struct kdk_error *kbtf_member(const struct kbtf *b, const char *type,
			      const char *path, struct kbtf_member *out)
{
	struct kdk_error *err;
	uint64_t off = 0;
	uint32_t id;

	err = kbtf_find_struct(b, type, &id);
	while (!err) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);

		err = step(b, path, len, &off, &id);
		if (!dot)
			break;
		path = dot + 1;
	}
	if (!err)
		err = kbtf_type_size(b, id, &out->size);
	if (err)
		return kdk_error_wrap(err, "struct %s", type);
	out->offset = off;
	out->type = id;
	return NULL;
}

bool kbtf_has_member(const struct kbtf *b, const char *type,
		     const char *path)
{
	struct kbtf_member m;
	struct kdk_error *err = kbtf_member(b, type, path, &m);

	kdk_error_free(err);
	return err == NULL;
}
