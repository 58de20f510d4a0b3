/* Kernel structures by member name (kread.h). */
#include "cmd/kread.h"

#include <inttypes.h>
#include <string.h>

#include "debuginfo/types.h"
#include "target/target.h"

struct kdk_error *kfields_resolve(struct session *s, struct kfield *f,
				  size_t n)
{
	struct types *ts;
	struct kdk_error *err = session_types(s, &ts);

	for (size_t i = 0; i < n && !err; i++) {
		struct type *t, *mt;
		struct type_path_hit hit;

		err = types_find(ts, f[i].type, &t);
		if (!err)
			err = type_member_path(type_strip(t), f[i].member, &hit);
		if (err)
			return kdk_error_wrap(err, "%s.%s", f[i].type,
					      f[i].member);
		mt = type_strip(hit.type);
		f[i].off = hit.bit_offset / 8;
		f[i].size = mt ? mt->size : 0;
	}
	return err;
}

static struct kdk_error *read_at(struct session *s, uint64_t addr, void *buf,
				 size_t n)
{
	struct kdk_error *err = target_read_kvaddr(s->target, addr, buf, n);

	return err ? kdk_error_wrap(err, "reading %zu bytes at 0x%" PRIx64, n,
				    addr) : NULL;
}

struct kdk_error *kread_u64(struct session *s, uint64_t addr, uint64_t *v)
{
	return read_at(s, addr, v, sizeof(*v));
}

struct kdk_error *kread_u32(struct session *s, uint64_t addr, uint32_t *v)
{
	return read_at(s, addr, v, sizeof(*v));
}

struct kdk_error *kread_field(struct session *s, uint64_t base,
			      const struct kfield *f, uint64_t *v)
{
	uint8_t b[8] = { 0 };
	struct kdk_error *err;

	if (f->size == 0 || f->size > 8 || (f->size & (f->size - 1)))
		return kdk_error(KDK_ERR_FORMAT, "%s.%s is %" PRIu64 " bytes, "
				 "not a number", f->type, f->member, f->size);
	err = read_at(s, base + f->off, b, f->size);
	if (err)
		return err;
	*v = 0;
	memcpy(v, b, f->size);	/* little-endian, as x86_64 and arm64 */
	return NULL;
}

struct kdk_error *kread_str(struct session *s, uint64_t addr, char *buf,
			    size_t n)
{
	size_t got = 0;

	/* page by page: a string may end just before an unreadable page */
	while (got + 1 < n) {
		size_t chunk = 4096 - ((addr + got) & 4095);
		struct kdk_error *err;

		if (chunk > n - 1 - got)
			chunk = n - 1 - got;
		err = read_at(s, addr + got, buf + got, chunk);
		if (err) {
			if (!got)
				return err;
			kdk_error_free(err);
			break;
		}
		if (memchr(buf + got, '\0', chunk))
			return NULL;
		got += chunk;
	}
	buf[got] = '\0';
	return NULL;
}
