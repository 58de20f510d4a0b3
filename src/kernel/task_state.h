/* A task's state as crash names it (RU IN UN ST TR ZO DE SW ID NE PA WA),
 * with the state bits read from the kernel rather than assumed.
 *
 * fs/proc/array.c's task_state_array[] lists "R (running)", "S
 * (sleeping)", "D (disk sleep)" ... in bit order: entry 0 is the value 0,
 * entry i > 0 the bit 1 << (i - 1). The bits after TASK_PARKED
 * (TASK_DEAD, TASK_WAKEKILL, TASK_WAKING, TASK_NOLOAD, TASK_NEW) are not in
 * the array; since 4.14 they follow it in include/linux/sched.h, which is
 * where crash places them too.
 */
#ifndef KDK_KERNEL_TASK_STATE_H
#define KDK_KERNEL_TASK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "target/target.h"

/* 0 means "not in this kernel" for every bit but running (which is 0). */
struct task_state_bits {
	uint64_t running, interruptible, uninterruptible, stopped, traced;
	uint64_t dead, zombie, parked, wakekill, waking, noload, new_;
	bool from_kernel;		/* read from task_state_array */
};

/* Read task_state_array at addr (a kernel array of char *). */
struct kdk_error *task_state_bits_read(struct target *t, uint64_t addr,
				       struct task_state_bits *out);
/* The layout of Linux 4.14 and later, for kernels whose task_state_array
 * cannot be found (arm64 kallsyms without a vmlinux). */
void task_state_bits_default(struct task_state_bits *out);

/* crash's two-letter name of state (__state | exit_state) into buf (at
 * least 5 bytes): "RU", "IN", "UN", "ID" (TASK_IDLE), "ZO" ..., "??"
 * when no bit is known. */
void task_state_name(const struct task_state_bits *b, uint64_t state,
		     char *buf);

/* crash's long form of state, as `set` shows it: "TASK_RUNNING",
 * "TASK_INTERRUPTIBLE", "TASK_UNINTERRUPTIBLE|TASK_NOLOAD", "TASK_PARKED"
 * ... into buf (64 bytes are always enough); "" when no bit is known. */
void task_state_verbose(const struct task_state_bits *b, uint64_t state,
			char *buf, size_t len);

#endif
