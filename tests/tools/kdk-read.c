/* Test tool: kernel virtual memory and symbols of a dump, for the
 * end-to-end tests (tests/target/) and for timing. Not installed.
 *
 *   kdk-read [--no-symbols] DUMP   serves requests, one per line on stdin:
 *     read VADDR LEN    -> "ok HEX" | "err MESSAGE"
 *     vtop VADDR        -> "ok PADDR PAGESIZE LEVEL=ENTRY ..." | "err ..."
 *     ptov PADDR        -> "ok VADDR" | "err ..."
 *     sym NAME          -> "ok VADDR TYPE" | "err ..."
 *     addr VADDR        -> "ok NAME OFFSET SIZE" | "err ..."
 *     syms              -> "VADDR TYPE NAME" per symbol, then "end"
 *     layout            -> "ok key=value ..."
 *     ranges            -> "START END" per physical memory range, "end"
 *     info KEY          -> "ok VALUE" of a VMCOREINFO key | "err ..."
 *   kdk-read --bench N DUMP      times opening, kallsyms, N random reads
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "debuginfo/kallsyms.h"
#include "dump/dump.h"
#include "target/target.h"

struct session {
	struct dump *dump;
	struct target *target;
	struct symtab *syms;		/* NULL without symbols */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void reply_err(struct kdk_error *err)
{
	printf("err %s\n", err->msg);
	kdk_error_free(err);
}

static void print_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	fputs("ok ", stdout);
	for (size_t i = 0; i < n; i++) {
		putchar(digits[p[i] >> 4]);
		putchar(digits[p[i] & 15]);
	}
	putchar('\n');
}

static void do_read(struct session *s, const char *args)
{
	static unsigned char buf[1 << 20];
	uint64_t addr, len;
	struct kdk_error *err;

	if (sscanf(args, "%" SCNx64 " %" SCNu64, &addr, &len) != 2 ||
	    len > sizeof(buf)) {
		printf("err bad request\n");
		return;
	}
	err = target_read_kvaddr(s->target, addr, buf, len);
	if (err)
		reply_err(err);
	else
		print_hex(buf, len);
}

static void do_vtop(struct session *s, const char *args)
{
	struct arch_vtop vt;
	struct kdk_error *err;
	uint64_t addr;

	if (sscanf(args, "%" SCNx64, &addr) != 1) {
		printf("err bad request\n");
		return;
	}
	err = target_vtop(s->target, addr, &vt);
	if (err) {
		reply_err(err);
		return;
	}
	printf("ok %" PRIx64 " %" PRIx64, vt.paddr, vt.page_size);
	for (int i = 0; i < vt.nsteps; i++)
		printf(" %s=%" PRIx64, vt.steps[i].level, vt.steps[i].entry);
	printf("\n");
}

static void do_ptov(struct session *s, const char *args)
{
	struct kdk_error *err;
	uint64_t paddr, vaddr;

	if (sscanf(args, "%" SCNx64, &paddr) != 1) {
		printf("err bad request\n");
		return;
	}
	err = target_ptov(s->target, paddr, &vaddr);
	if (err)
		reply_err(err);
	else
		printf("ok %" PRIx64 "\n", vaddr);
}

static void do_sym(struct session *s, const char *args)
{
	char name[512];
	const struct sym *sym;

	if (!s->syms || sscanf(args, "%511s", name) != 1) {
		printf("err no symbols or bad request\n");
		return;
	}
	sym = sym_find_name(s->syms, name);
	if (sym)
		printf("ok %" PRIx64 " %c\n", sym->addr, sym->type);
	else
		printf("err no symbol %s\n", name);
}

static void do_addr(struct session *s, const char *args)
{
	uint64_t addr, offset, size;
	struct kdk_error *err;
	const char *name;

	if (!s->syms || sscanf(args, "%" SCNx64, &addr) != 1) {
		printf("err no symbols or bad request\n");
		return;
	}
	err = sym_lookup_addr(s->syms, addr, &name, &offset, &size);
	if (err)
		reply_err(err);
	else
		printf("ok %s %" PRIx64 " %" PRIx64 "\n", name, offset, size);
}

static void do_syms(struct session *s)
{
	for (size_t i = 0; s->syms && i < symtab_count(s->syms); i++) {
		const struct sym *sym = symtab_get(s->syms, i);

		printf("%016" PRIx64 " %c %s\n", sym->addr, sym->type,
		       symtab_name(s->syms, sym));
	}
	printf("end\n");
}

static void do_layout(struct session *s)
{
	struct arch_layout l;

	target_layout(s->target, &l);
	printf("ok arch=%s levels=%d direct_map=%" PRIx64
	       " direct_map_known=%d vmalloc=%" PRIx64 " vmemmap=%" PRIx64
	       " kernel_text=%" PRIx64 " kernel_offset=%" PRIx64
	       " phys_base=%" PRIx64 "\n", target_arch_name(s->target),
	       l.levels, l.direct_map, l.direct_map_known, l.vmalloc,
	       l.vmemmap, l.kernel_text, l.kernel_offset, l.phys_base);
}

