#include <stdlib.h>

#include "dump/vmcoreinfo.h"
#include "tap.h"

static const char text[] =
	"OSRELEASE=6.1.0-56-cloud-amd64\n"
	"BUILD-ID=3b43fad5034874490492495d552c0af6a5fab235\n"
	"PAGESIZE=4096\n"
	"SYMBOL(init_uts_ns)=ffffffffb1df9b60\n"
	"OFFSET(uts_namespace.name)=0\n"
	"OFFSET(page.compound_head)=8\n"
	"SIZE(page)=64\n"
	"LENGTH(zone.free_area)=11\n"
	"NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)=-129\n"
	"NUMBER(kimage_voffset)=0xffff800008000000\n"
	"NUMBER(phys_base)=41943040\n"
	"KERNELOFFSET=2f200000\r\n"
	"CRASHTIME=1795324327\n"
	"this line has no equals sign\n"
	"\n"
	"SYMBOL(bad)=zzz\n"
	"SIZE(dup)=1\n"
	"SIZE(dup)=2\n"
	"\0AFTER_NUL=1\n";

static void check_error(struct kdk_error *err, enum kdk_error_code code,
			const char *msg, const char *what)
{
	ok(err && err->code == code, "%s: error code", what);
	if (err && msg)
		is_str(err->msg, msg, "%s: message", what);
	kdk_error_free(err);
}

int main(void)
{
	struct vmcoreinfo *vi;
	struct kdk_error *err;
	uint64_t u = 0;
	int64_t i = 0;

	err = vmcoreinfo_parse(text, sizeof(text) - 1, &vi);
	ok(!err, "parses");
	is_str(vmcoreinfo_get(vi, "OSRELEASE"), "6.1.0-56-cloud-amd64", "OSRELEASE");
	is_str(vmcoreinfo_get(vi, "BUILD-ID"),
	       "3b43fad5034874490492495d552c0af6a5fab235", "BUILD-ID");
	ok(vmcoreinfo_get(vi, "AFTER_NUL") == NULL, "text stops at a NUL");
	ok(vmcoreinfo_get(vi, "OSRELEAS") == NULL, "no prefix matches");
	ok(vmcoreinfo_count(vi) == 16, "16 lines with keys (got %zu)",
	   vmcoreinfo_count(vi));
	ok(vmcoreinfo_malformed_lines(vi) == 1, "one line without '='");

	ok(!vmcoreinfo_symbol(vi, "init_uts_ns", &u) && u == 0xffffffffb1df9b60,
	   "SYMBOL() is hex");
	ok(!vmcoreinfo_offset(vi, "page.compound_head", &u) && u == 8,
	   "OFFSET(type.member) is decimal");
	ok(!vmcoreinfo_size(vi, "page", &u) && u == 64, "SIZE()");
	ok(!vmcoreinfo_length(vi, "zone.free_area", &u) && u == 11, "LENGTH()");
	ok(!vmcoreinfo_number(vi, "PAGE_BUDDY_MAPCOUNT_VALUE", &i) && i == -129,
	   "NUMBER() may be negative");
	ok(!vmcoreinfo_number(vi, "kimage_voffset", &i) &&
	   (uint64_t)i == 0xffff800008000000, "NUMBER() may be 0x hex (arm64)");
	ok(!vmcoreinfo_hex(vi, "KERNELOFFSET", &u) && u == 0x2f200000,
	   "KERNELOFFSET is hex, and a CR before the newline is dropped");
	ok(!vmcoreinfo_decimal(vi, "CRASHTIME", &i) && i == 1795324327,
	   "CRASHTIME");
	ok(!vmcoreinfo_decimal(vi, "PAGESIZE", &i) && i == 4096, "PAGESIZE");
	ok(!vmcoreinfo_size(vi, "dup", &u) && u == 2, "a repeated key: the last wins");

	check_error(vmcoreinfo_symbol(vi, "nosuch", &u), KDK_ERR_NOT_FOUND,
		    "VMCOREINFO has no SYMBOL(nosuch)", "absent symbol");
	check_error(vmcoreinfo_symbol(vi, "bad", &u), KDK_ERR_FORMAT,
		    "VMCOREINFO: SYMBOL(bad)=zzz is not a hex number",
		    "a symbol that is not hex");
	check_error(vmcoreinfo_offset(vi, "uts_namespace", &u), KDK_ERR_NOT_FOUND,
		    NULL, "OFFSET needs type.member");
	check_error(vmcoreinfo_decimal(vi, "OSRELEASE", &i), KDK_ERR_FORMAT,
		    NULL, "a string is not a number");
	vmcoreinfo_free(vi);

	err = vmcoreinfo_parse("", 0, &vi);
	ok(!err && vmcoreinfo_count(vi) == 0 && !vmcoreinfo_get(vi, "X"),
	   "empty text parses to nothing");
	vmcoreinfo_free(vi);
	err = vmcoreinfo_parse("=x\nA=\n", 6, &vi);
	ok(!err && vmcoreinfo_count(vi) == 1 && strcmp(vmcoreinfo_get(vi, "A"), "") == 0,
	   "an empty key is malformed, an empty value is kept");
	vmcoreinfo_free(vi);
	return tap_done();
}
