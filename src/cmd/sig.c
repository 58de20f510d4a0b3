/* sig: a task's signal handling in crash's layout: the thread group's
 * handlers (sighand->action[]), whether a signal is pending, the blocked
 * set, and the private and shared pending sets and queues. `sig -l`
 * lists the signals by number, `sig -s SIGSET` names a set's signals.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "cmd/context.h"
#include "cmd/kread.h"

#define NSIG 64
#define SIGRTMIN_CRASH 32	/* where crash's names start counting */

/* as crash names them (the first name is the one `sig -s` uses) */
static const char *const names[SIGRTMIN_CRASH] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP",
	"SIGABRT/SIGIOT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV",
	"SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD/SIGCLD",
	"SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
	"SIGIO/SIGPOLL", "SIGPWR", "SIGSYS/SIGUNUSED",
};

/* "SIGRTMIN+3", "SIGRTMAX-1" ... or the table's name; whole: with the
 * other names ("SIGABRT/SIGIOT"), else the first only. */
static void sig_name(int sig, bool whole, char *buf, size_t n)
{
	if (sig < SIGRTMIN_CRASH) {
		size_t len = whole ? strlen(names[sig]) :
				     strcspn(names[sig], "/");

		snprintf(buf, n, "%.*s", (int)len, names[sig]);
	} else if (sig == SIGRTMIN_CRASH) {
		snprintf(buf, n, "SIGRTMIN");
	} else if (sig == NSIG) {
		snprintf(buf, n, "SIGRTMAX");
	} else if (sig <= SIGRTMIN_CRASH + 16) {
		snprintf(buf, n, "SIGRTMIN+%d", sig - SIGRTMIN_CRASH);
	} else {
		snprintf(buf, n, "SIGRTMAX-%d", NSIG - sig);
	}
}

static void list_names(FILE *out)
{
	char buf[32];

	for (int i = 1; i <= NSIG; i++) {
		sig_name(i, true, buf, sizeof(buf));
		fprintf(out, "%s[%d] %s\n", i < 10 ? " " : "", i, buf);
	}
}

/* The signals of set, on lines of at most 80 columns, as crash wraps
 * them; "(none)" for an empty set. */
static void translate(FILE *out, uint64_t set)
{
	size_t len = 0;
	char buf[32];

	if (!set) {
		fputs("(none)\n", out);
		return;
	}
	for (int i = 1, c = 0; i <= NSIG; i++) {
		if (!(set >> (i - 1) & 1))
			continue;
		sig_name(i, false, buf, sizeof(buf));
		if (len + strlen(buf) + (c ? 1 : 0) > 80) {
			fputc('\n', out);
			len = 0;
		} else if (c) {
			fputc(' ', out);
			len++;
		}
		c++;
		fputs(buf, out);
		len += strlen(buf);
	}
	fputc('\n', out);
}

enum {
	T_SIGNAL, T_SIGHAND, T_BLOCKED, T_PENDING_SIGNAL, T_PENDING_LIST,
	T_TI_FLAGS, S_NR_THREADS, S_SHARED_SIGNAL, S_SHARED_LIST, H_ACTION,
	K_HANDLER, K_FLAGS, K_MASK, Q_INFO, Q_SIGNO, N_FIELDS
};

static const struct kfield fields[N_FIELDS] = {
	[T_SIGNAL] = { "struct task_struct", "signal", 0, 0 },
	[T_SIGHAND] = { "struct task_struct", "sighand", 0, 0 },
	[T_BLOCKED] = { "struct task_struct", "blocked", 0, 0 },
	[T_PENDING_SIGNAL] = { "struct task_struct", "pending.signal", 0, 0 },
	[T_PENDING_LIST] = { "struct task_struct", "pending.list", 0, 0 },
	[T_TI_FLAGS] = { "struct task_struct", "thread_info.flags", 0, 0 },
	[S_NR_THREADS] = { "struct signal_struct", "nr_threads", 0, 0 },
	[S_SHARED_SIGNAL] = { "struct signal_struct", "shared_pending.signal",
			      0, 0 },
	[S_SHARED_LIST] = { "struct signal_struct", "shared_pending.list",
			    0, 0 },
	[H_ACTION] = { "struct sighand_struct", "action", 0, 0 },
	[K_HANDLER] = { "struct k_sigaction", "sa.sa_handler", 0, 0 },
	[K_FLAGS] = { "struct k_sigaction", "sa.sa_flags", 0, 0 },
	[K_MASK] = { "struct k_sigaction", "sa.sa_mask", 0, 0 },
	[Q_INFO] = { "struct sigqueue", "info", 0, 0 },
	[Q_SIGNO] = { "struct sigqueue", "info.si_signo", 0, 0 },
};

