/* The flattened index, on synthetic streams: random overlapping records
 * checked against a byte-by-byte replay (what makedumpfile -R does). */
#include <endian.h>
#include <stdlib.h>
#include <unistd.h>

#include "dump/flattened.h"
#include "tap.h"

#define SPACE 8192		/* the reassembled file's bytes */
#define N_RECORDS 300
#define K 100			/* the record a truncated stream stops in */

struct stream {
	struct flat_extent rec[N_RECORDS];
	unsigned char byte[N_RECORDS];	/* every byte of record i is byte[i] */
	size_t n;
};

static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_stream(struct stream *st, uint64_t seed)
{
	st->n = N_RECORDS;
	for (size_t i = 0; i < st->n; i++) {
		uint64_t off = next_random(&seed) % SPACE;
		uint64_t size = next_random(&seed) % 400;

		if (off + size > SPACE)
			size = SPACE - off;
		st->rec[i] = (struct flat_extent){ off, size, 0 };
		st->byte[i] = 1 + i % 250;
	}
}

/* makedumpfile -R: later records overwrite earlier ones. */
static uint64_t replay(const struct stream *st, unsigned char *out,
		       bool *written)
{
	uint64_t end = 0;

	for (size_t i = 0; i < st->n; i++) {
		const struct flat_extent *r = &st->rec[i];

		memset(out + r->offset, st->byte[i], r->size);
		memset(written + r->offset, 1, r->size);
		if (r->size && r->offset + r->size > end)
			end = r->offset + r->size;
	}
	return end;
}

static void put_be64(FILE *f, int64_t v)
{
	uint64_t be = htobe64((uint64_t)v);

	fwrite(&be, 8, 1, f);
}

/* Write st as a flattened file; returns its size. */
static long write_stream(const struct stream *st, const char *path,
			 bool end_marker)
{
	unsigned char header[FLAT_HEADER_SIZE] = "makedumpfile";
	unsigned char data[400];
	FILE *f = fopen(path, "wb");
	long size;

	header[23] = 1;		/* type 1, big-endian */
	header[31] = 1;		/* version 1 */
	fwrite(header, sizeof(header), 1, f);
	for (size_t i = 0; i < st->n; i++) {
		put_be64(f, st->rec[i].offset);
		put_be64(f, st->rec[i].size);
		memset(data, st->byte[i], st->rec[i].size);
		fwrite(data, 1, st->rec[i].size, f);
	}
	if (end_marker) {
		put_be64(f, -1);
		put_be64(f, -1);
	}
	size = ftell(f);
	fclose(f);
	return size;
}

static void test_index_properties(void)
{
	struct flat_extent *ext;
	struct stream st;
	size_t n = 0;
	bool sorted = true;

	random_stream(&st, 42);
	for (size_t i = 0; i < st.n; i++)
		st.rec[i].pos = 1000000 * (i + 1);
	ok(!flat_index_build(st.rec, st.n, &ext, &n), "index builds");
	for (size_t i = 1; i < n; i++)
		if (ext[i].offset < ext[i - 1].offset + ext[i - 1].size)
			sorted = false;
	ok(sorted && n > 0, "extents are sorted and disjoint (%zu of them)", n);
	ok(flat_index_find(ext, n, 0) == 0, "find: offset 0 -> first extent");
	ok(flat_index_find(ext, n, SPACE) == n, "find: past the end -> n");
	free(ext);

	/* a later record wins, even one that starts earlier */
	struct flat_extent two[] = {
		{ .offset = 100, .size = 50, .pos = 1000 },
		{ .offset = 90, .size = 20, .pos = 2000 },
		{ .offset = 120, .size = 0, .pos = 3000 },	/* empty */
		{ .offset = 150, .size = 10, .pos = 1050 },	/* continues #0 */
	};
	ok(!flat_index_build(two, 4, &ext, &n), "small index builds");
	ok(n == 2 && ext[0].offset == 90 && ext[0].size == 20 &&
	   ext[0].pos == 2000 && ext[1].offset == 110 && ext[1].size == 50 &&
	   ext[1].pos == 1010, "overlap resolved, continuation merged (n=%zu)", n);
	free(ext);
}

static void check_reads(const char *path, const struct stream *st,
			bool complete, const char *what)
{
	static unsigned char want[SPACE], got[SPACE];
	static bool written[SPACE];
	struct dump_source *file, *view;
	uint64_t records = 0, end, bad = 0, absent = 0;
	struct kdk_error *err;

	memset(want, 0, sizeof(want));
	memset(written, 0, sizeof(written));
	end = replay(st, want, written);
	err = dump_source_open_file(path, &file);
	if (!err)
		err = dump_source_open_flattened(file, &view, &records);
	ok(!err, "%s: opens", what);
	if (err) {
		kdk_error_free(err);
		return;
	}
	ok(view->size == end, "%s: size is the end of the last byte written "
	   "(%llu, want %llu)", what, (unsigned long long)view->size,
	   (unsigned long long)end);
	ok(complete == !view->problem, "%s: %s", what,
	   view->problem ? view->problem : "complete");
	for (uint64_t off = 0; off < end; off += 97) {
		size_t len = end - off < 97 ? end - off : 97;

		err = dump_source_read(view, off, got, len);
		if (err && err->code == KDK_ERR_NOT_PRESENT && !complete) {
			for (size_t i = 0; i < len; i++) {	/* byte by byte */
				struct kdk_error *e = dump_source_read(view,
							off + i, got + i, 1);

				absent += e != NULL;
				kdk_error_free(e);
			}
		} else if (err) {
			bad++;
		}
		kdk_error_free(err);
		for (size_t i = 0; i < len; i++)	/* holes read as zeros */
			bad += (written[off + i] || complete) && !err &&
			       got[i] != want[off + i];
	}
	ok(!bad, "%s: every byte reads as replayed (%llu bad)", what,
	   (unsigned long long)bad);
	if (!complete && end)
		ok(absent > 0, "%s: bytes of lost records are not present (%llu)",
		   what, (unsigned long long)absent);
	err = dump_source_read(view, end, got, 1);
	ok(err && err->code == KDK_ERR_NOT_PRESENT, "%s: past the end: %s", what,
	   err ? err->msg : "no error");
	kdk_error_free(err);
	dump_source_close(view);
}

static void test_streams(void)
{
	char path[] = "/tmp/kdk-test-flattened-XXXXXX";
	struct stream st;
	long size;
	int fd = mkstemp(path);

	close(fd);
	random_stream(&st, 7);
	write_stream(&st, path, true);
	check_reads(path, &st, true, "complete stream");

	/* cut inside record k: the records before it all count */
	size = FLAT_HEADER_SIZE;
	for (size_t i = 0; i < K; i++)
		size += 16 + st.rec[i].size;
	size += 16 + st.rec[K].size / 2;
	write_stream(&st, path, true);
	ok(truncate(path, size) == 0, "truncate");
	st.rec[K].size /= 2;
	st.n = K + 1;
	check_reads(path, &st, false, "truncated stream");

	/* only the header */
	ok(truncate(path, FLAT_HEADER_SIZE) == 0, "truncate to the header");
	st.n = 0;
	check_reads(path, &st, false, "header only");
	unlink(path);
}

int main(void)
{
	unsigned char head[32] = "makedumpfile";

	ok(!flat_probe(head, sizeof(head)), "probe wants type and version");
	head[23] = head[31] = 1;
	ok(flat_probe(head, sizeof(head)), "probe accepts makedumpfile, 1, 1");
	test_index_properties();
	test_streams();
	return tap_done();
}
