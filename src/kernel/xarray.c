#include "kernel/xarray.h"

#include <inttypes.h>
#include <stdlib.h>

/* 64-bit indexes, 6 bits a level at least: deeper is corruption. */
#define MAX_DEPTH 12

static int is_internal(uint64_t e)
{
	return (e & 3) == 2;
}

static int is_node(uint64_t e)
{
	return is_internal(e) && e > 4096;
}

static struct kdk_error *walk(struct target *t, const struct xarray_layout *l,
			      uint64_t node, uint64_t base, int depth,
			      xarray_fn *fn, void *arg)
{
	struct kdk_error *err;
	uint64_t *slots;
	uint8_t shift;

	if (depth > MAX_DEPTH)
		return kdk_error(KDK_ERR_FORMAT, "xa_node at 0x%" PRIx64
				 ": deeper than %d levels", node, MAX_DEPTH);
	err = target_read_kvaddr(t, node + l->shift, &shift, 1);
	if (err)
		return kdk_error_wrap(err, "xa_node");
	if (shift >= 64)
		return kdk_error(KDK_ERR_FORMAT, "xa_node at 0x%" PRIx64
				 ": shift %u", node, shift);
	slots = malloc(l->chunk * sizeof(*slots));
	if (!slots)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = target_read_kvaddr(t, node + l->slots, slots,
				 l->chunk * sizeof(*slots));
	for (unsigned int i = 0; !err && i < l->chunk; i++) {
		uint64_t e = slots[i], index = base + ((uint64_t)i << shift);

		if (!e || (e & 1) || (is_internal(e) && !is_node(e)))
			continue;
		if (is_node(e)) {
			if (!shift) {
				err = kdk_error(KDK_ERR_FORMAT, "xa_node at 0x%"
						PRIx64 ": a node below the "
						"last level", node);
				break;
			}
			err = walk(t, l, e - 2, index, depth + 1, fn, arg);
		} else {
			err = fn(arg, index, e);
		}
	}
	free(slots);
	return err;
}

struct kdk_error *xarray_each(struct target *t, const struct xarray_layout *l,
			      uint64_t head, xarray_fn *fn, void *arg)
{
	if (!head || (head & 1) || (is_internal(head) && !is_node(head)))
		return NULL;
	if (!is_node(head))
		return fn(arg, 0, head);
	if (!l->chunk || l->chunk > 4096)
		return kdk_error(KDK_ERR_FORMAT, "xa_node has %u slots",
				 l->chunk);
	return walk(t, l, head - 2, 0, 0, fn, arg);
}
