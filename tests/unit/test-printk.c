/* Decoding of the kernel log on rings built in memory the way
 * kernel/printk/printk_ringbuffer.c lays them out (Linux 6.1's offsets,
 * as its VMCOREINFO gives them): descriptor states (reusable, reserved,
 * committed, finalized, an id from an older lap), data blocks that wrap
 * to the start of the ring, text-less records, the dev_printk()
 * dictionary; and the struct printk_log buffer of older kernels, with
 * its wrap marker. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/printk.h"
#include "tap.h"

#define BASE		0xffffffff84800000ULL
#define MEM_SIZE	0x2000
#define OFF_PRB_PTR	0x0
#define OFF_PRB		0x100
#define OFF_DESCS	0x200
#define OFF_INFOS	0x400
#define OFF_DATA	0x800
#define COUNT_BITS	3
#define SIZE_BITS	7
#define DATA_SIZE	(1u << SIZE_BITS)
#define DESC_SIZE	24
#define INFO_SIZE	88
#define STATE_SHIFT	62

static const char vmcoreinfo_6_1[] =
	"SYMBOL(prb)=ffffffff84800000\n"
	"SIZE(printk_ringbuffer)=88\n"
	"OFFSET(printk_ringbuffer.desc_ring)=0\n"
	"OFFSET(printk_ringbuffer.text_data_ring)=48\n"
	"OFFSET(printk_ringbuffer.fail)=80\n"
	"SIZE(prb_desc_ring)=48\n"
	"OFFSET(prb_desc_ring.count_bits)=0\n"
	"OFFSET(prb_desc_ring.descs)=8\n"
	"OFFSET(prb_desc_ring.infos)=16\n"
	"OFFSET(prb_desc_ring.head_id)=24\n"
	"OFFSET(prb_desc_ring.tail_id)=32\n"
	"SIZE(prb_desc)=24\n"
	"OFFSET(prb_desc.state_var)=0\n"
	"OFFSET(prb_desc.text_blk_lpos)=8\n"
	"SIZE(prb_data_blk_lpos)=16\n"
	"OFFSET(prb_data_blk_lpos.begin)=0\n"
	"OFFSET(prb_data_blk_lpos.next)=8\n"
	"SIZE(printk_info)=88\n"
	"OFFSET(printk_info.seq)=0\n"
	"OFFSET(printk_info.ts_nsec)=8\n"
	"OFFSET(printk_info.text_len)=16\n"
	"OFFSET(printk_info.caller_id)=20\n"
	"OFFSET(printk_info.dev_info)=24\n"
	"SIZE(dev_printk_info)=64\n"
	"OFFSET(dev_printk_info.subsystem)=0\n"
	"LENGTH(printk_info_subsystem)=16\n"
	"OFFSET(dev_printk_info.device)=16\n"
	"LENGTH(printk_info_device)=48\n"
	"SIZE(prb_data_ring)=32\n"
	"OFFSET(prb_data_ring.size_bits)=0\n"
	"OFFSET(prb_data_ring.data)=8\n"
	"OFFSET(prb_data_ring.head_lpos)=16\n"
	"OFFSET(prb_data_ring.tail_lpos)=24\n";

struct fake_kernel {
	unsigned char mem[MEM_SIZE];
	uint64_t head_lpos;		/* where the next data block goes */
	uint64_t hole;			/* reads touching it fail; 0: none */
};

static struct kdk_error *fake_read(void *arg, uint64_t vaddr, void *buf,
				   size_t len)
{
	struct fake_kernel *k = arg;

	if (vaddr < BASE || vaddr - BASE + len > MEM_SIZE ||
	    (k->hole && vaddr <= k->hole && k->hole < vaddr + len))
		return kdk_error(KDK_ERR_NOT_PRESENT, "%#llx: page excluded "
				 "from the dump", (unsigned long long)vaddr);
	memcpy(buf, k->mem + (vaddr - BASE), len);
	return NULL;
}

