/* Is a vmlinux the kernel a dump came from? Symbols of another build
 * would name the wrong functions and read the wrong variables without any
 * sign of it, so a vmlinux is checked before anything uses it, and
 * refused when it does not match (crash 8.0.2 only warns "kernel version
 * inconsistency between vmlinux and dumpfile", and for another
 * architecture "machine type mismatch", then goes on).
 *
 * Three witnesses, each when there is one: the ELF machine against the
 * dump's; the GNU build-id against VMCOREINFO's BUILD-ID (kernel/
 * vmcore_info.c writes it since 5.18); linux_banner, the "Linux version
 * ..." string (init/version.c) that holds the release, the compiler and
 * the build's number and date, against the dump's bytes at the same
 * place once KASLR has moved it.
 */
#include "debuginfo/vmlinux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BANNER_PREFIX	"Linux version "
#define DUMP_BANNER_MAX	512

/* One side of the comparison, as the message shows it. */
struct kernel_id {
	char release[65];
	char version[128];	/* UTS_VERSION: "#1 SMP ... (date)"; "" */
	const char *machine;
	const char *build_id;	/* hex; NULL or "" if unknown */
};

uint64_t vmlinux_kaslr_offset(const struct dump *d, const struct target *t)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(d);
	struct arch_layout layout;
	uint64_t off = 0;

	if (t) {
		target_layout(t, &layout);
		return layout.kernel_offset;
	}
	if (vi)
		kdk_error_free(vmcoreinfo_hex(vi, "KERNELOFFSET", &off));
	return off;
}

/* The dump's machine: its header's, unless that names none we know
 * (QEMU writes "Unknown" in arm64 kdump-compressed headers); then what
 * VMCOREINFO's arch-only keys say. */
static const char *dump_machine(const struct dump *d)
{
	const char *m = dump_facts(d)->machine;
	const char *guess;

	if (!arch_find(m) && (guess = arch_guess_machine(dump_vmcoreinfo(d))))
		return guess;
	return m;
}

static bool same_machine(const char *a, const char *b)
{
	return strcmp(a, b) == 0 || (arch_find(a) && arch_find(a) == arch_find(b));
}

/* The release and version in "Linux version RELEASE (who@host)
 * (compiler) VERSION\n" (init/version.c); the version is UTS_VERSION,
 * which starts with '#'. */
static void parse_banner(const char *banner, struct kernel_id *id)
{
	const char *p, *v;
	size_t n;

	if (!banner || strncmp(banner, BANNER_PREFIX, strlen(BANNER_PREFIX)))
		return;
	p = banner + strlen(BANNER_PREFIX);
	n = strcspn(p, " \n");
	if (!id->release[0])
		snprintf(id->release, sizeof(id->release), "%.*s", (int)n, p);
	v = strstr(p, ") #");
	if (v) {
		v += 2;
		snprintf(id->version, sizeof(id->version), "%.*s",
			 (int)strcspn(v, "\n"), v);
	}
}

static void describe(const struct kernel_id *id, const struct kernel_id *other,
		     char *buf, size_t len)
{
	bool show_version = id->version[0] &&
			    strcmp(id->release, other->release) == 0 &&
			    strcmp(id->version, other->version) != 0;

	snprintf(buf, len, "%s%s%s%s (%s%s%s)",
		 id->release[0] ? id->release : "of an unknown release",
		 show_version ? " \"" : "", show_version ? id->version : "",
		 show_version ? "\"" : "", id->machine,
		 id->build_id && *id->build_id ? ", build-id " : "",
		 id->build_id && *id->build_id ? id->build_id : "");
}

static struct kdk_error *mismatch(const char *path, const struct kernel_id *vm,
				  const struct kernel_id *dump, bool banner)
{
	char a[320], b[320];

	describe(vm, dump, a, sizeof(a));
	describe(dump, vm, b, sizeof(b));
	return kdk_error(KDK_ERR_FORMAT, "%s does not match the dump: vmlinux "
			 "is %s, the dump is %s%s", path, a, b,
			 banner && strcmp(a, b) == 0 ?
			 "; their linux_banner strings differ" : "");
}

/* The dump's build-id is VMCOREINFO's hex of the first 20 bytes
 * (BUILD_ID_SIZE_MAX); a longer ELF note still matches on those. */
