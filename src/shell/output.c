#include "shell/output.h"

#include <errno.h>

struct kdk_error *output_open(const struct cmdline *cl, struct output *o)
{
	o->kind = OUTPUT_STDOUT;
	o->f = stdout;
	/* What the session printed so far must come before what the
	 * pipeline or the next command prints. */
	fflush(stdout);
	if (cl->file) {
		o->f = fopen(cl->file, cl->append ? "a" : "w");
		if (!o->f)
			return kdk_error_errno("%s", cl->file);
		o->kind = OUTPUT_FILE;
	} else if (cl->pipe) {
		o->f = popen(cl->pipe, "w");
		if (!o->f)
			return kdk_error_errno("running '%s'", cl->pipe);
		o->kind = OUTPUT_PIPE;
	}
	return NULL;
}

struct kdk_error *output_close(struct output *o)
{
	struct kdk_error *err = NULL;
	int failed;

	switch (o->kind) {
	case OUTPUT_STDOUT:
		if (fflush(stdout) != 0 && errno != EPIPE)
			err = kdk_error_errno("writing the output");
		break;
	case OUTPUT_FILE:
		failed = ferror(o->f);
		if (fclose(o->f) != 0 || failed)
			err = kdk_error_errno("writing the output file");
		break;
	case OUTPUT_PIPE:
		/* The pipeline's exit status is its own business, as in
		 * crash: `ps | grep nomatch` is not an error. */
		if (pclose(o->f) < 0)
			err = kdk_error_errno("waiting for the pipeline");
		break;
	}
	o->f = stdout;
	o->kind = OUTPUT_STDOUT;
	return err;
}
