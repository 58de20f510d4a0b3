/* log: the kernel's message log, as crash prints it: one line per
 * record, "[seconds.micros] text", the further lines of a multi-line
 * record indented under the first, bytes that are neither printable
 * ASCII nor blanks shown as '.', and a record without text as an empty
 * line. The records come from kernel/printk.c. */
#include "cmd/log.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "debuginfo/symtab.h"
#include "dump/dump.h"
#include "kernel/audit.h"
#include "kernel/printk.h"
#include "shell/session.h"
#include "target/target.h"

#define NSEC_PER_SEC		UINT64_C(1000000000)
/* crash's width of the caller column when pid_max is unknown. */
#define CALLER_WIDTH_DEFAULT	8

struct log_opts {
	bool no_time;		/* -t */
	bool wall_clock;	/* -T */
	bool level;		/* -m */
	bool dict;		/* -d */
	bool caller;		/* -c */
	bool json;
};

struct log_printer {
	FILE *out;
	const struct log_opts *o;
	struct json_writer w;
	int64_t boot_time;	/* -T: seconds since 1970 at ts_nsec 0 */
	int caller_width;	/* -c */
	char prefix[128];
};

/* Printable ASCII and blanks as they are, anything else as '.'. */
static bool shown_as_is(unsigned char c)
{
	return (c >= 0x20 && c < 0x7f) || (c < 0x80 && isspace(c));
}

static void print_text(FILE *out, const char *text, size_t len, int indent)
{
	size_t i = 0;

	while (i < len) {
		size_t run = i;

		while (run < len && text[run] != '\n' &&
		       shown_as_is((unsigned char)text[run]))
			run++;
		fwrite(text + i, 1, run - i, out);
		if (run == len)
			break;
		if (text[run] == '\n')
			fprintf(out, "\n%*s", indent, "");
		else
			fputc('.', out);
		i = run + 1;
	}
}

static void format_prefix(struct log_printer *p, const struct printk_record *r)
{
	char *b = p->prefix;
	size_t size = sizeof(p->prefix), n = 0;

	if (!p->o->no_time && p->o->wall_clock) {
		time_t t = p->boot_time + (int64_t)(r->ts_nsec / NSEC_PER_SEC);
		struct tm tm;
		char when[64];

		if (!localtime_r(&t, &tm) ||
		    !strftime(when, sizeof(when), "%a %b %e %T %Z %Y", &tm))
			snprintf(when, sizeof(when), "%lld", (long long)t);
		n += snprintf(b + n, size - n, "[%s] ", when);
	} else if (!p->o->no_time) {
		n += snprintf(b + n, size - n, "[%5" PRIu64 ".%06" PRIu64 "] ",
			      r->ts_nsec / NSEC_PER_SEC,
			      r->ts_nsec % NSEC_PER_SEC / 1000);
	}
	if (p->o->caller && r->has_caller) {
		char id[16];

		snprintf(id, sizeof(id), "%c%" PRIu32,
			 r->caller_id & PRINTK_CALLER_CPU ? 'C' : 'T',
			 r->caller_id & ~PRINTK_CALLER_CPU);
		n += snprintf(b + n, size - n, "[%*s] ", p->caller_width, id);
	}
	if (p->o->level)
		snprintf(b + n, size - n, "<%x>", r->level);
}

static void print_record_text(struct log_printer *p,
			      const struct printk_record *r)
{
	int indent;

	/* crash prints nothing but the newline for a record without text */
	if (r->dataless) {
		fputc('\n', p->out);
		return;
	}
	format_prefix(p, r);
	indent = strlen(p->prefix);
	fputs(p->prefix, p->out);
	print_text(p->out, r->text, r->text_len, indent);
	if (p->o->dict && r->subsystem[0])
		fprintf(p->out, "\n%*sSUBSYSTEM=%s", indent, "", r->subsystem);
	if (p->o->dict && r->device[0])
		fprintf(p->out, "\n%*sDEVICE=%s", indent, "", r->device);
	fputc('\n', p->out);
}

