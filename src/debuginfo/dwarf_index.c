#include "debuginfo/dwarf_index.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "debuginfo/dwarf.h"
#include "debuginfo/types.h"

/* The file: MAGIC, then entries sorted by (name, kind, decl), decl a
 * rank (0 a definition; for variables var_rank), each
 * "u64 die, u8 kind, u8 decl, name NUL", then MAGIC again (a file cut
 * short is caught). Little-endian, as every machine this runs on. */
static const char MAGIC[8] = "KDKDWX03";

struct entry {
	const char *name;
	uint64_t die;
	uint8_t kind;
	uint8_t decl;
};

struct dwarf_index {
	char *buf;			/* the file's bytes; names point in */
	size_t len;
	struct entry *e;
	size_t n;
	const char *origin;
	char *path;
};

/* ---- building ---- */

struct vec {
	struct entry *e;
	size_t n, cap;
};

static bool push(struct vec *v, const char *name, uint64_t die, int kind,
		 int decl)
{
	if (!name || !*name)
		return true;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 4096;
		struct entry *e = realloc(v->e, cap * sizeof(*e));

		if (!e)
			return false;
		v->e = e;
		v->cap = cap;
	}
	v->e[v->n++] = (struct entry){ name, die, (uint8_t)kind, decl };
	return true;
}

static bool is_decl(Dwarf_Die *d)
{
	Dwarf_Attribute a;
	bool flag = false;

	return dwarf_attr(d, DW_AT_declaration, &a) &&
	       dwarf_formflag(&a, &flag) == 0 && flag;
}

/* How a variable's DIE ranks among those of its name: a definition that
 * states its type (`const char linux_banner[204]`), then one whose type
 * is its declaration's (`const char linux_banner[]`, the __weak one in
 * init/version.c), then a declaration. */
static int var_rank(Dwarf_Die *d)
{
	Dwarf_Attribute a;

	if (is_decl(d))
		return 2;
	return dwarf_attr(d, DW_AT_type, &a) ? 0 : 1;
}

static int base_kind(Dwarf_Die *d)
{
	Dwarf_Attribute a;
	Dwarf_Word enc = 0;

	if (dwarf_attr(d, DW_AT_encoding, &a))
		dwarf_formudata(&a, &enc);
	return enc == DW_ATE_float ? TYPE_FLOAT : TYPE_INT;
}

/* A DIE's name, its own or, for a definition that completes an earlier
 * declaration (`const char linux_banner[] = ...` after `extern const char
 * linux_banner[];`), the declaration's through DW_AT_specification. */
static const char *name_of(Dwarf_Die *d)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(d, DW_AT_name, &a) ? dwarf_formstring(&a)
						       : NULL;
}

/* One top-level DIE's names. */
static bool index_die(struct vec *v, Dwarf_Die *d)
{
	const char *name = name_of(d);
	uint64_t off = dwarf_dieoffset(d);
	bool decl = is_decl(d);
	Dwarf_Die c;

	switch (dwarf_tag(d)) {
	case DW_TAG_structure_type:
		return push(v, name, off, TYPE_STRUCT, decl);
	case DW_TAG_union_type:
		return push(v, name, off, TYPE_UNION, decl);
	case DW_TAG_typedef:
		return push(v, name, off, TYPE_TYPEDEF, false);
	case DW_TAG_base_type:
		return push(v, name, off, base_kind(d), false);
	case DW_TAG_variable:
	case DW_TAG_subprogram:
		return push(v, name, off, DWARF_INDEX_VAR, var_rank(d));
	case DW_TAG_enumeration_type:
		if (!push(v, name, off, TYPE_ENUM, decl))
			return false;
		if (decl || dwarf_child(d, &c) != 0)
			return true;
		do {
			if (dwarf_tag(&c) == DW_TAG_enumerator &&
			    !push(v, dwarf_diename(&c), off,
				  DWARF_INDEX_ENUMERATOR, false))
				return false;
		} while (dwarf_siblingof(&c, &c) == 0);
		return true;
	default:
		return true;
	}
}

struct worker {
	const char *path;
	unsigned int id, of;
	int fd;
	Dwarf *dw;
	struct vec v;
	bool failed;
};

/* Units id, id + of, id + 2 * of ... of the file, through a handle of
 * the worker's own (libdw's lazy caches are not shared safely). */
