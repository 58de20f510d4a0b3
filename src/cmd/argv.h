/* Splitting a command line into words, as a shell would: blanks
 * separate words, '...' quotes everything, "..." quotes all but \" and
 * \\, and a backslash outside quotes escapes the next character. */
#ifndef KDK_CMD_ARGV_H
#define KDK_CMD_ARGV_H

#include "base/error.h"

/* *argv is NULL-terminated; free it with argv_free(). Errors give the
 * column of the unterminated quote. */
struct kdk_error *argv_split(const char *line, int *argc, char ***argv);
void argv_free(char **argv);

/* The words joined by single blanks, for commands whose operands are
 * one text (`eval 1 + 2`, an alias's command line); NULL if out of
 * memory. */
char *argv_join(int argc, char **argv);

#endif
