#include "kernel/taint.h"

#include <string.h>

#include "dump/dump.h"
#include "kernel/printk.h"
#include "kernel/sysinfo.h"

/* Documentation/admin-guide/tainted-kernels.rst and include/linux/panic.h
 * of Linux 6.1, in bit order. */
static const struct {
	char c_true, c_false;
	bool module;
	const char *name;
} builtin[] = {
	{ 'P', 'G', true, "PROPRIETARY_MODULE" },
	{ 'F', ' ', true, "FORCED_MODULE" },
	{ 'S', ' ', false, "CPU_OUT_OF_SPEC" },
	{ 'R', ' ', false, "FORCED_RMMOD" },
	{ 'M', ' ', false, "MACHINE_CHECK" },
	{ 'B', ' ', false, "BAD_PAGE" },
	{ 'U', ' ', false, "USER" },
	{ 'D', ' ', false, "DIE" },
	{ 'A', ' ', false, "OVERRIDDEN_ACPI_TABLE" },
	{ 'W', ' ', false, "WARN" },
	{ 'C', ' ', true, "CRAP" },
	{ 'I', ' ', false, "FIRMWARE_WORKAROUND" },
	{ 'O', ' ', true, "OOT_MODULE" },
	{ 'E', ' ', true, "UNSIGNED_MODULE" },
	{ 'L', ' ', false, "SOFTLOCKUP" },
	{ 'K', ' ', true, "LIVEPATCH" },
	{ 'X', ' ', true, "AUX" },
	{ 'T', ' ', true, "RANDSTRUCT" },
	{ 'N', ' ', true, "TEST" },
};

#define BUILTIN_COUNT ((int)(sizeof(builtin) / sizeof(builtin[0])))
#define ENTRY_SIZE 3

void taint_table_builtin(struct taint_table *out)
{
	memset(out, 0, sizeof(*out));
	out->count = BUILTIN_COUNT;
	for (int i = 0; i < BUILTIN_COUNT; i++) {
		out->c_true[i] = builtin[i].c_true;
		out->c_false[i] = builtin[i].c_false;
		out->module[i] = builtin[i].module;
	}
}