static void *work(void *arg)
{
	struct worker *w = arg;
	Dwarf_Off off = 0, next;
	size_t hsize;
	unsigned int i = 0;

	w->fd = open(w->path, O_RDONLY | O_CLOEXEC);
	w->dw = w->fd >= 0 ? dwarf_begin(w->fd, DWARF_C_READ) : NULL;
	if (!w->dw) {
		w->failed = true;
		return NULL;
	}
	for (; dwarf_nextcu(w->dw, off, &next, &hsize, NULL, NULL, NULL) == 0;
	     off = next, i++) {
		Dwarf_Die cu, d;

		if (i % w->of != w->id || !dwarf_offdie(w->dw, off + hsize, &cu)
		    || dwarf_child(&cu, &d) != 0)
			continue;
		do {
			if (!index_die(&w->v, &d)) {
				w->failed = true;
				return NULL;
			}
		} while (dwarf_siblingof(&d, &d) == 0);
	}
	return NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->decl != y->decl)
		return x->decl - y->decl;
	return x->die < y->die ? -1 : x->die > y->die;
}

/* The file's bytes from every worker's entries: sorted, one entry for
 * each (name, kind, decl), the first in .debug_info. */
static struct kdk_error *serialize(struct worker *w, unsigned int n,
				   char **buf, size_t *len)
{
	size_t total = 0, k = 0, size = 2 * sizeof(MAGIC), at;
	struct entry *all;

	for (unsigned int i = 0; i < n; i++)
		total += w[i].v.n;
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (unsigned int i = 0; i < n; i++) {
		memcpy(all + k, w[i].v.e, w[i].v.n * sizeof(*all));
		k += w[i].v.n;
	}
	qsort(all, total, sizeof(*all), entry_cmp);
	k = 0;
	for (size_t i = 0; i < total; i++) {
		if (k && all[k - 1].kind == all[i].kind &&
		    all[k - 1].decl == all[i].decl &&
		    strcmp(all[k - 1].name, all[i].name) == 0)
			continue;
		all[k++] = all[i];
		size += 10 + strlen(all[i].name) + 1;
	}
	*buf = malloc(size);
	if (!*buf) {
		free(all);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	memcpy(*buf, MAGIC, sizeof(MAGIC));
	at = sizeof(MAGIC);
	for (size_t i = 0; i < k; i++) {
		size_t l = strlen(all[i].name) + 1;

		memcpy(*buf + at, &all[i].die, 8);
		(*buf)[at + 8] = (char)all[i].kind;
		(*buf)[at + 9] = (char)all[i].decl;
		memcpy(*buf + at + 10, all[i].name, l);
		at += 10 + l;
	}
	memcpy(*buf + at, MAGIC, sizeof(MAGIC));
	*len = at + sizeof(MAGIC);
	free(all);
	return NULL;
}

static struct kdk_error *build(const char *path, char **buf, size_t *len)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int n = cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned int)cpus;
	struct worker w[8];
	pthread_t th[8];
	struct kdk_error *err = NULL;
	unsigned int started = 0;

	memset(w, 0, sizeof(w));
	for (unsigned int i = 0; i < n; i++) {
		w[i] = (struct worker){ .path = path, .id = i, .of = n,
					.fd = -1 };
		if (pthread_create(&th[i], NULL, work, &w[i]) != 0)
			break;
		started++;
	}
	for (unsigned int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (unsigned int i = 0; i < n; i++)
		if (i >= started || w[i].failed)
			err = kdk_error(KDK_ERR_FORMAT, "indexing the DWARF "
					"failed (%s)", dwarf_errmsg(-1));
	if (!err)
		err = serialize(w, n, buf, len);
	for (unsigned int i = 0; i < n; i++) {
		free(w[i].v.e);
		if (w[i].dw)
			dwarf_end(w[i].dw);
		if (w[i].fd >= 0)
			close(w[i].fd);
	}
	return err;
}

/* ---- the cache ---- */

/* $XDG_CACHE_HOME/kdumpkit/dwarf-index/BUILDID.idx, its directories made;
 * NULL when there is no build-id or no home. */
static char *cache_path(struct kdwarf *kd)
{
	const void *id;
	ssize_t n = dwelf_elf_gnu_build_id(dwarf_getelf(kdwarf_libdw(kd)),
					   &id);
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char dir[4096], hex[2 * 64 + 1], *path;

	if (n <= 0 || n > 64)
		return NULL;
	for (ssize_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", ((const uint8_t *)id)[i]);
	if (xdg && *xdg)
		snprintf(dir, sizeof(dir), "%s/kdumpkit", xdg);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/.cache/kdumpkit", home);
	else
		return NULL;
	if (xdg && *xdg)
		mkdir(xdg, 0755);
	else {
		char parent[4096];

		snprintf(parent, sizeof(parent), "%s/.cache", home);
		mkdir(parent, 0755);
	}
	mkdir(dir, 0755);
	strncat(dir, "/dwarf-index", sizeof(dir) - strlen(dir) - 1);
	mkdir(dir, 0755);
	if (asprintf(&path, "%s/%s.idx", dir, hex) < 0)
		return NULL;
	return path;
}

static bool read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || st.st_size < (off_t)(2 * sizeof(MAGIC)) ||
	    !(*buf = malloc(st.st_size))) {
		close(fd);
		return false;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, st.st_size - got);

		if (r <= 0)
			break;
		got += r;
	}
	close(fd);
	if (got != (size_t)st.st_size) {
		free(*buf);
		return false;
	}
	*len = got;
	return true;
}

