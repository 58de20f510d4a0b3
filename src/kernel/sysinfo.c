#include "kernel/sysinfo.h"

#include <stdio.h>
#include <string.h>

#include "dump/vmcoreinfo.h"

/* Kernel wall-clock seconds between 2000 and 2100: anything else read
 * where the timekeeper should be means the layout was not the one
 * expected. */
#define PLAUSIBLE_TIME_MIN	946684800LL
#define PLAUSIBLE_TIME_MAX	4102444800LL

/* True if err is NULL; frees it otherwise (a lookup that may fail). */
static bool succeeded(struct kdk_error *err)
{
	kdk_error_free(err);
	return err == NULL;
}

struct kdk_error *sysinfo_symbol(const struct dump *d,
				 const struct symtab *st, const char *name,
				 uint64_t *addr)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(d);
	struct kdk_error *err;

	if (vi) {
		err = vmcoreinfo_symbol(vi, name, addr);
		if (!err)
			return NULL;
		kdk_error_free(err);
	}
	if (!st)
		return kdk_error(KDK_ERR_NOT_FOUND, "%s: not in VMCOREINFO and "
				 "no kallsyms", name);
	return sym_lookup_name(st, name, addr);
}

/* Read an unsigned value of size bytes at a symbol (+ offset). */
static bool read_sym(struct dump *d, struct target *t,
		     const struct symtab *st, const char *name,
		     uint64_t offset, size_t size, uint64_t *value)
{
	struct kdk_error *err;
	uint64_t addr;

	*value = 0;
	if (!t)
		return false;
	err = sysinfo_symbol(d, st, name, &addr);
	if (!err)
		err = target_read_kvaddr(t, addr + offset, value, size);
	kdk_error_free(err);
	return err == NULL;
}

static void copy_field(char *dst, const char *src)
{
	memcpy(dst, src, SYSINFO_UTS_LEN);
	dst[SYSINFO_UTS_LEN - 1] = '\0';
}

/* init_uts_ns.name, a struct new_utsname of six 65-byte strings
 * (sysname, nodename, release, version, machine, domainname).
 * VMCOREINFO gives the offset of name; since 5.11 it is 0 (the kref
 * before it went), before that 4. */
static void read_uts(struct dump *d, struct target *t,
		     const struct symtab *st, struct sysinfo *out)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(d);
	char uts[SYSINFO_UTS_LEN * 5];
	struct kdk_error *err;
	uint64_t addr, off = 0;

	if (!t || !succeeded(sysinfo_symbol(d, st, "init_uts_ns", &addr)))
		return;
	if (vi) {
		err = vmcoreinfo_offset(vi, "uts_namespace.name", &off);
		if (err) {
			kdk_error_free(err);
			off = 0;
		}
	}
	err = target_read_kvaddr(t, addr + off, uts, sizeof(uts));
	if (err) {
		kdk_error_free(err);
		return;
	}
	copy_field(out->sysname, uts);
	copy_field(out->nodename, uts + SYSINFO_UTS_LEN);
	copy_field(out->release, uts + 2 * SYSINFO_UTS_LEN);
	copy_field(out->version, uts + 3 * SYSINFO_UTS_LEN);
	copy_field(out->machine, uts + 4 * SYSINFO_UTS_LEN);
	out->has_uts = strcmp(out->sysname, "Linux") == 0;
}

/*
 * When the kernel died. kdump's crash_save_vmcoreinfo() appends
 * CRASHTIME at the panic; a dump taken from outside (QEMU) has none,
 * and then the timekeeper's xtime_sec is the wall clock of the last
 * tick. tk_core (kernel/time/timekeeping.c) is a seqcount_raw_spinlock_t
 * (4 bytes, padded to 8) and a struct timekeeper, which begins with two
 * struct tk_read_base of 56 bytes (clock, mask, cycle_last, mult, shift,
 * xtime_nsec, base, base_real) and then xtime_sec: offset 120 on 64-bit
 * kernels from 4.19 through 6.1 (checked against the DWARF of
 * 6.1.0-56-cloud-amd64). A value outside 2000..2100 is refused.
 */
