/* Test tool: physical reads through the dump layer, for the differential
 * tests against libkdumpfile and for timing.
 *
 *   dump-read DUMP            reads "ADDR LEN" lines (hex ADDR) from stdin,
 *                             prints "ok HEX" or "err MESSAGE" for each
 *   dump-read --bench N DUMP  reads N random pages of the dump's memory
 *                             ranges and prints the time and cache stats
 *   dump-read --cpus DUMP     prints "INDEX PR_PID REGS-HEX" per CPU note
 *   dump-read --scan-vmcoreinfo DUMP
 *                             scans memory for VMCOREINFO (as dump_open()
 *                             does for dumps without it, but also on dumps
 *                             with it) and prints where and how long, JSON
 *   dump-read --read-heads DUMP
 *                             reads the first 34 bytes of every 4 KiB page,
 *                             as a scan that finds nothing does, and prints
 *                             how long that took, JSON
 *
 * DUMP may be several files: the parts of a split dump (dump_open_set()).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dump/dump.h"

static int fail(struct kdk_error *err, const char *path)
{
	fprintf(stderr, "dump-read: %s%s%s\n", path ? path : "",
		path ? ": " : "", err->msg);
	kdk_error_free(err);
	return 1;
}

static void print_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		putchar(digits[p[i] >> 4]);
		putchar(digits[p[i] & 15]);
	}
	putchar('\n');
}

static int serve_reads(struct dump *d)
{
	unsigned char *buf = NULL;
	uint64_t addr, len;
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		struct kdk_error *err;

		if (sscanf(line, "%" SCNx64 " %" SCNu64, &addr, &len) != 2 ||
		    len > (1 << 24)) {
			printf("err bad request: %s", line);
			continue;
		}
		buf = realloc(buf, len ? len : 1);
		if (!buf)
			return 1;
		err = dump_read_phys(d, addr, buf, len);
		if (err) {
			printf("err %s\n", err->msg);
			kdk_error_free(err);
		} else {
			fputs("ok ", stdout);
			print_hex(buf, len);
		}
	}
	free(buf);
	return 0;
}

static int print_cpus(struct dump *d)
{
	struct dump_prstatus pr;

	for (size_t i = 0; i < dump_cpu_count(d); i++) {
		struct kdk_error *err = dump_cpu_prstatus(d, i, &pr);

		if (err) {
			printf("%zu err %s\n", i, err->msg);
			kdk_error_free(err);
			continue;
		}
		printf("%zu %d ", i, pr.pid);
		print_hex(pr.regs, pr.regs_size);
	}
	return 0;
}

static uint64_t next_random(uint64_t *state)	/* xorshift64 */
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* A random page-aligned address, uniform over the dump's memory. */
static uint64_t random_page(struct dump *d, uint64_t *state)
{
	uint32_t ps = dump_facts(d)->page_size;
	const struct dump_range *r;
	uint64_t total = 0, pick;
	size_t n;

	r = dump_ranges(d, &n);
	for (size_t i = 0; i < n; i++)
		total += (r[i].end - r[i].start) / ps;
	pick = total ? next_random(state) % total : 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t pages = (r[i].end - r[i].start) / ps;

		if (pick < pages)
			return (r[i].start + ps - 1) / ps * ps + pick * ps;
		pick -= pages;
	}
	return 0;
}

/* The page-aligned addresses of all pages the dump holds. */
static uint64_t *present_pages(struct dump *d, size_t *n)
{
	uint32_t ps = dump_facts(d)->page_size;
	unsigned char *page = malloc(ps);
	const struct dump_range *r;
	uint64_t *v = NULL;
	size_t nr, cap = 0;

	*n = 0;
	r = dump_ranges(d, &nr);
	for (size_t i = 0; i < nr && page; i++) {
		for (uint64_t a = (r[i].start + ps - 1) / ps * ps;
		     a + ps <= r[i].end; a += ps) {
			struct kdk_error *err = dump_read_phys(d, a, page, ps);

			if (err) {
				kdk_error_free(err);
				continue;
			}
			if (*n == cap) {
				cap = cap ? 2 * cap : 4096;
				v = realloc(v, cap * sizeof(*v));
			}
			v[(*n)++] = a;
		}
	}
	free(page);
	return v;
}