static void print_record_json(struct log_printer *p,
			      const struct printk_record *r)
{
	struct json_writer *w = &p->w;

	json_begin_object(w);
	json_key_uint(w, "seq", r->seq);
	json_key_uint(w, "ts_nsec", r->ts_nsec);
	if (p->o->wall_clock)
		json_key_int(w, "time", p->boot_time +
			     (int64_t)(r->ts_nsec / NSEC_PER_SEC));
	json_key_uint(w, "level", r->level);
	json_key_uint(w, "facility", r->facility);
	if (r->has_caller) {
		char id[16];

		snprintf(id, sizeof(id), "%c%" PRIu32,
			 r->caller_id & PRINTK_CALLER_CPU ? 'C' : 'T',
			 r->caller_id & ~PRINTK_CALLER_CPU);
		json_key_string(w, "caller", id);
	}
	json_key(w, "text");
	json_string_len(w, r->text, r->text_len);
	if (r->subsystem[0])
		json_key_string(w, "subsystem", r->subsystem);
	if (r->device[0])
		json_key_string(w, "device", r->device);
	json_end_object(w);
}

static struct kdk_error *print_record(void *arg, const struct printk_record *r)
{
	struct log_printer *p = arg;

	if (p->o->json)
		print_record_json(p, r);
	else
		print_record_text(p, r);
	/* a pipeline that stopped reading (`log | head`): stop too */
	if (ferror(p->out))
		return kdk_error(KDK_ERR_IO, "writing the log failed");
	return NULL;
}

static struct kdk_error *last_timestamp(void *arg,
					const struct printk_record *r)
{
	*(uint64_t *)arg = r->ts_nsec;
	return NULL;
}

/*
 * -T: the wall-clock time of local_clock() 0, as crash reckons it (the
 * crash time less the uptime), with VMCOREINFO's CRASHTIME for the crash
 * time and the newest record's timestamp for the uptime.
 */
static struct kdk_error *find_boot_time(struct target *t,
					const struct vmcoreinfo *vi,
					int64_t *boot)
{
	struct kdk_error *err;
	uint64_t last = 0;
	int64_t crashtime;

	err = vi ? vmcoreinfo_decimal(vi, "CRASHTIME", &crashtime) :
		kdk_error(KDK_ERR_NOT_FOUND, "no VMCOREINFO");
	if (err && dump_facts(target_dump(t))->timestamp > 0) {
		/* the kdump header's time of writing: later than the crash */
		kdk_error_free(err);
		err = NULL;
		crashtime = dump_facts(target_dump(t))->timestamp;
	}
	if (err) {
		kdk_error_free(err);
		return kdk_error(KDK_ERR_NOT_FOUND, "-T needs the crash time, "
				 "and this dump has neither CRASHTIME in its "
				 "VMCOREINFO (the kernel adds it only when it "
				 "starts a capture kernel: QEMU's "
				 "dump-guest-memory dumps lack it) nor the "
				 "time it was written");
	}
	err = printk_each(t, vi, last_timestamp, &last);
	if (err)
		return err;
	*boot = crashtime - (int64_t)(last / NSEC_PER_SEC);
	return NULL;
}

/* -c: crash sizes the caller column by pid_max. */
static int caller_width(struct target *t, const struct symtab *symbols)
{
	unsigned char buf[4];
	struct kdk_error *err;
	uint32_t pid_max;
	uint64_t addr;

	if (!symbols)
		return CALLER_WIDTH_DEFAULT;
	err = sym_lookup_name(symbols, "pid_max", &addr);
	if (!err)
		err = target_read_kvaddr(t, addr, buf, sizeof(buf));
	if (err) {
		kdk_error_free(err);
		return CALLER_WIDTH_DEFAULT;
	}
	pid_max = buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24;
	if (pid_max <= 99999)
		return 6;
	if (pid_max <= 999999)
		return 7;
	return CALLER_WIDTH_DEFAULT;
}

static struct kdk_error *log_print(struct target *t,
				   const struct symtab *symbols,
				   const struct log_opts *o, FILE *out)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(target_dump(t));
	struct log_printer p = { .out = out, .o = o };
	struct kdk_error *err;

	if (o->wall_clock) {
		err = find_boot_time(t, vi, &p.boot_time);
		if (err)
			return err;
	}
	if (o->caller)
		p.caller_width = caller_width(t, symbols);
	if (o->json) {
		json_init(&p.w, out, true);
		json_begin_array(&p.w);
	}
	err = printk_each(t, vi, print_record, &p);
	if (err && ferror(out)) {
		kdk_error_free(err);
		return NULL;
	}
	if (o->json) {
		json_end_array(&p.w);
		json_finish(&p.w);
	}
	return err;
}

