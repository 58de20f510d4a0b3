/* The type model: types made on first use by key, C names, member paths. */
#include "debuginfo/types.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Open addressing from source key to type: made types stay for the
 * model's life. */
struct types {
	const struct type_source_ops *ops;
	void *src;
	struct type **slots;
	size_t n_slots;			/* a power of two */
	size_t n_types;
};

struct kdk_error *types_new(const struct type_source_ops *ops, void *src,
			    struct types **out)
{
	struct types *ts = calloc(1, sizeof(*ts));

	if (!ts)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	ts->ops = ops;
	ts->src = src;
	ts->n_slots = 1024;
	ts->slots = calloc(ts->n_slots, sizeof(*ts->slots));
	if (!ts->slots) {
		free(ts);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	*out = ts;
	return NULL;
}

static void type_free(struct type *t)
{
	free(t->members);
	free(t->enumerators);
	free(t->params);
	free(t);
}

void types_free(struct types *ts)
{
	if (!ts)
		return;
	for (size_t i = 0; i < ts->n_slots; i++)
		if (ts->slots[i])
			type_free(ts->slots[i]);
	free(ts->slots);
	if (ts->ops->free)
		ts->ops->free(ts->src);
	free(ts);
}

const char *types_source_name(const struct types *ts)
{
	return ts->ops->name;
}

static size_t slot_of(uint64_t key, size_t n)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return key & (n - 1);
}

static struct type **lookup(struct types *ts, uint64_t key)
{
	size_t i = slot_of(key, ts->n_slots);

	while (ts->slots[i] && ts->slots[i]->key != key)
		i = (i + 1) & (ts->n_slots - 1);
	return &ts->slots[i];
}

static bool grow(struct types *ts)
{
	struct type **old = ts->slots;
	size_t n_old = ts->n_slots;

	ts->slots = calloc(n_old * 2, sizeof(*ts->slots));
	if (!ts->slots) {
		ts->slots = old;
		return false;
	}
	ts->n_slots = n_old * 2;
	for (size_t i = 0; i < n_old; i++)
		if (old[i])
			*lookup(ts, old[i]->key) = old[i];
	free(old);
	return true;
}

struct kdk_error *types_by_key(struct types *ts, uint64_t key,
			       struct type **out)
{
	struct kdk_error *err;
	struct type **slot = lookup(ts, key), *t;

	if (*slot) {
		*out = *slot;
		return NULL;
	}
	if ((ts->n_types + 1) * 2 > ts->n_slots) {
		if (!grow(ts))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		slot = lookup(ts, key);
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	t->key = key;
	t->owner = ts;
	/* in the table before its targets are made: a chain that comes back
	 * to it (it should not, shallow stops at structs) finds it */
	*slot = t;
	ts->n_types++;
	err = ts->ops->shallow(ts, ts->src, t);
	if (err)
		return err;
	*out = t;
	return NULL;
}

struct kdk_error *type_fill(struct type *t)
{
	struct kdk_error *err;
	struct types *ts = t->owner;

	if (t->filled)
		return NULL;
	err = ts->ops->fill(ts, ts->src, t);
	if (!err)
		t->filled = true;
	return err;
}

struct type *type_strip(struct type *t)
{
	while (t && t->kind == TYPE_TYPEDEF)
		t = t->target;
	return t;
}

/* "struct x" -> kind and the bare name. */
static const char *split_tag(const char *name, enum type_kind *kind)
{
	static const struct {
		const char *word;
		enum type_kind kind;
	} tags[] = {
		{ "struct ", TYPE_STRUCT },
		{ "union ", TYPE_UNION },
		{ "enum ", TYPE_ENUM },
	};

	for (size_t i = 0; i < sizeof(tags) / sizeof(*tags); i++) {
		size_t len = strlen(tags[i].word);

		if (strncmp(name, tags[i].word, len) == 0) {
			*kind = tags[i].kind;
			name += len;
			while (*name == ' ')
				name++;
			return name;
		}
	}
	*kind = TYPE_VOID;		/* no tag: any kind */
	return name;
}

static struct kdk_error *find_bare(struct types *ts, const char *name,
				   enum type_kind kind, struct type **out)
{
	static const enum type_kind any[] = {
		TYPE_STRUCT, TYPE_UNION, TYPE_TYPEDEF, TYPE_ENUM, TYPE_INT,
		TYPE_FLOAT,
	};
	uint64_t key;