static void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);	/* the tests run little-endian, as kernels do */
}

static void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void ring_init(struct fake_kernel *k, uint64_t tail_id,
		      uint64_t head_id, uint64_t head_lpos)
{
	unsigned char *rb = k->mem + OFF_PRB;

	memset(k->mem, 0, sizeof(k->mem));
	k->hole = 0;
	k->head_lpos = head_lpos;
	put64(k->mem + OFF_PRB_PTR, BASE + OFF_PRB);
	put32(rb + 0, COUNT_BITS);
	put64(rb + 8, BASE + OFF_DESCS);
	put64(rb + 16, BASE + OFF_INFOS);
	put64(rb + 24, head_id);
	put64(rb + 32, tail_id);
	put32(rb + 48, SIZE_BITS);
	put64(rb + 56, BASE + OFF_DATA);
}

/* Store text as data_alloc() does: a block of the id plus the text,
 * aligned to a long, moved to the ring's start if it would cross the
 * end (next is then one lap ahead of begin). */
static void data_alloc(struct fake_kernel *k, uint64_t id, const char *text,
		       uint64_t *begin, uint64_t *next)
{
	uint64_t size = (8 + strlen(text) + 7) & ~7ULL;
	uint64_t b = k->head_lpos, n = b + size, at = b % DATA_SIZE;

	if (b / DATA_SIZE != n / DATA_SIZE) {
		n = (n + DATA_SIZE - 1) / DATA_SIZE * DATA_SIZE + size;
		at = 0;
	}
	put64(k->mem + OFF_DATA + at, id);
	memcpy(k->mem + OFF_DATA + at + 8, text, strlen(text));
	*begin = b;
	*next = n;
	k->head_lpos = n;
}

struct rec {
	uint64_t id;
	uint64_t state_id;		/* the id state_var holds */
	unsigned int state;
	const char *text;		/* NULL: no data block */
	uint16_t text_len;		/* 0: strlen(text) */
	uint8_t level;
	uint32_t caller;
	const char *subsystem, *device;
};

static void desc_put(struct fake_kernel *k, const struct rec *r)
{
	uint64_t slot = r->id & ((1u << COUNT_BITS) - 1);
	unsigned char *d = k->mem + OFF_DESCS + slot * DESC_SIZE;
	unsigned char *in = k->mem + OFF_INFOS + slot * INFO_SIZE;
	uint64_t begin = 3, next = 3;	/* NO_LPOS: no data */

	if (r->text)
		data_alloc(k, r->id, r->text, &begin, &next);
	put64(d, r->state_id | (uint64_t)r->state << STATE_SHIFT);
	put64(d + 8, begin);
	put64(d + 16, next);
	put64(in, 1000 + r->id);			/* seq */
	put64(in + 8, r->id * 1000000123ULL);		/* ts_nsec */
	put16(in + 16, r->text_len ? r->text_len :
	      r->text ? strlen(r->text) : 0);
	in[18] = 0;					/* facility */
	in[19] = (uint8_t)(r->level << 5 | 0x02);	/* level, LOG_NEWLINE */
	put32(in + 20, r->caller);
	if (r->subsystem)
		memcpy(in + 24, r->subsystem, strlen(r->subsystem));
	if (r->device)
		memcpy(in + 40, r->device, strlen(r->device));
}

#define MAX_SEEN 16

struct seen {
	int n;
	struct printk_record r[MAX_SEEN];
	char text[MAX_SEEN][128];
	char subsystem[MAX_SEEN][32], device[MAX_SEEN][64];
};

static struct kdk_error *collect(void *arg, const struct printk_record *r)
{
	struct seen *s = arg;

	if (s->n == MAX_SEEN)
		return kdk_error(KDK_ERR_OTHER, "too many records");
	s->r[s->n] = *r;
	snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s", (int)r->text_len,
		 r->text);
	snprintf(s->subsystem[s->n], sizeof(s->subsystem[0]), "%s",
		 r->subsystem);
	snprintf(s->device[s->n], sizeof(s->device[0]), "%s", r->device);
	s->n++;
	return NULL;
}

