#include "dump/vmcoreinfo.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vmcoreinfo_line {
	const char *key;
	const char *value;
};

struct vmcoreinfo {
	char *text;			/* our copy, cut into keys and values */
	struct vmcoreinfo_line *lines;	/* in file order */
	struct vmcoreinfo_line **sorted;	/* by key; the last of equals wins */
	size_t n;
	size_t malformed;
};

static int cmp_line(const void *a, const void *b)
{
	const struct vmcoreinfo_line *x = *(const struct vmcoreinfo_line **)a;
	const struct vmcoreinfo_line *y = *(const struct vmcoreinfo_line **)b;
	int c = strcmp(x->key, y->key);

	/* equal keys stay in file order, so lookups can take the last */
	return c ? c : (x < y ? -1 : x > y);
}

/* Cut text into lines, each line at '=' into key and value. */
static void split_lines(struct vmcoreinfo *vi)
{
	char *save = NULL;

	for (char *line = strtok_r(vi->text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		size_t n = strlen(line);

		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (!eq || eq == line) {
			vi->malformed += line[0] != '\0';
			continue;
		}
		*eq = '\0';
		vi->lines[vi->n++] = (struct vmcoreinfo_line){ line, eq + 1 };
	}
}

struct kdk_error *vmcoreinfo_parse(const char *text, size_t len,
				   struct vmcoreinfo **out)
{
	struct vmcoreinfo *vi = calloc(1, sizeof(*vi));
	size_t max_lines;

	len = strnlen(text, len);
	max_lines = len / 2 + 1;	/* each line holds at least "k=" */
	if (!vi)
		goto nomem;
	vi->text = strndup(text, len);
	vi->lines = calloc(max_lines, sizeof(*vi->lines));
	vi->sorted = calloc(max_lines, sizeof(*vi->sorted));
	if (!vi->text || !vi->lines || !vi->sorted)
		goto nomem;
	split_lines(vi);
	for (size_t i = 0; i < vi->n; i++)
		vi->sorted[i] = &vi->lines[i];
	if (vi->n > 1)
		qsort(vi->sorted, vi->n, sizeof(*vi->sorted), cmp_line);
	*out = vi;
	return NULL;
nomem:
	vmcoreinfo_free(vi);
	return kdk_error(KDK_ERR_NOMEM, "out of memory parsing VMCOREINFO");
}

void vmcoreinfo_free(struct vmcoreinfo *vi)
{
	if (!vi)
		return;
	free(vi->text);
	free(vi->lines);
	free(vi->sorted);
	free(vi);
}

const char *vmcoreinfo_get(const struct vmcoreinfo *vi, const char *key)
{
	size_t lo = 0, hi = vi->n;

	/* the last line whose key is <= key */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(vi->sorted[mid]->key, key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && strcmp(vi->sorted[lo - 1]->key, key) == 0)
		return vi->sorted[lo - 1]->value;
	return NULL;
}

size_t vmcoreinfo_count(const struct vmcoreinfo *vi)
{
	return vi->n;
}

void vmcoreinfo_line(const struct vmcoreinfo *vi, size_t i, const char **key,
		     const char **value)
{
	*key = vi->lines[i].key;
	*value = vi->lines[i].value;
}

size_t vmcoreinfo_malformed_lines(const struct vmcoreinfo *vi)
{
	return vi->malformed;
}

/* strtoull/strtoll that must consume the whole of s. */
static bool parse_u64(const char *s, int base, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	*v = strtoull(s, &end, base);
	return !errno && !*end;
}

static bool parse_i64(const char *s, int base, int64_t *v)
{
	char *end;

	if (!*s || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	*v = strtoll(s, &end, base);
	return !errno && !*end;
}

/* The value of "KIND(name)", or an error naming the key. */
static struct kdk_error *lookup(const struct vmcoreinfo *vi, const char *kind,
				const char *name, char *key, size_t key_size,
				const char **value)
{
	int n = kind ? snprintf(key, key_size, "%s(%s)", kind, name) :
		       snprintf(key, key_size, "%s", name);

	if (n < 0 || (size_t)n >= key_size)
		return kdk_error(KDK_ERR_NOT_FOUND, "VMCOREINFO has no key "
				 "that long (%s)", name);
	*value = vmcoreinfo_get(vi, key);
	if (!*value)
		return kdk_error(KDK_ERR_NOT_FOUND, "VMCOREINFO has no %s", key);
	return NULL;
}

static struct kdk_error *not_a_number(const char *key, const char *value,
				      const char *what)
{
	return kdk_error(KDK_ERR_FORMAT, "VMCOREINFO: %s=%s is not %s", key,
			 value, what);
}

static struct kdk_error *get_hex(const struct vmcoreinfo *vi, const char *kind,
				 const char *name, uint64_t *v)
{
	const char *value, *digits;
	struct kdk_error *err;
	char key[256];

	err = lookup(vi, kind, name, key, sizeof(key), &value);
	if (err)
		return err;
	digits = strncmp(value, "0x", 2) == 0 ? value + 2 : value;
	if (!parse_u64(digits, 16, v))
		return not_a_number(key, value, "a hex number");
	return NULL;
}

static struct kdk_error *get_dec(const struct vmcoreinfo *vi, const char *kind,
				 const char *name, uint64_t *v)
{
	const char *value;
	struct kdk_error *err;
	char key[256];

	err = lookup(vi, kind, name, key, sizeof(key), &value);
	if (err)
		return err;
	if (!parse_u64(value, 10, v))
		return not_a_number(key, value, "a decimal number");
	return NULL;
}

struct kdk_error *vmcoreinfo_symbol(const struct vmcoreinfo *vi,
				    const char *name, uint64_t *addr)
{
	return get_hex(vi, "SYMBOL", name, addr);
}

struct kdk_error *vmcoreinfo_offset(const struct vmcoreinfo *vi,
				    const char *type_member, uint64_t *off)
{
	return get_dec(vi, "OFFSET", type_member, off);
}

struct kdk_error *vmcoreinfo_size(const struct vmcoreinfo *vi,
				  const char *type, uint64_t *size)
{
	return get_dec(vi, "SIZE", type, size);
}

struct kdk_error *vmcoreinfo_length(const struct vmcoreinfo *vi,
				    const char *name, uint64_t *len)
{
	return get_dec(vi, "LENGTH", name, len);
}

struct kdk_error *vmcoreinfo_number(const struct vmcoreinfo *vi,
				    const char *name, int64_t *num)
{
	const char *value;
	struct kdk_error *err;
	uint64_t u;
	char key[256];

	err = lookup(vi, "NUMBER", name, key, sizeof(key), &value);
	if (err)
		return err;
	if (strncmp(value, "0x", 2) == 0) {
		if (!parse_u64(value + 2, 16, &u))
			return not_a_number(key, value, "a number");
		*num = (int64_t)u;
		return NULL;
	}
	if (!parse_i64(value, 10, num))
		return not_a_number(key, value, "a number");
	return NULL;
}

struct kdk_error *vmcoreinfo_hex(const struct vmcoreinfo *vi, const char *key,
				 uint64_t *val)
{
	return get_hex(vi, NULL, key, val);
}

struct kdk_error *vmcoreinfo_decimal(const struct vmcoreinfo *vi,
				     const char *key, int64_t *val)
{
	const char *value;
	struct kdk_error *err;
	char buf[256];

	err = lookup(vi, NULL, key, buf, sizeof(buf), &value);
	if (err)
		return err;
	if (!parse_i64(value, 10, val))
		return not_a_number(key, value, "a decimal number");
	return NULL;
}
