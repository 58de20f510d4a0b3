/* The type model over a small BTF built with libbpf's writer: lookups by
 * name, member paths, C declarations, crash's definition layouts and gdb's
 * value layout. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "debuginfo/types_btf.h"
#include "debuginfo/types_print.h"
#include "expr/value_print.h"
#include "tap.h"

/* struct list_head { struct list_head *next, *prev; };
 * enum color { RED, GREEN = 5 };
 * typedef struct list_head lh_t;
 * struct task {
 *	int pid;				0
 *	char comm[8];				4
 *	struct list_head tasks;			16
 *	unsigned int a:3, b:5;			32
 *	union { long x; struct { int y; int z; }; };	40
 *	void (*fn)(struct list_head *, int);	48
 *	enum color color;			56
 *	const volatile long unsigned int cv;	64
 *	struct { int in; } named;		72
 * };  size 80 */
static struct btf *build(void)
{
	struct btf *b = btf__new_empty();
	int int_id, uint_id, char_id, long_id, ulong_id, lh, lh_ptr, arr,
	    anon_s, anon_u, proto, fn_ptr, color, cv, named;

	int_id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	uint_id = btf__add_int(b, "unsigned int", 4, 0);
	char_id = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	long_id = btf__add_int(b, "long int", 8, BTF_INT_SIGNED);
	ulong_id = btf__add_int(b, "long unsigned int", 8, 0);
	/* the pointer first: a struct's fields must follow it */
	lh_ptr = btf__add_ptr(b, ulong_id + 2);
	lh = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", lh_ptr, 0, 0);
	btf__add_field(b, "prev", lh_ptr, 64, 0);
	btf__add_typedef(b, "lh_t", lh);
	arr = btf__add_array(b, int_id, char_id, 8);
	anon_s = btf__add_struct(b, NULL, 8);
	btf__add_field(b, "y", int_id, 0, 0);
	btf__add_field(b, "z", int_id, 32, 0);
	anon_u = btf__add_union(b, NULL, 8);
	btf__add_field(b, "x", long_id, 0, 0);
	btf__add_field(b, NULL, anon_s, 0, 0);
	proto = btf__add_func_proto(b, 0);
	btf__add_func_param(b, "h", lh_ptr);
	btf__add_func_param(b, "n", int_id);
	fn_ptr = btf__add_ptr(b, proto);
	color = btf__add_enum(b, "color", 4);
	btf__add_enum_value(b, "RED", 0);
	btf__add_enum_value(b, "GREEN", 5);
	cv = btf__add_const(b, btf__add_volatile(b, ulong_id));
	named = btf__add_struct(b, NULL, 4);
	btf__add_field(b, "in", int_id, 0, 0);
	btf__add_struct(b, "task", 80);
	btf__add_field(b, "pid", int_id, 0, 0);
	btf__add_field(b, "comm", arr, 32, 0);
	btf__add_field(b, "tasks", lh, 128, 0);
	btf__add_field(b, "a", uint_id, 256, 3);
	btf__add_field(b, "b", uint_id, 259, 5);
	btf__add_field(b, NULL, anon_u, 320, 0);
	btf__add_field(b, "fn", fn_ptr, 384, 0);
	btf__add_field(b, "color", color, 448, 0);
	btf__add_field(b, "cv", cv, 512, 0);
	btf__add_field(b, "named", named, 576, 0);
	return b;
}

static char *printed_definition(struct type *t, bool offsets)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct kdk_error *err = type_print_definition(f, t, offsets);

	fclose(f);
	if (err) {
		kdk_error_free(err);
		free(buf);
		return strdup("error");
	}
	return buf;
}

static char *printed_value(struct type *t, const uint8_t *data)
{
	struct value_printer p = { 0 };
	char *buf = NULL;
	size_t len = 0;

	p.out = open_memstream(&buf, &len);
	value_print(&p, t, data, 0x1000, 0);
	fclose(p.out);
	return buf;
}

static uint64_t path_offset(struct type *t, const char *path, int *depth)
{
	struct type_path_hit hit;
	struct kdk_error *err = type_member_path(t, path, &hit);

	if (err) {
		kdk_error_free(err);
		return UINT64_MAX;
	}
	if (depth)
		*depth = hit.depth;
	return hit.bit_offset;
}

