/* sys: the system the dump came from, in crash's layout: one fact a
 * line, the labels right-aligned in twelve columns. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "kernel/ikconfig.h"
#include "kernel/panic.h"
#include "kernel/sysinfo.h"
#include "kernel/taint.h"

#define UNKNOWN "(unknown)"

/* crash's "days, hh:mm:ss". */
static void format_uptime(uint64_t secs, char *buf, size_t len)
{
	uint64_t days = secs / 86400;
	unsigned int h = secs / 3600 % 24, m = secs / 60 % 60, s = secs % 60;

	if (days)
		snprintf(buf, len, "%" PRIu64 " day%s, %02u:%02u:%02u", days,
			 days == 1 ? "" : "s", h, m, s);
	else
		snprintf(buf, len, "%02u:%02u:%02u", h, m, s);
}

static void format_date(int64_t when, char *buf, size_t len)
{
	time_t t = when;
	struct tm tm;

	if (!when || !localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%a %b %e %H:%M:%S %Z %Y", &tm))
		snprintf(buf, len, UNKNOWN);
}

/* /proc/loadavg's rounding: FIXED_1/200 added before the cut to two
 * decimals (kernel/sched/loadavg.c, fs/proc/loadavg.c). */
static void format_load(const uint64_t *avenrun, char *buf, size_t len)
{
	int n = 0;

	for (int i = 0; i < 3; i++) {
		uint64_t x = avenrun[i] + (1 << 11) / 200;

		n += snprintf(buf + n, len - n, "%s%" PRIu64 ".%02" PRIu64,
			      i ? ", " : "", x >> 11,
			      ((x & 2047) * 100) >> 11);
	}
}

static const char *time_source_name(enum sysinfo_time_source src)
{
	switch (src) {
	case SYSINFO_TIME_CRASHTIME:
		return "VMCOREINFO CRASHTIME";
	case SYSINFO_TIME_XTIME:
		return "timekeeper";
	case SYSINFO_TIME_HEADER:
		return "dump header";
	default:
		return NULL;
	}
}

struct sys_text {
	char date[64], uptime[48], load[48], memory[32], machine[96];
	char tasks[32], cpus[48];
};

static void format_all(const struct sysinfo *si, struct sys_text *x)
{
	format_date(si->crash_time, x->date, sizeof(x->date));
	if (si->has_uptime)
		format_uptime(si->uptime_s, x->uptime, sizeof(x->uptime));
	else
		snprintf(x->uptime, sizeof(x->uptime), "%s", si->has_jiffies ?
			 "(unknown: HZ not found)" : UNKNOWN);
	if (si->has_avenrun)
		format_load(si->avenrun, x->load, sizeof(x->load));
	else
		snprintf(x->load, sizeof(x->load), UNKNOWN);
	if (si->has_memory)
		sysinfo_format_memory(si->memory_bytes, x->memory,
				      sizeof(x->memory));
	else
		snprintf(x->memory, sizeof(x->memory), UNKNOWN);
	/* Every thread plus one idle task per CPU, which are not counted
	 * in nr_threads. */
	if (si->has_nr_threads && si->cpus)
		snprintf(x->tasks, sizeof(x->tasks), "%" PRIu64,
			 si->nr_threads + si->cpus);
	else
		snprintf(x->tasks, sizeof(x->tasks), UNKNOWN);
	if (si->cpus && si->cpus_online && si->cpus_online < si->cpus)
		snprintf(x->cpus, sizeof(x->cpus), "%d [OFFLINE: %d]",
			 si->cpus, si->cpus - si->cpus_online);
	else if (si->cpus)
		snprintf(x->cpus, sizeof(x->cpus), "%d", si->cpus);
	else
		snprintf(x->cpus, sizeof(x->cpus), UNKNOWN);
	if (si->has_cpu_khz)
		snprintf(x->machine, sizeof(x->machine), "%s  (%" PRIu64
			 " Mhz)", si->machine, si->cpu_khz / 1000);
	else
		snprintf(x->machine, sizeof(x->machine), "%s  (unknown Mhz)",
			 si->has_uts ? si->machine : UNKNOWN);
}

/* crash quotes the panic line, and sends the reader to the log after an
 * oops; when the log cannot be read, say why instead. */
static void format_panic(struct session *s, const struct panic_cause *pc,
			 struct kdk_error *why, char *buf, size_t len)
{
	if (why)
		snprintf(buf, len, "(unknown: %s)", why->msg);
	else if (!s->target)
		snprintf(buf, len, "(unknown: no kernel memory to read the log from)");
	else
		snprintf(buf, len, "\"%s\"%s", pc->line,
			 pc->is_oops ? " (check log for details)" : "");
}

/* crash's DUMPFILE line; for a split dump (diskdump.c:
 * show_split_dumpfiles()) DUMPFILES, one part a line in the order given,
 * each with its own marks. */
static void print_dumpfiles(struct session *s, bool partial)
{
	const struct dump_facts *f = dump_facts(s->dump);
	FILE *o = s->out;

	if (!f->split_parts || !s->n_dump_paths) {
		fprintf(o, "%12s: %s%s\n", "DUMPFILE", s->dump_path,
			partial ? "  [PARTIAL DUMP]" : "");
		return;
	}
	for (size_t i = 0; i < s->n_dump_paths; i++)
		fprintf(o, "%12s%s%s%s%s\n", i ? "" : "DUMPFILES",
			i ? "  " : ": ", s->dump_paths[i],
			partial ? " [PARTIAL DUMP]" : "",
			f->incomplete ? " [INCOMPLETE]" : "");
}

static void print_text(struct session *s, const struct sysinfo *si,
		       const struct sys_text *x, bool partial,
		       const char *panic)
{
	FILE *o = s->out;

	fprintf(o, "%12s: %s%s\n", "KERNEL", s->vmlinux_path ?
		s->vmlinux_path : "(none: symbols from the dump)",
		si->has_taint && si->tainted_mask ? "  [TAINTED]" : "");
	print_dumpfiles(s, partial);
	fprintf(o, "%12s: %s\n", "CPUS", x->cpus);
	fprintf(o, "%12s: %s\n", "DATE", x->date);
	fprintf(o, "%12s: %s\n", "UPTIME", x->uptime);
	fprintf(o, "%12s: %s\n", "LOAD AVERAGE", x->load);
	fprintf(o, "%12s: %s\n", "TASKS", x->tasks);
	fprintf(o, "%12s: %s\n", "NODENAME", si->has_uts ? si->nodename :
		UNKNOWN);
	fprintf(o, "%12s: %s\n", "RELEASE", si->has_uts ? si->release :
		UNKNOWN);
	fprintf(o, "%12s: %s\n", "VERSION", si->has_uts ? si->version :
		UNKNOWN);
	fprintf(o, "%12s: %s\n", "MACHINE", x->machine);
	fprintf(o, "%12s: %s\n", "MEMORY", x->memory);
	/* crash has no PANIC line for a live system */
	if (!dump_facts(s->dump)->live)
		fprintf(o, "%12s: %s\n", "PANIC", panic);
}

static void print_json(struct session *s, const struct sysinfo *si,
		       const struct sys_text *x, bool partial,
		       const struct panic_cause *pc, bool have_panic,
		       bool taint_from_log)
{
	struct json_writer w;

	json_init(&w, s->out, true);
	json_begin_object(&w);
	json_key_string(&w, "kernel", s->vmlinux_path);
	json_key_string(&w, "dumpfile", s->dump_path);
	if (dump_facts(s->dump)->split_parts) {
		json_key(&w, "dumpfiles");
		json_begin_array(&w);
		for (size_t i = 0; i < s->n_dump_paths; i++)
			json_string(&w, s->dump_paths[i]);
		json_end_array(&w);
	}
	json_key_bool(&w, "live", dump_facts(s->dump)->live);
	json_key_bool(&w, "partial_dump", partial);
	if (si->has_taint) {
		json_key_uint(&w, "tainted_mask", si->tainted_mask);
		json_key_string(&w, "tainted_mask_source", taint_from_log ?
				"log" : "tainted_mask");
	}
	json_key_int(&w, "cpus", si->cpus);
	if (si->cpus_online)
		json_key_int(&w, "cpus_online", si->cpus_online);
	if (si->time_source != SYSINFO_TIME_NONE) {
		json_key_int(&w, "crash_time", si->crash_time);
		json_key_string(&w, "date", x->date);
		json_key_string(&w, "crash_time_source",
				time_source_name(si->time_source));
	}
	if (si->has_hz)
		json_key_uint(&w, "hz", si->hz);
	if (si->has_jiffies)
		json_key_uint(&w, "jiffies", si->jiffies);
	if (si->has_uptime) {
		json_key_uint(&w, "uptime_ms", si->uptime_ms);
		json_key_string(&w, "uptime", x->uptime);
	}
	if (si->has_avenrun)
		json_key_string(&w, "load_average", x->load);
	if (si->has_nr_threads && si->cpus)
		json_key_uint(&w, "tasks", si->nr_threads + si->cpus);
	if (si->has_uts) {
		json_key_string(&w, "nodename", si->nodename);
		json_key_string(&w, "release", si->release);
		json_key_string(&w, "version", si->version);
		json_key_string(&w, "machine", si->machine);
	}
	if (si->has_cpu_khz)
		json_key_uint(&w, "cpu_mhz", si->cpu_khz / 1000);
	if (si->has_memory) {
		json_key_uint(&w, "memory_bytes", si->memory_bytes);
		json_key_string(&w, "memory", x->memory);
		json_key_string(&w, "memory_source", si->memory_source);
	}
	if (have_panic) {
		json_key_string(&w, "panic", pc->line);
		json_key_bool(&w, "panic_is_oops", pc->is_oops);
	}
	json_end_object(&w);
	json_finish(&w);
}

/* Without tainted_mask in the symbols (arm64's kallsyms), KERNEL's
 * [TAINTED] comes from the mask the log's last taint header stands for,
 * as sys -t reads it. True if it did. */
static bool taint_fallback(struct session *s, struct sysinfo *si)
{
	struct taint_info ti;
	struct kdk_error *err;

	if (si->has_taint || !s->target)
		return false;
	err = taint_read(s->target, s->symbols, &ti);
	kdk_error_free(ti.log_err);
	if (err) {
		kdk_error_free(err);
		return false;
	}
	si->has_taint = true;
	si->tainted_mask = ti.mask;
	return ti.source == TAINT_FROM_LOG;
}

/* -t: crash's one line, "TAINTED_MASK: hex  letters"; a mask that came
 * from the log says so after the letters. */
static void print_taint_text(struct session *s, const struct taint_info *ti,
			     const char *letters)
{
	FILE *o = s->out;

	fprintf(o, "TAINTED_MASK: %" PRIx64 "  %s", ti->mask, letters);
	if (ti->source == TAINT_FROM_LOG) {
		fprintf(o, "  (from the log: its last \"Tainted:\" or \"Not "
			"tainted\" header%s; tainted_mask is not in kallsyms)",
			ti->log.died_after ? ", and D for the oops that "
			"panicked after it" : ti->log.warned_after ?
			", and W for the WARN it belongs to" : "");
		if (ti->log.unknown[0])
			fprintf(o, "  (letters no flag has: %s)",
				ti->log.unknown);
	}
	fputc('\n', o);
}

static void json_flags(struct json_writer *w, const struct taint_table *tab,
		       uint64_t mask)
{
	json_begin_array(w);
	for (int i = 0; i < TAINT_MAX_FLAGS; i++) {
		char letter[2] = { i < tab->count ? tab->c_true[i] : 0, 0 };

		if (!(mask >> i & 1))
			continue;
		json_begin_object(w);
		json_key_int(w, "bit", i);
		json_key_string(w, "letter", letter[0] ? letter : NULL);
		json_key_string(w, "name", taint_flag_name(i));
		json_end_object(w);
	}
	json_end_array(w);
}

static void print_taint_json(struct session *s, const struct taint_info *ti,
			     const char *letters)
{
	struct json_writer w;
	char log_letters[TAINT_MAX_FLAGS + 1];

	json_init(&w, s->out, true);
	json_begin_object(&w);
	json_key_uint(&w, "tainted_mask", ti->mask);
	json_key_string(&w, "letters", letters);
	json_key_string(&w, "source", ti->source == TAINT_FROM_MASK ?
			"tainted_mask" : "log");
	json_key_string(&w, "table", ti->table.from_kernel ? "taint_flags" :
			"builtin");
	json_key(&w, "flags");
	json_flags(&w, &ti->table, ti->mask);
	json_key(&w, "log");
	if (ti->log.found) {
		taint_letters(&ti->table, taint_log_mask(&ti->log),
			      log_letters, sizeof(log_letters));
		json_begin_object(&w);
		json_key_uint(&w, "tainted_mask", taint_log_mask(&ti->log));
		json_key_string(&w, "letters", log_letters);
		json_key_string(&w, "header", ti->log.header);
		json_key_bool(&w, "died_after_header", ti->log.died_after);
		json_key_bool(&w, "warned_after_header", ti->log.warned_after);
		json_key_string(&w, "unknown_letters", ti->log.unknown);
		json_end_object(&w);
	} else {
		json_null(&w);
	}
	if (ti->log_err)
		json_key_string(&w, "log_error", ti->log_err->msg);
	json_end_object(&w);
	json_finish(&w);
}

static struct kdk_error *needs_target(struct session *s)
{
	if (s->target)
		return NULL;
	return kdk_error(KDK_ERR_NOT_PRESENT, "needs the kernel's virtual "
			 "memory, which this dump does not give: %s",
			 s->target_why ? s->target_why : "no dump open");
}

static struct kdk_error *sys_taint(struct session *s)
{
	struct kdk_error *err = needs_target(s);
	char letters[TAINT_MAX_FLAGS + 1];
	struct taint_info ti;

	if (err)
		return err;
	err = taint_read(s->target, s->symbols, &ti);
	if (!err) {
		taint_letters(&ti.table, ti.mask, letters, sizeof(letters));
		if (s->json)
			print_taint_json(s, &ti, letters);
		else
			print_taint_text(s, &ti, letters);
	}
	kdk_error_free(ti.log_err);
	return err;
}

/* An object of CONFIG_NAME: value, null for "is not set". */
static struct kdk_error *print_config_json(struct session *s,
					   const struct ikconfig *c)
{
	char name[256], *value = malloc(c->len + 1);
	struct ikconfig_entry e;
	struct json_writer w;

	if (!value)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	json_init(&w, s->out, true);
	json_begin_object(&w);
	for (const char *p = c->text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (ikconfig_parse_line(p, len, &e) &&
		    e.name_len < sizeof(name)) {
			memcpy(name, e.name, e.name_len);
			name[e.name_len] = '\0';
			json_key(&w, name);
			if (e.is_set)
				json_string_len(&w, value,
						ikconfig_value(&e, value));
			else
				json_null(&w);
		}
		p += len + (nl != NULL);
	}
	json_end_object(&w);
	json_finish(&w);
	free(value);
	return NULL;
}

static struct kdk_error *sys_config(struct session *s)
{
	struct kdk_error *err = needs_target(s);
	struct ikconfig c;

	if (err)
		return err;
	err = ikconfig_read(s->target, s->symbols, &c);
	if (err)
		return kdk_error_wrap(err, "config");
	if (s->json)
		err = print_config_json(s, &c);
	else
		fwrite(c.text, 1, c.len, s->out);
	ikconfig_free(&c);
	return err;
}

static struct kdk_error *cmd_sys(struct session *s, int argc, char **argv)
{
	const struct dump_facts *f = dump_facts(s->dump);
	struct command_opts o;
	struct kdk_error *err;
	struct kdk_error *why = NULL;
	struct panic_cause pc = { 0 };
	char panic[320];
	struct sysinfo si;
	struct sys_text x;
	bool partial, taint = false, taint_from_log;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_sys_def, "t", &err)) != 0) {
		if (err)
			return err;
		taint = true;
	}
	for (int i = o.ind; i < argc; i++)
		if (taint || strcmp(argv[i], "config") != 0)
			return command_usage(&cmd_sys_def, "unexpected '%s'",
					     argv[i]);
	if (taint)
		return sys_taint(s);
	if (o.ind < argc)
		return sys_config(s);
	sysinfo_read(s->dump, s->target, s->symbols, &si);
	taint_from_log = taint_fallback(s, &si);
	format_all(&si, &x);
	if (s->target && !f->live)
		why = panic_cause_find(s->target, &pc);
	format_panic(s, &pc, why, panic, sizeof(panic));
	partial = f->dump_level > 0;
	if (s->json)
		print_json(s, &si, &x, partial, &pc,
			   s->target && !why && !f->live, taint_from_log);
	else
		print_text(s, &si, &x, partial, panic);
	kdk_error_free(why);
	return NULL;
}

