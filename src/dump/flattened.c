#include "dump/flattened.h"

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_TYPE 1		/* TYPE_FLAT_HEADER in makedumpfile.h */
#define FLAT_VERSION 1		/* VERSION_FLAT_HEADER */
#define FLAT_END_MARK (-1)	/* END_FLAG_FLAT_HEADER */

struct flat_view {
	struct dump_source *container;
	struct flat_extent *ext;
	size_t n_ext;
	bool complete;		/* the end marker was seen */
};

bool flat_probe(const void *head, size_t len)
{
	const unsigned char *h = head;
	uint64_t type, version;

	if (len < 32 || memcmp(h, FLAT_SIGNATURE, sizeof(FLAT_SIGNATURE)) != 0)
		return false;
	memcpy(&type, h + 16, 8);
	memcpy(&version, h + 24, 8);
	return be64toh(type) == FLAT_TYPE && be64toh(version) == FLAT_VERSION;
}

/* --- the index: records in stream order -> disjoint sorted extents --- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorting record numbers by offset; a stable tie-break keeps it defined. */
static int cmp_by_offset(const void *a, const void *b, void *arg)
{
	const struct flat_extent *r = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (r[i].offset != r[j].offset)
		return r[i].offset < r[j].offset ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* Drop repeats from the sorted v; returns how many values are left. */
static size_t unique(uint64_t *v, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (!w || v[w - 1] != v[i])
			v[w++] = v[i];
	return w;
}

/* A max-heap of record numbers: the latest record is on top. */
struct record_heap {
	size_t *v;
	size_t n;
};

static void heap_push(struct record_heap *h, size_t rec)
{
	size_t i = h->n++;

	while (i > 0 && h->v[(i - 1) / 2] < rec) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = rec;
}

static void heap_pop(struct record_heap *h)
{
	size_t last = h->v[--h->n], i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] > h->v[c])
			c++;
		if (h->v[c] <= last)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
}

static void emit(struct flat_extent *ext, size_t *n, uint64_t off,
		 uint64_t size, uint64_t pos)
{
	struct flat_extent *prev = *n ? &ext[*n - 1] : NULL;

	if (prev && prev->offset + prev->size == off &&
	    prev->pos + prev->size == pos) {
		prev->size += size;
		return;
	}
	ext[(*n)++] = (struct flat_extent){ off, size, pos };
}

/*
 * Sweep the boundaries of all records from left to right. Between two
 * boundaries the bytes come from the latest record that covers them: the top
 * of a heap of the records started so far, once the ended ones are popped.
 */
static void sweep(const struct flat_extent *rec, const size_t *order, size_t m,
		  const uint64_t *bound, size_t nb, struct record_heap *heap,
		  struct flat_extent *ext, size_t *n_ext)
{
	size_t j = 0;

	for (size_t k = 0; k + 1 < nb; k++) {
		uint64_t b = bound[k], e = bound[k + 1];
		const struct flat_extent *top;

		while (j < m && rec[order[j]].offset <= b)
			heap_push(heap, order[j++]);
		while (heap->n && rec[heap->v[0]].offset +
				  rec[heap->v[0]].size <= b)
			heap_pop(heap);
		if (!heap->n)
			continue;
		top = &rec[heap->v[0]];
		emit(ext, n_ext, b, e - b, top->pos + (b - top->offset));
	}
}

struct kdk_error *flat_index_build(const struct flat_extent *records, size_t n,
				   struct flat_extent **extents,
				   size_t *n_extents)
{
	size_t *order = malloc((n + 1) * sizeof(*order));
	uint64_t *bound = malloc((2 * n + 1) * sizeof(*bound));
	struct record_heap heap = { malloc((n + 1) * sizeof(size_t)), 0 };
	struct flat_extent *ext = malloc((2 * n + 1) * sizeof(*ext));
	size_t m = 0, nb = 0, n_ext = 0;

	if (!order || !bound || !heap.v || !ext) {
		free(ext);
		ext = NULL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!records[i].size)
			continue;
		order[m++] = i;
		bound[nb++] = records[i].offset;
		bound[nb++] = records[i].offset + records[i].size;
	}
	qsort_r(order, m, sizeof(*order), cmp_by_offset, (void *)records);
	qsort(bound, nb, sizeof(*bound), cmp_u64);
	nb = unique(bound, nb);
	sweep(records, order, m, bound, nb, &heap, ext, &n_ext);
out:
	free(order);
	free(bound);
	free(heap.v);
	if (!ext)
		return kdk_error(KDK_ERR_NOMEM, "out of memory indexing "
				 "%zu flattened records", n);
	*extents = ext;
	*n_extents = n_ext;
	return NULL;
}

size_t flat_index_find(const struct flat_extent *ext, size_t n, uint64_t offset)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ext[mid].offset + ext[mid].size <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* --- reading the records of a stream --- */

struct record_list {
	struct flat_extent *v;
	size_t n, cap;
};

static bool record_add(struct record_list *l, struct flat_extent r)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		void *v = realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = r;
	return true;
}

/* Read the record header at *pos. Returns NULL and sets *done at the end
 * marker or at the end of the file (*problem says which went wrong). */
