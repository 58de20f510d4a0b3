/* Test tool: the kernel's BTF as kdumpkit reads it, for tests/shell/
 * test_modules.py and for timing. Not installed.
 *
 *   kdk-btf DUMP TYPE.PATH ...      BTF found in the dump's memory
 *   kdk-btf --elf VMLINUX TYPE.PATH ...   the .BTF section of a vmlinux
 *
 * Prints "origin ADDR SIZE marked|scanned|elf SECONDS" (where the blob was,
 * its size, how it was found and how long finding and parsing it took;
 * 0 0 for a vmlinux), then per operand
 * "TYPE.PATH OFFSET SIZE" or "TYPE.PATH err MESSAGE".
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


#include "debuginfo/btf.h"
#include "debuginfo/kallsyms.h"
#include "dump/dump.h"
#include "target/target.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(struct kdk_error *err)
{
	return kdk_error_report(err, stderr);
}

static void print_members(const struct kbtf *b, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		char type[128];
		const char *dot = strchr(argv[i], '.');
		struct kbtf_member m;
		struct kdk_error *err;

		if (!dot || (size_t)(dot - argv[i]) >= sizeof(type)) {
			printf("%s err not TYPE.PATH\n", argv[i]);
			continue;
		}
		snprintf(type, sizeof(type), "%.*s", (int)(dot - argv[i]),
			 argv[i]);
		err = kbtf_member(b, type, dot + 1, &m);
		if (err) {
			printf("%s err %s\n", argv[i], err->msg);
			kdk_error_free(err);
			continue;
		}
		printf("%s %" PRIu64 " %" PRIu64 "\n", argv[i], m.offset,
		       m.size);
	}
}

int main(int argc, char **argv)
{
	struct kdk_error *err;
	struct kbtf *b;

	if (argc < 3) {
		fprintf(stderr, "usage: kdk-btf [--elf VMLINUX | DUMP] "
			"TYPE.PATH ...\n");
		return 2;
	}
	if (strcmp(argv[1], "--elf") == 0) {
		err = kdk_error_wrap(kbtf_from_elf(argv[2], &b), "%s", argv[2]);
		if (err)
			return fail(err);
		printf("origin 0 %" PRIu64 " elf 0\n", kbtf_origin(b)->size);
		print_members(b, argc - 3, argv + 3);
	} else {
		struct dump *d;
		struct target *t;
		struct symtab *st;
		double t0;

		err = dump_open(argv[1], &d);
		if (!err)
			err = target_open(d, &t);
		if (!err)
			err = kallsyms_load(t, &st);
		if (err)
			return fail(err);
		t0 = now();
		err = kbtf_load(t, st, &b);
		if (err)
			return fail(err);
		printf("origin %#" PRIx64 " %" PRIu64 " %s %.3f\n",
		       kbtf_origin(b)->addr, kbtf_origin(b)->size,
		       kbtf_origin(b)->scanned ? "scanned" : "marked",
		       now() - t0);
		print_members(b, argc - 2, argv + 2);
		symtab_free(st);
		target_close(t);
		dump_close(d);
	}
	kbtf_free(b);
	return 0;
}
