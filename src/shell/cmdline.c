#include "shell/cmdline.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/argv.h"

/* A walk over a line that knows what is quoted or in parentheses. */
struct scan {
	const char *p;
	char quote;		/* '\'' or '"' while inside one */
	int depth;		/* of parentheses */
};

/* Advance past one character; true if it is unquoted, unescaped and
 * outside parentheses, so *c is special where the shell cares. */
static bool scan_next(struct scan *s, char *c)
{
	char ch = *s->p++;

	*c = ch;
	if (s->quote) {
		if (ch == '\\' && s->quote == '"' && *s->p)
			s->p++;
		else if (ch == s->quote)
			s->quote = 0;
		return false;
	}
	if (ch == '\\' && *s->p) {
		s->p++;
		return false;
	}
	if (ch == '\'' || ch == '"') {
		s->quote = ch;
		return false;
	}
	if (ch == '(')
		s->depth++;
	else if (ch == ')' && s->depth > 0)
		s->depth--;
	else if (s->depth == 0 || ch == ';')
		return true;	/* ';' ends a command even in a '(' left
				 * open by mistake: the error is then the
				 * command's own */
	return false;
}

static char *trimmed(const char *start, const char *end)
{
	while (start < end && isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	return strndup(start, end - start);
}

static struct kdk_error *push(char ***v, size_t *n, const char *start,
			      const char *end)
{
	char *cmd = trimmed(start, end);
	char **nv;

	if (!cmd)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (!*cmd) {
		free(cmd);
		return NULL;
	}
	nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv) {
		free(cmd);
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	}
	*v = nv;
	nv[(*n)++] = cmd;
	return NULL;
}

struct kdk_error *cmdline_split(const char *line, char ***cmds, size_t *n)
{
	struct scan s = { .p = line };
	const char *start = line;
	struct kdk_error *err;
	char **v = NULL;
	size_t count = 0;
	char c;

	while (*s.p) {
		while (s.p == start && isspace((unsigned char)*s.p))
			start = ++s.p;
		if (!*s.p || (*s.p == '!' && s.p == start))
			break;	/* the end, or a shell escape, which takes
				 * the rest of the line */
		if (!scan_next(&s, &c) || c != ';')
			continue;
		err = push(&v, &count, start, s.p - 1);
		if (err)
			goto fail;
		start = s.p;
	}
	err = push(&v, &count, start, start + strlen(start));
	if (err)
		goto fail;
	*cmds = v;
	*n = count;
	return NULL;
fail:
	for (size_t i = 0; i < count; i++)
		free(v[i]);
	free(v);
	return err;
}

void cmdline_free(struct cmdline *c)
{
	free(c->command);
	free(c->pipe);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

/* The one file name after '>' or '>>', unquoted. */
static struct kdk_error *parse_file(const char *text, const char *at,
				    struct cmdline *out)
{
	struct kdk_error *err;
	char **argv;
	int argc;

	err = argv_split(at, &argc, &argv);
	if (err)
		return err;
	if (argc != 1) {
		argv_free(argv);
		return kdk_error(KDK_ERR_USAGE, "column %d: '%s' needs one "
				 "file name after it",
				 (int)(at - text) - out->append,
				 out->append ? ">>" : ">");
	}
	out->file = argv[0];
	free(argv);
	return NULL;
}

struct kdk_error *cmdline_parse(const char *text, struct cmdline *out)
{
	struct scan s = { .p = text };
	struct kdk_error *err = NULL;
	const char *end = NULL;
	char c;

	memset(out, 0, sizeof(*out));
	while (*s.p) {
		if (scan_next(&s, &c) && (c == '|' || c == '>')) {
			/* "p task->mm": C's arrow, not a redirection (crash
			 * reads it so too) */
			if (c == '>' && s.p - 1 > text && s.p[-2] == '-')
				continue;
			end = s.p - 1;
			break;
		}
	}
	if (s.quote)
		return kdk_error(KDK_ERR_USAGE, "unterminated %c quote",
				 s.quote);
	out->command = trimmed(text, end ? end : s.p);
	if (!out->command)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (!end)
		return NULL;
	if (!*out->command) {
		err = kdk_error(KDK_ERR_USAGE, "column %d: no command before "
				"'%c'", (int)(end - text) + 1, c);
	} else if (c == '|') {
		out->pipe = trimmed(end + 1, end + strlen(end));
		if (!out->pipe)
			err = kdk_error(KDK_ERR_NOMEM, "out of memory");
		else if (!*out->pipe)
			err = kdk_error(KDK_ERR_USAGE, "column %d: no shell "
					"command after '|'",
					(int)(end - text) + 1);
	} else {
		out->append = end[1] == '>';
		err = parse_file(text, end + 1 + out->append, out);
	}
	if (err)
		cmdline_free(out);
	return err;
}