	if (kind != TYPE_VOID) {
		if (ts->ops->find(ts->src, name, kind, &key))
			return types_by_key(ts, key, out);
	} else {
		for (size_t i = 0; i < sizeof(any) / sizeof(*any); i++)
			if (ts->ops->find(ts->src, name, any[i], &key))
				return types_by_key(ts, key, out);
	}
	return kdk_error(KDK_ERR_NOT_FOUND, "no type %s%s in the %s",
			 kind == TYPE_STRUCT ? "struct " :
			 kind == TYPE_UNION ? "union " :
			 kind == TYPE_ENUM ? "enum " : "", name,
			 ts->ops->name);
}

/* A pointer type to t that the model makes itself: sources have one for
 * most types, but not for every type a user may write with '*'. */
static struct kdk_error *pointer_to(struct types *ts, struct type *t,
				    struct type **out)
{
	/* keys with the top bit set are the model's: pointer to key */
	uint64_t key = (1ULL << 63) | (t->key * 64 + 1);
	struct type **slot = lookup(ts, key), *p;

	if (*slot) {
		*out = *slot;
		return NULL;
	}
	if ((ts->n_types + 1) * 2 > ts->n_slots) {
		if (!grow(ts))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		slot = lookup(ts, key);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	p->kind = TYPE_POINTER;
	p->size = 8;
	p->target = t;
	p->key = key;
	p->owner = ts;
	p->filled = true;
	*slot = p;
	ts->n_types++;
	*out = p;
	return NULL;
}

struct kdk_error *types_find(struct types *ts, const char *name,
			     struct type **out)
{
	struct kdk_error *err;
	enum type_kind kind;
	size_t len, stars = 0;
	char *bare;
	struct type *t;

	while (isspace((unsigned char)*name))
		name++;
	name = split_tag(name, &kind);
	len = strlen(name);
	while (len && (isspace((unsigned char)name[len - 1]) ||
		       name[len - 1] == '*')) {
		stars += name[len - 1] == '*';
		len--;
	}
	if (!len)
		return kdk_error(KDK_ERR_USAGE, "a type name is needed");
	bare = strndup(name, len);
	if (!bare)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = find_bare(ts, bare, kind, &t);
	free(bare);
	while (!err && stars--)
		err = pointer_to(ts, t, &t);
	if (!err)
		*out = t;
	return err;
}

struct kdk_error *types_find_var(struct types *ts, const char *name,
				 struct type **out)
{
	uint64_t key;

	if (!ts->ops->find_var || !ts->ops->find_var(ts->src, name, &key))
		return kdk_error(KDK_ERR_NOT_FOUND, "%s: no type for this "
				 "symbol in the %s%s", name, ts->ops->name,
				 strcmp(ts->ops->name, "kernel's BTF") == 0 ||
				 strcmp(ts->ops->name, "vmlinux's BTF") == 0 ?
				 " (BTF describes only per-cpu variables; "
				 "global variables need DWARF)" : "");
	return types_by_key(ts, key, out);
}

struct kdk_error *types_find_enumerator(struct types *ts, const char *name,
					struct type **type, int64_t *value)
{
	struct kdk_error *err;
	uint64_t key;
	struct type *t;

