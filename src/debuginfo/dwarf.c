#include "debuginfo/dwarf.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kdwarf {
	char *path;
	int fd;
	Dwarf *dw;
};

struct kdk_error *kdwarf_open(const char *path, struct kdwarf **out)
{
	struct kdwarf *kd = calloc(1, sizeof(*kd));

	if (!kd)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	kd->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (kd->fd < 0) {
		free(kd);
		return kdk_error_errno("cannot open");
	}
	kd->dw = dwarf_begin(kd->fd, DWARF_C_READ);
	kd->path = strdup(path);
	if (!kd->dw || !kd->path) {
		int no_dwarf = !kd->dw;

		kdwarf_close(kd);
		if (no_dwarf)
			return kdk_error(KDK_ERR_NOT_FOUND,
					 "no DWARF debug information (%s)",
					 dwarf_errmsg(-1));
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	*out = kd;
	return NULL;
}

void kdwarf_close(struct kdwarf *kd)
{
	if (!kd)
		return;
	if (kd->dw)
		dwarf_end(kd->dw);
	if (kd->fd >= 0)
		close(kd->fd);
	free(kd->path);
	free(kd);
}

const char *kdwarf_path(const struct kdwarf *kd)
{
	return kd->path;
}

struct Dwarf *kdwarf_libdw(struct kdwarf *kd)
{
	return kd->dw;
}

/* The unit's DW_AT_comp_dir, or NULL. */
static const char *comp_dir(Dwarf_Die *cu)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr(cu, DW_AT_comp_dir, &attr))
		return NULL;
	return dwarf_formstring(&attr);
}

/* The row of lines that says where addr is, as gdb picks it: of the
 * rows at addr itself the last that begins a statement (a compiler
 * writes several rows at one address as inlined calls start there; the
 * last statement is the code that runs), else the row in force at addr.
 * libdw keeps a unit's rows sorted by address, rows at one address in
 * the order written. */
static Dwarf_Line *row_of(Dwarf_Lines *lines, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	Dwarf_Addr a;
	Dwarf_Line *l = NULL, *best = NULL;
	bool stmt, end;

	while (lo < hi) {		/* the first row past addr */
		size_t mid = lo + (hi - lo) / 2;

		if (dwarf_lineaddr(dwarf_onesrcline(lines, mid), &a) == 0 &&
		    a <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	if (dwarf_lineaddr(dwarf_onesrcline(lines, lo - 1), &a) != 0)
		return NULL;
	/* The rows at a: one sequence's end can share its address with the
	 * next one's start, in either order. */
	for (size_t i = lo; i-- > 0;) {
		Dwarf_Addr b;
		Dwarf_Line *r = dwarf_onesrcline(lines, i);

		if (dwarf_lineaddr(r, &b) != 0 || b != a)
			break;
		if (dwarf_lineendsequence(r, &end) == 0 && end)
			continue;
		if (!l)
			l = r;
		if (dwarf_linebeginstatement(r, &stmt) == 0 && stmt) {
			best = r;
			break;
		}
	}
	if (!l)
		return NULL;		/* addr is past a sequence's end */
	return best ? best : l;
}

bool kdwarf_line(struct kdwarf *kd, uint64_t addr, char *file, size_t len,
		 int *line)
{
	Dwarf_Die cu;
	Dwarf_Lines *lines;
	Dwarf_Line *l;
	size_t n;
	const char *src, *dir;
	int num;

	if (!dwarf_addrdie(kd->dw, addr, &cu) ||
	    dwarf_getsrclines(&cu, &lines, &n) != 0)
		return false;
	l = row_of(lines, n, addr);
	if (!l || dwarf_lineno(l, &num) != 0 || num <= 0)
		return false;
	src = dwarf_linesrc(l, NULL, NULL);
	if (!src)
		return false;
	/* libdw joins a file's name to its directory entry; gdb also puts
	 * the unit's directory before a name that is still relative. */
	dir = comp_dir(&cu);
	if (src[0] != '/' && dir && dir[0] &&
	    strncmp(src, dir, strlen(dir)) != 0)
		snprintf(file, len, "%s/%s", dir, src);
	else
		snprintf(file, len, "%s", src);
	*line = num;
	return true;
}
