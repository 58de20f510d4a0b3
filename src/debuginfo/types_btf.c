/* BTF as a source of the type model: keys are BTF type ids.
 *
 * BTF (Documentation/bpf/btf.rst) keeps qualifiers and type tags as types
 * of their own; the model folds them into the qualifier bits of a copy of
 * the type under them. BTF has variables only for per-cpu data
 * (pahole emits VARs of the .data..percpu DATASEC), which is all
 * types_find_var() can answer from it.
 */
#include "debuginfo/types_btf.h"

#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* The name index, built on the first lookup by name. */
struct btf_name {
	const char *name;
	uint32_t id;
	uint8_t kind;		/* enum type_kind, or KIND_VAR */
	uint8_t decl;		/* a FWD: sorts after a body */
};

#define KIND_VAR 100

struct btf_src {
	struct btf *btf;
	bool own;
	const char *what;
	struct btf_name *names;
	size_t n_names;
	bool indexed;
};

static int name_cmp(const void *a, const void *b)
{
	const struct btf_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->decl != y->decl)
		return x->decl - y->decl;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* The kind a named BTF type is found as, or -1 if names do not find it. */
static int index_kind(const struct btf_type *t, uint8_t *decl)
{
	*decl = 0;
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
		return TYPE_STRUCT;
	case BTF_KIND_UNION:
		return TYPE_UNION;
	case BTF_KIND_FWD:
		*decl = 1;
		return btf_kflag(t) ? TYPE_UNION : TYPE_STRUCT;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return TYPE_ENUM;
	case BTF_KIND_TYPEDEF:
		return TYPE_TYPEDEF;
	case BTF_KIND_INT:
		return TYPE_INT;
	case BTF_KIND_FLOAT:
		return TYPE_FLOAT;
	case BTF_KIND_VAR:
	case BTF_KIND_FUNC:
		/* functions are found as variables are: by the symbol's
		 * name, typed by their prototype */
		return KIND_VAR;
	default:
		return -1;
	}
}

static bool build_index(struct btf_src *b)
{
	uint32_t n = btf__type_cnt(b->btf);

	b->indexed = true;
	b->names = malloc(sizeof(*b->names) * n);
	if (!b->names)
		return false;
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(b->btf, id);
		const char *name = btf__name_by_offset(b->btf, t->name_off);
		uint8_t decl;
		int kind = index_kind(t, &decl);

		if (kind < 0 || !name || !*name)
			continue;
		b->names[b->n_names++] = (struct btf_name){ name, id, kind,
							    decl };
	}
	qsort(b->names, b->n_names, sizeof(*b->names), name_cmp);
	return true;
}

static bool find_kind(struct btf_src *b, const char *name, int kind,
		      uint64_t *key)
{
	size_t lo = 0, hi;

	if (!b->indexed && !build_index(b))
		return false;
	hi = b->n_names;
	/* the first entry of (name, kind): a body before a declaration */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(b->names[mid].name, name);

		if (c < 0 || (c == 0 && b->names[mid].kind < kind))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= b->n_names || strcmp(b->names[lo].name, name) != 0 ||
	    b->names[lo].kind != kind)
		return false;
	*key = b->names[lo].id;
	return true;
}

static bool btf_find(void *src, const char *name, enum type_kind want,
		     uint64_t *key)
{
	if (want == TYPE_INT)
		name = types_long_base_name(name);
	return find_kind(src, name, want, key);
}

static bool btf_find_var(void *src, const char *name, uint64_t *key)
{
	struct btf_src *b = src;
	uint64_t id;

	if (!find_kind(b, name, KIND_VAR, &id))
		return false;
	*key = btf__type_by_id(b->btf, id)->type;
	return true;
}

static struct kdk_error *target_of(struct types *ts, uint32_t id,
				   struct type **out)
{
	if (id == 0) {
		*out = NULL;
		return NULL;
	}
	return types_by_key(ts, id, out);
}

static const char *name_of(const struct btf_src *b, const struct btf_type *t)
{
	const char *name = btf__name_by_offset(b->btf, t->name_off);

	return name && *name ? name : NULL;
}

static bool is_char_name(const char *name)
{
	return name && (strcmp(name, "char") == 0 ||
			strcmp(name, "signed char") == 0 ||
			strcmp(name, "unsigned char") == 0);
}

static struct kdk_error *btf_shallow(struct types *ts, void *src,
				     struct type *t)
{
	struct btf_src *b = src;
	const struct btf_type *bt;
	struct kdk_error *err = NULL;
	struct type *under;
	int64_t size;

