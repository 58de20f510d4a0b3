#include "kernel/ikconfig.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dump/dump.h"
#include "kernel/sysinfo.h"

#define MARKER_LEN 8
/* A .config is some 250 KB, its gzip some 60 KB: far more is a bad
 * read, not a config. */
#define MAX_TEXT (32u << 20)
#define MAX_GZ (4u << 20)
/* A kernel's .rodata is some 10 MB. */
#define MAX_RODATA (256u << 20)
#define SCAN_CHUNK (1u << 20)
#define PAGE 4096u

void ikconfig_free(struct ikconfig *c)
{
	free(c->text);
	memset(c, 0, sizeof(*c));
}

struct kdk_error *ikconfig_inflate(const void *gz, size_t len, char **text,
				   size_t *text_len)
{
	z_stream zs = { 0 };
	size_t cap = len * 4 + 1024;
	char *out = malloc(cap), *bigger;
	int ret;

	if (!out)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	/* 16 + MAX_WBITS: a gzip wrapper (RFC 1952) and nothing else. */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return kdk_error(KDK_ERR_NOMEM, "zlib: cannot start inflating");
	}
	zs.next_in = (Bytef *)gz;
	zs.avail_in = len;
	for (;;) {
		zs.next_out = (Bytef *)out + zs.total_out;
		zs.avail_out = cap - 1 - zs.total_out;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_BUF_ERROR && zs.avail_in == 0)
			ret = Z_DATA_ERROR;	/* the stream is cut short */
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			goto bad;
		if (zs.avail_out == 0) {
			if (cap > MAX_TEXT) {
				ret = Z_MEM_ERROR;
				goto bad;
			}
			bigger = realloc(out, cap * 2);
			if (!bigger) {
				ret = Z_MEM_ERROR;
				goto bad;
			}
			out = bigger;
			cap *= 2;
		}
	}
	out[zs.total_out] = '\0';
	*text = out;
	*text_len = zs.total_out;
	inflateEnd(&zs);
	return NULL;
bad:
	free(out);
	inflateEnd(&zs);
	if (ret == Z_MEM_ERROR)
		return kdk_error(KDK_ERR_FORMAT, "the config inflates to more "
				 "than %u MB", MAX_TEXT >> 20);
	return kdk_error(KDK_ERR_FORMAT, "the config's gzip stream is corrupt "
			 "(zlib: %s)", zs.msg ? zs.msg : "truncated");
}

struct kdk_error *ikconfig_find_markers(const void *buf, size_t len,
					size_t *gz_off, size_t *gz_len)
{
	const char *b = buf, *st, *ed;

	st = memmem(b, len, IKCONFIG_START, MARKER_LEN);
	if (!st)
		return kdk_error(KDK_ERR_NOT_FOUND, "no " IKCONFIG_START
				 " marker");
	st += MARKER_LEN;
	ed = memmem(st, len - (st - b), IKCONFIG_END, MARKER_LEN);
	if (!ed)
		return kdk_error(KDK_ERR_FORMAT, IKCONFIG_START " without "
				 IKCONFIG_END);
	*gz_off = st - b;
	*gz_len = ed - st;
	return NULL;
}

struct kdk_error *ikconfig_extract(const void *buf, size_t len,
				   char **text, size_t *text_len)
{
	struct kdk_error *err;
	size_t off, n;

	err = ikconfig_find_markers(buf, len, &off, &n);
	if (err)
		return err;
	return ikconfig_inflate((const char *)buf + off, n, text, text_len);
}

static bool is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

static size_t name_len(const char *p, size_t len)
{
	size_t n = 0;

	while (n < len && is_name_char(p[n]))
		n++;
	return n;
}

bool ikconfig_parse_line(const char *line, size_t len,
			 struct ikconfig_entry *out)
{
	static const char not_set[] = " is not set";
	const size_t ns = sizeof(not_set) - 1;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (len && line[len - 1] == '\n')
		len--;
	if (len > 2 && line[0] == '#' && line[1] == ' ') {
		line += 2;
		len -= 2;
		n = name_len(line, len);
		if (n < 8 || memcmp(line, "CONFIG_", 7) != 0 ||
		    len != n + ns || memcmp(line + n, not_set, ns) != 0)
			return false;
		out->name = line;
		out->name_len = n;
		out->value = line + n;
		return true;
	}
	n = name_len(line, len);
	if (n < 8 || memcmp(line, "CONFIG_", 7) != 0 || n >= len ||
	    line[n] != '=')
		return false;
	out->name = line;
	out->name_len = n;
	out->value = line + n + 1;
	out->value_len = len - n - 1;
	out->is_set = true;
	return true;
}

size_t ikconfig_value(const struct ikconfig_entry *e, char *buf)
{
	const char *v = e->value;
	size_t n = e->value_len, k = 0;

	if (n < 2 || v[0] != '"' || v[n - 1] != '"') {
		memcpy(buf, v, n);
		return n;
	}
	for (size_t i = 1; i + 1 < n; i++) {
		if (v[i] == '\\' && i + 2 < n)
			i++;
		buf[k++] = v[i];
	}
	return k;
}