static struct vmcoreinfo *parse(const char *text)
{
	struct vmcoreinfo *vi = NULL;
	struct kdk_error *err = vmcoreinfo_parse(text, strlen(text), &vi);

	ok(!err, "VMCOREINFO parses");
	kdk_error_free(err);
	return vi;
}

static void test_lockless_ring(void)
{
	static const char long_text[] = "this text crosses the end of the ring";
	struct fake_kernel *k = calloc(1, sizeof(*k));
	struct vmcoreinfo *vi = parse(vmcoreinfo_6_1);
	struct seen s = { 0 };
	struct kdk_error *err;
	/* ids 5..12 fill the 8 slots; data starts 40 bytes into lap 3 */
	const struct rec recs[] = {
		{ .id = 5, .state_id = 5, .state = 3, .text = "recycled" },
		{ .id = 6, .state_id = 6, .state = 1, .text = "six", .level = 4,
		  .caller = 42 },
		{ .id = 7, .state_id = 7, .state = 2, .text = "first\nsecond",
		  .level = 6, .caller = 0x80000001 },
		{ .id = 8, .state_id = 8, .state = 2, .text = NULL },
		{ .id = 9, .state_id = 9, .state = 0, .text = NULL },
		{ .id = 10, .state_id = 2, .state = 2, .text = NULL },
		{ .id = 11, .state_id = 11, .state = 2, .text = long_text,
		  .subsystem = "pci", .device = "+pci:0000:00:01.0" },
		{ .id = 12, .state_id = 12, .state = 2, .text = "head",
		  .text_len = 200 },
	};

	ring_init(k, 5, 12, 3 * DATA_SIZE + 40);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		desc_put(k, &recs[i]);

	err = printk_walk(vi, fake_read, k, collect, &s);
	ok(!err, "the ring is walked%s%s", err ? ": " : "",
	   err ? err->msg : "");
	kdk_error_free(err);
	ok(s.n == 5, "reusable, reserved and stale slots are left out "
	   "(%d records)", s.n);
	if (s.n == 5) {
		is_str(s.text[0], "six", "a committed record is read");
		ok(s.r[0].seq == 1006 && s.r[0].ts_nsec == 6000000738ULL &&
		   s.r[0].level == 4 && s.r[0].flags == 2 &&
		   s.r[0].has_caller && s.r[0].caller_id == 42,
		   "seq, timestamp, level, flags and caller");
		is_str(s.text[1], "first\nsecond", "a finalized multi-line "
		       "record is read whole");
		ok(s.r[1].caller_id == 0x80000001 && s.r[1].level == 6,
		   "a CPU caller id");
		ok(s.r[2].dataless && s.r[2].text_len == 0,
		   "a record without a data block is text-less");
		is_str(s.text[3], long_text, "a block that wraps is read "
		       "from the start of the ring");
		is_str(s.subsystem[3], "pci", "dev_printk subsystem");
		is_str(s.device[3], "+pci:0000:00:01.0", "dev_printk device");
		is_str(s.text[4], "head", "the head record is included, its "
		       "text cut to its block");
		is_str(s.subsystem[4], "", "no dictionary: empty strings");
	}

	/* A block ending exactly at the end of the ring (next's index 0)
	 * can only be in place: a wrapped block would have no data. */
	ring_init(k, 0, 0, DATA_SIZE - 16);
	desc_put(k, &(struct rec){ .id = 0, .state = 2, .text = NULL });
	put64(k->mem + OFF_DESCS + 8, DATA_SIZE - 16);
	put64(k->mem + OFF_DESCS + 16, DATA_SIZE);
	put16(k->mem + OFF_INFOS + 16, 4);
	memcpy(k->mem + OFF_DATA + DATA_SIZE - 8, "edge", 4);
	s.n = 0;
	err = printk_walk(vi, fake_read, k, collect, &s);
	ok(!err && s.n == 1 && strcmp(s.text[0], "edge") == 0,
	   "a block that ends at the ring's end is read in place");
	kdk_error_free(err);

	/* An unreadable text ring is an error naming it. */
	s.n = 0;
	k->hole = BASE + OFF_DATA + 64;
	err = printk_walk(vi, fake_read, k, collect, &s);
	ok(err && strstr(err->msg, "reading the printk text ring") &&
	   strstr(err->msg, "excluded"), "a hole in the text ring is "
	   "named: %s", err ? err->msg : "(no error)");
	kdk_error_free(err);

	/* head and tail further apart than the ring holds: refused. */
	ring_init(k, 5, 40, 0);
	err = printk_walk(vi, fake_read, k, collect, &s);
	ok(err && err->code == KDK_ERR_FORMAT, "ids further apart than the "
	   "ring's size are refused: %s", err ? err->msg : "(no error)");
	kdk_error_free(err);
	vmcoreinfo_free(vi);

	/* A layout key missing from VMCOREINFO is named. */
	vi = parse("SYMBOL(prb)=ffffffff84800000\n");
	err = printk_walk(vi, fake_read, k, collect, &s);
	ok(err && strstr(err->msg, "SIZE(printk_ringbuffer)"),
	   "a missing key is named: %s", err ? err->msg : "(no error)");
	kdk_error_free(err);
	vmcoreinfo_free(vi);
	free(k);
}

