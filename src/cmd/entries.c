/* The arguments and output list and tree share (entries.h). */
#include "cmd/entries.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/address.h"
#include "cmd/commands.h"
#include "cmd/struct.h"
#include "debuginfo/types.h"
#include "expr/expr.h"
#include "target/target.h"

struct kdk_error *entries_parse_offset(struct session *s, const char *arg,
				       uint64_t *off)
{
	const char *dot = strchr(arg, '.');
	struct types *ts;
	struct type *t;
	struct type_path_hit hit;
	char *name;
	struct kdk_error *err;

	if (!dot || address_is_hex(arg))
		return address_parse_number(s, arg, off);
	err = session_types(s, &ts);
	if (err)
		return err;
	name = strndup(arg, dot - arg);
	if (!name)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = types_find(ts, name, &t);
	if (err) {
		char *full = NULL;

		kdk_error_free(err);
		if (asprintf(&full, "struct %s", name) < 0)
			full = NULL;
		err = full ? types_find(ts, full, &t) :
			kdk_error(KDK_ERR_NOMEM, "out of memory");
		free(full);
	}
	free(name);
	if (err)
		return err;
	err = type_member_path(type_strip(t), dot + 1, &hit);
	if (err)
		return err;
	*off = hit.bit_offset / 8;
	return NULL;
}

struct kdk_error *entries_parse_start(struct session *s, const char *arg,
				      uint64_t *addr)
{
	struct kdk_error *err = address_parse(s, arg, addr), *e2;
	struct expr_env env = { .symbols = s->symbols, .read = value_read_mem,
				.arg = s };
	struct expr_ctx *ctx;
	struct expr_value v;
	struct types *ts;
	struct type *t;

	if (!err)
		return NULL;
	e2 = session_types(s, &ts);
	if (e2) {
		kdk_error_free(e2);
		return err;
	}
	env.types = ts;
	e2 = expr_eval(&env, arg, &ctx, &v);
	if (e2) {
		kdk_error_free(e2);
		return err;
	}
	t = v.type ? type_strip(v.type) : NULL;
	if (t && t->kind == TYPE_POINTER && v.size == 8) {
		memcpy(addr, v.data, 8);
	} else if (v.lvalue) {
		*addr = v.addr;
	} else {
		expr_ctx_free(ctx);
		return err;
	}
	expr_ctx_free(ctx);
	kdk_error_free(err);
	return NULL;
}

struct kdk_error *entries_read_ptr(struct session *s, uint64_t addr,
				   uint64_t *out)
{
	struct kdk_error *err = target_read_kvaddr(s->target, addr, out, 8);

	return err ? kdk_error_wrap(err, "reading the pointer at 0x%" PRIx64,
				    addr) : NULL;
}

/* Members of one entry, through `struct` (so that they print exactly as
 * `struct TYPE.MEMBERS ADDR` does). */
static struct kdk_error *show_entry(struct session *s,
				    const struct entries_show *o, uint64_t entry)
{
	char addr[24];
	char *argv[4];
	int argc = 0;
	struct kdk_error *err;
	int radix = s->radix;
	bool json = s->json;

	snprintf(addr, sizeof(addr), "0x%" PRIx64, entry - o->show_off);
	argv[argc++] = (char *)"struct";
	argv[argc++] = (char *)o->show;
	argv[argc++] = addr;
	argv[argc] = NULL;
	s->radix = o->radix;
	s->json = false;
	err = struct_command(s, &cmd_struct_def, TYPE_STRUCT, argc, argv);
	s->radix = radix;
	s->json = json;
	return err;
}

/* "%" PRIx64 "\n" without printf's cost, for lists of millions */
static void put_hex_line(FILE *out, uint64_t v)
{
	char buf[18], *p = buf + sizeof(buf);

	*--p = '\n';
	do {
		*--p = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	fwrite(p, 1, (size_t)(buf + sizeof(buf) - p), out);
}

struct kdk_error *entries_emit(struct session *s, const struct entries_show *o,
			       struct json_writer *w, uint64_t entry,
			       const char *position)
{
	char hex[24];
	struct kdk_error *err = NULL;

	if (!s->json) {
		put_hex_line(s->out, entry);
		if (position)
			fprintf(s->out, "  %s\n", position);
		return o->show ? show_entry(s, o, entry) : NULL;
	}
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, entry);
	json_begin_object(w);
	json_key_string(w, "address", hex);
	if (position)
		json_key_string(w, "position", position);
	if (o->show) {
		char *text = NULL;
		size_t len = 0;
		FILE *saved = s->out, *mem = open_memstream(&text, &len);

		if (!mem)
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		s->out = mem;
		err = show_entry(s, o, entry);
		s->out = saved;
		fclose(mem);
		json_key_string(w, "members", text ? text : "");
		free(text);
	}
	json_end_object(w);
	return err;
}
