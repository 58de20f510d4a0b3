#include "capture/pipeline.h"
#include "capture/page_read.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_PAGES 256

enum slot_state { SLOT_FREE, SLOT_READ, SLOT_COMPRESSING, SLOT_DONE };

struct slot {
	enum slot_state state;
	uint64_t seq;
	size_t n;
	unsigned char *in;
	unsigned char *out;
	size_t out_len;
	struct kdump_page_out *res;
};

struct pipe {
	const struct pipeline_opts *o;
	struct kdump_writer *w;
	struct pipeline_result *r;
	struct slot *slots;
	size_t n_slots;
	size_t out_cap;		/* per slot */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	uint64_t next_compress;	/* seq a worker takes next */
	uint64_t n_batches;	/* known once reading ends */
	bool reading_done;
	bool stop;		/* the writer failed */
	struct kdk_error *write_err;
	struct kdk_error *worker_err;
};

static bool is_zero_page(const unsigned char *p, size_t len)
{
	const uint64_t *w = (const void *)p;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i])
			return false;
	return true;
}

static void compress_batch(struct pipe *p, struct page_compressor *c,
			   struct slot *s)
{
	size_t ps = p->o->page_size, len = 0;
	uint32_t flag = page_codec_flag(p->o->codec);

	for (size_t i = 0; i < s->n; i++) {
		const unsigned char *page = s->in + i * ps;
		size_t n;

		if (p->o->zero_block && is_zero_page(page, ps)) {
			s->res[i] = (struct kdump_page_out){ .zero = true };
			continue;
		}
		n = c ? page_compress(c, page, s->out + len) : 0;
		if (n) {
			s->res[i] = (struct kdump_page_out){ .size = n,
							     .flags = flag };
		} else {
			memcpy(s->out + len, page, ps);
			s->res[i] = (struct kdump_page_out){ .size = ps };
			n = ps;
		}
		len += n;
	}
	s->out_len = len;
}

static void *worker(void *arg)
{
	struct pipe *p = arg;
	struct page_compressor *c = NULL;
	struct kdk_error *err = NULL;

	if (p->o->codec != PAGE_CODEC_NONE)
		err = page_compressor_new(p->o->codec, p->o->page_size, &c);
	pthread_mutex_lock(&p->lock);
	if (err) {
		if (!p->worker_err)
			p->worker_err = err;
		else
			kdk_error_free(err);
		p->stop = true;
		pthread_cond_broadcast(&p->changed);
	}
	for (;;) {
		struct slot *s;

		while (!p->stop && !(p->reading_done &&
				     p->next_compress >= p->n_batches) &&
		       p->slots[p->next_compress % p->n_slots].state != SLOT_READ)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop || (p->reading_done &&
				p->next_compress >= p->n_batches))
			break;
		s = &p->slots[p->next_compress++ % p->n_slots];
		s->state = SLOT_COMPRESSING;
		pthread_mutex_unlock(&p->lock);
		compress_batch(p, c, s);
		pthread_mutex_lock(&p->lock);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	page_compressor_free(c);
	return NULL;
}

static void account(struct pipe *p, const struct slot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->res[i].zero)
			p->r->zero++;
		else if (!s->res[i].flags)
			p->r->raw++;
	}
	p->r->bytes_out += s->out_len;
}

static void *writer(void *arg)
{
	struct pipe *p = arg;
	uint64_t seq = 0;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct slot *s = &p->slots[seq % p->n_slots];
		struct kdk_error *err;

		while (!p->stop && !(p->reading_done && seq >= p->n_batches) &&
		       !(s->state == SLOT_DONE && s->seq == seq))
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop || (p->reading_done && seq >= p->n_batches))
			break;
		pthread_mutex_unlock(&p->lock);
		err = kdump_writer_add(p->w, s->res, s->n, s->out);
		account(p, s);
		p->r->pages_written = kdump_writer_pages_done(p->w);
		if (p->o->progress)
			progress_update(p->o->progress, p->r->pages_written,
					p->r->pages_written * p->o->page_size);
		pthread_mutex_lock(&p->lock);
		if (err) {
			p->write_err = err;
			p->stop = true;
			pthread_cond_broadcast(&p->changed);
			break;
		}
		s->state = SLOT_FREE;
		seq++;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Fill slot s with the next saved pages from *pfn; false at the end. */
static struct kdk_error *fill(struct pipe *p, struct slot *s, uint64_t *pfn)
{
	const struct page_bits *saved = p->o->saved;
	struct kdk_error *err;

