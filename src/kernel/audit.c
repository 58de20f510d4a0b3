#include "kernel/audit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* include/uapi/linux/netlink.h, an ABI: struct nlmsghdr is u32 nlmsg_len,
 * u16 nlmsg_type, u16 nlmsg_flags, u32 nlmsg_seq, u32 nlmsg_pid, and the
 * payload starts NLMSG_HDRLEN (16, the header aligned to 4) bytes in. */
#define NLMSG_TYPE_OFFSET	4
#define NLMSG_HDRLEN		16

/* A record is at most a few KiB (AUDIT_BUFSIZ grows it on demand, but
 * MAX_AUDIT_MESSAGE_LENGTH is 8970); a larger len is a corrupt skb. */
#define AUDIT_RECORD_MAX	(1u << 20)
/* A corrupt list must not run forever. */
#define AUDIT_QUEUE_MAX		(1u << 20)

/* Newest layout first: audit_queue is 4.11+, audit_skb_queue older. */
static const char *const queues_4_11[] = {
	"audit_hold_queue", "audit_retry_queue", "audit_queue", NULL };
static const char *const queues_old[] = {
	"audit_skb_hold_queue", "audit_skb_queue", NULL };

struct skb_layout {
	struct kbtf_member head_next, head_qlen;
	struct kbtf_member next, len, data;
};

static struct kdk_error *find_layout(const struct kbtf *btf,
				     struct skb_layout *l)
{
	struct kdk_error *err;

	err = kbtf_member(btf, "sk_buff_head", "next", &l->head_next);
	if (!err)
		err = kbtf_member(btf, "sk_buff_head", "qlen", &l->head_qlen);
	if (!err)
		err = kbtf_member(btf, "sk_buff", "next", &l->next);
	if (!err)
		err = kbtf_member(btf, "sk_buff", "len", &l->len);
	if (!err)
		err = kbtf_member(btf, "sk_buff", "data", &l->data);
	return err;
}

static struct kdk_error *read_uint(struct target *t, uint64_t addr,
				   const struct kbtf_member *m, uint64_t *out)
{
	uint8_t buf[8] = { 0 };
	struct kdk_error *err;

	if (m->size > sizeof(buf) || !m->size)
		return kdk_error(KDK_ERR_FORMAT, "a member of %" PRIu64
				 " bytes where an integer was expected",
				 m->size);
	err = target_read_kvaddr(t, addr + m->offset, buf, m->size);
	if (err)
		return err;
	/* both architectures are little-endian */
	*out = 0;
	for (uint64_t i = m->size; i-- > 0;)
		*out = *out << 8 | buf[i];
	return NULL;
}

struct kdk_error *kaudit_decode(const uint8_t *data, size_t len,
				struct kaudit_record *out)
{
	const char *text, *nul;

	if (len < NLMSG_HDRLEN)
		return kdk_error(KDK_ERR_FORMAT, "skb of %zu bytes is shorter "
				 "than a netlink header", len);
	out->type = data[NLMSG_TYPE_OFFSET] |
		    (uint16_t)(data[NLMSG_TYPE_OFFSET + 1] << 8);
	text = (const char *)data + NLMSG_HDRLEN;
	nul = memchr(text, '\0', len - NLMSG_HDRLEN);
	out->text = text;
	out->text_len = nul ? (size_t)(nul - text) : len - NLMSG_HDRLEN;
	return NULL;
}

static struct kdk_error *read_record(struct target *t,
				     const struct skb_layout *l, uint64_t skb,
				     struct kaudit_record *r, uint8_t **buf)
{
	struct kdk_error *err;
	uint64_t len, data;

	err = read_uint(t, skb, &l->len, &len);
	if (!err)
		err = read_uint(t, skb, &l->data, &data);
	if (err)
		return err;
	if (!data)
		return kdk_error(KDK_ERR_FORMAT, "sk_buff.data is NULL");
	if (len > AUDIT_RECORD_MAX)
		return kdk_error(KDK_ERR_FORMAT, "sk_buff.len %" PRIu64
				 " is too large for an audit record", len);
	*buf = malloc(len ? len : 1);
	if (!*buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = target_read_kvaddr(t, data, *buf, len);
	if (!err)
		err = kaudit_decode(*buf, len, r);
	if (err)
		return kdk_error_wrap(err, "data at %" PRIx64, data);
	r->skb = skb;
	return NULL;
}

static struct kdk_error *walk_queue(struct target *t,
				    const struct skb_layout *l,
				    const char *name, uint64_t head,
				    kaudit_fn *fn, void *arg, size_t *count)
{
	struct kdk_error *err;
	uint64_t qlen, p;
	size_t n = 0;

	err = read_uint(t, head, &l->head_qlen, &qlen);
	if (!err && qlen)
		err = read_uint(t, head, &l->head_next, &p);
	if (err || !qlen)
		return err;
	while (p != head) {
		struct kaudit_record r = { .queue = name };
		uint8_t *buf = NULL;

		if (!p)
			return kdk_error(KDK_ERR_FORMAT, "sk_buff.next is NULL");
		if (++n > AUDIT_QUEUE_MAX)
			return kdk_error(KDK_ERR_FORMAT, "more than %u skbs: "
					 "the list is corrupt",
					 AUDIT_QUEUE_MAX);
		err = read_record(t, l, p, &r, &buf);
		if (err) {
			free(buf);
			return kdk_error_wrap(err, "sk_buff %" PRIx64, p);
		}
		err = fn(arg, &r);
		free(buf);
		if (err)
			return err;
		(*count)++;
		err = read_uint(t, p, &l->next, &p);
		if (err)
			return kdk_error_wrap(err, "sk_buff %" PRIx64 ".next",
					      r.skb);
	}
	return NULL;
}

struct kdk_error *kaudit_each(struct target *t, const struct kbtf *btf,
			      const struct symtab *syms, kaudit_fn *fn,
			      void *arg, size_t *count)
{
	const char *const *names = queues_4_11;
	struct skb_layout l;
	struct kdk_error *err;

	*count = 0;
	if (!sym_find_name(syms, "audit_queue"))
		names = queues_old;
	if (!sym_find_name(syms, names[1]))
		return kdk_error(KDK_ERR_NOT_FOUND, "neither audit_queue nor "
				 "audit_skb_queue is in the kernel's symbols");
	err = find_layout(btf, &l);
	if (err)
		return err;
	for (; *names; names++) {
		const struct sym *q = sym_find_name(syms, *names);

		if (!q)
			continue;
		err = walk_queue(t, &l, *names, q->addr, fn, arg, count);
		if (err)
			return kdk_error_wrap(err, "%s", *names);
	}
	return NULL;
}
