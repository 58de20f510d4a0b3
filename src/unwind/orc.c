/* x86_64 ORC tables: decoding and search (orc.h). */
#include <string.h>

#include "unwind/orc.h"

void orc_entry_decode(const unsigned char raw[ORC_ENTRY_SIZE],
		      struct orc_entry *out)
{
	out->sp_offset = (int16_t)(raw[0] | raw[1] << 8);
	out->bp_offset = (int16_t)(raw[2] | raw[3] << 8);
	out->sp_reg = raw[4] & 0xf;
	out->bp_reg = raw[4] >> 4;
	out->type = raw[5] & 0x3;
	out->end = (raw[5] >> 2) & 1;
}

/* The absolute IP of entry i: the int32 is relative to its own address. */
static struct kdk_error *entry_ip(const struct orc_table *t, orc_read_fn *read,
				  void *arg, uint64_t i, uint64_t *ip)
{
	uint64_t where = t->ip_table + 4 * i;
	int32_t rel;
	struct kdk_error *err = read(arg, where, &rel, sizeof(rel));

	if (err)
		return kdk_error_wrap(err, "reading ORC IP table entry %llu",
				      (unsigned long long)i);
	*ip = where + (int64_t)rel;
	return NULL;
}

/* Narrow [*lo, *hi] with the kernel's orc_lookup blocks: entry indexes
 * for every 256-byte block of core kernel text (unwind_init()). */
static struct kdk_error *narrow(const struct orc_table *t, orc_read_fn *read,
				void *arg, uint64_t ip, uint64_t *lo,
				uint64_t *hi)
{
	uint64_t idx;
	uint32_t pair[2];
	struct kdk_error *err;

	if (!t->lookup || ip < t->text_start || ip >= t->text_end)
		return NULL;
	idx = (ip - t->text_start) / ORC_LOOKUP_BLOCK_SIZE;
	if (idx + 1 >= t->lookup_blocks)
		return NULL;
	err = read(arg, t->lookup + 4 * idx, pair, sizeof(pair));
	if (err)
		return kdk_error_wrap(err, "reading orc_lookup[%llu]",
				      (unsigned long long)idx);
	/* Bad lookup data: fall back to the whole table. */
	if (pair[0] > pair[1] || pair[1] >= t->n)
		return NULL;
	*lo = pair[0];
	*hi = pair[1];
	return NULL;
}

struct kdk_error *orc_table_find(const struct orc_table *t, orc_read_fn *read,
				 void *arg, uint64_t ip, struct orc_entry *out,
				 uint64_t *found_ip, bool *found)
{
	uint64_t lo = 0, hi, best = 0, best_ip = 0;
	unsigned char raw[ORC_ENTRY_SIZE];
	struct kdk_error *err;
	bool any = false;

	*found = false;
	if (!t->n)
		return NULL;
	hi = t->n - 1;
	err = narrow(t, read, arg, ip, &lo, &hi);
	if (err)
		return err;
	/* The last entry at or below ip (the table is sorted by IP). */
	while (lo <= hi) {
		uint64_t mid = lo + (hi - lo) / 2, mid_ip = 0;

		err = entry_ip(t, read, arg, mid, &mid_ip);
		if (err)
			return err;
		if (mid_ip <= ip) {
			best = mid;
			best_ip = mid_ip;
			any = true;
			lo = mid + 1;
		} else {
			if (mid == 0)
				break;
			hi = mid - 1;
		}
	}
	if (!any)
		return NULL;
	err = read(arg, t->orc_table + ORC_ENTRY_SIZE * best, raw, sizeof(raw));
	if (err)
		return kdk_error_wrap(err, "reading ORC entry %llu",
				      (unsigned long long)best);
	orc_entry_decode(raw, out);
	if (found_ip)
		*found_ip = best_ip;
	*found = true;
	return NULL;
}