struct audit_printer {
	FILE *out;
	bool json;
	struct json_writer w;
};

static struct kdk_error *print_audit_record(void *arg,
					    const struct kaudit_record *r)
{
	struct audit_printer *p = arg;
	char skb[24];

	if (!p->json) {
		fprintf(p->out, "type=%u %.*s\n", r->type, (int)r->text_len,
			r->text);
	} else {
		snprintf(skb, sizeof(skb), "0x%016" PRIx64, r->skb);
		json_begin_object(&p->w);
		json_key_string(&p->w, "queue", r->queue);
		json_key_string(&p->w, "skb", skb);
		json_key_uint(&p->w, "type", r->type);
		json_key(&p->w, "text");
		json_string_len(&p->w, r->text, r->text_len);
		json_end_object(&p->w);
	}
	if (ferror(p->out))
		return kdk_error(KDK_ERR_IO, "writing the audit log failed");
	return NULL;
}

/* -a: the records queued for auditd, as crash prints them; "kernel
 * audit log is empty" when there are none. */
static struct kdk_error *log_audit(struct session *s)
{
	struct audit_printer p = { .out = s->out, .json = s->json };
	const struct kbtf *btf;
	struct kdk_error *err;
	size_t n = 0;

	if (!s->symbols)
		return kdk_error(KDK_ERR_NOT_FOUND, "-a: no kernel symbols "
				 "(%s)", s->symbols_why ? s->symbols_why : "");
	if (!sym_find_name(s->symbols, "audit_queue") &&
	    !sym_find_name(s->symbols, "audit_skb_queue"))
		return kdk_error(KDK_ERR_NOT_FOUND, "-a: neither audit_queue "
				 "nor audit_skb_queue is in the kernel's "
				 "symbols (%s)", s->vmlinux_path ?
				 "the kernel is built without CONFIG_AUDIT" :
				 "kallsyms has data symbols only with "
				 "CONFIG_KALLSYMS_ALL: give the vmlinux");
	err = session_btf(s, &btf);
	if (err)
		return kdk_error_wrap(err, "-a");
	if (p.json) {
		json_init(&p.w, s->out, true);
		json_begin_array(&p.w);
	}
	err = kaudit_each(s->target, btf, s->symbols, print_audit_record, &p,
			  &n);
	if (err && ferror(s->out)) {
		kdk_error_free(err);
		return NULL;
	}
	if (err)
		return kdk_error_wrap(err, "-a");
	if (p.json) {
		json_end_array(&p.w);
		json_finish(&p.w);
	} else if (!n) {
		fprintf(s->out, "log: kernel audit log is empty\n");
	}
	return NULL;
}

/* crash's flags that log refuses, and why. */
static struct kdk_error *refused_flag(int c)
{
	if (c == 's')
		return kdk_error(KDK_ERR_NOT_BUILT, "-s: the per-CPU "
				 "printk_safe buffers of Linux 5.14 and earlier "
				 "are not read (since 5.15 every message goes "
				 "straight to the ring that log prints)");
	return kdk_error(KDK_ERR_NOT_BUILT, "-R: demangling Rust symbols is "
			 "not supported");
}

static struct kdk_error *cmd_log(struct session *s, int argc, char **argv)
{
	struct log_opts o = { .json = s->json };
	struct command_opts co;
	struct kdk_error *err;
	bool audit = false;
	int c;

	command_opts_init(&co, argc, argv);
	while ((c = command_opts_next(&co, &cmd_log_def, "TtdmascR", &err))) {
		if (err)
			return err;
		switch (c) {
		case 'T':
			o.wall_clock = true;
			break;
		case 't':
			o.no_time = true;
			break;
		case 'd':
			o.dict = true;
			break;
		case 'm':
			o.level = true;
			break;
		case 'c':
			o.caller = true;
			break;
		case 'a':
			audit = true;
			break;
		case 's':
		case 'R':
			return refused_flag(c);
		}
	}
	if (co.ind < argc)
		return command_usage(&cmd_log_def, "unexpected argument '%s'",
				     argv[co.ind]);
	if (audit)
		return log_audit(s);
	return log_print(s->target, s->symbols, &o, s->out);
}