#define TK_CORE_XTIME_SEC	120

static void read_crash_time(struct dump *d, struct target *t,
			    const struct symtab *st, struct sysinfo *out)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(d);
	const struct dump_facts *f = dump_facts(d);
	struct kdk_error *err;
	uint64_t xtime;
	int64_t ct;

	if (vi) {
		err = vmcoreinfo_decimal(vi, "CRASHTIME", &ct);
		if (!err && ct > 0) {
			out->crash_time = ct;
			out->time_source = SYSINFO_TIME_CRASHTIME;
			return;
		}
		kdk_error_free(err);
	}
	if (read_sym(d, t, st, "tk_core", TK_CORE_XTIME_SEC, 8, &xtime) &&
	    (int64_t)xtime >= PLAUSIBLE_TIME_MIN &&
	    (int64_t)xtime < PLAUSIBLE_TIME_MAX) {
		out->crash_time = xtime;
		out->time_source = SYSINFO_TIME_XTIME;
		return;
	}
	if (f->timestamp > 0) {
		out->crash_time = f->timestamp;
		out->time_source = SYSINFO_TIME_HEADER;
	}
}

/*
 * HZ is in no VMCOREINFO line. tick_nsec (kernel/time/ntp.c, until 6.12)
 * is the length of a tick in nanoseconds: TICK_NSEC at boot, then NTP's
 * adjustment of it, always within a fraction of a percent of 10^9 / HZ;
 * the nearest HZ the kernel can be built with is the one.
 */
static void read_hz(struct dump *d, struct target *t,
		    const struct symtab *st, struct sysinfo *out)
{
	static const unsigned int choices[] = { 100, 250, 300, 1000 };
	uint64_t tick_nsec;

	if (!read_sym(d, t, st, "tick_nsec", 0, 8, &tick_nsec) || !tick_nsec)
		return;
	for (size_t i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		uint64_t want = 1000000000ULL / choices[i];

		if (tick_nsec > want - want / 100 &&
		    tick_nsec < want + want / 100) {
			out->hz = choices[i];
			out->has_hz = true;
			return;
		}
	}
}

/* jiffies_64 starts at INITIAL_JIFFIES, (unsigned int)(-300 * HZ), so
 * that 32-bit jiffies wrap five minutes after boot (include/linux/
 * jiffies.h); on 64-bit kernels `jiffies` is the same word. */
static void read_uptime(struct dump *d, struct target *t,
			const struct symtab *st, struct sysinfo *out)
{
	uint64_t initial, ticks;

	out->has_jiffies = read_sym(d, t, st, "jiffies_64", 0, 8,
				    &out->jiffies) ||
			   read_sym(d, t, st, "jiffies", 0, 8, &out->jiffies);
	if (!out->has_jiffies || !out->has_hz)
		return;
	initial = (uint32_t)(-300 * (int64_t)out->hz);
	ticks = out->jiffies - initial;
	out->uptime_s = ticks / out->hz;
	out->uptime_ms = ticks * 1000 / out->hz;
	out->has_uptime = true;
}

static int popcount_mask(struct dump *d, struct target *t,
			 const struct symtab *st, const char *name)
{
	uint64_t words[4];
	struct kdk_error *err;
	uint64_t addr;
	int n = 0;

	if (!t || !succeeded(sysinfo_symbol(d, st, name, &addr)))
		return 0;
	err = target_read_kvaddr(t, addr, words, sizeof(words));
	if (err) {
		kdk_error_free(err);
		return 0;
	}
	for (size_t i = 0; i < 4; i++)
		n += __builtin_popcountll(words[i]);
	return n;
}

/* crash counts the CPUs present, not those online: a panic takes the
 * other CPUs offline (smp_send_stop) before the dump is written. */