struct sig_ctx {
	struct session *s;
	struct kfield f[N_FIELDS];
	uint64_t kact_size;	/* sizeof(struct k_sigaction) */
	int tif_sigpending;	/* the bit in thread_info.flags */
	struct json_writer *w;
	const struct ktasks *k;
	bool group;		/* -g */
};

static const struct {
	uint64_t bit;
	const char *name;
} sa_flags[] = {
	{ 0x00000001, "SA_NOCLDSTOP" }, { 0x04000000, "SA_RESTORER" },
	{ 0x00000002, "SA_NOCLDWAIT" }, { 0x00000004, "SA_SIGINFO" },
	{ 0x08000000, "SA_ONSTACK" }, { 0x10000000, "SA_RESTART" },
	{ 0x40000000, "SA_NODEFER" }, { 0x80000000, "SA_RESETHAND" },
};

static void put_flags(FILE *out, uint64_t flags)
{
	int others = 0;

	for (size_t i = 0; i < sizeof(sa_flags) / sizeof(sa_flags[0]); i++)
		if (flags & sa_flags[i].bit)
			fprintf(out, "%s%s", others++ ? "|" : "(",
				sa_flags[i].name);
	if (others)
		fputc(')', out);
}

static struct kdk_error *handlers(struct sig_ctx *c, uint64_t signal,
				  uint64_t sighand)
{
	FILE *out = c->s->out;
	uint64_t nr = 0;
	struct kdk_error *err = NULL;

	fprintf(out, "SIGNAL_STRUCT: %" PRIx64 "  ", signal);
	if (!signal) {
		fputc('\n', out);
		return NULL;
	}
	err = kread_field(c->s, signal, &c->f[S_NR_THREADS], &nr);
	if (err)
		return err;
	fprintf(out, "NR_THREADS: %d\n", (int)nr);
	fputs(" SIG    SIGACTION        HANDLER       MASK       FLAGS"
	      "           \n", out);
	for (int i = 1; i <= NSIG && !err; i++) {
		uint64_t ka = sighand + c->f[H_ACTION].off +
			      (uint64_t)(i - 1) * c->kact_size;
		uint64_t handler, flags, mask;
		char h[24];

		err = kread_u64(c->s, ka + c->f[K_HANDLER].off, &handler);
		if (!err)
			err = kread_field(c->s, ka, &c->f[K_FLAGS], &flags);
		if (!err)
			err = kread_u64(c->s, ka + c->f[K_MASK].off, &mask);
		if (err)
			break;
		if (handler == UINT64_MAX)
			snprintf(h, sizeof(h), "SIG_ERR");
		else if (handler <= 1)
			snprintf(h, sizeof(h), handler ? "SIG_IGN" : "SIG_DFL");
		else
			snprintf(h, sizeof(h), "%" PRIx64, handler);
		fprintf(out, "%s[%d] %-10" PRIx64 " %10s %016" PRIx64 " %"
			PRIx64 " ", i < 10 ? " " : "", i, ka, h, mask, flags);
		put_flags(out, flags);
		fputc('\n', out);
	}
	return err;
}

/* A pending queue: its sigqueues' signal numbers and siginfo addresses. */
static struct kdk_error *queue(struct sig_ctx *c, uint64_t head,
			       const char *indent)
{
	uint64_t q;
	struct kdk_error *err = kread_u64(c->s, head, &q);
	int n = 0;

	if (err)
		return err;
	if (q == head) {
		fprintf(c->s->out, "%s  SIGQUEUE: (empty)\n", indent);
		return NULL;
	}
	fprintf(c->s->out, "%s  SIGQUEUE:  SIG      SIGINFO     \n", indent);
	while (!err && q != head && n++ < 1 << 20) {
		uint64_t signo;

		err = kread_field(c->s, q, &c->f[Q_SIGNO], &signo);
		if (!err)
			fprintf(c->s->out, "             %3d  %" PRIx64 "\n",
				(int)signo, q + c->f[Q_INFO].off);
		if (!err)
			err = kread_u64(c->s, q, &q);
	}
	return err;
}

