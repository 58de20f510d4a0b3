#include "kernel/panic.h"

#include <stdio.h>
#include <string.h>

#include "dump/dump.h"
#include "kernel/printk.h"

/* The first words of the lines an oops starts with: x86_64 (die(),
 * page_fault_oops(), BUG()) and arm64 (die_kernel_fault(), die()). */
static const char *const oops_starts[] = {
	"BUG: ",
	"kernel BUG at ",
	"general protection fault",
	"Oops: ",
	"Unable to handle kernel ",
	"Internal error: ",
	NULL,
};

static const char panic_prefix[] = "Kernel panic - not syncing: ";

struct search {
	struct panic_cause panic;	/* the last panic() message */
	struct panic_cause oops;	/* the first oops line */
};

static bool starts_with_any(const char *text, size_t len)
{
	for (const char *const *p = oops_starts; *p; p++) {
		size_t n = strlen(*p);

		if (len >= n && memcmp(text, *p, n) == 0)
			return true;
	}
	return false;
}

static void keep(struct panic_cause *c, const char *text, size_t len,
		 bool is_oops)
{
	const char *nl = memchr(text, '\n', len);

	if (nl)
		len = nl - text;
	if (len >= sizeof(c->line))
		len = sizeof(c->line) - 1;
	memcpy(c->line, text, len);
	c->line[len] = '\0';
	c->is_oops = is_oops;
}

static struct kdk_error *look(void *arg, const struct printk_record *r)
{
	struct search *s = arg;
	size_t n = sizeof(panic_prefix) - 1;

	if (r->text_len >= n && memcmp(r->text, panic_prefix, n) == 0)
		keep(&s->panic, r->text, r->text_len, false);
	else if (!s->oops.line[0] && starts_with_any(r->text, r->text_len))
		keep(&s->oops, r->text, r->text_len, true);
	return NULL;
}

struct kdk_error *panic_cause_find(struct target *t, struct panic_cause *out)
{
	const struct vmcoreinfo *vi = dump_vmcoreinfo(target_dump(t));
	struct search s = { 0 };
	struct kdk_error *err;

	memset(out, 0, sizeof(*out));
	if (!vi)
		return kdk_error(KDK_ERR_NOT_FOUND,
				 "the dump has no VMCOREINFO to find the log with");
	err = printk_each(t, vi, look, &s);
	if (err)
		return kdk_error_wrap(err, "searching the log for the panic");
	*out = s.oops.line[0] ? s.oops : s.panic;
	return NULL;
}
