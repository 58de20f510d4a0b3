/* ptov: a physical address to its kernel virtual address in the direct
 * map, in crash's two columns. */
#include <inttypes.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "target/target.h"

static struct kdk_error *cmd_ptov(struct session *s, int argc, char **argv)
{
	struct kdk_error *err, *first = NULL;
	struct command_opts o;
	struct json_writer w;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_ptov_def, "", &err)) != 0)
		if (err)
			return err;
	if (o.ind >= argc)
		return command_usage(&cmd_ptov_def, "an address is needed");
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	else
		fprintf(s->out, "%-16s  %-16s\n", "VIRTUAL", "PHYSICAL");
	for (int i = o.ind; i < argc; i++) {
		uint64_t paddr, vaddr;

		err = address_parse(s, argv[i], &paddr);
		if (!err)
			err = target_ptov(s->target, paddr, &vaddr);
		if (!err && s->json) {
			json_begin_object(&w);
			json_key_uint(&w, "physical", paddr);
			json_key_uint(&w, "virtual", vaddr);
			json_end_object(&w);
		} else if (!err) {
			fprintf(s->out, "%-16" PRIx64 "  %-16" PRIx64 "\n",
				vaddr, paddr);
		}
		first = command_keep_first(first, err);
	}
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	return first;
}

const struct command cmd_ptov_def = {
	.name = "ptov",
	.fn = cmd_ptov,
	.summary = "physical to virtual",
	.synopsis = "ptov address ...",
	.help =
"Shows where each physical address appears in the kernel's direct map of\n"
"physical memory (the randomized page_offset_base on x86_64, PAGE_OFFSET\n"
"on arm64).",
	.examples =
"  crash> ptov 1809800\n"
"  VIRTUAL           PHYSICAL\n"
"  ffff88ce01809800  1809800",
	.flags = CMD_NEEDS_TARGET,
};
