/* Walking an XArray (include/linux/xarray.h), the radix tree that holds
 * the pid namespace's idr since 4.20, the page cache and more.
 *
 * An entry whose low two bits are 10 is internal: above 4096 it is a
 * node (pointer + 2), below it a sibling or retry marker; an entry whose
 * low bit is 1 is a value, not a pointer. Everything else is an item.
 */
#ifndef KDK_KERNEL_XARRAY_H
#define KDK_KERNEL_XARRAY_H

#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

struct xarray_layout {
	uint64_t shift;		/* offsetof(struct xa_node, shift) */
	uint64_t slots;		/* offsetof(struct xa_node, slots) */
	unsigned int chunk;	/* XA_CHUNK_SIZE: slots per node */
};

typedef struct kdk_error *xarray_fn(void *arg, uint64_t index,
				    uint64_t item);

/* Call fn for each item (non-NULL pointer) under head (xa_head's value),
 * in index order; stops at the first error. */
struct kdk_error *xarray_each(struct target *t, const struct xarray_layout *l,
			      uint64_t head, xarray_fn *fn, void *arg);

#endif
