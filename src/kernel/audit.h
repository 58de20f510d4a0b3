/* The audit records still queued in the kernel, not yet taken by auditd.
 *
 * kernel/audit.c keeps three queues of netlink messages, each a struct
 * sk_buff_head: audit_queue (waiting for kauditd), audit_retry_queue
 * (a send to auditd failed) and audit_hold_queue (auditd went away);
 * Linux before 4.11 had audit_skb_queue and audit_skb_hold_queue. Each
 * sk_buff's data is a struct nlmsghdr (whose nlmsg_type is the record
 * type, AUDIT_*) followed by the record's text; skb->len counts both.
 * When no auditd listens, kauditd prints the records with printk
 * ("audit: type=...") and the queues stay empty.
 *
 * The layouts of sk_buff_head and sk_buff come from the kernel's BTF;
 * the queues' addresses from whatever symbol table the caller has
 * (kallsyms has them only with CONFIG_KALLSYMS_ALL; a vmlinux always).
 */
#ifndef KDK_KERNEL_AUDIT_H
#define KDK_KERNEL_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "debuginfo/btf.h"
#include "debuginfo/symtab.h"
#include "target/target.h"

struct kaudit_record {
	const char *queue;		/* the symbol of its queue */
	uint64_t skb;			/* its struct sk_buff */
	uint16_t type;			/* nlmsghdr.nlmsg_type */
	const char *text;		/* up to the first NUL, not terminated */
	size_t text_len;
};

typedef struct kdk_error *kaudit_fn(void *arg, const struct kaudit_record *r);

/* The queues in the order crash prints them (hold, retry, then the main
 * queue), oldest record first. KDK_ERR_NOT_FOUND when syms names none of
 * the queues. *count: the records passed to fn. */
struct kdk_error *kaudit_each(struct target *t, const struct kbtf *btf,
			      const struct symtab *syms, kaudit_fn *fn,
			      void *arg, size_t *count);

/* One record from the bytes of an sk_buff's data (len = skb->len): the
 * type from the netlink header, the text after it, cut at a NUL. */
struct kdk_error *kaudit_decode(const uint8_t *data, size_t len,
				struct kaudit_record *out);

#endif
