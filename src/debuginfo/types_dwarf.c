/* DWARF as a source of the type model: keys are DIE offsets in
 * .debug_info (0: void), names are found through the cached index
 * (dwarf_index.h).
 *
 * Where DWARF and the model differ in shape:
 * - an array of several dimensions is one DIE with a subrange per
 *   dimension; the model nests arrays, so the inner array "int [3]" of
 *   "int [2][3]" is keyed by the array DIE and the dimension (1).
 * - const/volatile/restrict are types of their own, as in BTF: the model
 *   folds them into a qualified copy of the type under them.
 * - a function (DW_TAG_subprogram) is its own prototype, as a variable
 *   of function type: `p schedule` shows "{void (void)} 0x...".
 * - a definition that completes a declaration (DW_AT_specification) may
 *   lack DW_AT_type: attributes are read through it (dwarf_attr_integrate).
 */
#include "debuginfo/types_dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfo/dwarf.h"
#include "debuginfo/dwarf_index.h"

/* Keys: a DIE's offset, and for the inner arrays of an array DIE the
 * dimension they start at above it (.debug_info stays under 1 TB). */
#define DIM_SHIFT 40
#define OFF_MASK ((1ULL << DIM_SHIFT) - 1)

struct dwarf_src {
	struct kdwarf *kd;		/* not ours */
	Dwarf *dw;
	struct dwarf_index *ix;
};

static struct kdk_error *die_at(struct dwarf_src *d, uint64_t key,
				Dwarf_Die *die)
{
	if (!dwarf_offdie(d->dw, key & OFF_MASK, die))
		return kdk_error(KDK_ERR_FORMAT, "DWARF: no DIE at 0x%llx "
				 "(%s)", (unsigned long long)key,
				 dwarf_errmsg(-1));
	return NULL;
}

/* The offset of the DIE attribute at names (0: none, i.e. void). */
static uint64_t ref_of(Dwarf_Die *die, int at)
{
	Dwarf_Attribute a;
	Dwarf_Die ref;

	if (!dwarf_attr_integrate(die, at, &a) || !dwarf_formref_die(&a, &ref))
		return 0;
	return dwarf_dieoffset(&ref);
}

static uint64_t udata_of(Dwarf_Die *die, int at, bool *found)
{
	Dwarf_Attribute a;
	Dwarf_Word v = 0;

	*found = dwarf_attr_integrate(die, at, &a) &&
		 dwarf_formudata(&a, &v) == 0;
	return v;
}

static bool flag_of(Dwarf_Die *die, int at)
{
	Dwarf_Attribute a;
	bool v = false;

	return dwarf_attr_integrate(die, at, &a) &&
	       dwarf_formflag(&a, &v) == 0 && v;
}

/* A struct, union or enum that a unit only declares is, as gdb finds it,
 * the definition of that name elsewhere (when there is one). */
static uint64_t defined(struct dwarf_src *d, uint64_t key)
{
	Dwarf_Die die;
	const char *name;
	uint64_t def;
	int kind;

	if (key >> DIM_SHIFT || !dwarf_offdie(d->dw, key, &die) ||
	    !flag_of(&die, DW_AT_declaration) || !(name = dwarf_diename(&die)))
		return key;
	switch (dwarf_tag(&die)) {
	case DW_TAG_structure_type: kind = TYPE_STRUCT; break;
	case DW_TAG_union_type: kind = TYPE_UNION; break;
	case DW_TAG_enumeration_type: kind = TYPE_ENUM; break;
	default: return key;
	}
	return dwarf_index_find(d->ix, name, kind, &def) ? def : key;
}

static struct kdk_error *target_of(struct types *ts, struct dwarf_src *d,
				   uint64_t key, struct type **out)
{
	if (key == 0) {
		*out = NULL;
		return NULL;
	}
	return types_by_key(ts, defined(d, key), out);
}

static bool dwarf_find(void *src, const char *name, enum type_kind want,
		       uint64_t *key)
{
	struct dwarf_src *d = src;

	if (want == TYPE_INT)
		name = types_long_base_name(name);
	return dwarf_index_find(d->ix, name, want, key);
}

