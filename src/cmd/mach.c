/* mach: the machine and the kernel's memory layout, in crash's layout:
 * labels right-aligned in 22 columns. */
#include <inttypes.h>
#include <stdarg.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "kernel/sysinfo.h"
#include "target/target.h"

static void line(FILE *o, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void line(FILE *o, const char *label, const char *fmt, ...)
{
	va_list ap;

	fprintf(o, "%22s: ", label);
	va_start(ap, fmt);
	vfprintf(o, fmt, ap);
	va_end(ap);
	fputc('\n', o);
}

static void print_text(struct session *s, const struct sysinfo *si,
		       const struct arch_layout *l, const char *machine,
		       uint32_t page_size)
{
	FILE *o = s->out;
	char mem[32];

	line(o, "MACHINE TYPE", "%s", machine);
	if (si->has_memory)
		sysinfo_format_memory(si->memory_bytes, mem, sizeof(mem));
	line(o, "MEMORY SIZE", "%s", si->has_memory ? mem : "(unknown)");
	if (si->cpus)
		line(o, "CPUS", "%d", si->cpus);
	else
		line(o, "CPUS", "(unknown)");
	if (si->has_cpu_khz)
		line(o, "PROCESSOR SPEED", "%" PRIu64 " Mhz",
		     si->cpu_khz / 1000);
	else
		line(o, "PROCESSOR SPEED", "(unknown)");
	if (si->has_hz)
		line(o, "HZ", "%u", si->hz);
	else
		line(o, "HZ", "(unknown)");
	line(o, "PAGE SIZE", "%" PRIu32, page_size);
	line(o, "KERNEL VIRTUAL BASE", "%016" PRIx64, l->direct_map);
	line(o, "KERNEL VMALLOC BASE", "%016" PRIx64, l->vmalloc);
	line(o, "KERNEL VMEMMAP BASE", "%016" PRIx64, l->vmemmap);
	line(o, "KERNEL START MAP", "%016" PRIx64, l->kernel_text);
	line(o, "KERNEL OFFSET", "%" PRIx64, l->kernel_offset);
	line(o, "PAGE TABLE LEVELS", "%d", l->levels);
}

static void print_json(struct session *s, const struct sysinfo *si,
		       const struct arch_layout *l, const char *machine,
		       uint32_t page_size)
{
	struct json_writer w;

	json_init(&w, s->out, true);
	json_begin_object(&w);
	json_key_string(&w, "machine", machine);
	if (si->has_memory)
		json_key_uint(&w, "memory_bytes", si->memory_bytes);
	json_key_int(&w, "cpus", si->cpus);
	if (si->has_cpu_khz)
		json_key_uint(&w, "cpu_mhz", si->cpu_khz / 1000);
	if (si->has_hz)
		json_key_uint(&w, "hz", si->hz);
	json_key_uint(&w, "page_size", page_size);
	json_key_uint(&w, "kernel_virtual_base", l->direct_map);
	json_key_uint(&w, "kernel_vmalloc_base", l->vmalloc);
	json_key_uint(&w, "kernel_vmemmap_base", l->vmemmap);
	json_key_uint(&w, "kernel_start_map", l->kernel_text);
	json_key_uint(&w, "kernel_offset", l->kernel_offset);
	json_key_int(&w, "page_table_levels", l->levels);
	json_end_object(&w);
	json_finish(&w);
}

static struct kdk_error *cmd_mach(struct session *s, int argc, char **argv)
{
	struct command_opts o;
	struct kdk_error *err;
	struct arch_layout l;
	struct sysinfo si;
	const char *machine;
	int c;

	command_opts_init(&o, argc, argv);
	while ((c = command_opts_next(&o, &cmd_mach_def, "", &err)) != 0)
		if (err)
			return err;
	sysinfo_read(s->dump, s->target, s->symbols, &si);
	target_layout(s->target, &l);
	machine = si.has_uts ? si.machine : target_arch_name(s->target);
	if (s->json)
		print_json(s, &si, &l, machine, si.page_size);
	else
		print_text(s, &si, &l, machine, si.page_size);
	return NULL;
}

const struct command cmd_mach_def = {
	.name = "mach",
	.fn = cmd_mach,
	.summary = "machine specific data",
	.synopsis = "mach",
	.help =
"Shows the machine the kernel ran on and where the kernel put things in\n"
"its address space: the machine type, memory size, CPUs, processor speed\n"
"(x86_64), HZ, page size, the bases of the direct map, vmalloc and\n"
"vmemmap areas and of the kernel image mapping, the KASLR offset of the\n"
"kernel image, and the number of page-table levels.\n"
"Facts the dump does not hold are shown as (unknown).",
	.examples =
"  crash> mach\n"
"            MACHINE TYPE: x86_64\n"
"             MEMORY SIZE: 1 GB\n"
"                    CPUS: 2\n"
"  ...",
	.flags = CMD_NEEDS_TARGET,
};
