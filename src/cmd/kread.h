/* Reading kernel structures by member name, for the commands that walk
 * them (files, sig, vm): the offsets from the session's types (DWARF or
 * BTF), resolved once per command, and small typed reads. */
#ifndef KDK_CMD_KREAD_H
#define KDK_CMD_KREAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "shell/session.h"

struct kfield {
	const char *type;	/* "struct file" */
	const char *member;	/* "f_path.dentry" */
	uint64_t off;		/* filled in */
	uint64_t size;		/* the member's size, filled in */
};

/* Fill in every field's offset; the first unknown one is the error. */
struct kdk_error *kfields_resolve(struct session *s, struct kfield *f,
				  size_t n);

struct kdk_error *kread_u64(struct session *s, uint64_t addr, uint64_t *v);
struct kdk_error *kread_u32(struct session *s, uint64_t addr, uint32_t *v);
/* An unsigned member of 1, 2, 4 or 8 bytes, as f's size says. */
struct kdk_error *kread_field(struct session *s, uint64_t base,
			      const struct kfield *f, uint64_t *v);
/* A NUL-terminated string of at most n - 1 bytes (cut there). */
struct kdk_error *kread_str(struct session *s, uint64_t addr, char *buf,
			    size_t n);

#endif
