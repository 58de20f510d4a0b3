/* /etc/kdumpkit.conf: where and how the capture kernel saves a crash.
 *
 *	# comments and blank lines are ignored; "key = value" per line
 *	path = /var/crash		directory the dumps go under
 *	dump_level = 31			makedump -d
 *	codec = zlib			zlib | lzo | snappy | zstd | none
 *	threads = 0			0: the CPUs online
 *	keep = 3			old dumps kept (0: all)
 *	failure_action = dmesg-only	dmesg-only | reboot | halt | poweroff | shell
 *	final_action = reboot		reboot | halt | poweroff | shell
 *	device = LABEL=kdump		what the capture initramfs mounts on path
 *	fstype = ext4			its file system type
 *
 * `save` reads it; the capture initramfs' /init reads device, fstype and
 * the actions itself (a shell script cannot call into C).
 */
#ifndef KDK_CAPTURE_CONFIG_H
#define KDK_CAPTURE_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"
#include "capture/compress.h"

#define KDUMPKIT_CONF "/etc/kdumpkit.conf"

struct capture_config {
	char path[512];
	int dump_level;
	enum page_codec codec;
	int threads;
	int keep;
	char failure_action[16];
	char final_action[16];
	char device[256];
	char fstype[32];
	bool from_file;		/* false: the file is absent, defaults apply */
};

void capture_config_defaults(struct capture_config *c);

/* Read file into c (over its defaults). An absent file is not an error
 * (c->from_file stays false); a bad line is, naming its line number. */
struct kdk_error *capture_config_load(const char *file,
				      struct capture_config *c);

/* "zlib" -> PAGE_CODEC_ZLIB; false for an unknown name. */
bool capture_codec_parse(const char *name, enum page_codec *codec);

/* c in the file's format, every key with a comment. */
void capture_config_write(FILE *f, const struct capture_config *c);

#endif