static bool dwarf_find_var(void *src, const char *name, uint64_t *key)
{
	struct dwarf_src *d = src;
	Dwarf_Die die;
	uint64_t off;

	if (!dwarf_index_find(d->ix, name, DWARF_INDEX_VAR, &off) ||
	    !dwarf_offdie(d->dw, off, &die))
		return false;
	if (dwarf_tag(&die) == DW_TAG_subprogram) {
		*key = off;		/* a function is its own type */
		return true;
	}
	*key = defined(d, ref_of(&die, DW_AT_type));
	return *key != 0;
}

static bool dwarf_find_enumerator(void *src, const char *name, uint64_t *key)
{
	struct dwarf_src *d = src;

	return dwarf_index_find(d->ix, name, DWARF_INDEX_ENUMERATOR, key);
}

static bool is_char_name(const char *name)
{
	return name && (strcmp(name, "char") == 0 ||
			strcmp(name, "signed char") == 0 ||
			strcmp(name, "unsigned char") == 0);
}

static void shallow_base(Dwarf_Die *die, struct type *t)
{
	bool found;
	uint64_t enc = udata_of(die, DW_AT_encoding, &found);

	t->size = udata_of(die, DW_AT_byte_size, &found);
	t->name = types_short_base_name(t->name);
	t->kind = enc == DW_ATE_boolean ? TYPE_BOOL :
		  enc == DW_ATE_float ? TYPE_FLOAT : TYPE_INT;
	t->is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
	t->is_char = enc == DW_ATE_signed_char ||
		     enc == DW_ATE_unsigned_char || is_char_name(t->name);
	t->filled = true;
}

/* The array DIE's subrange for dimension dim; false if it has none. */
static bool subrange(Dwarf_Die *array, unsigned int dim, Dwarf_Die *sub)
{
	if (dwarf_child(array, sub) != 0)
		return false;
	do
		if (dwarf_tag(sub) == DW_TAG_subrange_type && dim-- == 0)
			return true;
	while (dwarf_siblingof(sub, sub) == 0);
	return false;
}

/* An array from dimension dim of the array DIE: that many of the rest. */
static struct kdk_error *shallow_array(struct types *ts,
				       struct dwarf_src *d, Dwarf_Die *die,
				       unsigned int dim, struct type *t)
{
	struct kdk_error *err;
	Dwarf_Die sub, next;
	bool found;
	uint64_t n, inner;

	if (!subrange(die, dim, &sub))
		return kdk_error(KDK_ERR_FORMAT, "DWARF: array at 0x%llx has "
				 "no dimension %u", (unsigned long long)
				 dwarf_dieoffset(die), dim);
	n = udata_of(&sub, DW_AT_count, &found);
	if (!found) {
		n = udata_of(&sub, DW_AT_upper_bound, &found);
		n = found ? n + 1 : 0;	/* none: a flexible array */
	}
	inner = subrange(die, dim + 1, &next) ?
		dwarf_dieoffset(die) | (uint64_t)(dim + 1) << DIM_SHIFT :
		ref_of(die, DW_AT_type);
	t->kind = TYPE_ARRAY;
	t->name = NULL;
	t->count = n;
	t->filled = true;
	err = target_of(ts, d, inner, &t->target);
	if (!err && t->target)
		t->size = n * t->target->size;
	return err;
}

/* t, whose key is a qualifier DIE, as a copy of the type under it. */
static struct kdk_error *shallow_qualified(struct types *ts,
					   struct dwarf_src *d, Dwarf_Die *die,
					   struct type *t)
{
	struct kdk_error *err;
	struct type *under;
	unsigned int q = dwarf_tag(die) == DW_TAG_const_type ? TYPE_CONST :
			 dwarf_tag(die) == DW_TAG_volatile_type ?
			 TYPE_VOLATILE :
			 dwarf_tag(die) == DW_TAG_restrict_type ?
			 TYPE_RESTRICT : 0;

	err = target_of(ts, d, ref_of(die, DW_AT_type), &under);
	if (err)
		return err;
	types_qualified_copy(t, under, q);
	return NULL;
}

static struct kdk_error *dwarf_shallow(struct types *ts, void *src,
				       struct type *t)
{
	struct dwarf_src *d = src;
	struct kdk_error *err;
	Dwarf_Die die;
	struct type *under;
	bool found;