struct kdk_error *log_print_dump_files(const char *const *paths, size_t n,
				       FILE *out, bool json)
{
	struct log_opts o = { .json = json };
	struct target *t = NULL;
	struct kdk_error *err;
	struct dump *d;

	err = dump_open_set(paths, n, &d);
	if (err)
		return err;
	err = target_open(d, &t);
	if (!err)
		err = log_print(t, NULL, &o, out);
	if (t)
		target_close(t);
	dump_close(d);
	return err;
}

const struct command cmd_log_def = {
	.name = "log",
	.fn = cmd_log,
	.summary = "dump system message buffer",
	.synopsis = "log [-Ttdmca]",
	.flags = CMD_NEEDS_TARGET,
	.help =
"Prints the kernel's message log, oldest message first, read from the\n"
"printk ring buffer in the dump's memory (located through VMCOREINFO, so\n"
"no vmlinux is needed). Each message is one line, \"[seconds.micros] text\",\n"
"with the timestamp of the kernel's local clock; the further lines of a\n"
"message that holds newlines are indented under its first line. Bytes that\n"
"are neither printable ASCII nor blanks are shown as '.', and a message the\n"
"kernel stored without text as an empty line. Lost or half-written\n"
"messages (the ring's reserved and recycled slots) are left out. Kernels\n"
"before 5.10 kept the log as one buffer of records (struct printk_log),\n"
"which is read too, though no test dump of such a kernel exists yet.\n"
"\n"
"  -T  show the timestamp as a wall-clock date and time (local time zone).\n"
"      This is an estimate: the boot time is taken to be the crash time\n"
"      (VMCOREINFO's CRASHTIME, else the time a kdump-compressed dump was\n"
"      written) less the newest message's timestamp; and the kernel's\n"
"      local clock is not the wall clock: it drifts from it, does not\n"
"      count time suspended, and may not start at boot. Dates can be off\n"
"      by seconds or more. QEMU's dump-guest-memory dumps have no crash time:\n"
"      there -T fails.\n"
"  -t  leave out the timestamps.\n"
"  -d  also show the SUBSYSTEM= and DEVICE= properties dev_printk()\n"
"      attaches to a message, each on a line of its own.\n"
"  -m  show each message's log level, in hexadecimal, as \"<N>\" before it.\n"
"  -c  show the caller of printk(): a thread id \"T123\" or, in interrupt\n"
"      context, a CPU \"C1\".\n"
"  -a  instead of the log, the audit records still queued in the kernel\n"
"      for auditd (audit_hold_queue, audit_retry_queue, then audit_queue),\n"
"      one \"type=N text\" line each, or \"kernel audit log is empty\".\n"
"      With no auditd running, the kernel prints its audit records to the\n"
"      log (\"audit: type=...\") instead, and the queues are empty. The\n"
"      queues are data symbols: on kernels whose kallsyms has none\n"
"      (Debian's arm64) -a needs the vmlinux. The layout of struct sk_buff\n"
"      comes from the kernel's BTF.\n"
"\n"
"With --json, an array of messages: seq, ts_nsec, level, facility, caller,\n"
"text, and subsystem and device when set (time, seconds since 1970, with\n"
"-T); with -a, an array of records: queue, skb, type, text.\n"
"\n"
"crash's -s (printk_safe buffers of Linux 5.14 and earlier) and -R (Rust\n"
"demangling) are refused with the reason.",
	.examples =
"Show the end of the log:\n"
"\n"
"  kdumpkit> log | tail -2\n"
"  [    9.505654] R13: 000000001e0223a0 R14: 0000000000000001 R15: 00007ffc9ace85b0\n"
"  [    9.505654]  </TASK>\n"
"\n"
"The same, with log levels and without timestamps:\n"
"\n"
"  kdumpkit> log -tm | tail -2\n"
"  <4>R13: 000000001e0223a0 R14: 0000000000000001 R15: 00007ffc9ace85b0\n"
"  <4> </TASK>",
};