/* The task's own part: pending?, blocked, the private pending set. */
static struct kdk_error *task_level(struct sig_ctx *c, const struct ktask *t,
				    const char *indent)
{
	uint64_t ti, blocked, pending;
	struct kdk_error *err;

	err = kread_field(c->s, t->addr, &c->f[T_TI_FLAGS], &ti);
	if (!err)
		err = kread_u64(c->s, t->addr + c->f[T_BLOCKED].off, &blocked);
	if (!err)
		err = kread_u64(c->s, t->addr + c->f[T_PENDING_SIGNAL].off,
				&pending);
	if (err)
		return err;
	fprintf(c->s->out, "%sSIGPENDING: %s\n", indent,
		ti >> c->tif_sigpending & 1 ? "yes" : "no");
	fprintf(c->s->out, "%s   BLOCKED: %016" PRIx64 "\n", indent, blocked);
	fprintf(c->s->out, "%sPRIVATE_PENDING\n", indent);
	fprintf(c->s->out, "%s    SIGNAL: %016" PRIx64 "\n", indent, pending);
	return queue(c, t->addr + c->f[T_PENDING_LIST].off, indent);
}

static struct kdk_error *shared(struct sig_ctx *c, uint64_t signal)
{
	uint64_t set;
	struct kdk_error *err;

	if (!signal)
		return NULL;
	err = kread_u64(c->s, signal + c->f[S_SHARED_SIGNAL].off, &set);
	if (err)
		return err;
	fputs("SHARED_PENDING\n", c->s->out);
	fprintf(c->s->out, "    SIGNAL: %016" PRIx64 "\n", set);
	return queue(c, signal + c->f[S_SHARED_LIST].off, "");
}

static struct kdk_error *json_task(struct sig_ctx *c, const struct ktasks *k,
				   const struct ktask *t, uint64_t signal,
				   uint64_t sighand)
{
	uint64_t v[4] = { 0 };
	struct kdk_error *err;
	char hex[24];

	err = kread_field(c->s, t->addr, &c->f[T_TI_FLAGS], &v[0]);
	if (!err)
		err = kread_u64(c->s, t->addr + c->f[T_BLOCKED].off, &v[1]);
	if (!err)
		err = kread_u64(c->s, t->addr + c->f[T_PENDING_SIGNAL].off,
				&v[2]);
	if (!err && signal)
		err = kread_u64(c->s, signal + c->f[S_SHARED_SIGNAL].off,
				&v[3]);
	if (err)
		return err;
	json_begin_object(c->w);
	context_json_members(c->s, k, c->w, t);
	snprintf(hex, sizeof(hex), "0x%016" PRIx64, signal);
	json_key_string(c->w, "signal_struct", hex);
	json_key_bool(c->w, "sigpending", v[0] >> c->tif_sigpending & 1);
	snprintf(hex, sizeof(hex), "%016" PRIx64, v[1]);
	json_key_string(c->w, "blocked", hex);
	snprintf(hex, sizeof(hex), "%016" PRIx64, v[2]);
	json_key_string(c->w, "private_pending", hex);
	snprintf(hex, sizeof(hex), "%016" PRIx64, v[3]);
	json_key_string(c->w, "shared_pending", hex);
	json_key(c->w, "handlers");
	json_begin_array(c->w);
	for (int i = 1; i <= NSIG && !err; i++) {
		uint64_t ka = sighand + c->f[H_ACTION].off +
			      (uint64_t)(i - 1) * c->kact_size, h, fl;

		err = kread_u64(c->s, ka + c->f[K_HANDLER].off, &h);
		if (!err)
			err = kread_field(c->s, ka, &c->f[K_FLAGS], &fl);
		if (err || (!h && !fl))
			continue;
		json_begin_object(c->w);
		json_key_int(c->w, "sig", i);
		snprintf(hex, sizeof(hex), "0x%" PRIx64, h);
		json_key_string(c->w, "handler", hex);
		snprintf(hex, sizeof(hex), "0x%" PRIx64, fl);
		json_key_string(c->w, "flags", hex);
		json_end_object(c->w);
	}
	json_end_array(c->w);
	json_end_object(c->w);
	return err;
}

