/* Audit records as kernel/audit.c leaves them in an sk_buff: a netlink
 * header (nlmsg_type = the record type), then the text that
 * audit_log_format() wrote, with skb->len ending before its NUL. The
 * record is the one the lab's kernels print at boot
 * ("audit: type=2000 audit(0.156:1): state=initialized ..."), which
 * kauditd_printk_skb() prints as "type=%d %s" from the same bytes. */
#include <stdint.h>
#include <string.h>

#include "kernel/audit.h"
#include "tap.h"

#define TEXT "audit(0.156:1): state=initialized audit_enabled=0 res=1"

/* nlmsghdr: len, type, flags (u16), seq, pid (u32), little-endian. */
static size_t build(uint8_t *buf, uint16_t type, const char *text,
		    size_t text_len)
{
	uint32_t len = 16 + (uint32_t)text_len;

	memset(buf, 0, 16);
	memcpy(buf, &len, 4);
	buf[4] = type & 0xff;
	buf[5] = type >> 8;
	memcpy(buf + 16, text, text_len);
	return 16 + text_len;
}

int main(void)
{
	struct kaudit_record r;
	uint8_t buf[256];
	size_t n;

	n = build(buf, 2000, TEXT, strlen(TEXT));
	buf[n] = 'X';			/* tailroom: not part of the record */
	ok(!kaudit_decode(buf, n, &r), "a record decodes");
	ok(r.type == 2000, "type 2000 (AUDIT_KERNEL): %u", r.type);
	ok(r.text_len == strlen(TEXT) && !memcmp(r.text, TEXT, r.text_len),
	   "the text is what follows the header, up to skb->len");

	n = build(buf, 1300, TEXT "\0junk", strlen(TEXT) + 5);
	ok(!kaudit_decode(buf, n, &r) && r.type == 1300 &&
	   r.text_len == strlen(TEXT), "the text stops at a NUL, as %%s does");

	ok(!kaudit_decode(buf, 16, &r) && r.text_len == 0,
	   "a header alone is an empty record");
	struct kdk_error *err = kaudit_decode(buf, 15, &r);
	ok(err && err->code == KDK_ERR_FORMAT,
	   "shorter than a netlink header: an error");
	kdk_error_free(err);
	return tap_done();
}
