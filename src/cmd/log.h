/* The kernel log printed as the `log` command prints it, for callers
 * outside the session (`kdumpkit info --dmesg`). */
#ifndef KDK_CMD_LOG_H
#define KDK_CMD_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"

/* Open the dump at path and print its kernel log on out, in crash's
 * layout (or JSON). Errors do not name the path. */
struct kdk_error *log_print_dump_file(const char *path, FILE *out,
				      bool json);

#endif
