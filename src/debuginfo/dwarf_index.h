/* The names a vmlinux's DWARF defines at the top of its units: types
 * (struct, union, enum, typedef, base), global variables and functions,
 * and enumerators, each with the .debug_info offset of its DIE.
 *
 * Building it reads every unit's top-level DIEs (~0.5 s and ~190 MB of
 * mapped pages for Debian's 590 MB debug vmlinux, on threads, one libdw
 * handle each); so it is built once per build-id and kept as a file under
 * $XDG_CACHE_HOME/kdumpkit/dwarf-index/ (~/.cache/...), already sorted: a
 * later start reads a few MB and touches no DWARF. The file is written
 * to a temporary name and renamed; one that is unreadable, truncated or
 * of another format version is rebuilt, never trusted.
 */
#ifndef KDK_DEBUGINFO_DWARF_INDEX_H
#define KDK_DEBUGINFO_DWARF_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

struct kdwarf;

/* What a name is (enum type_kind values for types). */
enum {
	DWARF_INDEX_VAR = 100,		/* a variable or function */
	DWARF_INDEX_ENUMERATOR = 101,	/* offset: its enum's DIE */
};

struct dwarf_index;

/* The index of kd, from the cache when it has one for this build-id,
 * else built (and cached when the cache directory is writable). */
struct kdk_error *dwarf_index_load(struct kdwarf *kd, struct dwarf_index **out);
void dwarf_index_free(struct dwarf_index *ix);

/* The DIE offset of name as kind: a definition before a declaration.
 * false if there is none. */
bool dwarf_index_find(const struct dwarf_index *ix, const char *name,
		      int kind, uint64_t *die);

/* How the index was had, for `help -D`-style reports and tests:
 * "cache" (read from path) or "built" (and cached at path, or path ""). */
const char *dwarf_index_origin(const struct dwarf_index *ix,
			       const char **path);

#endif
