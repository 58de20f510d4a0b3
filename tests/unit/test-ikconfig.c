/* The built-in .config: a gzip made here with zlib (as the kernel build's
 * gzip makes kernel/config_data.gz) between the IKCFG_ST/IKCFG_ED markers
 * and other bytes of .rodata; a stream cut short or corrupt; no markers;
 * and the lines of a .config. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kernel/ikconfig.h"
#include "tap.h"

static const char config[] =
	"#\n"
	"# Automatically generated file; DO NOT EDIT.\n"
	"# Linux/x86 6.1.192 Kernel Configuration\n"
	"#\n"
	"CONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14) 12.2.0\"\n"
	"\n"
	"#\n"
	"# General setup\n"
	"#\n"
	"CONFIG_LOCALVERSION=\"\"\n"
	"# CONFIG_IKCONFIG is not set\n"
	"CONFIG_HZ_250=y\n"
	"CONFIG_HZ=250\n"
	"CONFIG_CRASHME=m\n"
	"CONFIG_PHYSICAL_START=0x1000000\n";

/* gzip (RFC 1952) of len bytes, as `gzip -9` would write it. */
static size_t gzip(const void *in, size_t len, unsigned char *out,
		   size_t cap)
{
	z_stream zs = { 0 };
	size_t n;

	if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	n = deflate(&zs, Z_FINISH) == Z_STREAM_END ? zs.total_out : 0;
	deflateEnd(&zs);
	return n;
}

/* .rodata-like bytes: junk, IKCFG_ST, the gzip, IKCFG_ED, junk. */
static size_t image(unsigned char *buf, const unsigned char *gz, size_t n)
{
	size_t off = 0;

	memset(buf, 0xa5, 100);
	off += 100;
	memcpy(buf + off, "IKCFG_ST", 8);
	off += 8;
	memcpy(buf + off, gz, n);
	off += n;
	memcpy(buf + off, "IKCFG_ED", 8);
	off += 8;
	memset(buf + off, 0, 50);
	return off + 50;
}

static void test_extract(void)
{
	unsigned char gz[4096], img[8192];
	size_t n = gzip(config, sizeof(config) - 1, gz, sizeof(gz));
	size_t len, off, gzlen, text_len = 0;
	struct kdk_error *err;
	char *text = NULL;

	ok(n > 18, "the test's gzip: %zu bytes", n);
	len = image(img, gz, n);
	err = ikconfig_find_markers(img, len, &off, &gzlen);
	ok(!err && off == 108 && gzlen == n, "markers around the stream");
	kdk_error_free(err);
	err = ikconfig_extract(img, len, &text, &text_len);
	ok(!err, "extracts: %s", err ? err->msg : "ok");
	ok(text && text_len == sizeof(config) - 1 &&
	   memcmp(text, config, text_len) == 0 && text[text_len] == '\0',
	   "the .config comes back byte for byte");
	kdk_error_free(err);
	free(text);

	err = ikconfig_extract(img, 100, &text, &text_len);
	ok(err && err->code == KDK_ERR_NOT_FOUND, "no marker: not found");
	kdk_error_free(err);
	err = ikconfig_extract(img, 108 + n, &text, &text_len);
	ok(err && err->code == KDK_ERR_FORMAT, "no end marker: %s",
	   err ? err->msg : "no error");
	kdk_error_free(err);

	len = image(img, gz, n / 2);
	err = ikconfig_extract(img, len, &text, &text_len);
	ok(err && err->code == KDK_ERR_FORMAT, "a stream cut in half: %s",
	   err ? err->msg : "no error");
	kdk_error_free(err);

	memcpy(gz + 12, "garbage!", 8);
	len = image(img, gz, n);
	err = ikconfig_extract(img, len, &text, &text_len);
	ok(err && err->code == KDK_ERR_FORMAT, "a corrupt stream: %s",
	   err ? err->msg : "no error");
	kdk_error_free(err);
}

/* A config far bigger than its gzip makes the output buffer grow. */
static void test_big(void)
{
	size_t big_len = 1 << 20, text_len = 0;
	char *big = malloc(big_len), *text = NULL;
	unsigned char *gz = malloc(big_len);
	struct kdk_error *err;
	size_t n;

	for (size_t i = 0; i < big_len; i++)
		big[i] = "CONFIG_X=y\n"[i % 11];
	n = gzip(big, big_len, gz, big_len);
	err = ikconfig_inflate(gz, n, &text, &text_len);
	ok(!err && text_len == big_len && memcmp(text, big, big_len) == 0,
	   "1 MB from %zu bytes of gzip", n);
	kdk_error_free(err);
	free(text);
	free(gz);
	free(big);
}

static void line(const char *s, bool want, const char *name,
		 const char *value, bool is_set)
{
	struct ikconfig_entry e;
	bool got = ikconfig_parse_line(s, strlen(s), &e);

	ok(got == want && (!want || (e.name_len == strlen(name) &&
	   memcmp(e.name, name, e.name_len) == 0 &&
	   e.value_len == strlen(value) &&
	   memcmp(e.value, value, e.value_len) == 0 && e.is_set == is_set)),
	   "line '%.*s'", (int)strcspn(s, "\n"), s);
}

static void test_lines(void)
{
	line("CONFIG_HZ=250", true, "CONFIG_HZ", "250", true);
	line("CONFIG_HZ_250=y\n", true, "CONFIG_HZ_250", "y", true);
	line("CONFIG_LOCALVERSION=\"\"", true, "CONFIG_LOCALVERSION", "\"\"",
	     true);
	line("CONFIG_EMPTY=", true, "CONFIG_EMPTY", "", true);
	line("# CONFIG_IKCONFIG is not set", true, "CONFIG_IKCONFIG", "",
	     false);
	line("# General setup", false, "", "", false);
	line("#", false, "", "", false);
	line("", false, "", "", false);
	line("CONFIG_", false, "", "", false);
	line("FOO=y", false, "", "", false);
	line("# CONFIG_X is not set, really", false, "", "", false);
}

static void value(const char *s, const char *want)
{
	struct ikconfig_entry e;
	char buf[128];
	size_t n;

	if (!ikconfig_parse_line(s, strlen(s), &e)) {
		ok(0, "value of '%s': the line does not parse", s);
		return;
	}
	n = ikconfig_value(&e, buf);
	buf[n] = '\0';
	is_str(buf, want, "value of '%s'", s);
}

static void test_values(void)
{
	value("CONFIG_HZ=250", "250");
	value("CONFIG_LOCALVERSION=\"\"", "");
	value("CONFIG_CC_VERSION_TEXT=\"gcc (Debian 12.2.0-14) 12.2.0\"",
	      "gcc (Debian 12.2.0-14) 12.2.0");
	value("CONFIG_CMDLINE=\"a=\\\"b c\\\" d\\\\e\"", "a=\"b c\" d\\e");
	value("CONFIG_X=\"", "\"");
}

int main(void)
{
	test_extract();
	test_big();
	test_lines();
	test_values();
	return tap_done();
}
