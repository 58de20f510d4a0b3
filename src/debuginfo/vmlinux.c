/* Reading a vmlinux with libelf, from a mapping of the file: the ELF
 * header, the GNU build-id note, .symtab and the bytes of linux_banner.
 * Checking it against a dump is vmlinux_check.c. */
#include "debuginfo/vmlinux.h"

#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BANNER_MAX	1024		/* the kernel's is ~200 bytes */

/* What a symbol's section says about it. */
struct section {
	uint64_t addr, size;
	uint64_t flags;
	uint32_t type;
};

struct vmlinux {
	int fd;
	Elf *elf;
	GElf_Ehdr eh;
	struct section *sections;
	size_t nsections;
	Elf_Scn *symtab;
	Elf_Data *symtab_shndx;		/* SHT_SYMTAB_SHNDX, or NULL */
	size_t strtab;			/* section index of the names */
	/* [image_start, image_end]: where the kernel image is linked, the
	 * addresses KASLR moves. */
	uint64_t image_start, image_end;
	char build_id[129];
	char *banner;
	uint64_t banner_addr;
};

static const char *machine_name(const GElf_Ehdr *eh)
{
	bool le = eh->e_ident[EI_DATA] == ELFDATA2LSB;

	switch (eh->e_machine) {
	case EM_X86_64:		return "x86_64";
	case EM_AARCH64:	return le ? "aarch64" : "aarch64_be";
	case EM_386:		return "i386";
	case EM_ARM:		return "arm";
	case EM_PPC64:		return le ? "ppc64le" : "ppc64";
	case EM_PPC:		return "ppc";
	case EM_S390:		return "s390x";
	case EM_RISCV:		return "riscv64";
	case EM_LOONGARCH:	return "loongarch64";
	case EM_MIPS:		return "mips";
	default:		return "unknown";
	}
}

static struct kdk_error *elf_err(const char *what)
{
	return kdk_error(KDK_ERR_FORMAT, "%s: %s", what, elf_errmsg(-1));
}

static struct kdk_error *read_sections(struct vmlinux *v)
{
	Elf_Scn *scn = NULL;

	if (elf_getshdrnum(v->elf, &v->nsections) != 0)
		return elf_err("section headers");
	v->sections = calloc(v->nsections ? v->nsections : 1,
			     sizeof(*v->sections));
	if (!v->sections)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	v->image_start = UINT64_MAX;
	while ((scn = elf_nextscn(v->elf, scn))) {
		size_t i = elf_ndxscn(scn);
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || i >= v->nsections)
			return elf_err("a section header");
		v->sections[i] = (struct section){ sh.sh_addr, sh.sh_size,
						   sh.sh_flags, sh.sh_type };
		if (sh.sh_type == SHT_SYMTAB && !v->symtab) {
			v->symtab = scn;
			v->strtab = sh.sh_link;
		}
		/* x86_64 links its per-CPU section at 0: not the image. */
		if ((sh.sh_flags & SHF_ALLOC) && sh.sh_addr) {
			if (sh.sh_addr < v->image_start)
				v->image_start = sh.sh_addr;
			if (sh.sh_addr + sh.sh_size > v->image_end)
				v->image_end = sh.sh_addr + sh.sh_size;
		}
	}
	if (!v->symtab)
		return kdk_error(KDK_ERR_FORMAT, "no symbol table (.symtab): "
				 "a stripped kernel; the vmlinux of the "
				 "-dbg/-debuginfo package has one");
	if (v->strtab >= v->nsections)
		return kdk_error(KDK_ERR_FORMAT, "the symbol table's names "
				 "are in section %zu of %zu", v->strtab,
				 v->nsections);
	return NULL;
}

/* The index section of a symtab with more than 65279 sections. */
static void find_shndx(struct vmlinux *v)
{
	size_t symtab = elf_ndxscn(v->symtab);
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(v->elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB_SHNDX &&
		    sh.sh_link == symtab) {
			v->symtab_shndx = elf_getdata(scn, NULL);
			return;
		}
	}
}

