/* Taint letters: the documented table, the kernel's taint_flags[] bytes
 * (Linux 6.1's 19 entries of 3 bytes, as its DWARF lays them out), crash's
 * way of writing the letters, and the masks read off log headers as
 * x86_64 and arm64 6.1 print them. */
#include <stdint.h>
#include <string.h>

#include "kernel/taint.h"
#include "tap.h"

#define BIT(n) (UINT64_C(1) << (n))

/* taint_flags[] of 6.1 as it sits in memory, and a zero pad after it. */
static const unsigned char kernel_6_1[] = {
	'P', 'G', 1, 'F', ' ', 1, 'S', ' ', 0, 'R', ' ', 0, 'M', ' ', 0,
	'B', ' ', 0, 'U', ' ', 0, 'D', ' ', 0, 'A', ' ', 0, 'W', ' ', 0,
	'C', ' ', 1, 'I', ' ', 0, 'O', ' ', 1, 'E', ' ', 1, 'L', ' ', 0,
	'K', ' ', 1, 'X', ' ', 1, 'T', ' ', 1, 'N', ' ', 1, 0, 0, 0, 0,
};

static void test_table(void)
{
	struct taint_table b, k;
	char buf[TAINT_MAX_FLAGS + 1];

	taint_table_builtin(&b);
	ok(b.count == 19 && !b.from_kernel, "6.1 has 19 flags");
	is_str(taint_flag_name(0), "PROPRIETARY_MODULE", "bit 0's name");
	is_str(taint_flag_name(18), "TEST", "bit 18's name");
	ok(taint_flag_name(19) == NULL, "no name past the table");

	ok(taint_table_parse(kernel_6_1, sizeof(kernel_6_1), &k),
	   "the kernel's table parses");
	ok(k.count == 19 && k.from_kernel, "it stops at the padding: %d",
	   k.count);
	ok(memcmp(k.c_true, b.c_true, 19) == 0 &&
	   memcmp(k.c_false, b.c_false, 19) == 0 &&
	   memcmp(k.module, b.module, 19) == 0,
	   "and agrees with the documented one");
	ok(taint_table_parse(kernel_6_1, 15, &k) && k.count == 5,
	   "a short extent keeps what fits");
	ok(!taint_table_parse((const unsigned char *)"\0\0\0", 3, &k),
	   "zeroes are no table");
	ok(!taint_table_parse((const unsigned char *)"PG\2", 3, &k),
	   "module must be a bool");

	taint_letters(&b, 0, buf, sizeof(buf));
	is_str(buf, "", "untainted: no letters (the G is dropped)");
	taint_letters(&b, BIT(12) | BIT(13) | BIT(14), buf, sizeof(buf));
	is_str(buf, "OEL", "O, E, L in bit order");
	taint_letters(&b, BIT(0) | BIT(7) | BIT(9), buf, sizeof(buf));
	is_str(buf, "PDW", "P replaces G");
	taint_letters(&b, BIT(40), buf, sizeof(buf));
	is_str(buf, "", "a bit past the table has no letter");
	k = b;
	k.c_false[3] = 'r';
	taint_letters(&k, 0, buf, sizeof(buf));
	is_str(buf, "r", "a c_false other than blank, '-', 'G' is shown");
}

static bool header(const char *text, const struct taint_table *tab,
		   uint64_t *mask, char *unknown)
{
	return taint_parse_header(text, strlen(text), tab, mask, unknown);
}

static void feed(struct taint_log *log, const struct taint_table *tab,
		 const char *text)
{
	taint_log_feed(log, tab, 0, text, strlen(text));
}

