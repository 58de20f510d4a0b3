/* Physical memory for the unit tests that build page tables: pages made
 * on first touch, read back through the arch layer's read_phys hook. */
#ifndef KDK_TESTS_FAKE_PHYS_H
#define KDK_TESTS_FAKE_PHYS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

#define FAKE_PHYS_PAGES 64

struct fake_phys {
	uint64_t page_size;
	int n;
	uint64_t paddr[FAKE_PHYS_PAGES];
	unsigned char *data[FAKE_PHYS_PAGES];
};

/* The page holding paddr; with make, a zeroed one if there is none yet. */
static inline unsigned char *fake_page(struct fake_phys *m, uint64_t paddr,
				       bool make)
{
	uint64_t base = paddr & ~(m->page_size - 1);

	for (int i = 0; i < m->n; i++)
		if (m->paddr[i] == base)
			return m->data[i];
	if (!make || m->n == FAKE_PHYS_PAGES)
		return NULL;
	m->paddr[m->n] = base;
	m->data[m->n] = calloc(1, m->page_size);
	return m->data[m->n++];
}

/* A read_phys hook (arg: the struct fake_phys); reads may cross pages,
 * and fail as a dump does where no page was made. */
static inline struct kdk_error *fake_phys_read(void *arg, uint64_t paddr,
					       void *buf, size_t len)
{
	struct fake_phys *m = arg;
	unsigned char *p = buf;

	while (len) {
		unsigned char *page = fake_page(m, paddr, false);
		size_t chunk = m->page_size - paddr % m->page_size;

		if (chunk > len)
			chunk = len;
		if (!page)
			return kdk_error(KDK_ERR_NOT_PRESENT, "physical address "
					 "%#llx: not in the dump",
					 (unsigned long long)paddr);
		memcpy(p, page + paddr % m->page_size, chunk);
		p += chunk;
		paddr += chunk;
		len -= chunk;
	}
	return NULL;
}

static inline void fake_phys_free(struct fake_phys *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->data[i]);
	m->n = 0;
}

#endif
