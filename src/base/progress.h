/* Progress of a long job on stderr: on a terminal, a bar redrawn in place
 * (percent, MB/s, time left); elsewhere (a capture kernel's console, a
 * log file) a line every few seconds, so the log stays readable.
 */
#ifndef KDK_BASE_PROGRESS_H
#define KDK_BASE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *f;
	bool tty;
	const char *what;
	uint64_t total;		/* units of work */
	double start, last;	/* seconds (monotonic) */
	bool shown;
};

double progress_now(void);
void progress_start(struct progress *p, FILE *f, const char *what,
		    uint64_t total);
/* done units of work, bytes of input processed so far. */
void progress_update(struct progress *p, uint64_t done, uint64_t bytes);
/* The final state (100%), then a newline. */
void progress_end(struct progress *p, uint64_t done, uint64_t bytes);

#endif