static struct kdk_error *next_record(const struct dump_source *c, uint64_t *pos,
				     size_t nr, struct flat_extent *rec,
				     bool *done, char **problem)
{
	uint64_t be[2];
	struct kdk_error *err;
	int64_t off, size;
	uint64_t avail;

	if (c->size - *pos < sizeof(be)) {
		*done = true;
		return asprintf(problem, "the flattened stream stops after "
				"%zu records, without its end marker", nr) < 0 ?
			kdk_error(KDK_ERR_NOMEM, "out of memory") : NULL;
	}
	err = dump_source_read(c, *pos, be, sizeof(be));
	if (err)
		return err;
	off = (int64_t)be64toh(be[0]);
	size = (int64_t)be64toh(be[1]);
	if (off == FLAT_END_MARK) {
		*done = true;
		return NULL;
	}
	if (off < 0 || size < 0 || (uint64_t)off + (uint64_t)size < (uint64_t)off)
		return kdk_error(KDK_ERR_FORMAT, "flattened record %zu at file "
			"offset 0x%llx is corrupt (offset %lld, size %lld)", nr,
			(unsigned long long)*pos, (long long)off, (long long)size);
	*pos += sizeof(be);
	avail = c->size - *pos;
	*rec = (struct flat_extent){ off, size, *pos };
	if ((uint64_t)size <= avail) {
		*pos += size;
		return NULL;
	}
	rec->size = avail;
	*pos = c->size;
	*done = true;
	return asprintf(problem, "the flattened stream stops inside record %zu "
			"(%lld of its %lld bytes for offset 0x%llx are there) and "
			"has no end marker", nr, (long long)avail, (long long)size,
			(unsigned long long)off) < 0 ?
		kdk_error(KDK_ERR_NOMEM, "out of memory") : NULL;
}

static struct kdk_error *read_records(const struct dump_source *c,
				      struct record_list *l, char **problem)
{
	uint64_t pos = FLAT_HEADER_SIZE;
	struct kdk_error *err;
	bool done = false;

	if (c->size < FLAT_HEADER_SIZE)
		return kdk_error(KDK_ERR_FORMAT, "truncated: a flattened file "
			"starts with a %d-byte header, this file has %llu bytes",
			FLAT_HEADER_SIZE, (unsigned long long)c->size);
	while (!done) {
		struct flat_extent rec = { 0 };

		err = next_record(c, &pos, l->n, &rec, &done, problem);
		if (err)
			return err;
		if (rec.size && !record_add(l, rec))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	return NULL;
}

/* --- the source --- */

/* Bytes in the hole [off, off + len) that no record wrote. */
static struct kdk_error *read_hole(const struct dump_source *src,
				   const struct flat_view *v, uint64_t off,
				   void *buf, size_t len)
{
	if (!v->complete || off >= src->size)
		return kdk_error(KDK_ERR_NOT_PRESENT, "beyond the end of a "
			"truncated file (offset 0x%llx of the reassembled dump "
			"is in no record of the flattened stream)",
			(unsigned long long)off);
	/* makedumpfile -R leaves never-written bytes as zeros */
	memset(buf, 0, len);
	return NULL;
}

static struct kdk_error *flat_read(const struct dump_source *src, uint64_t off,
				   void *buf, size_t len)
{
	const struct flat_view *v = src->priv;
	size_t i = flat_index_find(v->ext, v->n_ext, off);
	unsigned char *p = buf;

	while (len) {
		const struct flat_extent *e = i < v->n_ext ? &v->ext[i] : NULL;
		uint64_t stop = e ? e->offset : UINT64_MAX;
		size_t chunk;
		struct kdk_error *err;

		if (e && off >= e->offset) {
			chunk = len < e->offset + e->size - off ?
				len : e->offset + e->size - off;
			err = dump_source_read(v->container,
					       e->pos + (off - e->offset), p, chunk);
			i++;
		} else {
			chunk = len < stop - off ? len : stop - off;
			err = read_hole(src, v, off, p, chunk);
		}
		if (err)
			return err;
		p += chunk;
		off += chunk;
		len -= chunk;
	}
	return NULL;
}

static void flat_advise(const struct dump_source *src, enum dump_access how)
{
	const struct flat_view *v = src->priv;

	dump_source_advise(v->container, how);
}

static void flat_close(struct dump_source *src)
{
	struct flat_view *v = src->priv;

	dump_source_close(v->container);
	free(v->ext);
	free(v);
}

static const struct dump_source_ops flat_ops = {
	.read = flat_read,
	.advise = flat_advise,
	.close = flat_close,
};

static struct kdk_error *index_stream(struct dump_source *container,
				      struct flat_view *v, char **problem,
				      uint64_t *n_records)
{
	struct record_list l = { 0 };
	struct kdk_error *err;

	/* the record headers are spread over the whole file, in order */
	dump_source_advise(container, DUMP_ACCESS_SEQUENTIAL);
	err = read_records(container, &l, problem);
	dump_source_advise(container, DUMP_ACCESS_RANDOM);
	if (!err)
		err = flat_index_build(l.v, l.n, &v->ext, &v->n_ext);
	*n_records = l.n;
	free(l.v);
	v->complete = !*problem;
	return err;
}

struct kdk_error *dump_source_open_flattened(struct dump_source *container,
					     struct dump_source **out,
					     uint64_t *n_records)
{
	struct flat_view *v = calloc(1, sizeof(*v));
	struct dump_source *src = calloc(1, sizeof(*src));
	struct kdk_error *err;
	char *problem = NULL;

	if (!v || !src) {
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		goto fail;
	}
	err = index_stream(container, v, &problem, n_records);
	if (err)
		goto fail;
	v->container = container;
	*src = (struct dump_source){ .ops = &flat_ops, .priv = v,
				     .problem = problem };
	if (v->n_ext)
		src->size = v->ext[v->n_ext - 1].offset +
			    v->ext[v->n_ext - 1].size;
	*out = src;
	return NULL;
fail:
	free(problem);
	if (v)
		free(v->ext);
	free(v);
	free(src);
	dump_source_close(container);
	return err;
}
