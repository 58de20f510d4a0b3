/* The kernel log: the lockless ring of Linux 5.10+ and, before it, the
 * buffer of struct printk_log records. Offsets and sizes all come from
 * VMCOREINFO (kernel/printk/printk.c: log_buf_vmcoreinfo_setup()). */
#include "kernel/printk.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Both rings are arrays of unsigned long; we read 64-bit kernels only. */
#define LONG_SIZE		8
/* state_var: the descriptor's id, and its state in the top two bits
 * (kernel/printk/printk_ringbuffer.h: DESC_FLAGS_SHIFT). */
#define DESC_STATE_SHIFT	62
#define DESC_ID_MASK		((1ULL << DESC_STATE_SHIFT) - 1)
enum desc_state {
	DESC_RESERVED = 0,
	DESC_COMMITTED = 1,
	DESC_FINALIZED = 2,
	DESC_REUSABLE = 3,
};

/* Sanity bounds against a corrupt ring: CONFIG_LOG_BUF_SHIFT is at most
 * 25 and log_buf_len= can only grow the buffer to memory's size. */
#define MAX_SIZE_BITS		32
#define MAX_COUNT_BITS		28

#define DEV_SUBSYSTEM_MAX	64
#define DEV_DEVICE_MAX		128

static uint16_t get16(const unsigned char *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const unsigned char *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Look up VMCOREINFO keys in turn; the first missing one is kept. */
struct layout_lookup {
	const struct vmcoreinfo *vi;
	struct kdk_error *err;
};

static uint64_t lookup(struct layout_lookup *l, const char *kind,
		       const char *name)
{
	struct kdk_error *err;
	uint64_t v = 0;

	if (l->err)
		return 0;
	if (strcmp(kind, "OFFSET") == 0)
		err = vmcoreinfo_offset(l->vi, name, &v);
	else if (strcmp(kind, "SIZE") == 0)
		err = vmcoreinfo_size(l->vi, name, &v);
	else if (strcmp(kind, "LENGTH") == 0)
		err = vmcoreinfo_length(l->vi, name, &v);
	else
		err = vmcoreinfo_symbol(l->vi, name, &v);
	if (err) {
		kdk_error_free(err);
		l->err = kdk_error(KDK_ERR_NOT_FOUND, "VMCOREINFO has no "
				   "%s(%s)", kind, name);
	}
	return v;
}

static bool has_key(const struct vmcoreinfo *vi, const char *key)
{
	return vi && vmcoreinfo_get(vi, key);
}

/* Read into a fresh buffer, saying what was read on failure. */
static struct kdk_error *read_alloc(printk_read_fn *read, void *arg,
				    uint64_t vaddr, size_t len,
				    const char *what, unsigned char **out)
{
	struct kdk_error *err;
	unsigned char *buf = malloc(len ? len : 1);

	if (!buf)
		return kdk_error(KDK_ERR_NOMEM, "out of memory for %s "
				 "(%zu bytes)", what, len);
	err = read(arg, vaddr, buf, len);
	if (err) {
		free(buf);
		return kdk_error_wrap(err, "reading %s (%zu bytes at %#" PRIx64
				      ")", what, len, vaddr);
	}
	*out = buf;
	return NULL;
}

/* --- the lockless ring (Linux 5.10+) --- */

struct prb_layout {
	uint64_t prb;			/* SYMBOL(prb): a pointer to the ring */
	uint64_t rb_size, rb_desc_ring, rb_text_ring;
	uint64_t dr_count_bits, dr_descs, dr_infos, dr_head_id, dr_tail_id;
	uint64_t desc_size, desc_state_var, desc_text_lpos;
	uint64_t lpos_begin, lpos_next;
	uint64_t info_size, info_seq, info_ts_nsec, info_text_len;
	uint64_t info_caller_id, info_dev_info;
	bool has_caller, has_dev_info;
	uint64_t dev_subsystem, dev_device, subsystem_len, device_len;
	uint64_t data_size_bits, data_data;
};

static struct kdk_error *prb_layout_get(const struct vmcoreinfo *vi,
					struct prb_layout *p)
{
	struct layout_lookup l = { .vi = vi };

	p->prb = lookup(&l, "SYMBOL", "prb");
	p->rb_size = lookup(&l, "SIZE", "printk_ringbuffer");
	p->rb_desc_ring = lookup(&l, "OFFSET", "printk_ringbuffer.desc_ring");
	p->rb_text_ring = lookup(&l, "OFFSET",
				 "printk_ringbuffer.text_data_ring");
	p->dr_count_bits = lookup(&l, "OFFSET", "prb_desc_ring.count_bits");
	p->dr_descs = lookup(&l, "OFFSET", "prb_desc_ring.descs");
	p->dr_infos = lookup(&l, "OFFSET", "prb_desc_ring.infos");
	p->dr_head_id = lookup(&l, "OFFSET", "prb_desc_ring.head_id");
	p->dr_tail_id = lookup(&l, "OFFSET", "prb_desc_ring.tail_id");
	p->desc_size = lookup(&l, "SIZE", "prb_desc");
	p->desc_state_var = lookup(&l, "OFFSET", "prb_desc.state_var");
	p->desc_text_lpos = lookup(&l, "OFFSET", "prb_desc.text_blk_lpos");
	p->lpos_begin = lookup(&l, "OFFSET", "prb_data_blk_lpos.begin");
	p->lpos_next = lookup(&l, "OFFSET", "prb_data_blk_lpos.next");
	p->info_size = lookup(&l, "SIZE", "printk_info");
	p->info_seq = lookup(&l, "OFFSET", "printk_info.seq");
	p->info_ts_nsec = lookup(&l, "OFFSET", "printk_info.ts_nsec");
	p->info_text_len = lookup(&l, "OFFSET", "printk_info.text_len");
	p->data_size_bits = lookup(&l, "OFFSET", "prb_data_ring.size_bits");
	p->data_data = lookup(&l, "OFFSET", "prb_data_ring.data");
	if (l.err)
		return l.err;

	p->has_caller = has_key(vi, "OFFSET(printk_info.caller_id)");
	if (p->has_caller)
		p->info_caller_id = lookup(&l, "OFFSET",
					   "printk_info.caller_id");
	p->has_dev_info = has_key(vi, "OFFSET(printk_info.dev_info)");
	if (p->has_dev_info) {
		p->info_dev_info = lookup(&l, "OFFSET", "printk_info.dev_info");
		p->dev_subsystem = lookup(&l, "OFFSET",
					  "dev_printk_info.subsystem");
		p->dev_device = lookup(&l, "OFFSET", "dev_printk_info.device");
		p->subsystem_len = lookup(&l, "LENGTH",
					  "printk_info_subsystem");
		p->device_len = lookup(&l, "LENGTH", "printk_info_device");
		if (l.err) {
			kdk_error_free(l.err);
			l.err = NULL;
			p->has_dev_info = false;
		}
	}

	/* Fields the code below reads must lie inside their structures;
	 * facility and the flags/level byte follow text_len (struct
	 * printk_info: u16 text_len; u8 facility; u8 flags:5, level:3). */
	if (p->desc_state_var + LONG_SIZE > p->desc_size ||
	    p->desc_text_lpos + p->lpos_next + LONG_SIZE > p->desc_size ||
	    p->desc_text_lpos + p->lpos_begin + LONG_SIZE > p->desc_size ||
	    p->info_seq + 8 > p->info_size ||
	    p->info_ts_nsec + 8 > p->info_size ||
	    p->info_text_len + 4 > p->info_size ||
	    (p->has_caller && p->info_caller_id + 4 > p->info_size) ||
	    p->rb_desc_ring + p->dr_tail_id + LONG_SIZE > p->rb_size ||
	    p->rb_desc_ring + p->dr_head_id + LONG_SIZE > p->rb_size ||
	    p->rb_desc_ring + p->dr_descs + LONG_SIZE > p->rb_size ||
	    p->rb_desc_ring + p->dr_infos + LONG_SIZE > p->rb_size ||
	    p->rb_desc_ring + p->dr_count_bits + 4 > p->rb_size ||
	    p->rb_text_ring + p->data_size_bits + 4 > p->rb_size ||
	    p->rb_text_ring + p->data_data + LONG_SIZE > p->rb_size)
		return kdk_error(KDK_ERR_FORMAT, "VMCOREINFO's printk ring "
				 "layout is inconsistent (a member lies "
				 "outside its structure)");
	if (p->has_dev_info &&
	    (p->subsystem_len > DEV_SUBSYSTEM_MAX ||
	     p->device_len > DEV_DEVICE_MAX ||
	     p->info_dev_info + p->dev_subsystem + p->subsystem_len >
	     p->info_size ||
	     p->info_dev_info + p->dev_device + p->device_len > p->info_size))
		p->has_dev_info = false;
	return NULL;
}

/* The ring's arrays, copied out of the dump. */
struct prb_copy {
	uint64_t count;			/* descriptors: a power of two */
	uint64_t data_size;		/* bytes of text: a power of two */
	uint64_t head_id, tail_id;
	unsigned char *descs, *infos, *data;
};

static void prb_copy_free(struct prb_copy *c)
{
	free(c->descs);
	free(c->infos);
	free(c->data);
}

static struct kdk_error *prb_copy_read(const struct prb_layout *p,
				       printk_read_fn *read, void *arg,
				       struct prb_copy *c)
{
	unsigned char ptr[LONG_SIZE];
	unsigned char *rb, *dr, *tr;
	uint32_t count_bits, size_bits;
	struct kdk_error *err;
	uint64_t rb_addr;

	err = read(arg, p->prb, ptr, sizeof(ptr));
	if (err)
		return kdk_error_wrap(err, "reading prb at %#" PRIx64, p->prb);
	rb_addr = get64(ptr);
	err = read_alloc(read, arg, rb_addr, p->rb_size,
			 "struct printk_ringbuffer", &rb);
	if (err)
		return err;
	dr = rb + p->rb_desc_ring;
	tr = rb + p->rb_text_ring;
	count_bits = get32(dr + p->dr_count_bits);
	size_bits = get32(tr + p->data_size_bits);
	c->head_id = get64(dr + p->dr_head_id) & DESC_ID_MASK;
	c->tail_id = get64(dr + p->dr_tail_id) & DESC_ID_MASK;
	/* the kernel sizes the descriptor ring from the text ring: a
	 * descriptor per 32 bytes of text (PRB_AVGBITS) */
	if (count_bits > MAX_COUNT_BITS || count_bits > size_bits ||
	    size_bits > MAX_SIZE_BITS || size_bits < 3) {
		free(rb);
		return kdk_error(KDK_ERR_FORMAT, "printk ring at %#" PRIx64
				 ": implausible size (2^%" PRIu32
				 " descriptors, 2^%" PRIu32 " bytes of text)",
				 rb_addr, count_bits, size_bits);
	}
	c->count = 1ULL << count_bits;
	c->data_size = 1ULL << size_bits;
	if (((c->head_id - c->tail_id) & DESC_ID_MASK) >= c->count) {
		free(rb);
		return kdk_error(KDK_ERR_FORMAT, "printk ring at %#" PRIx64
				 ": tail id %" PRIu64 " and head id %" PRIu64
				 " are more than %" PRIu64 " descriptors "
				 "apart", rb_addr, c->tail_id, c->head_id,
				 c->count);
	}
	err = read_alloc(read, arg, get64(dr + p->dr_descs),
			 c->count * p->desc_size, "the printk descriptor ring",
			 &c->descs);
	if (!err)
		err = read_alloc(read, arg, get64(dr + p->dr_infos),
				 c->count * p->info_size,
				 "the printk info ring", &c->infos);
	if (!err)
		err = read_alloc(read, arg, get64(tr + p->data_data),
				 c->data_size, "the printk text ring",
				 &c->data);
	free(rb);
	return err;
}

static void copy_string(char *dst, const unsigned char *src, size_t len)
{
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/*
 * Where a record's text lies in the data ring. A block is begin..next
 * in logical positions; its first long is the descriptor's id. A block
 * that would cross the end of the ring is stored from the ring's start
 * instead, and then next is one wrap ahead of begin. Both positions odd
 * (or equal) mean no block at all: an empty message, or text the
 * kernel could not store (printk_ringbuffer.c: NO_LPOS, FAILED_LPOS).
 */
static void prb_record_text(const struct prb_copy *c, uint64_t begin,
			    uint64_t next, struct printk_record *r)
{
	uint64_t b = begin & (c->data_size - 1);
	uint64_t n = next & (c->data_size - 1);
	uint64_t start, size;

	r->dataless = true;
	if (begin == next || ((begin & 1) && (next & 1)))
		return;
	if (b < n) {
		start = b;
		size = n - b;
	} else if (n == 0 && next - begin <= c->data_size) {
		/* Ends exactly at the end of the ring: in place. */
		start = b;
		size = c->data_size - b;
	} else {
		start = 0;
		size = n;
	}
	if (size < LONG_SIZE)
		return;
	r->dataless = false;
	r->text = (const char *)c->data + start + LONG_SIZE;
	if (r->text_len > size - LONG_SIZE)
		r->text_len = size - LONG_SIZE;
}

static struct kdk_error *prb_walk(const struct prb_layout *p,
				  const struct prb_copy *c,
				  printk_record_fn *fn, void *arg)
{
	char subsystem[DEV_SUBSYSTEM_MAX + 1] = "";
	char device[DEV_DEVICE_MAX + 1] = "";
	struct kdk_error *err;
	uint64_t id = c->tail_id;

	for (;;) {
		uint64_t idx = id & (c->count - 1);
		const unsigned char *desc = c->descs + idx * p->desc_size;
		const unsigned char *info = c->infos + idx * p->info_size;
		const unsigned char *lpos = desc + p->desc_text_lpos;
		uint64_t sv = get64(desc + p->desc_state_var);
		unsigned int state = sv >> DESC_STATE_SHIFT;
		struct printk_record r = { 0 };

		/* Only committed and finalized records hold a whole message;
		 * a reserved one is being written, a reusable one recycled,
		 * and an id mismatch means the slot moved on. */
		if ((sv & DESC_ID_MASK) != id ||
		    (state != DESC_COMMITTED && state != DESC_FINALIZED))
			goto next;
		r.seq = get64(info + p->info_seq);
		r.ts_nsec = get64(info + p->info_ts_nsec);
		r.text_len = get16(info + p->info_text_len);
		r.facility = info[p->info_text_len + 2];
		r.flags = info[p->info_text_len + 3] & 0x1f;
		r.level = info[p->info_text_len + 3] >> 5;
		r.has_caller = p->has_caller;
		if (p->has_caller)
			r.caller_id = get32(info + p->info_caller_id);
		prb_record_text(c, get64(lpos + p->lpos_begin),
				get64(lpos + p->lpos_next), &r);
		if (r.dataless) {
			r.text = "";
			r.text_len = 0;
		}
		subsystem[0] = device[0] = '\0';
		if (p->has_dev_info) {
			const unsigned char *dev = info + p->info_dev_info;

			copy_string(subsystem, dev + p->dev_subsystem,
				    p->subsystem_len);
			copy_string(device, dev + p->dev_device,
				    p->device_len);
		}
		r.subsystem = subsystem;
		r.device = device;
		err = fn(arg, &r);
		if (err)
			return err;
next:
		if (id == c->head_id)
			return NULL;
		id = (id + 1) & DESC_ID_MASK;
	}
}

static struct kdk_error *prb_each(const struct vmcoreinfo *vi,
				  printk_read_fn *read, void *read_arg,
				  printk_record_fn *fn, void *arg)
{
	struct prb_copy c = { 0 };
	struct prb_layout p = { 0 };
	struct kdk_error *err;

	err = prb_layout_get(vi, &p);
	if (err)
		return err;
	err = prb_copy_read(&p, read, read_arg, &c);
	if (!err)
		err = prb_walk(&p, &c, fn, arg);
	prb_copy_free(&c);
	return err;
}

/* --- struct printk_log records (Linux 3.11 to 5.9) ---
 *
 * Not tested on real dumps: the lab's kernels are all 5.10+. Neither the
 * dictionary nor caller_id is decoded (VMCOREINFO does not give the
 * latter's offset), and seq counts from 0 at the oldest record kept.
 */

static struct kdk_error *read_u32(printk_read_fn *read, void *arg,
				  uint64_t vaddr, const char *what,
				  uint32_t *out)
{
	unsigned char buf[4];
	struct kdk_error *err = read(arg, vaddr, buf, sizeof(buf));

	if (err)
		return kdk_error_wrap(err, "reading %s", what);
	*out = get32(buf);
	return NULL;
}

struct printk_log_layout {
	uint64_t log_buf, log_buf_len, first_idx, next_idx;
	uint64_t hdr_size, ts_nsec, len, text_len, dict_len;
};

static struct kdk_error *printk_log_each(const struct vmcoreinfo *vi,
					 printk_read_fn *read, void *read_arg,
					 printk_record_fn *fn, void *arg)
{
	struct layout_lookup l = { .vi = vi };
	struct printk_log_layout p;
	unsigned char word[8], *buf = NULL;
	uint32_t buf_len, idx, next_idx;
	struct kdk_error *err;
	uint64_t seq = 0, walked = 0;
	bool wrapped = false;

	p.log_buf = lookup(&l, "SYMBOL", "log_buf");
	p.log_buf_len = lookup(&l, "SYMBOL", "log_buf_len");
	p.first_idx = lookup(&l, "SYMBOL", "log_first_idx");
	p.next_idx = lookup(&l, "SYMBOL", "log_next_idx");
	p.hdr_size = lookup(&l, "SIZE", "printk_log");
	p.ts_nsec = lookup(&l, "OFFSET", "printk_log.ts_nsec");
	p.len = lookup(&l, "OFFSET", "printk_log.len");
	p.text_len = lookup(&l, "OFFSET", "printk_log.text_len");
	p.dict_len = lookup(&l, "OFFSET", "printk_log.dict_len");
	if (l.err)
		return l.err;
	if (p.ts_nsec + 8 > p.hdr_size || p.len + 2 > p.hdr_size ||
	    p.text_len + 2 > p.hdr_size || p.dict_len + 4 > p.hdr_size)
		return kdk_error(KDK_ERR_FORMAT, "VMCOREINFO's printk_log "
				 "layout is inconsistent");

	err = read_u32(read, read_arg, p.log_buf_len, "log_buf_len", &buf_len);
	if (!err)
		err = read_u32(read, read_arg, p.first_idx, "log_first_idx",
			       &idx);
	if (!err)
		err = read_u32(read, read_arg, p.next_idx, "log_next_idx",
			       &next_idx);
	if (!err) {
		err = read(read_arg, p.log_buf, word, 8);
		if (err)
			err = kdk_error_wrap(err, "reading log_buf");
	}
	if (err)
		return err;
	if (buf_len == 0 || buf_len > (1u << 31) || idx >= buf_len ||
	    next_idx >= buf_len)
		return kdk_error(KDK_ERR_FORMAT, "log_buf: implausible length "
				 "%" PRIu32 " or indexes %" PRIu32 "..%" PRIu32,
				 buf_len, idx, next_idx);
	err = read_alloc(read, read_arg, get64(word), buf_len, "log_buf",
			 &buf);
	if (err)
		return err;

	while (idx != next_idx) {
		const unsigned char *h = buf + idx;
		struct printk_record r = { 0 };
		uint16_t len;

		/* No room for a header, or a zero length (the kernel's wrap
		 * marker): the next record is at the buffer's start. */
		len = idx + p.hdr_size > buf_len ? 0 : get16(h + p.len);
		if (len == 0 && idx != 0 && !wrapped) {
			idx = 0;
			wrapped = true;
			continue;
		}
		walked += len;
		if (len < p.hdr_size || idx + len > buf_len ||
		    walked > 2ULL * buf_len) {
			err = kdk_error(KDK_ERR_FORMAT, "log_buf: corrupt "
					"record at offset %" PRIu32, idx);
			break;
		}
		r.seq = seq++;
		r.ts_nsec = get64(h + p.ts_nsec);
		r.text_len = get16(h + p.text_len);
		if (r.text_len > len - p.hdr_size)
			r.text_len = len - p.hdr_size;
		r.text = (const char *)h + p.hdr_size;
		r.facility = h[p.dict_len + 2];
		r.flags = h[p.dict_len + 3] & 0x1f;
		r.level = h[p.dict_len + 3] >> 5;
		r.subsystem = r.device = "";
		err = fn(arg, &r);
		if (err)
			break;
		idx += len;
	}
	free(buf);
	return err;
}

struct kdk_error *printk_walk(const struct vmcoreinfo *vi,
			      printk_read_fn *read, void *read_arg,
			      printk_record_fn *fn, void *arg)
{
	struct kdk_error *err;

	if (!vi)
		return kdk_error(KDK_ERR_NOT_FOUND, "the dump has no "
				 "VMCOREINFO, which locates the kernel log");
	if (has_key(vi, "SYMBOL(prb)"))
		err = prb_each(vi, read, read_arg, fn, arg);
	else if (has_key(vi, "SYMBOL(log_first_idx)"))
		err = printk_log_each(vi, read, read_arg, fn, arg);
	else
		return kdk_error(KDK_ERR_NOT_FOUND, "VMCOREINFO names no "
				 "kernel log (neither SYMBOL(prb) nor "
				 "SYMBOL(log_first_idx))");
	return err ? kdk_error_wrap(err, "kernel log") : NULL;
}

static struct kdk_error *target_read(void *arg, uint64_t vaddr, void *buf,
				     size_t len)
{
	return target_read_kvaddr(arg, vaddr, buf, len);
}

struct kdk_error *printk_each(struct target *t, const struct vmcoreinfo *vi,
			      printk_record_fn *fn, void *arg)
{
	return printk_walk(vi, target_read, t, fn, arg);
}