const struct command cmd_sys_def = {
	.name = "sys",
	.fn = cmd_sys,
	.summary = "system data",
	.synopsis = "sys [-t | config]",
	.help =
"Shows what the dump says about the system as a whole: the vmlinux (or\n"
"that the symbols came from the dump's own kallsyms), the dump file\n"
"([PARTIAL DUMP] when pages were filtered out; a split dump's parts are\n"
"DUMPFILES, one a line in the order given, as crash shows them, and\n"
"--json adds them as \"dumpfiles\"), the CPUs present, when\n"
"the kernel died (VMCOREINFO's CRASHTIME, else the timekeeper's clock),\n"
"how long it had run (jiffies since boot over HZ, HZ taken from the\n"
"length of a tick), the load averages, the number of tasks (every thread\n"
"plus one idle task per CPU), the kernel's uname, its memory size, the\n"
"CPU speed, and the cause of death from the log: the first oops line (a\n"
"NULL dereference, a BUG(), a general protection fault) when there is\n"
"one, since panic()'s own message after an oops only says \"Fatal\n"
"exception\", else the \"Kernel panic - not syncing\" line.\n"
"\n"
"On a live system (/proc/kcore, as root) DATE is the kernel's clock now,\n"
"UPTIME and LOAD AVERAGE are current, and there is no PANIC line, as in\n"
"crash; --json says \"live\": true.\n"
"\n"
"A fact the dump does not hold (a data symbol that kallsyms lacks, as on\n"
"kernels built without CONFIG_KALLSYMS_ALL) is shown as (unknown).\n"
"KERNEL ends in [TAINTED] when tainted_mask is not 0; where it cannot\n"
"be read, the mask is taken from the log as -t does (--json says\n"
"\"tainted_mask_source\": \"log\").\n"
"\n"
"  -t  the kernel's taints: tainted_mask in hex, then the letter of each\n"
"      set bit in bit order, as crash prints them (the 'G' shown for a\n"
"      clear P bit is left out). The letters are the kernel's own\n"
"      taint_flags[] when kallsyms has it, else the 19 flags of Linux\n"
"      6.1 (Documentation/admin-guide/tainted-kernels.rst). A kernel\n"
"      without CONFIG_KALLSYMS_ALL (Debian's arm64) has no tainted_mask\n"
"      in kallsyms: the mask is then read off the letters of the last\n"
"      \"Tainted:\" (or \"Not tainted\") header in the log, plus D when\n"
"      the kernel panicked with \"Fatal exception\" after it (the oops\n"
"      sets TAINT_DIE after printing its header), or W when the header\n"
"      is a WARN's (\"WARNING: CPU: ...\" before it: __warn() sets\n"
"      TAINT_WARN after printing both), and the line says it\n"
"      came from the log. A taint set after that header in any other\n"
"      way is not seen. --json adds each flag's bit, letter and name,\n"
"      and what the log says beside what memory says.\n"
"\n"
"  config  the kernel's built-in .config (CONFIG_IKCONFIG): the gzip\n"
"      between the IKCFG_ST and IKCFG_ED markers, at kernel_config_data,\n"
"      else found by searching the kernel's read-only data. Printed as\n"
"      the kernel holds it, blank lines included (crash drops those).\n"
"      --json gives an object of CONFIG_NAME: value, a string's value\n"
"      without its quotes, and null for \"# CONFIG_NAME is not set\".\n"
"      A kernel built without CONFIG_IKCONFIG (or with it as the module\n"
"      configs.ko, which is not read) gets a one-line error.",
	.examples =
"  crash> sys\n"
"        KERNEL: (none: symbols from the dump)\n"
"      DUMPFILE: /var/crash/202611220608/vmcore  [PARTIAL DUMP]\n"
"          CPUS: 2\n"
"          DATE: Sun Nov 22 06:08:30 UTC 2026\n"
"        UPTIME: 00:00:04\n"
"  ...\n"
"\n"
"  An out-of-tree (O), unsigned (E) module, then a soft lockup (L):\n"
"\n"
"  crash> sys -t\n"
"  TAINTED_MASK: 7000  OEL\n"
"\n"
"  crash> sys config | grep CONFIG_HZ=\n"
"  CONFIG_HZ=250",
};