	if (t->key == 0) {
		t->kind = TYPE_VOID;
		t->name = "void";
		t->filled = true;
		return NULL;
	}
	bt = btf__type_by_id(b->btf, t->key);
	if (!bt)
		return kdk_error(KDK_ERR_FORMAT, "%s: no type %llu", b->what,
				 (unsigned long long)t->key);
	t->name = name_of(b, bt);
	switch (btf_kind(bt)) {
	case BTF_KIND_INT: {
		uint32_t enc = btf_int_encoding(bt);

		t->kind = enc & BTF_INT_BOOL ? TYPE_BOOL : TYPE_INT;
		t->name = types_short_base_name(t->name);
		t->size = bt->size;
		t->is_signed = enc & BTF_INT_SIGNED;
		t->is_char = (enc & BTF_INT_CHAR) || is_char_name(t->name);
		t->filled = true;
		return NULL;
	}
	case BTF_KIND_FLOAT:
		t->kind = TYPE_FLOAT;
		t->size = bt->size;
		t->filled = true;
		return NULL;
	case BTF_KIND_PTR:
		t->kind = TYPE_POINTER;
		t->size = btf__pointer_size(b->btf) ? btf__pointer_size(b->btf)
						     : 8;
		t->filled = true;
		return target_of(ts, bt->type, &t->target);
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(bt);

		t->kind = TYPE_ARRAY;
		t->count = a->nelems;
		size = btf__resolve_size(b->btf, t->key);
		t->size = size < 0 ? 0 : size;
		t->filled = true;
		return target_of(ts, a->type, &t->target);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		t->kind = btf_is_struct(bt) ? TYPE_STRUCT : TYPE_UNION;
		t->size = bt->size;
		return NULL;
	case BTF_KIND_FWD:
		t->kind = btf_kflag(bt) ? TYPE_UNION : TYPE_STRUCT;
		t->declared_only = true;
		t->filled = true;
		return NULL;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		t->kind = TYPE_ENUM;
		t->size = bt->size;
		t->is_signed = btf_kflag(bt);
		return NULL;
	case BTF_KIND_TYPEDEF:
		t->kind = TYPE_TYPEDEF;
		size = btf__resolve_size(b->btf, t->key);
		t->size = size < 0 ? 0 : size;
		t->filled = true;
		return target_of(ts, bt->type, &t->target);
	case BTF_KIND_FUNC_PROTO:
		t->kind = TYPE_FUNCTION;
		return target_of(ts, bt->type, &t->target);
	case BTF_KIND_FUNC:
		/* a function: the type of its prototype */
		err = target_of(ts, bt->type, &under);
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		err = target_of(ts, bt->type, &under);
		break;
	default:
		t->kind = TYPE_VOID;
		t->name = "void";
		t->filled = true;
		return NULL;
	}
	if (err)
		return err;
	/* a qualified copy of what is under */
	types_qualified_copy(t, under, btf_is_const(bt) ? TYPE_CONST :
			     btf_is_volatile(bt) ? TYPE_VOLATILE :
			     btf_is_restrict(bt) ? TYPE_RESTRICT : 0);
	return NULL;
}

/* Under qualifiers and type tags, the id that has the body. */
static uint32_t body_id(const struct btf_src *b, uint32_t id)
{
	for (;;) {
		const struct btf_type *t = btf__type_by_id(b->btf, id);

		if (!t || !(btf_is_mod(t) || btf_is_type_tag(t) ||
			    btf_is_func(t)))
			return id;
		id = t->type;
	}
}

static struct kdk_error *fill_members(struct types *ts, struct btf_src *b,
				      const struct btf_type *bt,
				      struct type *t)
{
	const struct btf_member *m = btf_members(bt);
	uint16_t n = btf_vlen(bt);

	t->members = calloc(n ? n : 1, sizeof(*t->members));
	if (!t->members)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (uint16_t i = 0; i < n; i++, m++) {
		struct type_member *tm = &t->members[i];
		struct kdk_error *err;
		const char *name = btf__name_by_offset(b->btf, m->name_off);

		tm->name = name && *name ? name : NULL;
		tm->bit_offset = btf_member_bit_offset(bt, i);
		tm->bit_size = btf_member_bitfield_size(bt, i);
		err = target_of(ts, m->type, &tm->type);
		if (err)
			return err;
		t->n_members++;
	}
	return NULL;
}

