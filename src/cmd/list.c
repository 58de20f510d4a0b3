/* list: walk a linked list in the dump and print its entries' addresses
 * (and, with -s, members of each), as crash's `list` does:
 *
 *   list [[-o] OFFSET] [-e END] [-s STRUCT[.MEMBER,...]] [-r] [-x|-d]
 *        [-h|-H] START
 *
 * OFFSET (a number or STRUCT.MEMBER) is where an entry's "next" pointer
 * sits. Without -h/-H the next pointers point at the next entry itself
 * (struct foo { struct foo *next; }) and the walk ends at NULL or back at
 * START. With -h (START is an entry) or -H (START is a list_head outside
 * the list, as LIST_HEAD()), the pointers are list_heads at OFFSET inside
 * each entry, entries are list_head - OFFSET, and the walk ends back at
 * the head; -r follows prev instead of next.
 *
 * A list that loops without returning to its start (corruption) stops
 * at the first entry seen twice, with an error saying so (crash stops
 * there silently).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/address.h"
#include "cmd/commands.h"
#include "cmd/entries.h"

struct list_opts {
	uint64_t offset;
	bool head_h, head_H, reverse, brent;
	bool has_head_off;	/* -O: with -h, start's own list_head */
	uint64_t head_off;
	bool has_end;
	uint64_t end;
	struct entries_show out;
	uint64_t start;
};

/* Has the walk been here before? Exactly, with a set of the addresses
 * seen, for the first SEEN_MAX entries (as crash stops at the first
 * repeated entry); past that, Brent's check in constant memory, which
 * finds the loop within one more turn of it. The set stays small enough
 * for the CPU's cache: at 2^21 entries it cost half of a 2,000,000-entry
 * walk (bench/list.sh). */
#define SEEN_MAX (1u << 16)

struct cycle {
	uint64_t *slots;	/* open addressing; 0 is empty */
	size_t n_slots, used;
	uint64_t saved, power, lam;	/* Brent */
};

static size_t slot_of(uint64_t a, size_t n)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	return (size_t)a & (n - 1);
}

static bool seen_before(struct cycle *c, uint64_t a)
{
	size_t h;

	if (c->used * 2 >= c->n_slots) {
		size_t n = c->n_slots ? c->n_slots * 2 : 1024;
		uint64_t *v;

		if (c->used >= SEEN_MAX || !(v = calloc(n, sizeof(*v))))
			return false;
		for (size_t i = 0; i < c->n_slots; i++)
			if (c->slots[i]) {
				size_t k = slot_of(c->slots[i], n);

				while (v[k])
					k = (k + 1) & (n - 1);
				v[k] = c->slots[i];
			}
		free(c->slots);
		c->slots = v;
		c->n_slots = n;
	}
	for (h = slot_of(a, c->n_slots); c->slots[h];
	     h = (h + 1) & (c->n_slots - 1))
		if (c->slots[h] == a)
			return true;
	c->slots[h] = a;
	c->used++;
	return false;
}

static bool cycles(struct cycle *c, uint64_t a, bool brent)
{
	if (a && !brent && c->used < SEEN_MAX)
		return seen_before(c, a);
	if (c->power && a == c->saved)
		return true;
	if (c->lam == c->power) {
		c->saved = a;
		c->power = c->power ? c->power * 2 : 1;
		c->lam = 0;
	}
	c->lam++;
	return false;
}

static struct kdk_error *walk(struct session *s, const struct list_opts *o,
			      struct json_writer *w, uint64_t *count)
{
	bool heads = o->head_h || o->head_H;
	/* a head outside the list: -H START, or -h START -O OFF (START's
	 * own list_head at OFF, a struct of another type) */
	bool outside = o->head_H || o->has_head_off;
	uint64_t head = o->start + (o->has_head_off ? o->head_off : 0);
	uint64_t link = heads ? 8 * o->reverse : o->offset;
	uint64_t stop = outside ? head : o->start + (heads ? o->offset : 0);
	uint64_t cur, next;
	struct cycle c = { 0 };
	struct kdk_error *err;

