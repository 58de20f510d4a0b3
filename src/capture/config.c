/* /etc/kdumpkit.conf (config.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/config.h"

static const char *const failure_actions[] = {
	"dmesg-only", "reboot", "halt", "poweroff", "shell", NULL };
static const char *const final_actions[] = {
	"reboot", "halt", "poweroff", "shell", NULL };

void capture_config_defaults(struct capture_config *c)
{
	*c = (struct capture_config){
		.dump_level = 31, .codec = PAGE_CODEC_ZLIB, .threads = 0,
		.keep = 0,
	};
	strcpy(c->path, "/var/crash");
	strcpy(c->failure_action, "dmesg-only");
	strcpy(c->final_action, "reboot");
	strcpy(c->fstype, "ext4");
}

bool capture_codec_parse(const char *name, enum page_codec *codec)
{
	static const struct { const char *name; enum page_codec codec; } t[] = {
		{ "zlib", PAGE_CODEC_ZLIB }, { "lzo", PAGE_CODEC_LZO },
		{ "snappy", PAGE_CODEC_SNAPPY }, { "zstd", PAGE_CODEC_ZSTD },
		{ "none", PAGE_CODEC_NONE },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(name, t[i].name) == 0) {
			*codec = t[i].codec;
			return true;
		}
	return false;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && strchr(" \t\r\n", e[-1]))
		*--e = '\0';
	return s;
}

static bool one_of(const char *v, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(v, *names) == 0)
			return true;
	return false;
}

static bool parse_int(const char *v, int lo, int hi, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < lo || n > hi)
		return false;
	*out = (int)n;
	return true;
}

static bool set_string(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return false;
	strcpy(dst, v);
	return true;
}

/* One "key = value"; NULL when fine, else what is wrong with it. */
static const char *apply(struct capture_config *c, const char *key,
			 const char *v)
{
	if (strcmp(key, "path") == 0)
		return v[0] == '/' && set_string(c->path, sizeof(c->path), v) ?
		       NULL : "path must be an absolute directory";
	if (strcmp(key, "dump_level") == 0)
		return parse_int(v, 0, 31, &c->dump_level) ? NULL :
		       "dump_level must be a number from 0 to 31";
	if (strcmp(key, "codec") == 0)
		return capture_codec_parse(v, &c->codec) ? NULL :
		       "codec must be zlib, lzo, snappy, zstd or none";
	if (strcmp(key, "threads") == 0)
		return parse_int(v, 0, 1024, &c->threads) ? NULL :
		       "threads must be a number from 0 (the CPUs online) to 1024";
	if (strcmp(key, "keep") == 0)
		return parse_int(v, 0, 100000, &c->keep) ? NULL :
		       "keep must be a number (0: keep every dump)";
	if (strcmp(key, "failure_action") == 0)
		return one_of(v, failure_actions) &&
		       set_string(c->failure_action, sizeof(c->failure_action), v) ?
		       NULL : "failure_action must be dmesg-only, reboot, halt, "
			      "poweroff or shell";
	if (strcmp(key, "final_action") == 0)
		return one_of(v, final_actions) &&
		       set_string(c->final_action, sizeof(c->final_action), v) ?
		       NULL : "final_action must be reboot, halt, poweroff or shell";
	if (strcmp(key, "device") == 0)
		return set_string(c->device, sizeof(c->device), v) ? NULL :
		       "device is too long";
	if (strcmp(key, "fstype") == 0)
		return set_string(c->fstype, sizeof(c->fstype), v) ? NULL :
		       "fstype is too long";
	return "unknown key (path, dump_level, codec, threads, keep, "
	       "failure_action, final_action, device, fstype)";
}

struct kdk_error *capture_config_load(const char *file,
				      struct capture_config *c)
{
	FILE *f = fopen(file, "r");
	char line[1024];
	int n = 0;

	if (!f)
		return errno == ENOENT ? NULL :
		       kdk_error_errno("reading %s", file);
	c->from_file = true;
	while (fgets(line, sizeof(line), f)) {
		char *s, *eq, *hash;
		const char *bad;

		n++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		s = trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			fclose(f);
			return kdk_error(KDK_ERR_FORMAT, "%s:%d: expected "
					 "'key = value', got '%s'", file, n, s);
		}
		*eq = '\0';
		bad = apply(c, trim(s), trim(eq + 1));
		if (bad) {
			struct kdk_error *err = kdk_error(KDK_ERR_FORMAT,
				"%s:%d: %s: %s", file, n, trim(s), bad);

			fclose(f);
			return err;
		}
	}
	fclose(f);
	return NULL;
}

void capture_config_write(FILE *f, const struct capture_config *c)
{
	fprintf(f, "# %s: how the capture kernel saves a crash (kdumpkit save)\n"
	       "path = %s\n"
	       "# makedump -d: 1 zero, 2 cache, 4 cache private, 8 user, "
	       "16 free pages left out\n"
	       "dump_level = %d\n"
	       "# zlib | lzo | snappy | zstd | none\n"
	       "codec = %s\n"
	       "# 0: the CPUs online\n"
	       "threads = %d\n"
	       "# old dumps kept under path (0: all)\n"
	       "keep = %d\n"
	       "# when saving fails: dmesg-only | reboot | halt | poweroff | shell\n"
	       "failure_action = %s\n"
	       "# after saving: reboot | halt | poweroff | shell\n"
	       "final_action = %s\n"
	       "# the capture initramfs mounts device (fstype) on path\n"
	       "%sdevice = %s\n"
	       "fstype = %s\n",
	       KDUMPKIT_CONF, c->path, c->dump_level,
	       c->codec == PAGE_CODEC_NONE ? "none" : page_codec_name(c->codec),
	       c->threads, c->keep, c->failure_action, c->final_action,
	       c->device[0] ? "" : "# ", c->device[0] ? c->device : "LABEL=kdump",
	       c->fstype);
}