/* Read what can be read of [addr, addr + len), a page of zeroes where a
 * page cannot be (the scan goes on past it). */
static void read_tolerant(struct target *t, uint64_t addr, char *buf,
			  size_t len)
{
	struct kdk_error *err = target_read_kvaddr(t, addr, buf, len);

	if (!err)
		return;
	kdk_error_free(err);
	for (size_t off = 0; off < len;) {
		size_t n = PAGE - (addr + off) % PAGE;

		if (n > len - off)
			n = len - off;
		err = target_read_kvaddr(t, addr + off, buf + off, n);
		if (err) {
			kdk_error_free(err);
			memset(buf + off, 0, n);
		}
		off += n;
	}
}

static struct kdk_error *inflate_at(char *buf, size_t len, uint64_t base,
				    struct ikconfig *out)
{
	struct kdk_error *err;
	size_t off, n;

	err = ikconfig_find_markers(buf, len, &off, &n);
	if (err)
		return err;
	out->addr = base + off;
	out->gz_len = n;
	return ikconfig_inflate(buf + off, n, &out->text, &out->len);
}

/* At the symbol: the window grows until it holds both markers. The start
 * marker is 8 bytes before the label since 5.1, at it before. */
static struct kdk_error *read_at_symbol(struct target *t, uint64_t addr,
					struct ikconfig *out)
{
	uint64_t base = addr - MARKER_LEN;
	struct kdk_error *err;
	size_t off, n, size = 64 * 1024;
	char *buf;

	for (;;) {
		buf = malloc(size);
		if (!buf)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		/* the window may run past .rodata; its start may not */
		err = target_read_kvaddr(t, base, buf, 2 * MARKER_LEN);
		if (!err) {
			read_tolerant(t, base, buf, size);
			err = ikconfig_find_markers(buf, size, &off, &n);
		}
		if (err && err->code == KDK_ERR_FORMAT && size < MAX_GZ) {
			kdk_error_free(err);
			free(buf);
			size *= 2;
			continue;
		}
		break;
	}
	if (!err) {
		out->addr = base + off;
		out->gz_len = n;
		out->where = IKCONFIG_AT_SYMBOL;
		err = ikconfig_inflate(buf + off, n, &out->text, &out->len);
	}
	free(buf);
	return err ? kdk_error_wrap(err, "kernel_config_data at %#" PRIx64,
				    addr) : NULL;
}

static bool symbol(struct target *t, const struct symtab *st,
		   const char *name, uint64_t *addr)
{
	struct kdk_error *err = sysinfo_symbol(target_dump(t), st, name, addr);

	kdk_error_free(err);
	return !err;
}

/* .rodata: __start_rodata.. __end_rodata (x86_64 kallsyms has them),
 * else _etext..__init_begin, which is where arm64's vmlinux.lds.S puts
 * RO_DATA and which its kallsyms has even without data symbols. */
static bool rodata_bounds(struct target *t, const struct symtab *st,
			  uint64_t *start, uint64_t *end)
{
	if (!(symbol(t, st, "__start_rodata", start) &&
	      symbol(t, st, "__end_rodata", end)) &&
	    !(symbol(t, st, "_etext", start) &&
	      symbol(t, st, "__init_begin", end)))
		return false;
	return *end > *start && *end - *start <= MAX_RODATA;
}

static struct kdk_error *read_by_scan(struct target *t,
				      const struct symtab *st,
				      struct ikconfig *out)
{
	struct kdk_error *err;
	uint64_t start, end;
	size_t len;
	char *buf;

	if (!rodata_bounds(t, st, &start, &end))
		return kdk_error(KDK_ERR_NOT_FOUND, "kernel_config_data is "
				 "not in kallsyms, and the kernel's read-only "
				 "data cannot be found to search for it");
	len = end - start;
	buf = malloc(len);
	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (size_t off = 0; off < len; off += SCAN_CHUNK)
		read_tolerant(t, start + off, buf + off,
			      len - off < SCAN_CHUNK ? len - off : SCAN_CHUNK);
	err = inflate_at(buf, len, start, out);
	free(buf);
	if (err && err->code == KDK_ERR_NOT_FOUND) {
		kdk_error_free(err);
		return kdk_error(KDK_ERR_NOT_FOUND, "the kernel was built "
				 "without CONFIG_IKCONFIG (no "
				 "kernel_config_data in kallsyms, no "
				 IKCONFIG_START " in its %.1f MB of read-only "
				 "data)", (double)len / (1 << 20));
	}
	if (err)
		return kdk_error_wrap(err, "the kernel's read-only data");
	out->where = IKCONFIG_BY_SCAN;
	return NULL;
}

struct kdk_error *ikconfig_read(struct target *t, const struct symtab *st,
				struct ikconfig *out)
{
	uint64_t addr;

	memset(out, 0, sizeof(*out));
	if (symbol(t, st, "kernel_config_data", &addr))
		return read_at_symbol(t, addr, out);
	return read_by_scan(t, st, out);
}
