/* Errors that say what was being done and why it failed.
 *
 * A fallible function returns a struct kdk_error * (NULL on success). Each
 * layer the error travels up through may prefix what it was doing, so the
 * user reads the whole story on one line:
 *   "bt: pid 1714: reading stack at ffffc900003b3e40: page excluded from dump"
 */
#ifndef KDK_BASE_ERROR_H
#define KDK_BASE_ERROR_H

#include <stdio.h>

enum kdk_error_code {
	KDK_ERR_OTHER = 1,
	KDK_ERR_NOMEM,
	KDK_ERR_IO,		/* reading or writing a file failed (errno kept) */
	KDK_ERR_FORMAT,		/* the input is not what it claims to be */
	KDK_ERR_USAGE,		/* bad flags or arguments */
	KDK_ERR_NOT_BUILT,	/* the feature does not exist yet */
	KDK_ERR_NOT_FOUND,	/* symbol, type, task, file ... */
	KDK_ERR_NOT_PRESENT,	/* the data is not in the input: memory excluded
				 * from a dump, a hole, a truncated file */
};

struct kdk_error {
	enum kdk_error_code code;
	int sys_errno;		/* errno for KDK_ERR_IO, else 0 */
	char *msg;
};

__attribute__((format(printf, 2, 3)))
struct kdk_error *kdk_error(enum kdk_error_code code, const char *fmt, ...);

/* An I/O error: the message ends with strerror(errno). */
__attribute__((format(printf, 1, 2)))
struct kdk_error *kdk_error_errno(const char *fmt, ...);

/* Prefix "what was being done: " to err's message; returns err. */
__attribute__((format(printf, 2, 3)))
struct kdk_error *kdk_error_wrap(struct kdk_error *err, const char *fmt, ...);

void kdk_error_free(struct kdk_error *err);

/* Print "kdumpkit: MESSAGE" on f, free err, and return the exit status
 * that goes with its code (2 for usage errors, 1 otherwise). */
int kdk_error_report(struct kdk_error *err, FILE *f);

#endif