	if (t->key == 0) {
		t->kind = TYPE_VOID;
		t->name = "void";
		t->filled = true;
		return NULL;
	}
	err = die_at(d, t->key, &die);
	if (err)
		return err;
	t->name = dwarf_diename(&die);
	switch (dwarf_tag(&die)) {
	case DW_TAG_base_type:
		shallow_base(&die, t);
		return NULL;
	case DW_TAG_pointer_type:
		t->kind = TYPE_POINTER;
		t->size = udata_of(&die, DW_AT_byte_size, &found);
		if (!found)
			t->size = 8;
		t->filled = true;
		return target_of(ts, d, ref_of(&die, DW_AT_type), &t->target);
	case DW_TAG_array_type:
		return shallow_array(ts, d, &die, (unsigned int)(t->key >>
							      DIM_SHIFT), t);
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		t->kind = dwarf_tag(&die) == DW_TAG_union_type ? TYPE_UNION
							       : TYPE_STRUCT;
		t->size = udata_of(&die, DW_AT_byte_size, &found);
		t->declared_only = flag_of(&die, DW_AT_declaration);
		t->filled = t->declared_only;
		return NULL;
	case DW_TAG_enumeration_type:
		t->kind = TYPE_ENUM;
		t->size = udata_of(&die, DW_AT_byte_size, &found);
		t->declared_only = flag_of(&die, DW_AT_declaration);
		err = target_of(ts, d, ref_of(&die, DW_AT_type), &under);
		if (err)
			return err;
		t->is_signed = under && type_strip(under)->is_signed;
		return NULL;
	case DW_TAG_typedef:
		t->kind = TYPE_TYPEDEF;
		t->filled = true;
		err = target_of(ts, d, ref_of(&die, DW_AT_type), &t->target);
		if (!err && t->target)
			t->size = t->target->size;
		return err;
	case DW_TAG_subroutine_type:
	case DW_TAG_subprogram:
		t->kind = TYPE_FUNCTION;
		if (dwarf_tag(&die) == DW_TAG_subprogram)
			t->name = NULL;		/* the type has no name */
		return target_of(ts, d, ref_of(&die, DW_AT_type), &t->target);
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
		return shallow_qualified(ts, d, &die, t);
	default:
		t->kind = TYPE_VOID;
		t->name = "void";
		t->filled = true;
		return NULL;
	}
}

