/* The kernel log printed as the `log` command prints it, for callers
 * outside the session (`kdumpkit info --dmesg`). */
#ifndef KDK_CMD_LOG_H
#define KDK_CMD_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"

/* Open the dump (one file, or the n parts of a split dump) and print its
 * kernel log on out, in crash's layout (or JSON). Errors name the files
 * only if there are several (dump_open_set()). */
struct kdk_error *log_print_dump_files(const char *const *paths, size_t n,
				       FILE *out, bool json);

#endif
