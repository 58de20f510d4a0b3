#include "base/progress.h"

#include <time.h>
#include <unistd.h>

#define TTY_INTERVAL 0.2	/* seconds between redraws of the bar */
#define LINE_INTERVAL 5.0	/* between lines elsewhere */
#define BAR_WIDTH 30

double progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void progress_start(struct progress *p, FILE *f, const char *what,
		    uint64_t total)
{
	*p = (struct progress){ .f = f, .what = what, .total = total };
	p->tty = f && isatty(fileno(f));
	p->start = p->last = progress_now();
}

static void draw(struct progress *p, uint64_t done, uint64_t bytes, double t,
		 bool final)
{
	double pct = p->total ? 100.0 * done / p->total : 100.0;
	double secs = t - p->start;
	double mbs = secs > 0 ? bytes / 1e6 / secs : 0;
	double eta = done && p->total > done ? secs * (p->total - done) / done
					     : 0;

	if (p->tty) {
		char bar[BAR_WIDTH + 1];
		int fill = (int)(pct / 100 * BAR_WIDTH);

		for (int i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < fill ? '#' : ' ';
		bar[BAR_WIDTH] = '\0';
		fprintf(p->f, "\r%s [%s] %5.1f%%  %7.1f MB/s  ETA %d:%02d ",
			p->what, bar, pct, mbs, (int)eta / 60, (int)eta % 60);
		if (final)
			fputc('\n', p->f);
	} else {
		fprintf(p->f, "%s: %5.1f%% (%llu of %llu pages), %.1f MB/s, "
			"%s %.0fs\n", p->what, pct, (unsigned long long)done,
			(unsigned long long)p->total, mbs,
			final ? "took" : "ETA", final ? secs : eta);
	}
	fflush(p->f);
	p->shown = true;
}

void progress_update(struct progress *p, uint64_t done, uint64_t bytes)
{
	double t;

	if (!p->f)
		return;
	t = progress_now();
	if (t - p->last < (p->tty ? TTY_INTERVAL : LINE_INTERVAL))
		return;
	p->last = t;
	draw(p, done, bytes, t, false);
}

void progress_end(struct progress *p, uint64_t done, uint64_t bytes)
{
	if (p->f)
		draw(p, done, bytes, progress_now(), true);
}