	if (!ts->ops->find_enumerator ||
	    !ts->ops->find_enumerator(ts->src, name, &key))
		return kdk_error(KDK_ERR_NOT_FOUND, "%s: no enumerator of this "
				 "name in the %s", name, ts->ops->name);
	if ((err = types_by_key(ts, key, &t)) || (err = type_fill(t)))
		return err;
	for (size_t i = 0; i < t->n_members; i++)
		if (strcmp(t->enumerators[i].name, name) == 0) {
			*type = t;
			*value = t->enumerators[i].value;
			return NULL;
		}
	return kdk_error(KDK_ERR_NOT_FOUND, "%s: no enumerator of this name",
			 name);
}

/* Member name (len bytes) of struct/union t, looking into unnamed
 * members; the offset and depth add up. */
static bool find_member(struct type *t, const char *name, size_t len,
			struct type_path_hit *hit)
{
	t = type_strip(t);
	if (!t || (t->kind != TYPE_STRUCT && t->kind != TYPE_UNION))
		return false;
	if (type_fill(t))
		return false;
	for (size_t i = 0; i < t->n_members; i++) {
		const struct type_member *m = &t->members[i];

		if (m->name) {
			if (strlen(m->name) != len ||
			    memcmp(m->name, name, len) != 0)
				continue;
			hit->bit_offset += m->bit_offset;
			hit->bit_size = m->bit_size;
			hit->type = m->type;
			hit->name = m->name;
			return true;
		}
		hit->depth++;
		if (find_member(m->type, name, len, hit)) {
			hit->bit_offset += m->bit_offset;
			return true;
		}
		hit->depth--;
	}
	return false;
}

/* One step "name" or "name[N]..." of a path. */
static struct kdk_error *path_step(const char *part, size_t len,
				   struct type_path_hit *hit)
{
	const char *bracket = memchr(part, '[', len);
	size_t nlen = bracket ? (size_t)(bracket - part) : len;
	struct type *owner = hit->type;

	if (!find_member(owner, part, nlen, hit))
		return kdk_error(KDK_ERR_NOT_FOUND, "no member %.*s",
				 (int)nlen, part);
	while (bracket) {
		struct type *a = type_strip(hit->type);
		const char *end = part + len;
		char *stop;
		uint64_t index = strtoull(bracket + 1, &stop, 0);

		if (stop == bracket + 1 || stop >= end || *stop != ']')
			return kdk_error(KDK_ERR_USAGE, "%.*s: bad index",
					 (int)len, part);
		if (!a || a->kind != TYPE_ARRAY)
			return kdk_error(KDK_ERR_USAGE, "%.*s is not an array",
					 (int)(bracket - part), part);
		if (a->count && index >= a->count)
			return kdk_error(KDK_ERR_USAGE, "%.*s is past the "
					 "array's %llu elements", (int)len,
					 part, (unsigned long long)a->count);
		hit->type = a->target;
		hit->bit_offset += index * type_strip(a->target)->size * 8;
		bracket = stop + 1 < end && stop[1] == '[' ? stop + 1 : NULL;
		if (!bracket && stop + 1 != end)
			return kdk_error(KDK_ERR_USAGE, "%.*s: bad index",
					 (int)len, part);
	}
	return NULL;
}

struct kdk_error *type_member_path(struct type *t, const char *path,
				   struct type_path_hit *out)
{
	struct type_path_hit hit = { .type = t };

	for (;;) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		struct kdk_error *err;