const char *taint_flag_name(int bit)
{
	return bit >= 0 && bit < BUILTIN_COUNT ? builtin[bit].name : NULL;
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

bool taint_table_parse(const unsigned char *raw, size_t len,
		       struct taint_table *out)
{
	int n = 0;

	memset(out, 0, sizeof(*out));
	for (size_t off = 0; off + ENTRY_SIZE <= len && n < TAINT_MAX_FLAGS;
	     off += ENTRY_SIZE, n++) {
		char t = raw[off], f = raw[off + 1];
		unsigned char m = raw[off + 2];

		if (!is_upper(t) || !(f == ' ' || f == '-' || is_upper(f)) ||
		    m > 1)
			break;
		out->c_true[n] = t;
		out->c_false[n] = f;
		out->module[n] = m;
	}
	out->count = n;
	out->from_kernel = n > 0;
	return n > 0;
}

void taint_letters(const struct taint_table *tab, uint64_t mask, char *buf,
		   size_t len)
{
	size_t n = 0;

	for (int i = 0; i < tab->count && n + 1 < len; i++) {
		char c = mask >> i & 1 ? tab->c_true[i] : tab->c_false[i];

		if (mask >> i & 1 || (c != ' ' && c != '-' && c != 'G'))
			buf[n++] = c;
	}
	if (len)
		buf[n] = '\0';
}

static const char *find(const char *text, size_t len, const char *what)
{
	return memmem(text, len, what, strlen(what));
}

/* print_tainted() writes one letter (or blank) per flag, and
 * dump_stack_print_info() a blank and the release after them; a release
 * starts with a digit, so the letters end at the first character that is
 * neither upper-case nor blank. */
bool taint_parse_header(const char *text, size_t len,
			const struct taint_table *tab, uint64_t *mask,
			char *unknown)
{
	static const char tainted[] = "Tainted: ";
	const char *p = find(text, len, tainted), *end = text + len;
	size_t nu = 0;

	*mask = 0;
	unknown[0] = '\0';
	if (!p)
		return find(text, len, "Not tainted") != NULL;
	for (p += sizeof(tainted) - 1; p < end && (*p == ' ' || is_upper(*p));
	     p++) {
		int i;

		if (*p == ' ')
			continue;
		for (i = 0; i < tab->count && tab->c_true[i] != *p; i++)
			;
		if (i < tab->count)
			*mask |= UINT64_C(1) << i;
		else if (*p != 'G' && nu < TAINT_MAX_FLAGS &&
			 !memchr(unknown, *p, nu))
			unknown[nu++] = *p;
		unknown[nu] = '\0';
	}
	return true;
}

void taint_log_feed(struct taint_log *out, const struct taint_table *tab,
		    uint8_t facility, const char *text, size_t len)
{
	static const char panic[] = "Kernel panic - not syncing: ";
	static const char warning[] = "WARNING: CPU: ";
	const char *nl;
	uint64_t mask;
	char unknown[TAINT_MAX_FLAGS + 1];

	/* Only the kernel's own words: anyone may write to /dev/kmsg. */
	if (facility != 0)
		return;
	if (len >= sizeof(panic) - 1 &&
	    memcmp(text, panic, sizeof(panic) - 1) == 0) {
		if (out->found && find(text, len, "Fatal exception"))
			out->died_after = true;
		return;
	}
	if (len >= sizeof(warning) - 1 &&
	    memcmp(text, warning, sizeof(warning) - 1) == 0) {
		out->warn_pending = true;
		return;
	}
	nl = memchr(text, '\n', len);
	if (!taint_parse_header(text, nl ? (size_t)(nl - text) : len, tab,
				&mask, unknown))
		return;
	out->found = true;
	out->mask = mask;
	out->died_after = false;
	out->warned_after = out->warn_pending;
	out->warn_pending = false;
	memcpy(out->unknown, unknown, sizeof(unknown));
	len = nl ? (size_t)(nl - text) : len;
	if (len >= sizeof(out->header))
		len = sizeof(out->header) - 1;
	memcpy(out->header, text, len);
	out->header[len] = '\0';
}

uint64_t taint_log_mask(const struct taint_log *log)
{
	return log->mask |
	       (log->died_after ? UINT64_C(1) << TAINT_BIT_DIE : 0) |
	       (log->warned_after ? UINT64_C(1) << TAINT_BIT_WARN : 0);
}

/* The kernel's taint_flags[], bounded by the symbol's extent in kallsyms
 * (the next symbol) and by the 64 bits of the mask. */
static void read_table(struct target *t, const struct symtab *st,
		       struct taint_table *out)
{
	unsigned char raw[TAINT_MAX_FLAGS * ENTRY_SIZE];
	uint64_t addr, size = 0;
	struct kdk_error *err;

	taint_table_builtin(out);
	err = sysinfo_symbol(target_dump(t), st, "taint_flags", &addr);
	if (!err && st)
		kdk_error_free(sym_lookup_addr(st, addr, NULL, NULL, &size));
	if (err) {
		kdk_error_free(err);
		return;
	}
	if (!size || size > sizeof(raw))
		size = sizeof(raw);
	err = target_read_kvaddr(t, addr, raw, size);
	if (err) {
		kdk_error_free(err);
		return;
	}
	if (!taint_table_parse(raw, size, out))
		taint_table_builtin(out);
}

struct log_scan {
	struct taint_log *log;
	const struct taint_table *tab;
};

static struct kdk_error *scan_record(void *arg, const struct printk_record *r)
{
	struct log_scan *s = arg;

	taint_log_feed(s->log, s->tab, r->facility, r->text, r->text_len);
	return NULL;
}

struct kdk_error *taint_read(struct target *t, const struct symtab *st,
			     struct taint_info *out)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(target_dump(t));
	struct log_scan scan = { &out->log, &out->table };
	struct kdk_error *mask_err, *err;
	uint64_t addr;

	memset(out, 0, sizeof(*out));
	read_table(t, st, &out->table);
	out->log_err = printk_each(t, vi, scan_record, &scan);
	mask_err = sysinfo_symbol(target_dump(t), st, "tainted_mask", &addr);
	if (!mask_err)
		mask_err = target_read_kvaddr(t, addr, &out->mask,
					      sizeof(out->mask));
	if (!mask_err) {
		out->source = TAINT_FROM_MASK;
		return NULL;
	}
	if (out->log.found) {
		kdk_error_free(mask_err);
		out->source = TAINT_FROM_LOG;
		out->mask = taint_log_mask(&out->log);
		return NULL;
	}
	err = kdk_error(KDK_ERR_NOT_FOUND, "no taint mask: %s; and %s%s%s",
			mask_err->msg, out->log_err ? "the log could not be "
			"read (" : "the log has no \"Tainted:\" header",
			out->log_err ? out->log_err->msg : "",
			out->log_err ? ")" : "");
	kdk_error_free(mask_err);
	return err;
}
