/* What `sys` and `mach` show about the kernel as a whole: its uname, when
 * it crashed, how long it had run, its load, tasks, CPUs and memory.
 *
 * Every fact is read from the dump's memory through symbols (VMCOREINFO's
 * SYMBOL() lines first, then kallsyms) and fixed kernel layouts that the
 * comments in sysinfo.c justify; a fact that cannot be read is left out
 * (its has_ flag stays false) and never guessed.
 */
#ifndef KDK_KERNEL_SYSINFO_H
#define KDK_KERNEL_SYSINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/symtab.h"
#include "dump/dump.h"
#include "target/target.h"

/* struct new_utsname: six strings of __NEW_UTS_LEN + 1 bytes. */
#define SYSINFO_UTS_LEN 65

enum sysinfo_time_source {
	SYSINFO_TIME_NONE,
	SYSINFO_TIME_CRASHTIME,		/* VMCOREINFO CRASHTIME */
	SYSINFO_TIME_XTIME,		/* the timekeeper's wall clock */
	SYSINFO_TIME_HEADER,		/* the kdump header's timestamp */
};

struct sysinfo {
	/* The kernel's (VMCOREINFO PAGESIZE), else the dump's. */
	uint32_t page_size;

	bool has_uts;
	char sysname[SYSINFO_UTS_LEN];
	char nodename[SYSINFO_UTS_LEN];
	char release[SYSINFO_UTS_LEN];
	char version[SYSINFO_UTS_LEN];
	char machine[SYSINFO_UTS_LEN];

	int64_t crash_time;		/* seconds since the epoch */
	enum sysinfo_time_source time_source;

	bool has_hz;
	unsigned int hz;
	bool has_jiffies;
	uint64_t jiffies;
	bool has_uptime;
	uint64_t uptime_s;		/* (jiffies - INITIAL_JIFFIES) / HZ */
	uint64_t uptime_ms;

	bool has_avenrun;
	uint64_t avenrun[3];		/* fixed point, FSHIFT = 11 */

	int cpus;			/* present; 0: unknown */
	int cpus_online;		/* 0: unknown */
	bool has_nr_threads;
	uint64_t nr_threads;

	bool has_memory;
	uint64_t memory_bytes;
	const char *memory_source;	/* "max_pfn", "dump ranges" */

	bool has_taint;
	uint64_t tainted_mask;		/* add_taint()'s bits */

	bool has_cpu_khz;
	uint64_t cpu_khz;		/* x86: the TSC/CPU frequency */
};

/* The address of a kernel symbol: VMCOREINFO's SYMBOL(name) (which has
 * data symbols even when kallsyms holds text only), else kallsyms (st
 * may be NULL). */
struct kdk_error *sysinfo_symbol(const struct dump *d,
				 const struct symtab *st, const char *name,
				 uint64_t *addr);

/* Fill out with what can be read; never fails for a missing fact. t and
 * st may be NULL (then only the dump's own facts are there). */
void sysinfo_read(struct dump *d, struct target *t, const struct symtab *st,
		  struct sysinfo *out);

/* crash's way of writing a size: "768 MB", "1 GB", "7.5 GB". A total
 * within 64 MB under a whole GB is rounded up to it, as crash does (the
 * firmware holes make a 1 GB machine's max_pfn a little short). */
void sysinfo_format_memory(uint64_t bytes, char *buf, size_t len);

#endif
