/* kdumpkit [analyze] [vmlinux] vmcore [-c "cmd; cmd"] [-i script] [--json]
 *
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

#define ANALYZE_USAGE "usage: kdumpkit [analyze] [vmlinux] vmcore " \
	"[-c \"cmd; cmd\"] [-i script] [--json]"

struct batch_item {
	bool is_script;
	const char *text;	/* the commands, or the script's path */
};

struct analyze_args {
	const char *files[2];
	int n_files;
	struct batch_item *batch;
	int n_batch;
	bool json;
};

static struct kdk_error *parse_args(int argc, char **argv,
				    struct analyze_args *a)
{
	a->batch = calloc(argc, sizeof(*a->batch));
	if (!a->batch)
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
		} else if (a->n_files == 2) {
			return kdk_error(KDK_ERR_USAGE, "analyze: one vmlinux "
					 "and one dump at most (%s)",
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

static struct kdk_error *open_files(struct session *s,
				    const struct analyze_args *a)
{
	const char *vmlinux = NULL, *dump = a->files[0];
	struct kdk_error *err;
	FILE *f;

	if (a->n_files == 2) {
		/* Either order, as crash takes them. */
		bool second_is_vmlinux = is_kernel_image(a->files[1]) &&
					 !is_kernel_image(a->files[0]);

		vmlinux = a->files[second_is_vmlinux ? 1 : 0];
		dump = a->files[second_is_vmlinux ? 0 : 1];
		f = fopen(vmlinux, "rb");
		if (!f)
			return kdk_error_errno("%s", vmlinux);
		fclose(f);
	}
	err = session_open_dump(s, dump, vmlinux);
	if (err)
		return kdk_error_wrap(err, "%s", dump);
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
	return ok ? 0 : 1;
}
