#include "capture/header_info.h"

#include <stdlib.h>
#include <string.h>

#include "dump/notes.h"
#include "dump/vmcoreinfo.h"

enum { UTS_SYSNAME, UTS_NODENAME, UTS_RELEASE, UTS_VERSION, UTS_MACHINE,
       UTS_DOMAINNAME };

/* struct new_utsname: six strings of 65 bytes (include/uapi/linux/utsname.h) */
static bool read_utsname(struct target *t, const struct vmcoreinfo *vi,
			 char uts[6][65])
{
	uint64_t addr, off;
	struct kdk_error *err;

	if (!t || !vi)
		return false;
	err = vmcoreinfo_symbol(vi, "init_uts_ns", &addr);
	if (!err)
		err = vmcoreinfo_offset(vi, "uts_namespace.name", &off);
	if (!err)
		err = target_read_kvaddr(t, addr + off, uts, 6 * 65);
	kdk_error_free(err);
	for (int i = 0; !err && i < 6; i++)
		uts[i][64] = '\0';
	return !err;
}

static void fallback_utsname(struct dump *d, const struct vmcoreinfo *vi,
			     char uts[6][65])
{
	const char *release = vi ? vmcoreinfo_get(vi, "OSRELEASE") : NULL;

	memset(uts, 0, 6 * 65);
	strcpy(uts[UTS_SYSNAME], "Linux");
	if (release)
		snprintf(uts[UTS_RELEASE], 65, "%s", release);
	snprintf(uts[UTS_MACHINE], 65, "%s", dump_facts(d)->machine);
}

static uint64_t phys_base(struct dump *d, const struct vmcoreinfo *vi)
{
	const char *machine = dump_facts(d)->machine;
	int64_t v;
	struct kdk_error *err;

	if (!vi)
		return dump_facts(d)->phys_base;
	/* what makedumpfile puts there: x86_64's physical load offset,
	 * arm64's PHYS_OFFSET (arch/arm64.c: get_phys_base_arm64()) */
	err = vmcoreinfo_number(vi, strcmp(machine, "aarch64") == 0 ?
				    "PHYS_OFFSET" : "phys_base", &v);
	if (err) {
		kdk_error_free(err);
		return dump_facts(d)->phys_base;
	}
	return (uint64_t)v;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* VMCOREINFO's text again, "KEY=VALUE\n" a line, as the kernel wrote it. */
static char *vmcoreinfo_text(const struct vmcoreinfo *vi, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < vmcoreinfo_count(vi); i++) {
		const char *key, *value;

		vmcoreinfo_line(vi, i, &key, &value);
		fprintf(f, "%s=%s\n", key, value);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The input's notes and a VMCOREINFO note after them. */
static struct kdk_error *add_vmcoreinfo_note(const struct dump_notes *notes,
					     const struct vmcoreinfo *vi,
					     struct kdump_header_info *info)
{
	static const char name[] = "VMCOREINFO";
	size_t have = notes ? notes->size : 0, len, size;
	char *text = vmcoreinfo_text(vi, &len);
	unsigned char *p;
	uint32_t head[3] = { sizeof(name), 0, 0 };

	if (!text)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	size = have + 12 + align4(sizeof(name)) + align4(len);
	p = calloc(1, size);
	if (!p) {
		free(text);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	if (have)
		memcpy(p, notes->data, have);
	head[1] = (uint32_t)len;
	memcpy(p + have, head, sizeof(head));
	memcpy(p + have + 12, name, sizeof(name));
	memcpy(p + have + 12 + align4(sizeof(name)), text, len);
	free(text);
	info->notes = info->notes_owned = p;
	info->notes_size = size;
	info->vmcoreinfo_off = have + 12 + align4(sizeof(name));
	info->vmcoreinfo_size = len;
	return NULL;
}

void header_info_free(struct kdump_header_info *info)
{
	free(info->notes_owned);
	info->notes_owned = NULL;
	info->notes = NULL;
}

struct kdk_error *header_info_gather(struct dump *d, struct target *t,
				     struct kdump_header_info *info)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(d);
	const struct dump_notes *notes = dump_notes(d);
	const struct dump_note *vn;
	int64_t crashtime;

	memset(info, 0, sizeof(*info));
	if (!read_utsname(t, vi, info->utsname))
		fallback_utsname(d, vi, info->utsname);
	info->timestamp = dump_facts(d)->timestamp;
	if (vi) {
		struct kdk_error *err = vmcoreinfo_decimal(vi, "CRASHTIME",
							   &crashtime);
		if (!err)
			info->timestamp = crashtime;
		kdk_error_free(err);
	}
	info->nr_cpus = dump_cpu_count(d);
	info->phys_base = phys_base(d, vi);
	if (notes && notes->size) {
		info->notes = notes->data;
		info->notes_size = notes->size;
		vn = dump_notes_find(notes, "VMCOREINFO", 0);
		if (vn) {
			info->vmcoreinfo_off = vn->desc - notes->data;
			info->vmcoreinfo_size = vn->descsz;
		}
	}
	if (vi && !info->vmcoreinfo_size)
		return add_vmcoreinfo_note(notes, vi, info);
	return NULL;
}
