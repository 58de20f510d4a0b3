/* Pieces of `kdumpkit makedump` shared between its files. */
#ifndef KDK_CAPTURE_MAKEDUMP_H
#define KDK_CAPTURE_MAKEDUMP_H

#include <stdbool.h>

#include "base/error.h"

/* makedump -R: the flattened stream on fd, replayed into out (through
 * out.incomplete, renamed once the end marker is in). */
struct kdk_error *makedump_reassemble(int fd, const char *out, bool verbose);

#endif
