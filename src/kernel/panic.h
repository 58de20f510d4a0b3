/* Why the kernel died, in its own words: the line of its log that says so. */
#ifndef KDK_KERNEL_PANIC_H
#define KDK_KERNEL_PANIC_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"
#include "target/target.h"

struct panic_cause {
	char line[256];		/* the log line, without its newline; "" */
	bool is_oops;		/* an oops/BUG line, not panic()'s message */
};

/*
 * Search the log for the cause of death. The first oops line wins (a
 * NULL dereference, a BUG(), a general protection fault ...), because
 * panic()'s own message after an oops only says "Fatal exception"; with
 * no oops, the last "Kernel panic - not syncing" line. With a capture
 * kernel loaded an oops goes straight to kdump and panic() never prints,
 * so the oops line is then the only word of the cause.
 */
struct kdk_error *panic_cause_find(struct target *t, struct panic_cause *out);

#endif
