/* A vmlinux's DWARF, read with elfutils' libdw: source lines of
 * addresses (dis -l, bt -l, sym), and global variables with their types
 * (dwarf_types.h).
 *
 * Opening maps the file and reads nothing else; the line table of a
 * compile unit is read the first time an address in it is asked, found
 * through .debug_aranges. Addresses here are link-time ones: callers
 * take the KASLR offset off first.
 */
#ifndef KDK_DEBUGINFO_DWARF_H
#define KDK_DEBUGINFO_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct kdwarf;

/* Open path's DWARF. KDK_ERR_NOT_FOUND when the file has none (a
 * stripped vmlinux): errors do not name the path, the caller does. */
struct kdk_error *kdwarf_open(const char *path, struct kdwarf **out);
void kdwarf_close(struct kdwarf *kd);

/* The path the file was opened from. */
const char *kdwarf_path(const struct kdwarf *kd);

/* The source line of a link-time address, the file named as gdb names
 * it (a relative name joined to its unit's compilation directory):
 * "debian/build/build_amd64_none_cloud-amd64/kernel/sched/core.c", 6654.
 * false when no line table covers addr. The name is copied into file. */
bool kdwarf_line(struct kdwarf *kd, uint64_t addr, char *file, size_t len,
		 int *line);

/* libdw's handle, for the other DWARF readers in debuginfo/. */
struct Dwarf;
struct Dwarf *kdwarf_libdw(struct kdwarf *kd);

#endif
