#include "debuginfo/vmcoreinfo_derive.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64_kaslr.h"
#include "debuginfo/btf.h"
#include "debuginfo/symtab.h"
#include "debuginfo/vmlinux.h"

/* The SYMBOL() lines of the kernel's VMCOREINFO that kdumpkit reads, or
 * that say where the kernel's own tables are, each &name as the kernel
 * writes it (VMCOREINFO_SYMBOL). swapper_pg_dir is x86_64's
 * init_top_pgt (arch/x86/include/asm/pgtable_64.h); kernels before 5.10
 * have log_buf and its indexes instead of prb. */
static const char *const symbols[] = {
	"init_uts_ns", "init_top_pgt", "_stext", "node_online_map",
	"vmap_area_list", "node_data",
	"prb", "printk_rb_static", "clear_seq",
	"log_buf", "log_buf_len", "log_first_idx", "log_next_idx",
	"kallsyms_names", "kallsyms_num_syms", "kallsyms_token_table",
	"kallsyms_token_index", "kallsyms_offsets", "kallsyms_relative_base",
	"kallsyms_addresses",
};

/* OFFSET(type.member) lines: kernel/vmcore_info.c's uts name and
 * list_head, and log_buf_vmcoreinfo_setup()'s (both ring layouts). */
static const char *const offsets[] = {
	"uts_namespace.name", "list_head.next", "list_head.prev",
	"printk_ringbuffer.desc_ring", "printk_ringbuffer.text_data_ring",
	"printk_ringbuffer.fail",
	"prb_desc_ring.count_bits", "prb_desc_ring.descs",
	"prb_desc_ring.infos", "prb_desc_ring.head_id",
	"prb_desc_ring.tail_id",
	"prb_desc.state_var", "prb_desc.text_blk_lpos",
	"prb_data_blk_lpos.begin", "prb_data_blk_lpos.next",
	"printk_info.seq", "printk_info.ts_nsec", "printk_info.text_len",
	"printk_info.caller_id", "printk_info.dev_info",
	"dev_printk_info.subsystem", "dev_printk_info.device",
	"prb_data_ring.size_bits", "prb_data_ring.data",
	"prb_data_ring.head_lpos", "prb_data_ring.tail_lpos",
	"printk_log.ts_nsec", "printk_log.len", "printk_log.text_len",
	"printk_log.dict_len",
};

static const char *const sizes[] = {
	"page", "list_head", "printk_ringbuffer", "prb_desc_ring", "prb_desc",
	"prb_data_blk_lpos", "printk_info", "dev_printk_info",
	"prb_data_ring", "printk_log",
};

/* LENGTH(name) = the size of a char array member
 * (VMCOREINFO_LENGTH(printk_info_subsystem, sizeof(dev_info->subsystem))). */
static const char *const lengths[][2] = {
	{ "printk_info_subsystem", "dev_printk_info.subsystem" },
	{ "printk_info_device", "dev_printk_info.device" },
};

struct derive {
	struct dump *d;
	struct symtab *link;		/* the vmlinux's, not relocated */
	struct kbtf *btf;
	struct x86_64_kaslr kaslr;
	FILE *out;
};

static struct kdk_error *link_sym(void *arg, const char *name, uint64_t *addr)
{
	return sym_lookup_name(arg, name, addr);
}

static struct kdk_error *read_phys(void *arg, uint64_t paddr, void *buf,
				   size_t len)
{
	return dump_read_phys(arg, paddr, buf, len);
}

/* The first vCPU whose state leads to the kernel; every other one that
 * does must agree with it. */
static struct kdk_error *find_kaslr(struct derive *x)
{
	const struct dump_notes *notes = dump_notes(x->d);
	struct kdk_error *first_err = NULL;
	size_t cpus = 0, found = 0;

	for (size_t i = 0; i < notes->n; i++) {
		const struct dump_note *n = &notes->v[i];
		struct x86_64_cpu_state st;
		struct x86_64_kaslr k;
		struct kdk_error *err;

		if (strcmp(n->name, X86_64_QEMU_NOTE_NAME) != 0 ||
		    n->type != X86_64_QEMU_NOTE_TYPE)
			continue;
		err = x86_64_qemu_cpu_state(n->desc, n->descsz, &st);
		if (!err)
			err = x86_64_kaslr_from_cpu(&st, read_phys, x->d,
						    link_sym, x->link, &k);
		if (err) {
			if (!first_err)
				first_err = kdk_error_wrap(err, "vCPU %zu",
							   cpus);
			else
				kdk_error_free(err);
			cpus++;
			continue;
		}
		if (found && (k.kernel_offset != x->kaslr.kernel_offset ||
			      k.phys_base != x->kaslr.phys_base)) {
			kdk_error_free(first_err);
			return kdk_error(KDK_ERR_FORMAT, "vCPUs disagree on the "
					 "KASLR offset (%#" PRIx64 " and %#"
					 PRIx64 ")", x->kaslr.kernel_offset,
					 k.kernel_offset);
		}
		if (!found++)
			x->kaslr = k;
		cpus++;
	}
	if (found) {
		kdk_error_free(first_err);
		return NULL;
	}
	if (first_err)
		return first_err;
	return kdk_error(KDK_ERR_NOT_FOUND, "the dump has no QEMU CPU state "
			 "notes (only QEMU's dump-guest-memory writes the "
			 "control registers this needs)");
}