/* Best effort: a cache that cannot be written costs the next start the
 * build again, nothing else. */
static bool write_file(const char *path, const char *buf, size_t len)
{
	char *tmp;
	int fd;
	size_t put = 0;
	bool ok;

	if (asprintf(&tmp, "%s.%d.tmp", path, (int)getpid()) < 0)
		return false;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(tmp);
		return false;
	}
	while (put < len) {
		ssize_t w = write(fd, buf + put, len - put);

		if (w <= 0)
			break;
		put += w;
	}
	ok = put == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	ok = ok && rename(tmp, path) == 0;
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok;
}

/* The entries of a file's bytes; false if they are not a whole index. */
static bool parse(struct dwarf_index *ix)
{
	size_t at = sizeof(MAGIC), end = ix->len - sizeof(MAGIC), n = 0;

	if (memcmp(ix->buf, MAGIC, sizeof(MAGIC)) != 0 ||
	    memcmp(ix->buf + end, MAGIC, sizeof(MAGIC)) != 0)
		return false;
	for (size_t p = at; p < end; n++) {
		const char *nul = memchr(ix->buf + p + 10, 0,
					 p + 10 < end ? end - p - 10 : 0);

		if (p + 10 >= end || !nul)
			return false;
		p = nul - ix->buf + 1;
	}
	ix->e = malloc((n ? n : 1) * sizeof(*ix->e));
	if (!ix->e)
		return false;
	for (size_t p = at; p < end; ix->n++) {
		struct entry *e = &ix->e[ix->n];

		memcpy(&e->die, ix->buf + p, 8);
		e->kind = (uint8_t)ix->buf[p + 8];
		e->decl = (uint8_t)ix->buf[p + 9];
		e->name = ix->buf + p + 10;
		p += 10 + strlen(e->name) + 1;
	}
	for (size_t i = 1; i < ix->n; i++)
		if (entry_cmp(&ix->e[i - 1], &ix->e[i]) > 0)
			return false;	/* not ours: binary search needs order */
	return true;
}

struct kdk_error *dwarf_index_load(struct kdwarf *kd, struct dwarf_index **out)
{
	struct dwarf_index *ix = calloc(1, sizeof(*ix));
	struct kdk_error *err;

	if (!ix)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	ix->path = cache_path(kd);
	if (ix->path && read_file(ix->path, &ix->buf, &ix->len)) {
		if (parse(ix)) {
			ix->origin = "cache";
			*out = ix;
			return NULL;
		}
		free(ix->buf);
		free(ix->e);
		ix->buf = NULL;
		ix->e = NULL;
		ix->n = 0;
	}
	err = build(kdwarf_path(kd), &ix->buf, &ix->len);
	if (!err && !parse(ix))
		err = kdk_error(KDK_ERR_OTHER, "the DWARF index built is "
				"unreadable");
	if (err) {
		dwarf_index_free(ix);
		return err;
	}
	ix->origin = "built";
	if (ix->path && !write_file(ix->path, ix->buf, ix->len)) {
		free(ix->path);
		ix->path = NULL;
	}
	*out = ix;
	return NULL;
}

void dwarf_index_free(struct dwarf_index *ix)
{
	if (!ix)
		return;
	free(ix->buf);
	free(ix->e);
	free(ix->path);
	free(ix);
}

bool dwarf_index_find(const struct dwarf_index *ix, const char *name,
		      int kind, uint64_t *die)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {		/* the first (name, kind) */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->e[mid].name, name);

		if (c < 0 || (c == 0 && ix->e[mid].kind < kind))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= ix->n || ix->e[lo].kind != kind ||
	    strcmp(ix->e[lo].name, name) != 0)
		return false;
	*die = ix->e[lo].die;
	return true;
}

const char *dwarf_index_origin(const struct dwarf_index *ix,
			       const char **path)
{
	*path = ix->path ? ix->path : "";
	return ix->origin;
}
