#include "base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Returned when even the error cannot be allocated; never freed. */
static struct kdk_error out_of_memory = {
	.code = KDK_ERR_NOMEM,
	.msg = "out of memory",
};

static struct kdk_error *error_vnew(enum kdk_error_code code,
				    const char *fmt, va_list ap)
{
	struct kdk_error *err = calloc(1, sizeof(*err));

	if (!err)
		return &out_of_memory;
	err->code = code;
	if (vasprintf(&err->msg, fmt, ap) < 0) {
		free(err);
		return &out_of_memory;
	}
	return err;
}

struct kdk_error *kdk_error(enum kdk_error_code code, const char *fmt, ...)
{
	struct kdk_error *err;
	va_list ap;

	va_start(ap, fmt);
	err = error_vnew(code, fmt, ap);
	va_end(ap);
	return err;
}

struct kdk_error *kdk_error_errno(const char *fmt, ...)
{
	int saved = errno;
	struct kdk_error *err;
	char *what;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (n < 0)
		return &out_of_memory;
	err = kdk_error(KDK_ERR_IO, "%s: %s", what, strerror(saved));
	free(what);
	if (err != &out_of_memory)
		err->sys_errno = saved;
	return err;
}

struct kdk_error *kdk_error_wrap(struct kdk_error *err, const char *fmt, ...)
{
	char *prefix, *msg;
	va_list ap;
	int n;

	if (!err || err == &out_of_memory)
		return err;
	va_start(ap, fmt);
	n = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (n < 0)
		return err;
	n = asprintf(&msg, "%s: %s", prefix, err->msg);
	free(prefix);
	if (n < 0)
		return err;
	free(err->msg);
	err->msg = msg;
	return err;
}

void kdk_error_free(struct kdk_error *err)
{
	if (!err || err == &out_of_memory)
		return;
	free(err->msg);
	free(err);
}

int kdk_error_report(struct kdk_error *err, FILE *f)
{
	int status = err->code == KDK_ERR_USAGE ? 2 : 1;

	fprintf(f, "kdumpkit: %s\n", err->msg);
	kdk_error_free(err);
	return status;
}
