#include "cmd/argv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

void argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* Copy one word starting at *pp into word (large enough: the line's
 * length), unquoting; leaves *pp after it. */
static struct kdk_error *take_word(const char *line, const char **pp,
				   char *word)
{
	const char *p = *pp;
	char *w = word;

	while (*p && !is_blank(*p)) {
		if (*p == '\'' || *p == '"') {
			const char *open = p;
			char q = *p++;

			while (*p && *p != q) {
				if (q == '"' && *p == '\\' &&
				    (p[1] == '"' || p[1] == '\\'))
					p++;
				*w++ = *p++;
			}
			if (!*p)
				return kdk_error(KDK_ERR_USAGE, "column %d: "
						 "unterminated %c quote",
						 (int)(open - line) + 1, q);
			p++;
		} else if (*p == '\\' && p[1]) {
			*w++ = p[1];
			p += 2;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	*pp = p;
	return NULL;
}

struct kdk_error *argv_split(const char *line, int *argc, char ***argv)
{
	size_t len = strlen(line), n = 0;
	/* At most one word per two characters, plus the terminator. */
	char **v = calloc(len / 2 + 2, sizeof(*v));
	struct kdk_error *err;
	const char *p = line;

	if (!v)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	for (;;) {
		while (is_blank(*p))
			p++;
		if (!*p)
			break;
		v[n] = malloc(len + 1);
		if (!v[n]) {
			argv_free(v);
			return kdk_error(KDK_ERR_NOMEM, "out of memory");
		}
		err = take_word(line, &p, v[n++]);
		if (err) {
			argv_free(v);
			return err;
		}
	}
	*argc = (int)n;
	*argv = v;
	return NULL;
}

char *argv_join(int argc, char **argv)
{
	size_t len = 1, at = 0;
	char *text;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	text = malloc(len);
	if (!text)
		return NULL;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i)
			text[at++] = ' ';
		memcpy(text + at, argv[i], n);
		at += n;
	}
	text[at] = '\0';
	return text;
}
