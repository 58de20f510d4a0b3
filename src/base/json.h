/* A small streaming JSON writer, for the --json output of every command.
 *
 * The writer puts commas, colons and indentation where they belong; the
 * caller only says what comes next:
 *
 *	struct json_writer w;
 *	json_init(&w, stdout, true);
 *	json_begin_object(&w);
 *	json_key(&w, "release");
 *	json_string(&w, "6.1.0-56-cloud-amd64");
 *	json_key_uint(&w, "page_size", 4096);
 *	json_end_object(&w);
 *	if (json_finish(&w) < 0) ...
 *
 * Strings are escaped, and bytes that are not UTF-8 (kernel strings need
 * not be) become U+FFFD, so the output is always valid JSON.
 */
#ifndef KDK_BASE_JSON_H
#define KDK_BASE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json_writer {
	FILE *out;
	bool pretty;		/* newlines and two-space indentation */
	bool after_key;		/* the next value follows "key": */
	bool broken;		/* misuse seen (too deep, end without begin) */
	int depth;
	bool has_items[JSON_MAX_DEPTH];	/* per open container: a comma is due */
};

void json_init(struct json_writer *w, FILE *out, bool pretty);

void json_begin_object(struct json_writer *w);
void json_end_object(struct json_writer *w);
void json_begin_array(struct json_writer *w);
void json_end_array(struct json_writer *w);

/* Inside an object: the key of the next value. */
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);	/* NULL: null */
void json_string_len(struct json_writer *w, const char *s, size_t len);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* "key": value, in one call. */
void json_key_string(struct json_writer *w, const char *key, const char *s);
void json_key_int(struct json_writer *w, const char *key, int64_t v);
void json_key_uint(struct json_writer *w, const char *key, uint64_t v);
void json_key_bool(struct json_writer *w, const char *key, bool v);

/* End the document with a newline and flush. Returns 0, or -1 if the
 * writer was misused (unbalanced, too deep) or the stream had an error. */
int json_finish(struct json_writer *w);

#endif
