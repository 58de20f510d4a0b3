#include "dump/notes.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PRSTATUS_PID_OFFSET 32
#define PRSTATUS_REG_OFFSET 112
#define PRSTATUS_TAIL 8		/* pr_fpvalid and padding */

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static bool grow(struct dump_notes *notes, size_t *cap)
{
	size_t new_cap = *cap ? *cap * 2 : 16;
	void *v;

	if (notes->n < *cap)
		return true;
	v = realloc(notes->v, new_cap * sizeof(*notes->v));
	if (!v)
		return false;
	notes->v = v;
	*cap = new_cap;
	return true;
}

/* One note at *pos: header (namesz, descsz, type), name and desc, each
 * padded to 4 bytes as Linux writes core notes. */
static struct kdk_error *parse_one(struct dump_notes *notes, size_t len,
				   size_t *pos, bool *end)
{
	const unsigned char *p = notes->data + *pos;
	struct dump_note *note = &notes->v[notes->n];
	uint32_t hdr[3];
	size_t name_len, need;

	if (len - *pos < sizeof(hdr)) {
		*end = true;	/* padding after the last note */
		return NULL;
	}
	memcpy(hdr, p, sizeof(hdr));
	if (!hdr[0] && !hdr[1] && !hdr[2]) {
		*end = true;
		return NULL;
	}
	need = sizeof(hdr) + align4(hdr[0]) + align4(hdr[1]);
	if (hdr[0] > len || hdr[1] > len || need > len - *pos)
		return kdk_error(KDK_ERR_FORMAT, "note %zu at byte %zu of the "
			"note area overruns it (name %u bytes, data %u bytes, "
			"%zu bytes left)", notes->n, *pos, hdr[0], hdr[1],
			len - *pos);
	name_len = strnlen((const char *)p + sizeof(hdr), hdr[0]);
	if (name_len >= sizeof(note->name))
		name_len = sizeof(note->name) - 1;
	memset(note->name, 0, sizeof(note->name));
	memcpy(note->name, p + sizeof(hdr), name_len);
	note->type = hdr[2];
	note->desc = p + sizeof(hdr) + align4(hdr[0]);
	note->descsz = hdr[1];
	notes->n++;
	*pos += need;
	return NULL;
}

struct kdk_error *dump_notes_parse(const void *area, size_t len,
				   struct dump_notes *out)
{
	struct kdk_error *err = NULL;
	size_t pos = 0, cap = 0;
	bool end = false;

	*out = (struct dump_notes){ 0 };
	out->data = malloc(len ? len : 1);
	if (!out->data)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	memcpy(out->data, area, len);
	out->size = len;
	while (!end && !err) {
		if (!grow(out, &cap))
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		err = parse_one(out, len, &pos, &end);
	}
	return err;
}

void dump_notes_free(struct dump_notes *notes)
{
	free(notes->data);
	free(notes->v);
	*notes = (struct dump_notes){ 0 };
}

const struct dump_note *dump_notes_find(const struct dump_notes *notes,
					const char *name, uint32_t type)
{
	for (size_t i = 0; i < notes->n; i++)
		if (notes->v[i].type == type && strcmp(notes->v[i].name, name) == 0)
			return &notes->v[i];
	return NULL;
}

struct kdk_error *dump_note_prstatus(const struct dump_note *note,
				     struct dump_prstatus *out)
{
	if (note->type != DUMP_NT_PRSTATUS ||
	    note->descsz < PRSTATUS_REG_OFFSET + PRSTATUS_TAIL)
		return kdk_error(KDK_ERR_FORMAT, "not an NT_PRSTATUS note of a "
				 "64-bit kernel (%u bytes)", note->descsz);
	memcpy(&out->pid, note->desc + PRSTATUS_PID_OFFSET, sizeof(out->pid));
	out->regs = note->desc + PRSTATUS_REG_OFFSET;
	out->regs_size = note->descsz - PRSTATUS_REG_OFFSET - PRSTATUS_TAIL;
	return NULL;
}