	*count = 0;
	if (outside) {
		err = entries_read_ptr(s, head + link, &cur);
		if (err)
			return err;
		if (cur == head && !s->json)
			fputs("(empty)\n", s->out);
	} else {
		cur = o->start + (heads ? o->offset : 0);
	}
	for (;;) {
		uint64_t entry = heads ? cur - o->offset : cur;

		if (cur == 0 || (*count && cur == stop) ||
		    (outside && cur == stop) ||
		    (o->has_end && entry == o->end)) {
			free(c.slots);
			return NULL;
		}
		if (cycles(&c, cur, o->brent)) {
			free(c.slots);
			return kdk_error(KDK_ERR_FORMAT, "the list loops: after "
					 "%" PRIu64 " entries it comes back to "
					 "0x%" PRIx64 " without reaching its "
					 "start 0x%" PRIx64, *count, entry,
					 o->start);
		}
		err = entries_emit(s, &o->out, w, entry, NULL);
		if (!err)
			err = entries_read_ptr(s, cur + link, &next);
		if (err) {
			free(c.slots);
			return err;
		}
		++*count;
		cur = next;
	}
}

static bool is_flag(const char *a)
{
	return a[0] == '-' && ((a[1] >= 'a' && a[1] <= 'z') ||
			       (a[1] >= 'A' && a[1] <= 'Z'));
}

static struct kdk_error *take_flag(struct session *s, char c, const char *arg,
				   struct list_opts *o, bool *have_offset)
{
	struct kdk_error *err;

	switch (c) {
	case 'l':
	case 'O':
		err = entries_parse_offset(s, arg, c == 'l' ? &o->out.show_off :
					   &o->head_off);
		if (err)
			return kdk_error_wrap(err, "-%c %s", c, arg);
		if (c == 'O')
			o->has_head_off = true;
		return NULL;
	case 'B': o->brent = true; return NULL;
	case 'o':
		err = entries_parse_offset(s, arg, &o->offset);
		if (err)
			return kdk_error_wrap(err, "-o %s", arg);
		*have_offset = true;
		return NULL;
	case 'e':
		err = address_parse(s, arg, &o->end);
		if (err)
			return kdk_error_wrap(err, "-e %s", arg);
		o->has_end = true;
		return NULL;
	case 's':
	case 'S':
		o->out.show = arg;
		return NULL;
	case 'r': o->reverse = true; return NULL;
	case 'x': o->out.radix = 16; return NULL;
	case 'd': o->out.radix = 10; return NULL;
	case 'h': o->head_h = true; return NULL;
	case 'H': o->head_H = true; return NULL;
	}
	return command_usage(&cmd_list_def, "unknown flag -%c", c);
}

/* Flags anywhere among the operands, as crash's getopt takes them:
 * `list -H ADDR -o rwsem_waiter.list -s rwsem_waiter.task`. */
static struct kdk_error *parse(struct session *s, int argc, char **argv,
			       struct list_opts *o)
{
	const char *operand[2];
	int n = 0;
	bool have_offset = false;
	struct kdk_error *err;