static struct kdk_error *fill_enum(struct btf_src *b,
				   const struct btf_type *bt, struct type *t)
{
	uint16_t n = btf_vlen(bt);

	t->enumerators = calloc(n ? n : 1, sizeof(*t->enumerators));
	if (!t->enumerators)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (uint16_t i = 0; i < n; i++) {
		struct type_enumerator *e = &t->enumerators[i];

		if (btf_is_enum64(bt)) {
			const struct btf_enum64 *v = btf_enum64(bt) + i;

			e->name = btf__name_by_offset(b->btf, v->name_off);
			e->value = (int64_t)btf_enum64_value(v);
		} else {
			const struct btf_enum *v = btf_enum(bt) + i;

			e->name = btf__name_by_offset(b->btf, v->name_off);
			e->value = t->is_signed ? (int64_t)(int32_t)v->val
						: (int64_t)(uint32_t)v->val;
		}
	}
	t->n_members = n;
	return NULL;
}

static struct kdk_error *fill_params(struct types *ts, struct btf_src *b,
				     const struct btf_type *bt,
				     struct type *t)
{
	const struct btf_param *p = btf_params(bt);
	uint16_t n = btf_vlen(bt);

	t->params = calloc(n ? n : 1, sizeof(*t->params));
	if (!t->params)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (uint16_t i = 0; i < n; i++, p++) {
		struct kdk_error *err;

		/* a last parameter of type void is "..." */
		if (i == n - 1 && p->type == 0) {
			t->variadic = true;
			break;
		}
		err = target_of(ts, p->type, &t->params[i]);
		if (err)
			return err;
		t->n_members++;
	}
	(void)b;
	return NULL;
}

static struct kdk_error *btf_fill(struct types *ts, void *src,
				  struct type *t)
{
	struct btf_src *b = src;
	uint32_t id = body_id(b, t->key);
	const struct btf_type *bt = btf__type_by_id(b->btf, id);

	if (!bt)
		return kdk_error(KDK_ERR_FORMAT, "%s: no type %u", b->what, id);
	if (btf_is_composite(bt))
		return fill_members(ts, b, bt, t);
	if (btf_is_any_enum(bt))
		return fill_enum(b, bt, t);
	if (btf_is_func_proto(bt))
		return fill_params(ts, b, bt, t);
	return NULL;
}

/* The enum that has an enumerator called name: a scan of every enum (no
 * index: p asks this only for a word no symbol has). */
static bool btf_find_enumerator(void *src, const char *name, uint64_t *key)
{
	struct btf_src *b = src;
	uint32_t n = btf__type_cnt(b->btf);

	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *bt = btf__type_by_id(b->btf, id);
		uint16_t vlen = btf_vlen(bt);

		if (!btf_is_enum(bt) && !btf_is_enum64(bt))
			continue;
		for (uint16_t i = 0; i < vlen; i++) {
			uint32_t off = btf_is_enum64(bt) ?
				       btf_enum64(bt)[i].name_off :
				       btf_enum(bt)[i].name_off;

			if (strcmp(btf__name_by_offset(b->btf, off), name)
			    == 0) {
				*key = id;
				return true;
			}
		}
	}
	return false;
}

static void btf_src_free(void *src)
{
	struct btf_src *b = src;

	if (b->own)
		btf__free(b->btf);
	free(b->names);
	free(b);
}

static const struct type_source_ops kernel_btf_ops = {
	.name = "kernel's BTF",
	.find = btf_find,
	.shallow = btf_shallow,
	.fill = btf_fill,
	.find_var = btf_find_var,
	.find_enumerator = btf_find_enumerator,
	.free = btf_src_free,
};

static const struct type_source_ops vmlinux_btf_ops = {
	.name = "vmlinux's BTF",
	.find = btf_find,
	.shallow = btf_shallow,
	.fill = btf_fill,
	.find_var = btf_find_var,
	.find_enumerator = btf_find_enumerator,
	.free = btf_src_free,
};

static struct kdk_error *from_btf(struct btf *btf, bool own,
				  const struct type_source_ops *ops,
				  struct types **out)
{
	struct btf_src *b = calloc(1, sizeof(*b));
	struct kdk_error *err;

	if (!b) {
		if (own)
			btf__free(btf);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	b->btf = btf;
	b->own = own;
	b->what = ops->name;
	err = types_new(ops, b, out);
	if (err)
		btf_src_free(b);
	return err;
}

struct kdk_error *types_from_btf(struct btf *btf, struct types **out)
{
	return from_btf(btf, false, &kernel_btf_ops, out);
}

struct kdk_error *types_from_vmlinux_btf(const char *path,
					 struct types **out)
{
	struct btf *btf = btf__parse_elf(path, NULL);

	if (libbpf_get_error(btf))
		return kdk_error(KDK_ERR_NOT_FOUND, "%s: no .BTF section that "
				 "parses", path);
	return from_btf(btf, true, &vmlinux_btf_ops, out);
}