static void read_build_id(struct vmlinux *v)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(v->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(data, off, &nh, &name_off,
					   &desc_off)) > 0) {
			const unsigned char *desc;

			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)data->d_buf + name_off, "GNU", 4) ||
			    nh.n_descsz == 0 || nh.n_descsz > 64)
				continue;
			desc = (const unsigned char *)data->d_buf + desc_off;
			for (size_t i = 0; i < nh.n_descsz; i++)
				sprintf(v->build_id + 2 * i, "%02x", desc[i]);
			return;
		}
	}
}

static bool get_sym(const struct vmlinux *v, Elf_Data *data, size_t i,
		    GElf_Sym *sym, size_t *shndx)
{
	Elf32_Word x = 0;

	if (!gelf_getsymshndx(data, v->symtab_shndx, i, sym, &x))
		return false;
	*shndx = sym->st_shndx == SHN_XINDEX ? x : sym->st_shndx;
	return true;
}

/* The banner's bytes, from the file where its section holds them. */
static struct kdk_error *read_banner(struct vmlinux *v, const GElf_Sym *sym,
				     size_t shndx)
{
	const struct section *sec;
	size_t file_size, len;
	const char *file, *p;
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (shndx == SHN_UNDEF || shndx >= v->nsections)
		return NULL;
	sec = &v->sections[shndx];
	scn = elf_getscn(v->elf, shndx);
	file = elf_rawfile(v->elf, &file_size);
	if (!scn || !gelf_getshdr(scn, &sh) || !file ||
	    sec->type == SHT_NOBITS || sym->st_value < sec->addr ||
	    sym->st_value - sec->addr >= sec->size ||
	    sh.sh_offset + sec->size > file_size)
		return kdk_error(KDK_ERR_FORMAT, "linux_banner lies outside "
				 "the file");
	p = file + sh.sh_offset + (sym->st_value - sec->addr);
	len = sec->size - (sym->st_value - sec->addr);
	if (len > BANNER_MAX)
		len = BANNER_MAX;
	len = strnlen(p, len);
	v->banner = strndup(p, len);
	if (!v->banner)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	v->banner_addr = sym->st_value;
	return NULL;
}

static struct kdk_error *find_banner(struct vmlinux *v)
{
	Elf_Data *data = elf_getdata(v->symtab, NULL);
	size_t n, shndx;
	GElf_Shdr sh;

	if (!data || !gelf_getshdr(v->symtab, &sh) || !sh.sh_entsize)
		return elf_err("the symbol table");
	n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!get_sym(v, data, i, &sym, &shndx))
			return elf_err("a symbol");
		if (GELF_ST_TYPE(sym.st_info) != STT_OBJECT)
			continue;
		name = elf_strptr(v->elf, v->strtab, sym.st_name);
		if (name && strcmp(name, "linux_banner") == 0)
			return read_banner(v, &sym, shndx);
	}
	return NULL;
}

struct kdk_error *vmlinux_open(const char *path, struct vmlinux **out)
{
	struct vmlinux *v = calloc(1, sizeof(*v));
	struct kdk_error *err = NULL;

	if (!v)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	v->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0) {
		free(v);
		return kdk_error_errno("cannot open");
	}
	elf_version(EV_CURRENT);
	v->elf = elf_begin(v->fd, ELF_C_READ_MMAP, NULL);
	if (!v->elf || elf_kind(v->elf) != ELF_K_ELF)
		err = kdk_error(KDK_ERR_FORMAT, "not a vmlinux: not an ELF "
				"file");
	else if (!gelf_getehdr(v->elf, &v->eh))
		err = elf_err("the ELF header");
	else if (v->eh.e_type == ET_CORE)
		err = kdk_error(KDK_ERR_FORMAT, "not a vmlinux: an ELF core "
				"file (a dump)");
	else if (v->eh.e_type != ET_EXEC && v->eh.e_type != ET_DYN)
		err = kdk_error(KDK_ERR_FORMAT, "not a vmlinux: an ELF file "
				"of type %u", v->eh.e_type);
	if (!err)
		err = read_sections(v);
	if (!err) {
		find_shndx(v);
		read_build_id(v);
		err = find_banner(v);
	}
	if (err) {
		vmlinux_close(v);
		return err;
	}
	*out = v;
	return NULL;
}

void vmlinux_close(struct vmlinux *v)
{
	if (!v)
		return;
	if (v->elf)
		elf_end(v->elf);
	if (v->fd >= 0)
		close(v->fd);
	free(v->sections);
	free(v->banner);
	free(v);
}