		if (!len)
			return kdk_error(KDK_ERR_USAGE, "empty member name");
		err = path_step(path, len, &hit);
		if (err)
			return err;
		if (!dot)
			break;
		path = dot + 1;
		hit.depth = 0;	/* gdb nests only the last member's */
	}
	*out = hit;
	return NULL;
}

/* A growing string. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void quals(struct sbuf *b, unsigned int q)
{
	if (q & TYPE_CONST)
		sb_str(b, "const ");
	if (q & TYPE_VOLATILE)
		sb_str(b, "volatile ");
}

/* The part of a declaration left of the name: "struct list_head",
 * "unsigned int", "struct {...}". */
static void base_name(struct sbuf *b, struct type *t)
{
	if (!t) {
		sb_str(b, "void");
		return;
	}
	quals(b, t->qualifiers);
	switch (t->kind) {
	case TYPE_STRUCT:
		sb_str(b, "struct ");
		sb_str(b, t->name ? t->name : "{...}");
		break;
	case TYPE_UNION:
		sb_str(b, "union ");
		sb_str(b, t->name ? t->name : "{...}");
		break;
	case TYPE_ENUM:
		sb_str(b, "enum ");
		sb_str(b, t->name ? t->name : "{...}");
		break;
	case TYPE_VOID:
		sb_str(b, "void");
		break;
	default:
		sb_str(b, t->name ? t->name : "?");
		break;
	}
}

static void params(struct sbuf *b, struct type *f)
{
	sb_str(b, "(");
	if (type_fill(f) == NULL) {
		for (size_t i = 0; i < f->n_members; i++) {
			char *p = type_name(f->params[i]);

			if (i)
				sb_str(b, ", ");
			sb_str(b, p ? p : "?");
			free(p);
		}
		if (f->variadic)
			sb_str(b, f->n_members ? ", ..." : "...");
		else if (!f->n_members)
			sb_str(b, "void");
	}
	sb_str(b, ")");
}

/* C's inside-out declarators: inner is what is declared so far. */
static void declarator(struct sbuf *b, struct type *t, const char *inner)
{
	struct sbuf in = { 0 };

	if (t && t->kind == TYPE_POINTER) {
		struct type *to = t->target;
		bool paren = to && (to->kind == TYPE_ARRAY ||
				    to->kind == TYPE_FUNCTION);

		if (paren)
			sb_str(&in, "(");
		sb_str(&in, "*");
		if (t->qualifiers & TYPE_CONST)
			sb_str(&in, " const ");
		sb_str(&in, inner);
		if (paren)
			sb_str(&in, ")");
		declarator(b, to, in.failed ? "" : in.p);
	} else if (t && t->kind == TYPE_ARRAY) {
		char n[32];

		sb_str(&in, inner);
		if (t->count)
			snprintf(n, sizeof(n), "[%llu]",
				 (unsigned long long)t->count);
		else
			snprintf(n, sizeof(n), "[]");
		sb_str(&in, n);
		declarator(b, t->target, in.failed ? "" : in.p);
	} else if (t && t->kind == TYPE_FUNCTION) {
		sb_str(&in, inner);
		params(&in, t);
		declarator(b, t->target, in.failed ? "" : in.p);
	} else {
		base_name(b, t);
		if (*inner) {
			/* "char (*)[16]" but "char *p": gdb's spacing */
			sb_str(b, " ");
			sb_str(b, inner);
		}
	}
	free(in.p);
}

char *type_declaration(struct type *t, const char *name)
{
	struct sbuf b = { 0 };

	declarator(&b, t, name);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

char *type_name(struct type *t)
{
	return type_declaration(t, "");
}

static const char *const base_names[][2] = {
	{ "long unsigned int", "unsigned long" },
	{ "long int", "long" },
	{ "long long unsigned int", "unsigned long long" },
	{ "long long int", "long long" },
	{ "short unsigned int", "unsigned short" },
	{ "short int", "short" },
};

const char *types_short_base_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(base_names) /
					 sizeof(*base_names); i++)
		if (strcmp(name, base_names[i][0]) == 0)
			return base_names[i][1];
	return name;
}

const char *types_long_base_name(const char *name)
{
	for (size_t i = 0; name && i < sizeof(base_names) /
					 sizeof(*base_names); i++)
		if (strcmp(name, base_names[i][1]) == 0)
			return base_names[i][0];
	return name;
}

void types_qualified_copy(struct type *t, const struct type *under,
			  unsigned int q)
{
	uint64_t key = t->key;
	struct types *owner = t->owner;

	if (!under) {
		t->kind = TYPE_VOID;
		t->name = "void";
		t->filled = true;
	} else {
		*t = *under;
		t->filled = under->filled && under->kind != TYPE_STRUCT &&
			    under->kind != TYPE_UNION &&
			    under->kind != TYPE_ENUM &&
			    under->kind != TYPE_FUNCTION;
		if (!t->filled) {
			t->members = NULL;
			t->enumerators = NULL;
			t->params = NULL;
			t->n_members = 0;
		}
	}
	t->qualifiers |= q;
	t->key = key;
	t->owner = owner;
}
