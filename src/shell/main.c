/* kdumpkit [analyze] [vmlinux] vmcore... [-c "cmd; cmd"] [-i script] [--json]
 *
 * Several vmcores are the parts of a split dump (makedumpfile --split), in
 * any order, as crash takes them.
 * With -c or -i, the commands run in the order given and the session
 * ends; otherwise commands come from the terminal (with a prompt) or from
 * standard input. The exit status is 1 if any command failed.
 */
#include <elf.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dump/dump.h"
#include "shell/session.h"
#include "shell/shell.h"
#include "subcommands.h"

#define ANALYZE_USAGE "usage: kdumpkit [analyze] [vmlinux] vmcore... " \
	"[-c \"cmd; cmd\"] [-i script] [--json]"

struct batch_item {
	bool is_script;
	const char *text;	/* the commands, or the script's path */
};

struct analyze_args {
	const char **files;
	int n_files;
	struct batch_item *batch;
	int n_batch;
	bool json;
};

static struct kdk_error *parse_args(int argc, char **argv,
				    struct analyze_args *a)
{
	a->batch = calloc(argc, sizeof(*a->batch));
	a->files = calloc(argc, sizeof(*a->files));
	if (!a->batch || !a->files)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "-c") == 0 || strcmp(arg, "-i") == 0) {
			if (i + 1 >= argc)
				return kdk_error(KDK_ERR_USAGE, "%s needs an "
						 "argument (%s)", arg,
						 ANALYZE_USAGE);
			a->batch[a->n_batch].is_script = arg[1] == 'i';
			a->batch[a->n_batch++].text = argv[++i];
		} else if (strcmp(arg, "--json") == 0) {
			a->json = true;
		} else if (arg[0] == '-' && arg[1]) {
			return kdk_error(KDK_ERR_USAGE, "analyze: unknown "
					 "option '%s' (%s)", arg,
					 ANALYZE_USAGE);
		} else {
			a->files[a->n_files++] = arg;
		}
	}
	if (a->n_files == 0)
		return kdk_error(KDK_ERR_USAGE, "analyze: which dump? (%s)",
				 ANALYZE_USAGE);
	return NULL;
}

/* Is path a kernel image (a vmlinux) rather than a dump? x86_64 links
 * vmlinux as an executable, arm64 (relocatable for KASLR) as a shared
 * object; an ELF dump is a core file. */
static bool is_kernel_image(const char *path)
{
	FILE *f = fopen(path, "rb");
	Elf64_Ehdr eh;
	bool yes;

	if (!f)
		return false;
	yes = fread(&eh, sizeof(eh), 1, f) == 1 &&
	      memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
	      (eh.e_type == ET_EXEC || eh.e_type == ET_DYN);
	fclose(f);
	return yes;
}

/* The vmlinux among the files (either first or last, as crash takes it),
 * and the dump files: one, or the parts of a split dump. Of two files
 * neither of which is a vmlinux, the first is taken for one (and fails as
 * one) unless both are kdump-compressed: two parts. */
/* Does path start like a kdump-compressed file (a part of a split dump)? */
static bool is_kdump_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char sig[8];
	bool yes;

	if (!f)
		return false;
	yes = fread(sig, sizeof(sig), 1, f) == 1 &&
	      memcmp(sig, "KDUMP   ", sizeof(sig)) == 0;
	fclose(f);
	return yes;
}

static struct kdk_error *open_files(struct session *s,
				    const struct analyze_args *a)
{
	const char **dumps = a->files, *vmlinux = NULL;
	int n = a->n_files;
	struct kdk_error *err;
	FILE *f;

	if (n >= 2 && is_kernel_image(dumps[n - 1]) &&
	    !is_kernel_image(dumps[0]))
		vmlinux = dumps[--n];
	else if (n >= 2 && (is_kernel_image(dumps[0]) ||
			    (n == 2 && !(is_kdump_file(dumps[0]) &&
					 is_kdump_file(dumps[1])))))
		vmlinux = *dumps++, n--;
	if (vmlinux) {
		f = fopen(vmlinux, "rb");
		if (!f)
			return kdk_error_errno("%s", vmlinux);
		fclose(f);
	}
	err = session_open_dump_set(s, dumps, n, vmlinux);
	if (err)
		return n == 1 ? kdk_error_wrap(err, "%s", dumps[0]) : err;
	if (s->vmlinux_how)
		fprintf(stderr, "kdumpkit: vmlinux %s (%s)\n", s->vmlinux_path,
			s->vmlinux_how);
	return session_load_vmlinux(s);
}

static bool run_script(struct session *s, const char *path)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f) {
		kdk_error_report(kdk_error_errno("%s", path), stderr);
		return false;
	}
	ok = shell_run_stream(s, f);
	fclose(f);
	return ok;
}

static bool run_batch(struct session *s, const struct analyze_args *a)
{
	bool ok = true;

	for (int i = 0; i < a->n_batch && !s->quit; i++) {
		const struct batch_item *b = &a->batch[i];

		if (!(b->is_script ? run_script(s, b->text) :
		      shell_run_line(s, b->text)))
			ok = false;
	}
	return ok;
}

/* What the prompt is about, before the first prompt. */
static void print_banner(const struct session *s)
{
	const struct dump_facts *f = dump_facts(s->dump);
	const char *release = dump_vmcoreinfo_get(s->dump, "OSRELEASE");

	if (!release || !*release)
		release = f->release;
	printf("kdumpkit %s: %s (%s%s%s%s%s)\n", KDK_VERSION, s->dump_path,
	       f->format, f->container ? ", " : "",
	       f->container ? f->container : "", *release ? ", " : "",
	       release);
	printf("Enter \"help\" for the commands, \"q\" to quit.\n\n");
}

/* SIGPIPE would kill the session when a pipeline like `| head` stops
 * reading; with a handler, the write fails with EPIPE instead, and the
 * pipeline's own processes still get the default action after exec. */
static void on_sigpipe(int sig)
{
	(void)sig;
}

int subcmd_analyze(int argc, char **argv)
{
	struct analyze_args a = { 0 };
	struct session *s = NULL;
	struct sigaction sa = { .sa_handler = on_sigpipe };
	struct kdk_error *err;
	bool ok = true;

	err = parse_args(argc, argv, &a);
	if (!err)
		err = session_new(&s);
	if (!err)
		err = open_files(s, &a);
	if (err) {
		int status = kdk_error_report(err, stderr);

		session_free(s);
		free(a.batch);
		free(a.files);
		return status;
	}
	s->json = a.json;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	if (a.n_batch) {
		ok = run_batch(s, &a);
	} else if (isatty(STDIN_FILENO)) {
		s->interactive = true;
		print_banner(s);
		shell_run_terminal(s);
	} else {
		ok = shell_run_stream(s, stdin);
	}
	fflush(stdout);
	session_free(s);
	free(a.batch);
	free(a.files);
	return ok ? 0 : 1;
}