const char *vmlinux_machine(const struct vmlinux *v)
{
	return machine_name(&v->eh);
}

const char *vmlinux_build_id(const struct vmlinux *v)
{
	return v->build_id;
}

const char *vmlinux_banner(const struct vmlinux *v)
{
	return v->banner;
}

uint64_t vmlinux_banner_addr(const struct vmlinux *v)
{
	return v->banner_addr;
}

/* One symbol on its way into the symtab, with what orders it among
 * the symbols at its address. */
struct entry {
	uint64_t addr;
	const char *name;
	uint32_t len;
	uint32_t size;		/* st_size, saturated */
	char type;
	uint8_t rank;		/* weak, linker-provided, underscores */
};

/*
 * nm's letter (binutils bfd_decode_symclass, for ELF): absolute 'A',
 * weak 'W' ('V' for objects), GNU ifunc 'i', unique 'u', else by the
 * section: code 't', NOBITS 'b', writable 'd', other allocated 'r',
 * not allocated 'n'; upper case when global.
 */
static char type_letter(const struct vmlinux *v, const GElf_Sym *sym,
			size_t shndx)
{
	int bind = GELF_ST_BIND(sym->st_info);
	int type = GELF_ST_TYPE(sym->st_info);
	const struct section *sec;
	char c;

	if (shndx == SHN_ABS)
		c = 'a';
	else if (shndx == SHN_COMMON)
		return 'C';
	else if (type == STT_GNU_IFUNC)
		return 'i';
	else if (bind == STB_WEAK)
		return type == STT_OBJECT ? 'V' : 'W';
	else if (bind == STB_GNU_UNIQUE)
		return 'u';
	else if (shndx >= v->nsections)
		return '?';
	else {
		sec = &v->sections[shndx];
		if (sec->flags & SHF_EXECINSTR)
			c = 't';
		else if (!(sec->flags & SHF_ALLOC))
			c = 'n';
		else if (sec->type == SHT_NOBITS)
			c = 'b';
		else if (sec->flags & SHF_WRITE)
			c = 'd';
		else
			c = 'r';
	}
	return bind == STB_LOCAL ? c : c - 'a' + 'A';
}

/* Names that are no symbol of the kernel's: ARM mapping symbols ($x,
 * $d ...), assembler local labels, and local absolute values, which
 * are constants of an assembly file (scripts/kallsyms.c drops them
 * too). */
static bool wanted(const GElf_Sym *sym, size_t shndx, const char *name)
{
	int type = GELF_ST_TYPE(sym->st_info);

	if (!name || !*name || name[0] == '$' ||
	    strncmp(name, ".L", 2) == 0)
		return false;
	if (type == STT_SECTION || type == STT_FILE || shndx == SHN_UNDEF)
		return false;
	return !(shndx == SHN_ABS && GELF_ST_BIND(sym->st_info) == STB_LOCAL);
}

static bool is_weak(char type)
{
	return type == 'W' || type == 'w' || type == 'V' || type == 'v';
}

/* A name the linker script may PROVIDE: __start_X, __stop_X, __end_X,
 * __X_start, __X_end. */
static bool linker_provided(const char *name, size_t len)
{
	if (len < 8 || name[0] != '_' || name[1] != '_')
		return false;
	return memcmp(name + 2, "start_", 6) == 0 ||
	       memcmp(name + 2, "stop_", 5) == 0 ||
	       memcmp(name + 2, "end_", 4) == 0 ||
	       memcmp(name + len - 6, "_start", 6) == 0 ||
	       memcmp(name + len - 4, "_end", 4) == 0;
}

/* scripts/kallsyms.c's order for symbols at one address: strong before
 * weak, then not linker-provided before linker-provided, then fewer
 * leading underscores first. */
static uint8_t rank(const char *name, size_t len, char type)
{
	size_t under = strspn(name, "_");

	return is_weak(type) << 7 | linker_provided(name, len) << 6 |
	       (under < 63 ? under : 63);
}

/* By address, rank, then name (nm -n's order, the one kallsyms is given
 * its input in). */
