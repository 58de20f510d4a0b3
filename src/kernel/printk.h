/* The kernel log, read from the dump's memory.
 *
 * Since Linux 5.10 printk writes into a lockless ring
 * (kernel/printk/printk_ringbuffer.c): a ring of descriptors, each with
 * its state in the top two bits of state_var and the logical positions
 * (begin, next) of its text in a ring of data blocks, and a parallel
 * ring of struct printk_info (seq, ts_nsec, text_len, facility,
 * flags:5, level:3, caller_id, dev_info). Before 5.10 the log was one
 * buffer of variable-length struct printk_log records (log_buf,
 * log_first_idx, log_next_idx). VMCOREINFO names either layout with
 * every offset and size a reader needs, so no debuginfo is required.
 *
 * Only 64-bit little-endian kernels are read (x86_64, arm64).
 */
#ifndef KDK_KERNEL_PRINTK_H
#define KDK_KERNEL_PRINTK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "dump/vmcoreinfo.h"
#include "target/target.h"

/* caller_id: a CPU number when this bit is set, else a thread id. */
#define PRINTK_CALLER_CPU	0x80000000u

struct printk_record {
	uint64_t seq;
	uint64_t ts_nsec;		/* local_clock() at printk time */
	uint8_t level;			/* 0 (emerg) .. 7 (debug) */
	uint8_t facility;		/* 0 kernel, 1 user (/dev/kmsg) ... */
	uint8_t flags;			/* LOG_NEWLINE, LOG_CONT ... */
	bool has_caller;		/* the layout has caller_id */
	uint32_t caller_id;
	/* Not NUL-terminated; may hold newlines and any byte. */
	const char *text;
	size_t text_len;
	/* The record has no text block (an empty message, or text the
	 * kernel failed to store): text_len is 0. */
	bool dataless;
	/* dev_printk()'s dictionary, NUL-terminated; "" when none. */
	const char *subsystem;
	const char *device;
};

/* Called once per record, oldest first; a non-NULL return stops the
 * walk and is returned by printk_each(). */
typedef struct kdk_error *printk_record_fn(void *arg,
					   const struct printk_record *r);

/* How the walk reads kernel virtual memory. */
typedef struct kdk_error *printk_read_fn(void *arg, uint64_t vaddr,
					 void *buf, size_t len);

/* Every record of the log, oldest first, through read (a unit test
 * gives a ring built in memory). Errors say which part of the log, at
 * which address, could not be read. */
struct kdk_error *printk_walk(const struct vmcoreinfo *vi,
			      printk_read_fn *read, void *read_arg,
			      printk_record_fn *fn, void *arg);

/* The same on a dump's kernel memory. */
struct kdk_error *printk_each(struct target *t, const struct vmcoreinfo *vi,
			      printk_record_fn *fn, void *arg);

#endif