/* Under qualifiers, the DIE that has the body. */
static struct kdk_error *body_of(struct dwarf_src *d, uint64_t key,
				 Dwarf_Die *die)
{
	for (int i = 0; i < 16; i++) {
		struct kdk_error *err = die_at(d, defined(d, key), die);
		int tag;

		if (err)
			return err;
		tag = dwarf_tag(die);
		if (tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			return NULL;
		key = ref_of(die, DW_AT_type);
	}
	return kdk_error(KDK_ERR_FORMAT, "DWARF: qualifiers loop");
}

/* A member's offset in bits from the start of its struct. */
static uint64_t member_bits(Dwarf_Die *m, uint32_t *bit_size)
{
	bool found;
	uint64_t bits = udata_of(m, DW_AT_data_bit_offset, &found);
	uint64_t bytes;

	*bit_size = (uint32_t)udata_of(m, DW_AT_bit_size, &found);
	if (udata_of(m, DW_AT_data_bit_offset, &found), found)
		return bits;
	bytes = udata_of(m, DW_AT_data_member_location, &found);
	if (found && *bit_size) {
		/* DWARF 2/3: DW_AT_bit_offset counts from the storage
		 * unit's most significant bit (little-endian here) */
		uint64_t unit = udata_of(m, DW_AT_byte_size, &found);
		uint64_t from_msb = udata_of(m, DW_AT_bit_offset, &found);

		if (found)
			return bytes * 8 + unit * 8 - from_msb - *bit_size;
	}
	return bytes * 8;
}

static size_t count_children(Dwarf_Die *die, int tag)
{
	Dwarf_Die c;
	size_t n = 0;

	if (dwarf_child(die, &c) != 0)
		return 0;
	do
		n += dwarf_tag(&c) == tag;
	while (dwarf_siblingof(&c, &c) == 0);
	return n;
}

static struct kdk_error *fill_members(struct types *ts,
				      struct dwarf_src *d, Dwarf_Die *die,
				      struct type *t)
{
	size_t n = count_children(die, DW_TAG_member);
	Dwarf_Die c;

	t->members = calloc(n ? n : 1, sizeof(*t->members));
	if (!t->members)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (dwarf_child(die, &c) != 0)
		return NULL;
	do {
		struct type_member *m;
		struct kdk_error *err;

		if (dwarf_tag(&c) != DW_TAG_member)
			continue;
		m = &t->members[t->n_members];
		m->name = dwarf_diename(&c);
		m->bit_offset = member_bits(&c, &m->bit_size);
		err = target_of(ts, d, ref_of(&c, DW_AT_type), &m->type);
		if (err)
			return err;
		t->n_members++;
	} while (dwarf_siblingof(&c, &c) == 0);
	return NULL;
}

static struct kdk_error *fill_enum(Dwarf_Die *die, struct type *t)
{
	size_t n = count_children(die, DW_TAG_enumerator);
	Dwarf_Die c;

	t->enumerators = calloc(n ? n : 1, sizeof(*t->enumerators));
	if (!t->enumerators)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (dwarf_child(die, &c) != 0)
		return NULL;
	do {
		struct type_enumerator *e;
		Dwarf_Attribute a;
		Dwarf_Sword sv = 0;
		Dwarf_Word uv = 0;

		if (dwarf_tag(&c) != DW_TAG_enumerator)
			continue;
		e = &t->enumerators[t->n_members++];
		e->name = dwarf_diename(&c);
		if (!dwarf_attr(&c, DW_AT_const_value, &a))
			continue;
		if (t->is_signed && dwarf_formsdata(&a, &sv) == 0)
			e->value = sv;
		else if (dwarf_formudata(&a, &uv) == 0)
			e->value = (int64_t)uv;
	} while (dwarf_siblingof(&c, &c) == 0);
	return NULL;
}

static struct kdk_error *fill_params(struct types *ts,
				     struct dwarf_src *d, Dwarf_Die *die,
				     struct type *t)
{
	size_t n = count_children(die, DW_TAG_formal_parameter);
	Dwarf_Die c;

	t->params = calloc(n ? n : 1, sizeof(*t->params));
	if (!t->params)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (dwarf_child(die, &c) != 0)
		return NULL;
	do {
		struct kdk_error *err;

		if (dwarf_tag(&c) == DW_TAG_unspecified_parameters) {
			t->variadic = true;
			continue;
		}
		if (dwarf_tag(&c) != DW_TAG_formal_parameter)
			continue;
		err = target_of(ts, d, ref_of(&c, DW_AT_type),
				&t->params[t->n_members]);
		if (err)
			return err;
		t->n_members++;
	} while (dwarf_siblingof(&c, &c) == 0);
	return NULL;
}

static struct kdk_error *dwarf_fill(struct types *ts, void *src,
				    struct type *t)
{
	struct dwarf_src *d = src;
	Dwarf_Die die;
	struct kdk_error *err = body_of(d, t->key, &die);

	if (err)
		return err;
	switch (dwarf_tag(&die)) {
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		return fill_members(ts, d, &die, t);
	case DW_TAG_enumeration_type:
		return fill_enum(&die, t);
	case DW_TAG_subroutine_type:
	case DW_TAG_subprogram:
		return fill_params(ts, d, &die, t);
	default:
		return NULL;
	}
}

static void dwarf_src_free(void *src)
{
	struct dwarf_src *d = src;

	dwarf_index_free(d->ix);
	free(d);
}

static const struct type_source_ops dwarf_ops = {
	.name = "vmlinux's DWARF",
	.find = dwarf_find,
	.shallow = dwarf_shallow,
	.fill = dwarf_fill,
	.find_var = dwarf_find_var,
	.find_enumerator = dwarf_find_enumerator,
	.free = dwarf_src_free,
};

struct kdk_error *types_from_dwarf(struct kdwarf *kd, struct types **out)
{
	struct dwarf_src *d = calloc(1, sizeof(*d));
	struct kdk_error *err;

	if (!d)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	d->kd = kd;
	d->dw = kdwarf_libdw(kd);
	err = dwarf_index_load(kd, &d->ix);
	if (!err)
		err = types_new(&dwarf_ops, d, out);
	if (err)
		dwarf_src_free(d);
	return err;
}