static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Sort by address (an LSD radix sort, stable, skipping the bytes all
 * addresses share: a kernel's are one narrow range), then each run of
 * equal addresses by cmp_entry. qsort alone spent most of the load. */
static struct kdk_error *sort_entries(struct entry *e, size_t n)
{
	struct entry *tmp = malloc((n ? n : 1) * sizeof(*tmp)), *from = e, *to;
	size_t count[8][256] = { { 0 } };

	if (!tmp)
		return kdk_error(KDK_ERR_NOMEM, "out of memory for symbols");
	to = tmp;
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			count[b][e[i].addr >> (8 * b) & 0xff]++;
	for (int b = 0; b < 8; b++) {
		size_t pos = 0, *c = count[b];
		struct entry *swap;

		if (n && c[from[0].addr >> (8 * b) & 0xff] == n)
			continue;	/* one value: nothing moves */
		for (int v = 0; v < 256; v++) {
			size_t k = c[v];

			c[v] = pos;
			pos += k;
		}
		for (size_t i = 0; i < n; i++)
			to[c[from[i].addr >> (8 * b) & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != e)
		memcpy(e, from, n * sizeof(*e));
	free(tmp);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && e[j].addr == e[i].addr; j++)
			;
		if (j - i > 1)
			qsort(e + i, j - i, sizeof(*e), cmp_entry);
	}
	return NULL;
}

/* Does KASLR move this symbol? Those of the image's sections do, even
 * past a section's end (arm64's init_pg_dir and _end follow .bss).
 * x86_64's per-CPU section is linked at 0: its symbols are offsets and
 * stay, except the linker's own there that point into the image
 * (__per_cpu_load, __init_begin). Absolute symbols move likewise when
 * they point into the image (x86_64's init_per_cpu__*), not when they
 * are sizes or flags. */
static bool moved(const struct vmlinux *v, const GElf_Sym *sym, size_t shndx)
{
	const struct section *sec;

	if (shndx < v->nsections) {
		sec = &v->sections[shndx];
		if ((sec->flags & SHF_ALLOC) && sec->addr)
			return true;
	}
	return sym->st_value >= v->image_start &&
	       sym->st_value <= v->image_end;
}

static struct kdk_error *collect(const struct vmlinux *v, uint64_t offset,
				 struct entry **out, size_t *count)
{
	Elf_Data *data = elf_getdata(v->symtab, NULL);
	struct entry *e;
	size_t n, m = 0, shndx;
	GElf_Shdr sh;

	if (!data || !gelf_getshdr(v->symtab, &sh) || !sh.sh_entsize)
		return elf_err("the symbol table");
	n = sh.sh_size / sh.sh_entsize;
	e = malloc((n ? n : 1) * sizeof(*e));
	if (!e)
		return kdk_error(KDK_ERR_NOMEM, "out of memory for symbols");
	for (size_t i = 1; i < n; i++) {
		const char *name;
		GElf_Sym sym;

		if (!get_sym(v, data, i, &sym, &shndx)) {
			free(e);
			return elf_err("a symbol");
		}
		name = elf_strptr(v->elf, v->strtab, sym.st_name);
		if (!wanted(&sym, shndx, name))
			continue;
		e[m].addr = sym.st_value + (moved(v, &sym, shndx) ? offset : 0);
		e[m].name = name;
		e[m].len = strlen(name);
		e[m].size = sym.st_size > UINT32_MAX ? UINT32_MAX : sym.st_size;
		e[m].type = type_letter(v, &sym, shndx);
		e[m].rank = rank(name, e[m].len, e[m].type);
		m++;
	}
	*out = e;
	*count = m;
	return NULL;
}

struct kdk_error *vmlinux_symtab(const struct vmlinux *v, uint64_t offset,
				 struct symtab **out)
{
	struct kdk_error *err;
	struct symtab *st;
	struct entry *e = NULL;
	size_t n = 0;

	err = collect(v, offset, &e, &n);
	if (err)
		return err;
	err = sort_entries(e, n);
	st = err ? NULL : symtab_new();
	if (!err && !st)
		err = kdk_error(KDK_ERR_NOMEM, "out of memory for symbols");
	for (size_t i = 0; i < n && !err; i++)
		err = symtab_add_sized(st, e[i].name, e[i].len, e[i].addr,
				       e[i].type, e[i].size);
	if (!err)
		err = symtab_finish(st);
	free(e);
	if (err) {
		symtab_free(st);
		return err;
	}
	*out = st;
	return NULL;
}