	memset(o, 0, sizeof(*o));
	o->out.radix = s->radix;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			continue;
		if (!is_flag(a)) {
			if (n == 2)
				return command_usage(&cmd_list_def, "one offset "
						     "and one start only: %s",
						     a);
			operand[n++] = a;
			continue;
		}
		for (const char *f = a + 1; *f; f++) {
			const char *arg = NULL;

			if (strchr("oesSlO", *f)) {
				arg = f[1] ? f + 1 : (i + 1 < argc ? argv[++i] :
						     NULL);
				if (!arg)
					return command_usage(&cmd_list_def, "-%c "
							     "needs a value", *f);
			}
			err = take_flag(s, *f, arg, o, &have_offset);
			if (err)
				return err;
			if (arg)
				break;
		}
	}
	if (o->head_h && o->head_H)
		return command_usage(&cmd_list_def, "-h and -H: one or the other");
	if (o->has_head_off && !o->head_h)
		return command_usage(&cmd_list_def, "-O is the head's offset "
				     "with -h");
	if (o->out.show_off && (!o->out.show || have_offset))
		return command_usage(&cmd_list_def, "-l goes with -s, and not "
				     "with -o");
	if (o->reverse && !o->head_h && !o->head_H)
		return command_usage(&cmd_list_def, "-r follows list_head.prev: "
				     "it needs -h or -H");
	if (n == 0)
		return command_usage(&cmd_list_def, "a start address is needed");
	if (n == 2) {
		if (have_offset || o->out.show_off)
			return command_usage(&cmd_list_def, "two offsets: %s "
					     "and -%c", operand[0],
					     have_offset ? 'o' : 'l');
		err = entries_parse_offset(s, operand[0], &o->offset);
		if (err)
			return kdk_error_wrap(err, "offset %s", operand[0]);
	}
	return entries_parse_start(s, operand[n - 1], &o->start);
}

static struct kdk_error *cmd_list(struct session *s, int argc, char **argv)
{
	struct list_opts o;
	struct json_writer w;
	uint64_t count;
	struct kdk_error *err = parse(s, argc, argv, &o);

	if (err)
		return err;
	json_init(&w, s->out, true);
	if (s->json)
		json_begin_array(&w);
	err = walk(s, &o, &w, &count);
	if (s->json) {
		json_end_array(&w);
		json_finish(&w);
	}
	return err;
}

const struct command cmd_list_def = {
	.name = "list",
	.fn = cmd_list,
	.summary = "linked list",
	.synopsis = "list [[-o] offset] [-e end] [-s struct[.member[,member]] "
		    "[-l offset]] [-x|-d] [-r|-B] [-h [-O head_offset]|-H] "
		    "start",
	.help =
"Walks a linked list in the dump and prints the address of each entry,\n"
"and with -s members of each, as `struct` prints them.\n"
"\n"
"  offset    where an entry's next pointer is: a number, or struct.member\n"
"            (list_head members too: task_struct.tasks). Default 0.\n"
"  start     without -h or -H, the first entry; the next pointers point at\n"
"            entries, and the list ends at NULL or back at start.\n"
"  -h        start is an entry with an embedded list_head at offset.\n"
"  -H        start is a list_head that is not part of the list (a\n"
"            LIST_HEAD(), a struct's list head member); entries are\n"
"            list_head - offset, and the walk ends back at start.\n"
"  -r        with -h or -H, follow list_head.prev: the list backwards.\n"
"  -O off    with -h: start's own list_head is at off (start is a struct\n"
"            of another type, not printed); the walk ends back there.\n"
"  -l off    with -s, without -o: start and the entries are link\n"
"            addresses (a list_head whose first member is next); the\n"
"            struct shown is at the link minus off.\n"
"  -B        loop check in constant memory from the start (Brent's).\n"
"  -e end    stop before the entry at this address.\n"
"  -s s.m,m  show members m of struct s for each entry (-S: the same).\n"
"  -x, -d    the members' numbers in hexadecimal, or decimal.\n"
"\n"
"An empty list (-H, -h -O) prints \"(empty)\", as crash does.\n"
"A list that loops without coming back to its start (a corrupted list)\n"
"stops with an error that says where it loops; any length is checked in\n"
"constant memory.",
	.examples =
"  Who waits on an rw_semaphore (its wait_list), and which tasks they are:\n"
"    crash> list -H 0xffff88031bdebe88 -o rwsem_waiter.list -s rwsem_waiter.task\n"
"  Every thread group, with pid and name:\n"
"    crash> list task_struct.tasks -H init_task.tasks -s task_struct.pid,comm",
	.flags = CMD_NEEDS_TARGET,
};
