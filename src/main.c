/* kdumpkit: subcommand dispatch only. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/error.h"
#include "subcommands.h"

struct subcommand {
	const char *name;
	const char *usage;
	const char *summary;
	int (*run)(int argc, char **argv);	/* NULL: not built yet */
};

static int run_help(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "analyze", "analyze [vmlinux] vmcore... [-c \"cmd; cmd\"] [-i script] [--json]",
	  "crash-compatible session on a dump (the default when the first "
	  "argument is a file; several vmcores: a makedumpfile --split dump)",
	  subcmd_analyze },
	{ "triage", "triage [vmlinux] vmcore [--json]",
	  "the cause of death, on one page", NULL },
	{ "info", "info [--json] [--vmcoreinfo | --dmesg] [--vmlinux FILE] vmcore...",
	  "format, compression, dump level, VMCOREINFO, release, build-id", subcmd_info },
	{ "makedump", "makedump [-c|-l|-p|-z] [-d N] [-E] [-F] [--split] [--num-threads N] "
	  "[--message-level N] IN OUT | -R OUT < FLATTENED | --dump-dmesg IN LOG",
	  "filter and compress a vmcore, like makedumpfile", subcmd_makedump },
	{ "load", "load [--kernel K] [--initrd I] [--append ARGS]",
	  "load the capture kernel (kexec on crash)", subcmd_load },
	{ "unload", "unload", "unload the capture kernel", subcmd_unload },
	{ "status", "status [--json] [--root DIR]",
	  "is this machine ready to capture a crash?", subcmd_status },
	{ "estimate", "estimate [--json] [--root DIR] [--initrd I] [--kernel K]",
	  "how large crashkernel= should be here", subcmd_estimate },
	{ "save", "save [--config FILE] [--vmcore FILE] [--path DIR]",
	  "in the capture kernel: save /proc/vmcore and its dmesg",
	  subcmd_save },
	{ "initramfs", "initramfs OUT [--config FILE] [--busybox FILE] "
	  "[--module KO]...",
	  "build the capture kernel's initramfs (busybox, kdumpkit, config)",
	  subcmd_initramfs },
	{ "help", "help [subcommand]", "this text, or one subcommand's", run_help },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		if (strcmp(subcommands[i].name, name) == 0)
			return &subcommands[i];
	return NULL;
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: kdumpkit [analyze] [vmlinux] vmcore... [options]\n"
		   "       kdumpkit SUBCOMMAND [options]\n\n"
		   "Subcommands:\n");
	for (size_t i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s%s\n", subcommands[i].name,
			subcommands[i].summary,
			subcommands[i].run ? "" : " (not built yet)");
	fprintf(f, "\n'kdumpkit help SUBCOMMAND' shows its usage; "
		   "'kdumpkit --version' the version.\n");
}

static int run_help(int argc, char **argv)
{
	const struct subcommand *sc;

	if (argc < 2) {
		print_usage(stdout);
		return 0;
	}
	sc = find_subcommand(argv[1]);
	if (!sc)
		return kdk_error_report(kdk_error(KDK_ERR_USAGE,
			"help: no subcommand '%s' (try 'kdumpkit help')", argv[1]), stderr);
	printf("usage: kdumpkit %s\n\n%s.\n", sc->usage, sc->summary);
	if (!sc->run)
		printf("\nNot built yet in kdumpkit %s.\n", KDK_VERSION);
	return 0;
}

static int run_subcommand(const struct subcommand *sc, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return run_help(2, (char *[]){ "help", (char *)sc->name, NULL });
	if (!sc->run)
		return kdk_error_report(kdk_error(KDK_ERR_NOT_BUILT,
			"'%s' is not built yet in kdumpkit %s (usage when it is: "
			"kdumpkit %s)", sc->name, KDK_VERSION, sc->usage), stderr);
	return sc->run(argc, argv);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("kdumpkit %s\n", KDK_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return 0;
	}
	sc = find_subcommand(argv[1]);
	if (sc)
		return run_subcommand(sc, argc - 1, argv + 1);
	if (is_file(argv[1]))	/* kdumpkit [vmlinux] vmcore: analyze */
		return run_subcommand(find_subcommand("analyze"), argc, argv);
	return kdk_error_report(kdk_error(KDK_ERR_USAGE,
		"'%s' is neither a subcommand nor a dump file (try 'kdumpkit help')",
		argv[1]), stderr);
}