static void do_ranges(struct session *s)
{
	const struct dump_range *r;
	size_t n;

	r = dump_ranges(s->dump, &n);
	for (size_t i = 0; i < n; i++)
		printf("%" PRIx64 " %" PRIx64 "\n", r[i].start, r[i].end);
	printf("end\n");
}

static void do_info(struct session *s, const char *key)
{
	const char *value = dump_vmcoreinfo_get(s->dump, key);

	if (value)
		printf("ok %s\n", value);
	else
		printf("err no %s in VMCOREINFO\n", key);
}

static void serve(struct session *s)
{
	char line[1024];

	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "read ", 5) == 0)
			do_read(s, line + 5);
		else if (strncmp(line, "vtop ", 5) == 0)
			do_vtop(s, line + 5);
		else if (strncmp(line, "ptov ", 5) == 0)
			do_ptov(s, line + 5);
		else if (strncmp(line, "sym ", 4) == 0)
			do_sym(s, line + 4);
		else if (strncmp(line, "addr ", 5) == 0)
			do_addr(s, line + 5);
		else if (strcmp(line, "syms") == 0)
			do_syms(s);
		else if (strcmp(line, "layout") == 0)
			do_layout(s);
		else if (strcmp(line, "ranges") == 0)
			do_ranges(s);
		else if (strncmp(line, "info ", 5) == 0)
			do_info(s, line + 5);
		else
			printf("err unknown request: %s\n", line);
		fflush(stdout);
	}
}

static struct kdk_error *open_session(const char *path, bool symbols,
				      struct session *s)
{
	struct kdk_error *err = dump_open(path, &s->dump);

	if (!err)
		err = target_open(s->dump, &s->target);
	if (!err && symbols)
		err = kallsyms_load(s->target, &s->syms);
	return err;
}

static void close_session(struct session *s)
{
	symtab_free(s->syms);
	target_close(s->target);
	if (s->dump)
		dump_close(s->dump);
}

static uint64_t next_random(uint64_t *state)	/* xorshift64 */
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* A random address of the direct map, uniform over the dump's memory. */
static uint64_t random_direct(struct session *s, uint64_t *state)
{
	uint64_t total = 0, pick, vaddr = 0;
	const struct dump_range *r;
	size_t n;

	r = dump_ranges(s->dump, &n);
	for (size_t i = 0; i < n; i++)
		total += r[i].end - r[i].start;
	pick = total ? next_random(state) % total : 0;
	for (size_t i = 0; i < n; i++) {
		if (pick < r[i].end - r[i].start) {
			kdk_error_free(target_ptov(s->target,
						   r[i].start + pick, &vaddr));
			break;
		}
		pick -= r[i].end - r[i].start;
	}
	return vaddr;
}

static uint64_t random_symbol(struct session *s, uint64_t *state)
{
	size_t n = symtab_count(s->syms);

	return symtab_get(s->syms, next_random(state) % n)->addr;
}

static void bench_reads(struct session *s, long n, bool direct)
{
	uint64_t state = 0x9e3779b97f4a7c15ULL, buf[8], hits, misses;
	long failed = 0;
	double t0 = now();

	for (long i = 0; i < n; i++) {
		uint64_t addr = direct ? random_direct(s, &state)
				       : random_symbol(s, &state);
		struct kdk_error *err;

		err = target_read_kvaddr(s->target, addr, buf, sizeof(buf));
		if (err) {
			failed++;
			kdk_error_free(err);
		}
	}
	target_tlb_stats(s->target, &hits, &misses);
	printf("%s reads: %ld of 64 bytes in %.3f ms (%ld failed); "
	       "translation cache so far: %llu hits, %llu walks\n",
	       direct ? "direct-map" : "symbol", n, (now() - t0) * 1e3,
	       failed, (unsigned long long)hits, (unsigned long long)misses);
}

static int bench(const char *path, long n)
{
	struct session s = { 0 };
	struct kdk_error *err;
	double t0 = now(), t1, t2;

	err = dump_open(path, &s.dump);
	if (!err)
		err = target_open(s.dump, &s.target);
	t1 = now();
	if (!err)
		err = kallsyms_load(s.target, &s.syms);
	t2 = now();
	if (err) {
		fprintf(stderr, "kdk-read: %s: %s\n", path, err->msg);
		kdk_error_free(err);
		close_session(&s);
		return 1;
	}
	printf("open: %.3f ms, kallsyms: %.3f ms (%zu symbols)\n",
	       (t1 - t0) * 1e3, (t2 - t1) * 1e3, symtab_count(s.syms));
	bench_reads(&s, n, true);
	bench_reads(&s, n, false);
	close_session(&s);
	return 0;
}

int main(int argc, char **argv)
{
	struct session s = { 0 };
	struct kdk_error *err;
	bool symbols = true;

	if (argc == 4 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[3], atol(argv[2]));
	if (argc == 3 && strcmp(argv[1], "--no-symbols") == 0) {
		symbols = false;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: kdk-read [--no-symbols] DUMP\n"
			"       kdk-read --bench N DUMP\n");
		return 2;
	}
	err = open_session(argv[1], symbols, &s);
	if (err) {
		fprintf(stderr, "kdk-read: %s: %s\n", argv[1], err->msg);
		kdk_error_free(err);
		close_session(&s);
		return 1;
	}
	serve(&s);
	close_session(&s);
	return 0;
}