	s->n = 0;
	while (s->n < BATCH_PAGES && *pfn < saved->nbits) {
		uint64_t f = (*pfn)++;

		if (!(f % 8) && !saved->bytes[f / 8]) {
			*pfn = f + 8;
			continue;
		}
		if (!page_bits_test(saved, f))
			continue;
		err = capture_read_page(p->o->dump, p->o->page_size, f,
					 s->in + s->n * p->o->page_size);
		if (err)
			return err;
		s->n++;
	}
	p->r->pages_read += s->n;
	p->r->bytes_in += (uint64_t)s->n * p->o->page_size;
	return NULL;
}

static struct kdk_error *read_all(struct pipe *p)
{
	uint64_t pfn = 0, seq = 0;
	struct kdk_error *err = NULL;

	for (;;) {
		struct slot *s = &p->slots[seq % p->n_slots];

		pthread_mutex_lock(&p->lock);
		while (!p->stop && s->state != SLOT_FREE)
			pthread_cond_wait(&p->changed, &p->lock);
		pthread_mutex_unlock(&p->lock);
		if (p->stop)
			break;
		err = fill(p, s, &pfn);
		if (err || !s->n)
			break;
		pthread_mutex_lock(&p->lock);
		s->seq = seq++;
		s->state = SLOT_READ;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
	}
	pthread_mutex_lock(&p->lock);
	p->n_batches = seq;
	p->reading_done = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return err;
}

static bool alloc_slots(struct pipe *p, size_t bound)
{
	size_t ps = p->o->page_size;

	p->slots = calloc(p->n_slots, sizeof(*p->slots));
	if (!p->slots)
		return false;
	/* a page stored as is takes a page, never more */
	p->out_cap = BATCH_PAGES * (bound > ps ? bound : ps);
	for (size_t i = 0; i < p->n_slots; i++) {
		struct slot *s = &p->slots[i];

		s->in = malloc(BATCH_PAGES * ps);
		s->out = malloc(p->out_cap);
		s->res = calloc(BATCH_PAGES, sizeof(*s->res));
		if (!s->in || !s->out || !s->res)
			return false;
	}
	return true;
}

static void free_slots(struct pipe *p)
{
	for (size_t i = 0; p->slots && i < p->n_slots; i++) {
		free(p->slots[i].in);
		free(p->slots[i].out);
		free(p->slots[i].res);
	}
	free(p->slots);
}

static size_t codec_bound(const struct pipeline_opts *o)
{
	struct page_compressor *c;
	size_t bound;

	if (o->codec == PAGE_CODEC_NONE ||
	    page_compressor_new(o->codec, o->page_size, &c))
		return o->page_size * 2;
	bound = page_compress_bound(c);
	page_compressor_free(c);
	return bound;
}

struct kdk_error *pipeline_run(const struct pipeline_opts *o,
			       struct kdump_writer *w,
			       struct pipeline_result *r)
{
	struct pipe p = { .o = o, .w = w, .r = r };
	int n_workers = o->threads > 0 ? o->threads : 1;
	pthread_t *workers = calloc(n_workers, sizeof(*workers));
	pthread_t wt;
	int started = 0;
	bool writer_started = false;
	struct kdk_error *err = NULL;

	*r = (struct pipeline_result){ 0 };
	p.n_slots = 2 * n_workers + 2;
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	if (!workers || !alloc_slots(&p, codec_bound(o))) {
		err = kdk_error(KDK_ERR_NOMEM, "out of memory for %zu batches "
				"of pages", p.n_slots);
		goto out;
	}
	for (; started < n_workers; started++)
		if (pthread_create(&workers[started], NULL, worker, &p))
			break;
	writer_started = !pthread_create(&wt, NULL, writer, &p);
	if (!started || !writer_started) {
		pthread_mutex_lock(&p.lock);
		p.stop = true;
		pthread_cond_broadcast(&p.changed);
		pthread_mutex_unlock(&p.lock);
		err = kdk_error(KDK_ERR_OTHER, "cannot start threads");
	} else {
		/* on a read error, the batches read before it are still
		 * written: the dump ends there */
		err = read_all(&p);
	}
	for (int i = 0; i < started; i++)
		pthread_join(workers[i], NULL);
	if (writer_started)
		pthread_join(wt, NULL);
	if (!err && p.worker_err) {
		err = p.worker_err;
		p.worker_err = NULL;
	}
	if (p.write_err) {
		kdk_error_free(err);
		err = p.write_err;
		r->write_failed = true;
	}
	kdk_error_free(p.worker_err);
out:
	free_slots(&p);
	free(workers);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.changed);
	return err;
}