int main(void)
{
	struct btf *raw = build();
	struct types *ts = NULL;
	struct type *task = NULL, *t = NULL;
	struct kdk_error *err;
	uint8_t data[80];
	char *s;
	int depth = -1;

	err = types_from_btf(raw, &ts);
	ok(!err && ts, "a model over BTF");
	ok(!types_find(ts, "struct task", &task) && task->kind == TYPE_STRUCT &&
	   task->size == 80 && !task->filled, "struct task by name, not filled");
	ok(!types_find(ts, "task", &t) && t == task, "task: the same type");
	ok(!types_find(ts, "lh_t", &t) && t->kind == TYPE_TYPEDEF &&
	   type_strip(t)->kind == TYPE_STRUCT, "a typedef");
	ok(!types_find(ts, "unsigned long", &t) && t->kind == TYPE_INT &&
	   t->size == 8 && strcmp(t->name, "unsigned long") == 0,
	   "unsigned long: BTF's long unsigned int, named as gdb names it");
	ok(!types_find(ts, "struct list_head *", &t) &&
	   t->kind == TYPE_POINTER && t->target->kind == TYPE_STRUCT,
	   "a pointer type made by the model");
	err = types_find(ts, "struct nope", &t);
	ok(err && err->code == KDK_ERR_NOT_FOUND, "a missing type");
	kdk_error_free(err);
	err = types_find(ts, "union task", &t);
	ok(err != NULL, "a struct is not found as a union");
	kdk_error_free(err);

	ok(path_offset(task, "tasks.prev", NULL) == 192, "tasks.prev");
	ok(path_offset(task, "z", &depth) == 352 && depth == 2,
	   "a member two unnamed levels down, and its depth");
	ok(path_offset(task, "comm[3]", NULL) == 56, "comm[3]");
	ok(path_offset(task, "comm[8]", NULL) == UINT64_MAX, "past the array");
	ok(path_offset(task, "nope", NULL) == UINT64_MAX, "a missing member");
	ok(path_offset(task, "b", NULL) == 259, "a bitfield's bit offset");

	type_fill(task);
	s = type_declaration(task->members[6].type, "fn");
	is_str(s, "void (*fn)(struct list_head *, int)", "a function pointer");
	free(s);
	s = type_declaration(task->members[1].type, "comm");
	is_str(s, "char comm[8]", "a char array");
	free(s);
	s = type_declaration(task->members[8].type, "cv");
	is_str(s, "const volatile unsigned long cv", "qualifiers");
	free(s);

	s = printed_definition(task, false);
	is_str(s,
"struct task {\n"
"    int pid;\n"
"    char comm[8];\n"
"    struct list_head tasks;\n"
"    unsigned int a : 3;\n"
"    unsigned int b : 5;\n"
"    union {\n"
"        long x;\n"
"        struct {\n"
"            int y;\n"
"            int z;\n"
"        };\n"
"    };\n"
"    void (*fn)(struct list_head *, int);\n"
"    enum color color;\n"
"    const volatile unsigned long cv;\n"
"    struct {\n"
"        int in;\n"
"    } named;\n"
"}", "the definition, gdb's layout");
	free(s);
	s = printed_definition(task, true);
	is_str(s,
"struct task {\n"
"   [0] int pid;\n"
"   [4] char comm[8];\n"
"  [16] struct list_head tasks;\n"
"  [32] unsigned int a : 3;\n"
"  [32] unsigned int b : 5;\n"
"       union {\n"
"  [40]     long x;\n"
"           struct {\n"
"  [40]         int y;\n"
"  [44]         int z;\n"
"           };\n"
"       };\n"
"  [48] void (*fn)(struct list_head *, int);\n"
"  [56] enum color color;\n"
"  [64] const volatile unsigned long cv;\n"
"       struct {\n"
"           int in;\n"
"  [72] } named;\n"
"}", "struct -o: crash's layout");
	free(s);
	types_find(ts, "lh_t", &t);
	s = printed_definition(t, false);
	is_str(s, "typedef struct list_head {\n"
		  "    struct list_head *next;\n"
		  "    struct list_head *prev;\n"
		  "} lh_t;", "a typedef written out");
	free(s);

	memset(data, 0, sizeof(data));
	data[0] = 7;
	memcpy(data + 4, "ab\n", 3);
	data[16] = 0x10;
	data[23] = 0xff;
	data[32] = 5 | (9 << 3);	/* a = 5, b = 9 */
	data[40] = 0xff;		/* x = 255 */
	data[56] = 5;			/* GREEN */
	data[64] = 1;
	s = printed_value(task, data);
	is_str(s,
"{\n"
"  pid = 7,\n"
"  comm = \"ab\\n\\000\\000\\000\\000\",\n"
"  tasks = {\n"
"    next = 0xff00000000000010,\n"
"    prev = 0x0\n"
"  },\n"
"  a = 5,\n"
"  b = 9,\n"
"  {\n"
"    x = 255,\n"
"    {\n"
"      y = 255,\n"
"      z = 0\n"
"    }\n"
"  },\n"
"  fn = 0x0,\n"
"  color = GREEN,\n"
"  cv = 1,\n"
"  named = {\n"
"    in = 0\n"
"  }\n"
"}", "values in gdb's layout");
	free(s);

	types_free(ts);
	btf__free(raw);
	return tap_done();
}
