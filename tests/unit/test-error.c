#include <errno.h>
#include <stdlib.h>

#include "base/error.h"
#include "tap.h"

int main(void)
{
	struct kdk_error *err;

	err = kdk_error(KDK_ERR_FORMAT, "page %#lx excluded from dump", 0x1000UL);
	err = kdk_error_wrap(err, "reading stack at %s", "ffffc900003b3e40");
	err = kdk_error_wrap(err, "bt: pid %d", 1714);
	is_str(err->msg, "bt: pid 1714: reading stack at ffffc900003b3e40: "
	       "page 0x1000 excluded from dump", "wrap prefixes each layer's context");
	ok(err->code == KDK_ERR_FORMAT, "wrapping keeps the code");
	kdk_error_free(err);

	errno = ENOENT;
	err = kdk_error_errno("opening %s", "/nonexistent");
	is_str(err->msg, "opening /nonexistent: No such file or directory",
	       "errno errors end with strerror");
	ok(err->sys_errno == ENOENT && err->code == KDK_ERR_IO, "errno is kept");
	kdk_error_free(err);

	ok(kdk_error_wrap(NULL, "x") == NULL, "wrapping no error is no error");

	err = kdk_error(KDK_ERR_USAGE, "bad flag");
	FILE *f = tmpfile();
	ok(kdk_error_report(err, f) == 2, "usage errors exit 2");
	rewind(f);
	char line[64] = "";
	ok(fgets(line, sizeof(line), f) && strcmp(line, "kdumpkit: bad flag\n") == 0,
	   "report prints one line with the program name");
	fclose(f);
	return tap_done();
}