static void test_headers(void)
{
	struct taint_table b;
	struct taint_log log;
	char unknown[TAINT_MAX_FLAGS + 1];
	uint64_t mask;

	taint_table_builtin(&b);
	ok(header("CPU: 0 PID: 125 Comm: insmod Tainted: G           OE  "
		  "    6.1.0-56-cloud-amd64 #1  Debian 6.1.192-2", &b, &mask,
		  unknown) && mask == (BIT(12) | BIT(13)) && !unknown[0],
	   "x86_64 oops header: O and E (%#llx)", (unsigned long long)mask);
	ok(header("      Tainted: G           OEL     6.1.0-56-arm64 #1 "
		  "Debian 6.1.192-2", &b, &mask, unknown) &&
	   mask == (BIT(12) | BIT(13) | BIT(14)),
	   "hung-task header: O, E and L");
	ok(header("CPU: 1 PID: 136 Comm: sh Kdump: loaded Not tainted "
		  "6.1.0-56-cloud-amd64 #1", &b, &mask, unknown) && mask == 0,
	   "Not tainted: 0");
	ok(header("Tainted: P      D  Z  6.1.0", &b, &mask, unknown) &&
	   mask == (BIT(0) | BIT(7)),
	   "P and D; the letters stop at the release");
	is_str(unknown, "Z", "a letter no flag has is kept aside");
	ok(!header("crashme: loading out-of-tree module taints kernel.", &b,
		   &mask, unknown),
	   "the module loader's words are no header");

	memset(&log, 0, sizeof(log));
	feed(&log, &b, "crashme: module verification failed: signature "
	     "and/or required key missing - tainting kernel");
	ok(!log.found, "no header yet");
	feed(&log, &b, "CPU: 0 PID: 1 Comm: x Not tainted 6.1.0 #1");
	feed(&log, &b, "CPU: 0 PID: 125 Comm: insmod Tainted: G           "
	     "OE      6.1.0 #1\nHardware name: QEMU");
	feed(&log, &b, "Kernel panic - not syncing: Fatal exception");
	ok(log.found && log.died_after, "the oops panicked after its header");
	ok(taint_log_mask(&log) == (BIT(7) | BIT(12) | BIT(13)),
	   "so D joins O and E");
	is_str(log.header, "CPU: 0 PID: 125 Comm: insmod Tainted: G          "
	       " OE      6.1.0 #1", "the header's first line is kept");

	memset(&log, 0, sizeof(log));
	feed(&log, &b, "CPU: 1 PID: 1 Comm: x Tainted: G           OE      "
	     "6.1.0 #1");
	feed(&log, &b, "Kernel panic - not syncing: softlockup: hung tasks");
	ok(log.found && !log.died_after && taint_log_mask(&log) ==
	   (BIT(12) | BIT(13)), "another panic adds nothing");
	feed(&log, &b, "CPU: 1 PID: 1 Comm: x Tainted: G           OEL     "
	     "6.1.0 #1");
	ok(taint_log_mask(&log) == (BIT(12) | BIT(13) | BIT(14)),
	   "the last header wins");
	taint_log_feed(&log, &b, 1, "Tainted: P 6.1", 14);
	ok(taint_log_mask(&log) == (BIT(12) | BIT(13) | BIT(14)),
	   "a user's /dev/kmsg line is not the kernel's");

	memset(&log, 0, sizeof(log));
	feed(&log, &b, "Kernel panic - not syncing: Fatal exception");
	ok(!log.found && !log.died_after, "a panic without a header: nothing");

	/* arm64 6.1 on its way to the kdump kernel (spinlock-kdump run) */
	memset(&log, 0, sizeof(log));
	feed(&log, &b, "CPU: 1 PID: 152 Comm: crashme_spinner Kdump: loaded "
	     "Tainted: G           OEL     6.1.0-56-arm64 #1  Debian");
	ok(taint_log_mask(&log) == (BIT(12) | BIT(13) | BIT(14)),
	   "a panic's header: its letters");
	feed(&log, &b, "WARNING: CPU: 1 PID: 152 at arch/arm64/kernel/"
	     "machine_kexec.c:184 machine_kexec+0x44/0x214");
	feed(&log, &b, "CPU: 1 PID: 152 Comm: crashme_spinner Kdump: loaded "
	     "Tainted: G           OEL     6.1.0-56-arm64 #1  Debian");
	ok(log.warned_after && taint_log_mask(&log) ==
	   (BIT(9) | BIT(12) | BIT(13) | BIT(14)),
	   "a WARN's header: W is set after it is printed");
	feed(&log, &b, "CPU: 0 PID: 1 Comm: init Tainted: G        W  OEL "
	     "    6.1.0-56-arm64 #1  Debian");
	ok(!log.warned_after && taint_log_mask(&log) ==
	   (BIT(9) | BIT(12) | BIT(13) | BIT(14)),
	   "a later header shows the W itself");
}

int main(void)
{
	test_table();
	test_headers();
	return tap_done();
}