static void read_cpus(struct dump *d, struct target *t,
		      const struct symtab *st, struct sysinfo *out)
{
	const struct dump_facts *f = dump_facts(d);

	out->cpus_online = popcount_mask(d, t, st, "__cpu_online_mask");
	out->cpus = popcount_mask(d, t, st, "__cpu_present_mask");
	if (!out->cpus)
		out->cpus = popcount_mask(d, t, st, "__cpu_possible_mask");
	if (!out->cpus && f->nr_cpus > 0)
		out->cpus = f->nr_cpus;
	if (!out->cpus)
		out->cpus = dump_cpu_count(d);
}

/* max_pfn is one past the highest page of RAM, holes included, as a
 * machine's memory size is told; RAM starts at min_low_pfn, which is 0 on
 * x86_64 but PHYS_OFFSET's page on arm64 (arch/arm64/mm/init.c). Without
 * max_pfn, the dump's own ranges. */
static void read_memory(struct dump *d, struct target *t,
			const struct symtab *st, struct sysinfo *out)
{
	const struct dump_range *r;
	uint64_t max_pfn, min_pfn, total = 0;
	size_t n;

	if (!read_sym(d, t, st, "min_low_pfn", 0, 8, &min_pfn))
		min_pfn = 0;
	if (read_sym(d, t, st, "max_pfn", 0, 8, &max_pfn) &&
	    max_pfn > min_pfn && out->page_size) {
		out->memory_bytes = (max_pfn - min_pfn) * out->page_size;
		out->memory_source = "max_pfn";
		out->has_memory = true;
		return;
	}
	r = dump_ranges(d, &n);
	for (size_t i = 0; i < n; i++)
		total += r[i].end - r[i].start;
	if (total) {
		out->memory_bytes = total;
		out->memory_source = "dump ranges";
		out->has_memory = true;
	}
}

void sysinfo_read(struct dump *d, struct target *t, const struct symtab *st,
		  struct sysinfo *out)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(d);
	struct kdk_error *err;
	int64_t page_size;

	memset(out, 0, sizeof(*out));
	/* QEMU writes arm64 kdump-compressed dumps in 64K blocks whatever
	 * the kernel's page size: the kernel's own word comes first. */
	out->page_size = dump_facts(d)->page_size;
	if (vi) {
		err = vmcoreinfo_decimal(vi, "PAGESIZE", &page_size);
		if (!err && page_size > 0)
			out->page_size = page_size;
		kdk_error_free(err);
	}
	read_uts(d, t, st, out);
	read_crash_time(d, t, st, out);
	read_hz(d, t, st, out);
	read_uptime(d, t, st, out);
	out->has_avenrun = read_sym(d, t, st, "avenrun", 0, 8,
				    &out->avenrun[0]) &&
			   read_sym(d, t, st, "avenrun", 8, 8,
				    &out->avenrun[1]) &&
			   read_sym(d, t, st, "avenrun", 16, 8,
				    &out->avenrun[2]);
	read_cpus(d, t, st, out);
	out->has_nr_threads = read_sym(d, t, st, "nr_threads", 0, 4,
				       &out->nr_threads);
	read_memory(d, t, st, out);
	out->has_taint = read_sym(d, t, st, "tainted_mask", 0, 8,
				  &out->tainted_mask);
	out->has_cpu_khz = read_sym(d, t, st, "cpu_khz", 0, 4,
				    &out->cpu_khz) && out->cpu_khz;
}

void sysinfo_format_memory(uint64_t bytes, char *buf, size_t len)
{
	const uint64_t gb = 1ULL << 30, mb = 1ULL << 20;
	uint64_t next_gb = (bytes + gb - 1) / gb * gb;
	char *dot;

	if (next_gb - bytes <= 64 * mb)
		bytes = next_gb;
	if (bytes >= gb)
		snprintf(buf, len, "%.1f GB", (double)bytes / gb);
	else if (bytes >= mb)
		snprintf(buf, len, "%.1f MB", (double)bytes / mb);
	else
		snprintf(buf, len, "%.1f KB", (double)bytes / 1024);
	dot = strstr(buf, ".0 ");
	if (dot)
		memmove(dot, dot + 2, strlen(dot + 2) + 1);
}
