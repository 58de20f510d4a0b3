/* Where a command's output goes: the session's stdout, a file, or the
 * standard input of a /bin/sh pipeline. */
#ifndef KDK_SHELL_OUTPUT_H
#define KDK_SHELL_OUTPUT_H

#include <stdio.h>

#include "base/error.h"
#include "shell/cmdline.h"

struct output {
	FILE *f;
	enum { OUTPUT_STDOUT, OUTPUT_FILE, OUTPUT_PIPE } kind;
};

struct kdk_error *output_open(const struct cmdline *cl, struct output *o);
/* Close the file or wait for the pipeline; errors say why writing
 * failed (a full disk) but not that a pipeline stopped reading early. */
struct kdk_error *output_close(struct output *o);

#endif