static struct kdk_error *one_task(void *arg, const struct ktask *t,
				  bool first)
{
	struct sig_ctx *c = arg;
	const struct ktasks *k = c->k;
	bool group = c->group;
	uint64_t signal, sighand;
	struct kdk_error *err;

	err = kread_u64(c->s, t->addr + c->f[T_SIGNAL].off, &signal);
	if (!err)
		err = kread_u64(c->s, t->addr + c->f[T_SIGHAND].off, &sighand);
	if (err)
		return kdk_error_wrap(err, "pid %d", t->pid);
	if (c->s->json)
		return json_task(c, k, t, signal, sighand);
	if (!first)
		fputc('\n', c->s->out);
	context_print_header(c->s, t);
	err = handlers(c, signal, sighand);
	if (!err && !group)
		err = task_level(c, t, "");
	if (!err)
		err = shared(c, signal);
	/* -g: then each thread of the group, indented */
	for (size_t i = 0; group && !err && i < ktasks_count(k); i++) {
		const struct ktask *th = ktasks_get(k, i);

		if (th->tgid != t->tgid || th->pid < 0 || th->idle)
			continue;
		fputs("\n  ", c->s->out);
		context_print_header(c->s, th);
		err = task_level(c, th, "  ");
	}
	return err ? kdk_error_wrap(err, "pid %d: signals", t->pid) : NULL;
}

static struct kdk_error *cmd_sig(struct session *s, int argc, char **argv)
{
	struct sig_ctx c = { .s = s };
	struct command_opts o;
	const struct ktasks *k;
	const struct ktask **tasks = NULL;
	struct json_writer w;
	struct kdk_error *err = NULL, *first = NULL;
	const char *set = NULL;
	bool group = false;
	size_t n = 0;
	int ch;

	command_opts_init(&o, argc, argv);
	while ((ch = command_opts_next(&o, &cmd_sig_def, "lgs:", &err)) != 0) {
		if (err)
			return err;
		if (ch == 'l') {
			list_names(s->out);
			return NULL;
		}
		if (ch == 's')
			set = o.arg;
		else
			group = true;
	}
	if (set) {
		uint64_t v;

		err = address_parse_number(s, set, &v);
		if (err)
			return kdk_error_wrap(err, "-s %s", set);
		translate(s->out, v);
		return NULL;
	}
	memcpy(c.f, fields, sizeof(fields));
	err = session_tasks(s, &k);
	if (!err)
		err = kfields_resolve(s, c.f, N_FIELDS);
	if (!err)
		err = context_tasks(s, k, argc - o.ind, argv + o.ind, &tasks,
				    &n);
	if (err)
		return err;
	c.kact_size = c.f[H_ACTION].size / NSIG;
	/* TIF_SIGPENDING: bit 2 on x86_64, bit 0 on arm64 */
	c.tif_sigpending = strcmp(dump_facts(s->dump)->machine, "x86_64") == 0
			   ? 2 : 0;
	c.w = &w;
	c.k = k;
	c.group = group;
	first = context_for_tasks(s, &w, tasks, n, one_task, &c);
	free(tasks);
	return first;
}

const struct command cmd_sig_def = {
	.name = "sig",
	.fn = cmd_sig,
	.summary = "task signal handling",
	.synopsis = "sig [-l | -s sigset] | [-g] [pid | taskp] ...",
	.help =
"Shows a task's signal handling, as crash does: its thread group's\n"
"signal_struct and, for each of the 64 signals, the k_sigaction's\n"
"address, handler (SIG_DFL, SIG_IGN or the user address), mask and\n"
"flags; whether a signal is pending (TIF_SIGPENDING), the blocked set,\n"
"the task's private pending set and queue, the group's shared ones.\n"
"\n"
"  -g         the group's part once, then each thread's own part.\n"
"  -l         the signal numbers and names.\n"
"  -s sigset  the names of the signals in a 64-bit set (hex).\n"
"\n"
"Without an operand: the current task (set). foreach ... sig runs it on\n"
"many tasks. With --json: per task {pid, ..., signal_struct,\n"
"sigpending, blocked, private_pending, shared_pending, handlers: [{sig,\n"
"handler, flags}] (those not default)}.",
	.examples =
"  Why would a task not die on SIGTERM: its handler and blocked set\n"
"    crash> sig 134\n"
"  Which signals a mask holds:\n"
"    crash> sig -s fffffffe7ffbfeff",
	.flags = CMD_NEEDS_TARGET,
};