static bool same_build_id(const char *dump, const char *vmlinux)
{
	size_t n = strlen(dump);

	return n && n <= strlen(vmlinux) && strncasecmp(dump, vmlinux, n) == 0;
}

/* Read the dump's banner where the vmlinux has it: *equal says whether
 * it is the same string; the dump's own text goes to id. */
static struct kdk_error *read_dump_banner(const struct vmlinux *v,
					  struct dump *d, struct target *t,
					  struct kernel_id *id, bool *equal)
{
	const char *want = vmlinux_banner(v);
	uint64_t addr = vmlinux_banner_addr(v) + vmlinux_kaslr_offset(d, t);
	size_t len = strlen(want) + 1;
	char buf[DUMP_BANNER_MAX + 1];
	struct kdk_error *err;

	if (len > DUMP_BANNER_MAX)
		len = DUMP_BANNER_MAX;
	err = target_read_kvaddr(t, addr, buf, len);
	if (err)
		return kdk_error_wrap(err, "reading the dump's linux_banner "
				      "at %#llx", (unsigned long long)addr);
	buf[len] = '\0';
	*equal = memcmp(buf, want, len) == 0;
	parse_banner(buf, id);
	return NULL;
}

struct kdk_error *vmlinux_check_dump(const struct vmlinux *v,
				     const char *path, struct dump *d,
				     struct target *t)
{
	const struct dump_facts *f = dump_facts(d);
	struct kernel_id vm = { .machine = vmlinux_machine(v),
				.build_id = vmlinux_build_id(v) };
	struct kernel_id dump = { .machine = dump_machine(d) };
	const char *release = dump_vmcoreinfo_get(d, "OSRELEASE");
	struct kdk_error *why = NULL;
	bool by_build_id = false, by_banner = false, banner_equal = false;

	parse_banner(vmlinux_banner(v), &vm);
	snprintf(dump.release, sizeof(dump.release), "%s",
		 release && *release ? release : f->release);
	dump.build_id = dump_vmcoreinfo_get(d, "BUILD-ID");
	if (!vmlinux_banner(v))
		why = kdk_error(KDK_ERR_NOT_FOUND, "the vmlinux has no "
				"linux_banner symbol");
	else if (!t)
		why = kdk_error(KDK_ERR_NOT_PRESENT, "no kernel virtual memory "
				"to read the dump's linux_banner from");
	else
		why = read_dump_banner(v, d, t, &dump, &banner_equal);
	by_banner = !why;
	if (!same_machine(vm.machine, dump.machine))
		goto refuse;
	if (dump.build_id && *dump.build_id && *vm.build_id) {
		by_build_id = true;
		if (!same_build_id(dump.build_id, vm.build_id))
			goto refuse;
	}
	if (by_banner && !banner_equal)
		goto refuse;
	if (!by_banner && !by_build_id) {
		struct kdk_error *err = kdk_error(KDK_ERR_NOT_FOUND, "cannot "
			"tell whether %s matches the dump: %s, and %s",
			path, dump.build_id && *dump.build_id ?
			"the vmlinux has no build-id" : !dump_vmcoreinfo(d) ?
			"the dump has no VMCOREINFO (no BUILD-ID)" :
			"the dump has no BUILD-ID in VMCOREINFO",
			why->msg);

		kdk_error_free(why);
		return err;
	}
	kdk_error_free(why);
	return NULL;
refuse:
	kdk_error_free(why);
	return mismatch(path, &vm, &dump, by_banner && !banner_equal);
}

static struct kdk_error *lookup_symtab(void *arg, const char *name,
				       uint64_t *addr)
{
	return sym_lookup_name(arg, name, addr);
}

struct kdk_error *vmlinux_load(const char *path, struct dump *d,
			       struct target *t, struct symtab **out)
{
	struct vmlinux *v = NULL;
	struct symtab *st = NULL;
	struct kdk_error *err;

	err = vmlinux_open(path, &v);
	if (err)
		return kdk_error_wrap(err, "%s", path);
	err = vmlinux_check_dump(v, path, d, t);
	if (!err) {
		err = vmlinux_symtab(v, vmlinux_kaslr_offset(d, t), &st);
		err = kdk_error_wrap(err, "%s: symbols", path);
	}
	if (!err && t)
		err = target_use_symbols(t, lookup_symtab, st);
	vmlinux_close(v);
	if (err) {
		symtab_free(st);
		return err;
	}
	*out = st;
	return NULL;
}