/* Time n reads of a page: of addr(i) if given, else of random pages. */
static void time_reads(struct dump *d, long n, const uint64_t *pick,
		       size_t n_pick, const char *what)
{
	uint32_t ps = dump_facts(d)->page_size;
	unsigned char *page = malloc(ps);
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	struct page_cache_stats before, after;
	struct timespec t0, t1;
	long ok = 0;

	dump_cache_stats(d, &before);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n && page; i++) {
		uint64_t a = pick ? pick[next_random(&state) % n_pick] :
				    random_page(d, &state);
		struct kdk_error *err = dump_read_phys(d, a, page, ps);

		ok += !err;
		kdk_error_free(err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dump_cache_stats(d, &after);
	printf("\"%s\": {\"reads\": %ld, \"ok\": %ld, \"seconds\": %.6f, "
	       "\"cache_hits\": %" PRIu64 ", \"cache_misses\": %" PRIu64 "}",
	       what, n, ok,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       after.hits - before.hits, after.misses - before.misses);
	free(page);
}

/* Random pages of memory (many excluded, in filtered dumps), then random
 * pages the dump holds, each on a freshly opened dump. */
static struct kdk_error *open_dump(char **paths, int n, struct dump **d)
{
	return dump_open_set((const char *const *)paths, n, d);
}

/* Name the file in an error only if there is one: a set's errors do. */
static const char *one_path(char **paths, int n)
{
	return n == 1 ? paths[0] : NULL;
}

static int bench(char **paths, int n_paths, long n)
{
	const char *path = one_path(paths, n_paths);
	struct kdk_error *err;
	uint64_t *present;
	struct dump *d;
	size_t n_present;

	if ((err = open_dump(paths, n_paths, &d)))
		return fail(err, path);
	printf("{");
	time_reads(d, n, NULL, 0, "memory");
	present = present_pages(d, &n_present);
	dump_close(d);
	if ((err = open_dump(paths, n_paths, &d)))
		return fail(err, path);
	printf(", ");
	if (n_present)
		time_reads(d, n, present, n_present, "present");
	printf("%s\"present_pages\": %zu}\n", n_present ? ", " : "", n_present);
	free(present);
	dump_close(d);
	return 0;
}

/* Time dump_scan_vmcoreinfo() on its own. */
static int scan_vmcoreinfo(struct dump *d)
{
	struct dump_vmcoreinfo_found found;
	struct timespec t0, t1;
	struct kdk_error *err;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = dump_scan_vmcoreinfo(d, &found);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"found\": %s, \"paddr\": %" PRIu64 ", \"in_note\": %s, "
	       "\"length\": %zu, \"pages_scanned\": %" PRIu64 ", "
	       "\"seconds\": %.6f}\n", err ? "false" : "true",
	       err ? 0 : found.paddr, !err && found.in_note ? "true" : "false",
	       err ? 0 : found.len, found.pages_scanned, s);
	if (err && err->code != KDK_ERR_NOT_FOUND) {
		fprintf(stderr, "dump-read: %s\n", err->msg);
		kdk_error_free(err);
		return 1;
	}
	kdk_error_free(err);
	free(found.text);
	return 0;
}

/* The cost of a full scan on dumps that have VMCOREINFO early. */
static int read_heads(struct dump *d)
{
	struct timespec t0, t1;
	const struct dump_range *r;
	uint64_t pages = 0, ok = 0;
	unsigned char head[34];
	size_t n;

	r = dump_ranges(d, &n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++)
		for (uint64_t a = (r[i].start + 4095) / 4096 * 4096;
		     a + sizeof(head) <= r[i].end; a += 4096) {
			struct kdk_error *err = dump_read_phys(d, a, head,
							       sizeof(head));

			pages++;
			ok += !err;
			kdk_error_free(err);
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("{\"pages\": %" PRIu64 ", \"read\": %" PRIu64 ", "
	       "\"seconds\": %.6f}\n", pages, ok,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	struct kdk_error *err;
	struct dump *d;
	bool cpus = false, scan = false, heads = false;
	long n = -1;
	int ret;

	if (argc >= 4 && strcmp(argv[1], "--bench") == 0) {
		n = atol(argv[2]);
		argv += 2;
		argc -= 2;
	} else if (argc >= 3 && strcmp(argv[1], "--cpus") == 0) {
		cpus = true;
		argv++;
		argc--;
	} else if (argc == 3 && strcmp(argv[1], "--scan-vmcoreinfo") == 0) {
		scan = true;
		argv++;
		argc--;
	} else if (argc == 3 && strcmp(argv[1], "--read-heads") == 0) {
		heads = true;
		argv++;
		argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: dump-read [--bench N | --cpus | "
			"--scan-vmcoreinfo | --read-heads] DUMP...\n");
		return 2;
	}
	if (n >= 0)
		return bench(argv + 1, argc - 1, n);
	err = open_dump(argv + 1, argc - 1, &d);
	if (err)
		return fail(err, one_path(argv + 1, argc - 1));
	if (cpus)
		ret = print_cpus(d);
	else if (scan)
		ret = scan_vmcoreinfo(d);
	else if (heads)
		ret = read_heads(d);
	else
		ret = serve_reads(d);
	dump_close(d);
	return ret;
}
