/* Member paths in BTF: nested structs, members of unnamed unions and
 * structs, array elements (6.4's module.mem[MOD_TEXT]), typedefs; and
 * blobs that are not BTF. The BTF is built here with libbpf's writer. */
#include <stdint.h>
#include <string.h>

#include <bpf/btf.h>

#include "debuginfo/btf.h"
#include "tap.h"

/* struct module_memory { void *base; unsigned int size; };
 * typedef unsigned int u32;
 * struct module {
 *	u32 state;				0
 *	union { long a; struct { int x; int y; }; };	8
 *	struct module_memory mem[7];		16, 16 bytes each
 *	struct { void *base; u32 size; } core_layout;	128
 * }; */
static struct btf *build(void)
{
	struct btf *b = btf__new_empty();
	int uint_id, int_id, long_id, ptr_id, u32_id, mm_id, arr_id, anon_s,
	    anon_u, core_id;

	uint_id = btf__add_int(b, "unsigned int", 4, 0);
	int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	long_id = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	ptr_id = btf__add_ptr(b, 0);
	u32_id = btf__add_typedef(b, "u32", uint_id);
	mm_id = btf__add_struct(b, "module_memory", 16);
	btf__add_field(b, "base", ptr_id, 0, 0);
	btf__add_field(b, "size", uint_id, 64, 0);
	arr_id = btf__add_array(b, int_id, mm_id, 7);
	anon_s = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "x", int_id, 0, 0);
	btf__add_field(b, "y", int_id, 32, 0);
	anon_u = btf__add_union(b, NULL, 8);
	btf__add_field(b, "a", long_id, 0, 0);
	btf__add_field(b, NULL, anon_s, 0, 0);
	core_id = btf__add_struct(b, NULL, 16);
	btf__add_field(b, "base", ptr_id, 0, 0);
	btf__add_field(b, "size", u32_id, 64, 0);
	btf__add_struct(b, "module", 144);
	btf__add_field(b, "state", u32_id, 0, 0);
	btf__add_field(b, NULL, anon_u, 64, 0);
	btf__add_field(b, "mem", arr_id, 128, 0);
	btf__add_field(b, "core_layout", core_id, 1024, 0);
	return b;
}

static uint64_t off(const struct kbtf *b, const char *type, const char *path,
		    uint64_t *size)
{
	struct kbtf_member m;
	struct kdk_error *err = kbtf_member(b, type, path, &m);

	if (err) {
		kdk_error_free(err);
		return UINT64_MAX;
	}
	if (size)
		*size = m.size;
	return m.offset;
}

int main(void)
{
	struct btf *raw = build();
	const void *data;
	uint32_t len, id;
	uint64_t size = 0;
	struct kbtf *b = NULL;
	struct kdk_error *err;
	unsigned char junk[64];

	data = btf__raw_data(raw, &len);
	err = kbtf_from_blob(data, len, &b);
	ok(!err && b, "a BTF blob parses");
	ok(off(b, "module", "state", &size) == 0 && size == 4,
	   "a member through a typedef: offset and size");
	ok(off(b, "module", "a", NULL) == 8, "a member of an unnamed union");
	ok(off(b, "module", "y", &size) == 12 && size == 4,
	   "a member of an unnamed struct in an unnamed union");
	ok(off(b, "module", "mem", &size) == 16 && size == 112,
	   "an array member: its whole size");
	ok(off(b, "module", "mem[0].base", NULL) == 16, "mem[0].base");
	ok(off(b, "module", "mem[3].size", &size) == 16 + 3 * 16 + 8 &&
	   size == 4, "mem[3].size: element size times index");
	ok(off(b, "module", "mem[7]", NULL) == UINT64_MAX,
	   "past the array: an error");
	ok(off(b, "module", "state[0]", NULL) == UINT64_MAX,
	   "an index into what is no array: an error");
	ok(off(b, "module", "core_layout.size", NULL) == 136,
	   "a nested member");
	ok(off(b, "module", "core_layout.nope", NULL) == UINT64_MAX,
	   "a missing member: an error");
	ok(kbtf_has_member(b, "module", "mem") &&
	   !kbtf_has_member(b, "module", "init_layout"),
	   "presence checks");
	ok(!kbtf_find_struct(b, "module_memory", &id) &&
	   !kbtf_type_size(b, id, &size) && size == 16, "struct size");
	err = kbtf_find_struct(b, "task_struct", &id);
	ok(err && err->code == KDK_ERR_NOT_FOUND, "a missing struct");
	kdk_error_free(err);
	kbtf_free(b);

	memset(junk, 0, sizeof(junk));
	b = NULL;
	err = kbtf_from_blob(junk, sizeof(junk), &b);
	ok(err && !b, "zeros are no BTF");
	kdk_error_free(err);
	memcpy(junk, data, 24 < len ? 24 : len);
	err = kbtf_from_blob(junk, sizeof(junk), &b);
	ok(err && !b, "a BTF header over junk is no BTF");
	kdk_error_free(err);
	btf__free(raw);
	return tap_done();
}
