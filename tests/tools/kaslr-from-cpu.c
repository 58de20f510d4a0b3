/* Test tool: x86_64 KASLR offset and phys_base from each vCPU's QEMU note
 * (x86_64_kaslr_from_cpu()), with link-time symbols given on the command
 * line (from `nm vmlinux`), for tests/target/test_kaslr_from_cpu.py.
 *
 *   kaslr-from-cpu DUMP NAME=HEXADDR...
 *
 * prints one JSON object per "QEMU" note, in note order:
 *   {"cpu": 0, "cr3": ..., "idt_base": ..., "kernel_offset": ...,
 *    "phys_base": ..., "how": "..."}  or  {"cpu": 1, "error": "..."}
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64_kaslr.h"
#include "dump/dump.h"

struct syms {
	char **names;
	uint64_t *addrs;
	int n;
};

static struct kdk_error *lookup(void *arg, const char *name, uint64_t *addr)
{
	const struct syms *s = arg;

	for (int i = 0; i < s->n; i++)
		if (strcmp(s->names[i], name) == 0) {
			*addr = s->addrs[i];
			return NULL;
		}
	return kdk_error(KDK_ERR_NOT_FOUND, "no symbol %s", name);
}

static struct kdk_error *read_phys(void *arg, uint64_t paddr, void *buf,
				   size_t len)
{
	return dump_read_phys(arg, paddr, buf, len);
}

static void print_error(size_t cpu, struct kdk_error *err)
{
	printf("{\"cpu\": %zu, \"error\": \"", cpu);
	for (const char *p = err->msg; *p; p++)
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else
			putchar(*p);
	printf("\"}\n");
	kdk_error_free(err);
}

int main(int argc, char **argv)
{
	struct syms syms = { .names = calloc(argc, sizeof(char *)),
			     .addrs = calloc(argc, sizeof(uint64_t)) };
	const struct dump_notes *notes;
	struct kdk_error *err;
	struct dump *d;
	size_t cpu = 0;

	if (argc < 2 || !syms.names || !syms.addrs) {
		fprintf(stderr, "usage: kaslr-from-cpu DUMP NAME=HEXADDR...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			fprintf(stderr, "kaslr-from-cpu: %s: not NAME=ADDR\n",
				argv[i]);
			return 2;
		}
		*eq = '\0';
		syms.names[syms.n] = argv[i];
		syms.addrs[syms.n++] = strtoull(eq + 1, NULL, 16);
	}
	err = dump_open(argv[1], &d);
	if (err) {
		fprintf(stderr, "kaslr-from-cpu: %s: %s\n", argv[1], err->msg);
		kdk_error_free(err);
		return 1;
	}
	notes = dump_notes(d);
	for (size_t i = 0; i < notes->n; i++) {
		const struct dump_note *note = &notes->v[i];
		struct x86_64_cpu_state st;
		struct x86_64_kaslr k;

		if (strcmp(note->name, X86_64_QEMU_NOTE_NAME) != 0 ||
		    note->type != X86_64_QEMU_NOTE_TYPE)
			continue;
		err = x86_64_qemu_cpu_state(note->desc, note->descsz, &st);
		if (!err)
			err = x86_64_kaslr_from_cpu(&st, read_phys, d, lookup,
						    &syms, &k);
		if (err) {
			print_error(cpu++, err);
			continue;
		}
		printf("{\"cpu\": %zu, \"cr3\": %" PRIu64 ", \"idt_base\": %"
		       PRIu64 ", \"pgd\": %" PRIu64 ", \"levels\": %d, "
		       "\"kernel_offset\": %" PRIu64 ", \"phys_base\": %"
		       PRIu64 ", \"how\": \"%s\"}\n", cpu++, st.cr3,
		       st.idt_base, k.pgd, k.levels, k.kernel_offset,
		       k.phys_base, k.how);
	}
	dump_close(d);
	free(syms.names);
	free(syms.addrs);
	return 0;
}