/* "Linux version 6.1.0-56-cloud-amd64 (...": the release. */
static struct kdk_error *release_of(const struct vmlinux *v, char *buf,
				    size_t len)
{
	static const char prefix[] = "Linux version ";
	const char *b = vmlinux_banner(v);
	size_t n;

	if (!b || strncmp(b, prefix, sizeof(prefix) - 1) != 0)
		return kdk_error(KDK_ERR_FORMAT, "the vmlinux has no "
				 "linux_banner");
	b += sizeof(prefix) - 1;
	n = strcspn(b, " \n");
	if (!n || n >= len)
		return kdk_error(KDK_ERR_FORMAT, "the vmlinux's linux_banner "
				 "has no release");
	memcpy(buf, b, n);
	buf[n] = '\0';
	return NULL;
}

static void split(const char *dotted, char *type, size_t len,
		  const char **path)
{
	const char *dot = strchr(dotted, '.');
	size_t n = (size_t)(dot - dotted);

	snprintf(type, len, "%.*s", (int)(n < len ? n : len - 1), dotted);
	*path = dot + 1;
}

/* Lines for what this kernel has; what it lacks is left out, as the
 * kernel leaves it out. */
static void write_layout(struct derive *x)
{
	bool ring = sym_find_name(x->link, "prb") != NULL;
	char type[64];
	const char *path;

	for (size_t i = 0; i < sizeof(symbols) / sizeof(*symbols); i++) {
		uint64_t addr;
		struct kdk_error *err;

		/* 5.10+ still has log_buf, but writes only the ring's lines */
		if (ring && strncmp(symbols[i], "log_", 4) == 0)
			continue;
		err = sym_lookup_name(x->link, symbols[i], &addr);
		if (err) {
			kdk_error_free(err);
			continue;
		}
		addr += x->kaslr.kernel_offset;
		fprintf(x->out, "SYMBOL(%s)=%" PRIx64 "\n", symbols[i], addr);
		if (strcmp(symbols[i], "init_top_pgt") == 0)
			fprintf(x->out, "SYMBOL(swapper_pg_dir)=%" PRIx64 "\n",
				addr);
	}
	for (size_t i = 0; i < sizeof(offsets) / sizeof(*offsets); i++) {
		struct kbtf_member m;
		struct kdk_error *err;

		split(offsets[i], type, sizeof(type), &path);
		err = kbtf_member(x->btf, type, path, &m);
		if (!err)
			fprintf(x->out, "OFFSET(%s)=%" PRIu64 "\n", offsets[i],
				m.offset);
		kdk_error_free(err);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		struct kdk_error *err;
		uint64_t size;
		uint32_t id;

		err = kbtf_find_struct(x->btf, sizes[i], &id);
		if (!err)
			err = kbtf_type_size(x->btf, id, &size);
		if (!err)
			fprintf(x->out, "SIZE(%s)=%" PRIu64 "\n", sizes[i],
				size);
		kdk_error_free(err);
	}
	for (size_t i = 0; i < sizeof(lengths) / sizeof(*lengths); i++) {
		struct kbtf_member m;
		struct kdk_error *err;

		split(lengths[i][1], type, sizeof(type), &path);
		err = kbtf_member(x->btf, type, path, &m);
		if (!err)
			fprintf(x->out, "LENGTH(%s)=%" PRIu64 "\n",
				lengths[i][0], m.size);
		kdk_error_free(err);
	}
}

static struct kdk_error *derive(struct derive *x, const struct vmlinux *v,
				const char *path)
{
	char release[65];
	struct kdk_error *err;

	if (strcmp(vmlinux_machine(v), dump_facts(x->d)->machine) != 0)
		return kdk_error(KDK_ERR_FORMAT, "the vmlinux is %s, the dump "
				 "%s", vmlinux_machine(v),
				 dump_facts(x->d)->machine);
	if (strcmp(dump_facts(x->d)->machine, "x86_64") != 0)
		return kdk_error(KDK_ERR_NOT_BUILT, "possible on x86_64 "
				 "only, from QEMU's CPU state (QEMU's arm64 "
				 "dumps hold no TTBR1 to find the kernel "
				 "with)");
	err = release_of(v, release, sizeof(release));
	if (!err)
		err = vmlinux_symtab(v, 0, &x->link);
	if (!err)
		err = find_kaslr(x);
	if (!err) {
		err = kbtf_from_elf(path, &x->btf);
		err = kdk_error_wrap(err, "the vmlinux's types");
	}
	if (err)
		return err;
	fprintf(x->out, "OSRELEASE=%s\nPAGESIZE=%u\n", release,
		dump_facts(x->d)->page_size ? dump_facts(x->d)->page_size :
		4096);
	write_layout(x);
	fprintf(x->out, "NUMBER(phys_base)=%" PRIu64 "\n"
		"NUMBER(pgtable_l5_enabled)=%d\nKERNELOFFSET=%" PRIx64 "\n",
		x->kaslr.phys_base, x->kaslr.levels == 5,
		x->kaslr.kernel_offset);
	return NULL;
}

struct kdk_error *vmcoreinfo_derive(struct dump *d, const char *vmlinux_path,
				    char **text)
{
	struct derive x = { .d = d };
	struct vmlinux *v = NULL;
	struct kdk_error *err;
	size_t len = 0;

	*text = NULL;
	x.out = open_memstream(text, &len);
	if (!x.out)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	err = kdk_error_wrap(vmlinux_open(vmlinux_path, &v), "%s",
			     vmlinux_path);
	if (!err)
		err = derive(&x, v, vmlinux_path);
	if (fclose(x.out) && !err)
		err = kdk_error(KDK_ERR_NOMEM, "out of memory");
	vmlinux_close(v);
	symtab_free(x.link);
	kbtf_free(x.btf);
	if (err) {
		free(*text);
		*text = NULL;
		return kdk_error_wrap(err, "deriving VMCOREINFO from the "
				      "vmlinux and the CPU state");
	}
	return NULL;
}