/* Older kernels: struct printk_log { u64 ts_nsec; u16 len, text_len,
 * dict_len; u8 facility; u8 flags:5, level:3; } then text and dict. */
static void test_printk_log(void)
{
	static const char vi_text[] =
		"SYMBOL(log_buf)=ffffffff84800000\n"
		"SYMBOL(log_buf_len)=ffffffff84800008\n"
		"SYMBOL(log_first_idx)=ffffffff8480000c\n"
		"SYMBOL(log_next_idx)=ffffffff84800010\n"
		"SIZE(printk_log)=16\n"
		"OFFSET(printk_log.ts_nsec)=0\n"
		"OFFSET(printk_log.len)=8\n"
		"OFFSET(printk_log.text_len)=10\n"
		"OFFSET(printk_log.dict_len)=12\n";
	struct fake_kernel *k = calloc(1, sizeof(*k));
	struct vmcoreinfo *vi = parse(vi_text);
	unsigned char *buf = k->mem + 0x100;
	struct seen s = { 0 };
	struct kdk_error *err;

	put64(k->mem, BASE + 0x100);
	put32(k->mem + 8, 64);		/* log_buf_len */
	put32(k->mem + 12, 40);		/* first: the older record */
	put32(k->mem + 16, 24);		/* next: after the newer one */
	/* at 40: "old" (len 24), ending at the end of the buffer */
	put64(buf + 40, 1500000000ULL);
	put16(buf + 48, 24);
	put16(buf + 50, 3);
	buf[55] = 3 << 5;
	memcpy(buf + 56, "old", 3);
	/* at 0: "new" (len 24) */
	put64(buf + 0, 2500000000ULL);
	put16(buf + 8, 24);
	put16(buf + 10, 3);
	buf[15] = 6 << 5;
	memcpy(buf + 16, "new", 3);

	err = printk_walk(vi, fake_read, k, collect, &s);
	ok(!err && s.n == 2, "printk_log: two records across the wrap");
	kdk_error_free(err);
	if (s.n == 2) {
		is_str(s.text[0], "old", "printk_log: the oldest first");
		is_str(s.text[1], "new", "printk_log: then the wrapped one");
		ok(s.r[0].level == 3 && s.r[1].level == 6 &&
		   s.r[1].ts_nsec == 2500000000ULL,
		   "printk_log: levels and timestamps");
	}
	vmcoreinfo_free(vi);
	free(k);
}

int main(void)
{
	test_lockless_ring();
	test_printk_log();
	return tap_done();
}
