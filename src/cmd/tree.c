/* tree: the entries of a red-black tree, an XArray (which is also the
 * radix tree since 4.20) or a maple tree, as crash's `tree` prints them:
 *
 *   tree [-t rbtree|radix|xarray|maple] [-r OFFSET] [-o OFFSET]
 *        [-s|-S STRUCT[.MEMBER,...]] [-x|-d] [-l] [-p] [-N] START
 *
 * Red-black trees print the containing structure of each node (node -
 * OFFSET), root first then the left subtree then the right (-l: in key
 * order); XArrays and maple trees print each non-empty entry in index
 * order. Layouts (member offsets, slot counts) come from the kernel's
 * types, not from constants. A corrupted tree (a node seen twice, deeper
 * than any real tree, a maple pivot past its node's range) stops with an
 * error that names the node.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cmd/commands.h"
#include "cmd/entries.h"
#include "cmd/tree.h"
#include "debuginfo/types.h"
#include "target/target.h"

enum tree_kind { TREE_RB, TREE_XA, TREE_MAPLE };

/* rbtree height is at most 2 log2(n + 1): 128 covers any memory */
#define MAX_DEPTH 128
#define PATH_MAX_LEN (MAX_DEPTH * 4 + 16)
#define MAX_SLOTS 64

struct tree_opts {
	enum tree_kind kind;
	uint64_t root_off, node_off;
	bool linear, position, node_start;
	struct entries_show out;
	uint64_t start;
};

/* Member offsets and slot counts, from the types. */
struct layout {
	uint64_t rb_right, rb_left;
	uint64_t xa_head, xa_shift, xa_slots;
	unsigned xa_n;
	uint64_t ma_root;
	uint64_t r64_pivot, r64_slot, a64_pivot, a64_slot;
	uint64_t dense_slot;
	unsigned r64_n, a64_n, dense_n;
};

struct walk {
	struct session *s;
	const struct tree_opts *o;
	const struct layout *l;
	struct json_writer *w;
	/* set: entries go to fn instead of the output (tree_maple_each) */
	struct kdk_error *(*fn)(void *arg, uint64_t entry);
	void *arg;
	uint64_t count;		/* entries printed; maple's running index */
	uint64_t nodes;		/* nodes visited, against loops */
};

static struct kdk_error *member(struct types *ts, const char *type,
				const char *path, uint64_t *off,
				unsigned *count)
{
	struct type *t;
	struct type_path_hit hit;
	struct kdk_error *err = types_find(ts, type, &t);

	if (!err)
		err = type_member_path(type_strip(t), path, &hit);
	if (err)
		return kdk_error_wrap(err, "%s.%s, which the tree walk reads",
				      type, path);
	*off = hit.bit_offset / 8;
	if (count) {
		struct type *a = type_strip(hit.type);

		*count = a && a->kind == TYPE_ARRAY ? (unsigned)a->count : 0;
		if (*count == 0 || *count > MAX_SLOTS)
			return kdk_error(KDK_ERR_FORMAT, "%s.%s has %u slots",
					 type, path, *count);
	}
	return NULL;
}

static struct kdk_error *get_layout(struct session *s, enum tree_kind k,
				    struct layout *l)
{
	struct types *ts;
	struct kdk_error *err = session_types(s, &ts);

	memset(l, 0, sizeof(*l));
	if (err)
		return err;
	if (k == TREE_RB) {
		err = member(ts, "struct rb_node", "rb_right", &l->rb_right, NULL);
		if (!err)
			err = member(ts, "struct rb_node", "rb_left", &l->rb_left,
				     NULL);
	} else if (k == TREE_XA) {
		err = member(ts, "struct xarray", "xa_head", &l->xa_head, NULL);
		if (!err)
			err = member(ts, "struct xa_node", "shift", &l->xa_shift,
				     NULL);
		if (!err)
			err = member(ts, "struct xa_node", "slots", &l->xa_slots,
				     &l->xa_n);
	} else {
		err = member(ts, "struct maple_tree", "ma_root", &l->ma_root,
			     NULL);
		if (!err)
			err = member(ts, "struct maple_range_64", "pivot",
				     &l->r64_pivot, NULL);
		if (!err)
			err = member(ts, "struct maple_range_64", "slot",
				     &l->r64_slot, &l->r64_n);
		if (!err)
			err = member(ts, "struct maple_arange_64", "pivot",
				     &l->a64_pivot, NULL);
		if (!err)
			err = member(ts, "struct maple_arange_64", "slot",
				     &l->a64_slot, &l->a64_n);
		if (!err)
			err = member(ts, "struct maple_node", "slot",
				     &l->dense_slot, &l->dense_n);
	}
	return err;
}

static struct kdk_error *read_words(struct walk *w, uint64_t addr,
				    uint64_t *buf, unsigned n)
{
	struct kdk_error *err = target_read_kvaddr(w->s->target, addr, buf,
						   8 * (size_t)n);

	return err ? kdk_error_wrap(err, "reading tree node memory at 0x%"
				    PRIx64, addr) : NULL;
}

/* dst = parent + "/" + step; depths are bounded so that it always fits,
 * and a path cut short would only shorten a -p line. */
static void path_join(char *dst, size_t n, const char *parent,
		      const char *step)
{
	size_t a = strnlen(parent, n - 1), b = strlen(step);

	if (dst != parent)
		memmove(dst, parent, a);
	if (a + 1 + b < n) {
		dst[a] = '/';
		memcpy(dst + a + 1, step, b);
		a += 1 + b;
	}
	dst[a] = '\0';
}

static struct kdk_error *visit(struct walk *w, uint64_t node)
{
	/* no tree in a dump has more nodes than 8-byte words of memory */
	if (++w->nodes > (1ull << 40) || !node)
		return kdk_error(KDK_ERR_FORMAT, "the tree loops at node 0x%"
				 PRIx64, node);
	return NULL;
}

/* --- red-black trees ------------------------------------------------ */

struct rb_item {
	uint64_t node;
	unsigned depth;
	char path[PATH_MAX_LEN];
};

static struct kdk_error *rb_children(struct walk *w, uint64_t node,
				     uint64_t *left, uint64_t *right)
{
	struct kdk_error *err = entries_read_ptr(w->s, node + w->l->rb_left,
						 left);

	return err ? err : entries_read_ptr(w->s, node + w->l->rb_right,
					    right);
}

static struct kdk_error *rb_emit(struct walk *w, const struct rb_item *it)
{
	char pos[PATH_MAX_LEN + 16];

	snprintf(pos, sizeof(pos), "position: %s", it->path);
	w->count++;
	return entries_emit(w->s, &w->o->out, w->w, it->node - w->o->node_off,
			    w->o->position ? pos : NULL);
}

static struct kdk_error *rb_push(struct rb_item *stack, unsigned *n,
				 const struct rb_item *parent, uint64_t child,
				 const char *dir)
{
	struct rb_item *it;

	if (!child)
		return NULL;
	if (*n >= MAX_DEPTH + 1 || parent->depth + 1 >= MAX_DEPTH)
		return kdk_error(KDK_ERR_FORMAT, "the red-black tree is deeper "
				 "than %d levels at node 0x%" PRIx64 " (a loop or "
				 "a corrupted node)", MAX_DEPTH, child);
	it = &stack[(*n)++];
	it->node = child;
	it->depth = parent->depth + 1;
	path_join(it->path, sizeof(it->path), parent->path, dir);
	return NULL;
}

/* Root, left subtree, right subtree; with -l left, root, right. */
static struct kdk_error *rb_walk(struct walk *w, uint64_t root)
{
	struct rb_item *stack = calloc(MAX_DEPTH + 2, sizeof(*stack));
	struct rb_item cur = { root, 0, "root" };
	unsigned n = 0;
	struct kdk_error *err = NULL;
	uint64_t left, right;

	if (!stack)
		return kdk_error(KDK_ERR_NOMEM, "out of memory");
	if (!w->o->linear) {
		if (root)
			stack[n++] = cur;
		while (n && !err) {
			cur = stack[--n];
			err = visit(w, cur.node);
			if (!err)
				err = rb_children(w, cur.node, &left, &right);
			if (!err)
				err = rb_emit(w, &cur);
			if (!err)
				err = rb_push(stack, &n, &cur, right, "r");
			if (!err)
				err = rb_push(stack, &n, &cur, left, "l");
		}
		free(stack);
		return err;
	}
	/* in order: down the left spine, then one step right */
	while (!err && (cur.node || n)) {
		while (!err && cur.node) {
			err = visit(w, cur.node);
			if (!err)
				err = rb_children(w, cur.node, &left, &right);
			if (!err && n >= MAX_DEPTH)
				err = kdk_error(KDK_ERR_FORMAT, "the red-black "
						"tree is deeper than %d levels "
						"at node 0x%" PRIx64, MAX_DEPTH,
						cur.node);
			if (err)
				break;
			stack[n++] = cur;
			cur.depth++;
			path_join(cur.path, sizeof(cur.path),
				  stack[n - 1].path, "l");
			cur.node = left;
		}
		if (err || !n)
			break;
		cur = stack[--n];
		err = rb_children(w, cur.node, &left, &right);
		if (!err)
			err = rb_emit(w, &cur);
		path_join(cur.path, sizeof(cur.path), cur.path, "r");
		cur.depth++;
		cur.node = right;
	}
	free(stack);
	return err;
}

/* --- XArrays ----------------------------------------------------------- */

static bool xa_is_node(uint64_t e)
{
	return (e & 3) == 2 && e > 4096;
}

static struct kdk_error *xa_emit(struct walk *w, uint64_t entry,
				 uint64_t index, const char *path)
{
	char pos[PATH_MAX_LEN + 64];

	snprintf(pos, sizeof(pos), "index: %" PRIu64 "  position: %s/%" PRIu64,
		 index, path, index & (w->l->xa_n - 1));
	w->count++;
	return entries_emit(w->s, &w->o->out, w->w, entry,
			    w->o->position ? pos : NULL);
}

/* One node: its slots in order; a slot below the bottom level is a node
 * (crash's reading too), one at the bottom an entry. */
static struct kdk_error *xa_node(struct walk *w, uint64_t node,
				 uint64_t index, const char *path,
				 unsigned depth)
{
	uint64_t slots[MAX_SLOTS];
	uint8_t shift;
	struct kdk_error *err = visit(w, node);

	if (!err && depth > 64 / 2)
		err = kdk_error(KDK_ERR_FORMAT, "the XArray is deeper than any "
				"can be at node 0x%" PRIx64, node);
	if (!err)
		err = target_read_kvaddr(w->s->target, node + w->l->xa_shift,
					 &shift, 1);
	if (!err)
		err = read_words(w, node + w->l->xa_slots, slots, w->l->xa_n);
	if (err)
		return err;
	if (shift >= 64)
		return kdk_error(KDK_ERR_FORMAT, "xa_node 0x%" PRIx64 " has "
				 "shift %u", node, shift);
	for (unsigned i = 0; i < w->l->xa_n && !err; i++) {
		uint64_t slot = slots[i], at = index | ((uint64_t)i << shift);
		char sub[PATH_MAX_LEN], step[16];

		if (!slot)
			continue;
		if (shift == 0) {
			/* crash strips the internal tag and prints it */
			if ((slot & 3) == 2)
				slot &= ~2ull;
			err = xa_emit(w, slot, at, path);
			continue;
		}
		snprintf(step, sizeof(step), "%u", i);
		path_join(sub, sizeof(sub), path, step);
		err = xa_node(w, slot & ~3ull, at, sub, depth + 1);
	}
	return err;
}

static struct kdk_error *xa_walk(struct walk *w, uint64_t head)
{
	if (!head)
		return NULL;
	if (!xa_is_node(head))
		return xa_emit(w, head, 0, "direct");
	return xa_node(w, head & ~3ull, 0, "root", 0);
}

/* --- maple trees ------------------------------------------------------- */

enum { MAPLE_DENSE, MAPLE_LEAF_64, MAPLE_RANGE_64, MAPLE_ARANGE_64 };

static struct kdk_error *mt_node(struct walk *w, uint64_t enode, uint64_t min,
				 uint64_t max, char *path, unsigned depth);

static struct kdk_error *mt_emit(struct walk *w, uint64_t entry,
				 const char *path, unsigned slot)
{
	char pos[PATH_MAX_LEN + 64];

	if (!entry)
		return NULL;
	w->count++;
	if (w->fn)
		return w->fn(w->arg, entry);
	snprintf(pos, sizeof(pos), "index: %" PRIu64 "  position: %s/%u",
		 w->count, path, slot);
	return entries_emit(w->s, &w->o->out, w->w, entry,
			    w->o->position ? pos : NULL);
}

/* A node with pivots (range_64, leaf_64, arange_64): slot i covers
 * first..pivot[i]; the last slot, or a zero pivot after the first, ends
 * at the node's max (lib/maple_tree.c, mt_dump_range64). */
static struct kdk_error *mt_ranges(struct walk *w, uint64_t node, int type,
				   uint64_t min, uint64_t max, char *path,
				   unsigned depth)
{
	bool arange = type == MAPLE_ARANGE_64, leaf = type < MAPLE_RANGE_64;
	unsigned n = arange ? w->l->a64_n : w->l->r64_n;
	uint64_t pivots[MAX_SLOTS], slots[MAX_SLOTS], first = min;
	size_t len = strlen(path);
	char step[16];
	struct kdk_error *err;

	err = read_words(w, node + (arange ? w->l->a64_pivot : w->l->r64_pivot),
			 pivots, n - 1);
	if (!err)
		err = read_words(w, node + (arange ? w->l->a64_slot :
					    w->l->r64_slot), slots, n);
	for (unsigned i = 0; i < n && !err; i++) {
		uint64_t last = i < n - 1 ? pivots[i] : max;

		if (i == n - 1 && !slots[i] && max != UINT64_MAX)
			break;
		if (last == 0 && i > 0)
			break;
		if (leaf) {
			err = mt_emit(w, slots[i], path, i);
		} else if (slots[i]) {
			snprintf(step, sizeof(step), "%u", i);
			path_join(path, PATH_MAX_LEN, path, step);
			err = mt_node(w, slots[i], first, last, path,
				      depth + 1);
			path[len] = '\0';
		}
		if (err || last == max)
			break;
		if (last > max)
			return kdk_error(KDK_ERR_FORMAT, "maple node 0x%" PRIx64
					 ": pivot %u (%#" PRIx64 ") is past the "
					 "node's end %#" PRIx64, node, i, last,
					 max);
		first = last + 1;
	}
	return err;
}

static struct kdk_error *mt_node(struct walk *w, uint64_t enode, uint64_t min,
				 uint64_t max, char *path, unsigned depth)
{
	uint64_t node = enode & ~0xffull, slots[MAX_SLOTS];
	int type = (int)(enode >> 3 & 0xf);
	struct kdk_error *err = visit(w, node);

	if (!err && depth > 32)
		err = kdk_error(KDK_ERR_FORMAT, "the maple tree is deeper than "
				"any can be at node 0x%" PRIx64, node);
	if (err)
		return err;
	switch (type) {
	case MAPLE_DENSE:
		err = read_words(w, node + w->l->dense_slot, slots,
				 w->l->dense_n);
		for (unsigned i = 0; i < w->l->dense_n && !err; i++)
			err = mt_emit(w, slots[i], path, i);
		return err;
	case MAPLE_LEAF_64:
	case MAPLE_RANGE_64:
	case MAPLE_ARANGE_64:
		return mt_ranges(w, node, type, min, max, path, depth);
	}
	return kdk_error(KDK_ERR_FORMAT, "maple node 0x%" PRIx64 " has type "
			 "%d, none the kernel has", node, type);
}

static struct kdk_error *mt_walk(struct walk *w, uint64_t root)
{
	char path[PATH_MAX_LEN] = "root";
	int type = (int)(root >> 3 & 0xf);

	if (!root)
		return NULL;
	if (!xa_is_node(root))
		return mt_emit(w, root, "direct", 0);
	return mt_node(w, root, 0, type == MAPLE_DENSE ? w->l->dense_n :
		       UINT64_MAX, path, 0);
}

struct kdk_error *tree_maple_each(struct session *s, uint64_t tree,
				  struct kdk_error *(*fn)(void *arg,
							  uint64_t entry),
				  void *arg)
{
	struct tree_opts o = { .kind = TREE_MAPLE };
	struct layout l;
	struct walk w = { .s = s, .o = &o, .l = &l, .fn = fn, .arg = arg };
	uint64_t root;
	struct kdk_error *err = get_layout(s, TREE_MAPLE, &l);

	if (!err)
		err = entries_read_ptr(s, tree + l.ma_root, &root);
	return err ? err : mt_walk(&w, root);
}

/* --- the command -------------------------------------------------------- */

static bool is_flag(const char *a)
{
	return a[0] == '-' && ((a[1] >= 'a' && a[1] <= 'z') ||
			       (a[1] >= 'A' && a[1] <= 'Z'));
}

static struct kdk_error *take_type(const char *arg, enum tree_kind *k)
{
	static const struct { const char *name, *abbrev; enum tree_kind k; }
	names[] = {
		{ "rbtree", "rb", TREE_RB },
		{ "radix", "ra", TREE_XA },
		{ "xarray", "x", TREE_XA },
		{ "maple", "m", TREE_MAPLE },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(arg, names[i].name) == 0 ||
		    strcmp(arg, names[i].abbrev) == 0) {
			*k = names[i].k;
			return NULL;
		}
	return command_usage(&cmd_tree_def, "-t %s: one of rbtree, radix, "
			     "xarray, maple (or rb, ra, x, m)", arg);
}

static struct kdk_error *take_flag(struct session *s, char c, const char *arg,
				   struct tree_opts *o, bool *have_o)
{
	struct kdk_error *err;

	switch (c) {
	case 't': return take_type(arg, &o->kind);
	case 'r':
	case 'o':
		err = entries_parse_offset(s, arg, c == 'r' ? &o->root_off :
					   &o->node_off);
		if (c == 'o')
			*have_o = true;
		return err ? kdk_error_wrap(err, "-%c %s", c, arg) : NULL;
	case 's':
	case 'S': o->out.show = arg; return NULL;
	case 'x': o->out.radix = 16; return NULL;
	case 'd': o->out.radix = 10; return NULL;
	case 'l': o->linear = true; return NULL;
	case 'p': o->position = true; return NULL;
	case 'N': o->node_start = true; return NULL;
	case 'v':
		return kdk_error(KDK_ERR_NOT_BUILT, "tree -v (a maple tree's "
				 "node contents) is not built yet; -p shows "
				 "where each entry sits");
	}
	return command_usage(&cmd_tree_def, "unknown flag -%c", c);
}

/* Flags anywhere among the operands, as crash's getopt takes them. */
static struct kdk_error *parse(struct session *s, int argc, char **argv,
			       struct tree_opts *o)
{
	const char *start = NULL;
	bool have_o = false;
	struct kdk_error *err;

	memset(o, 0, sizeof(*o));
	o->out.radix = s->radix;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!is_flag(a)) {
			if (start)
				return command_usage(&cmd_tree_def, "one start "
						     "only: %s", a);
			start = a;
			continue;
		}
		for (const char *f = a + 1; *f; f++) {
			const char *arg = NULL;

			if (strchr("troSs", *f)) {
				arg = f[1] ? f + 1 : (i + 1 < argc ? argv[++i] :
						     NULL);
				if (!arg)
					return command_usage(&cmd_tree_def, "-%c "
							     "needs a value", *f);
			}
			err = take_flag(s, *f, arg, o, &have_o);
			if (err)
				return err;
			if (arg)
				break;
		}
	}
	if (!start)
		return command_usage(&cmd_tree_def, "a start address is needed");
	if (o->kind != TREE_RB && (have_o || o->linear))
		return command_usage(&cmd_tree_def, "-o and -l are for "
				     "red-black trees");
	if (o->node_start && o->root_off)
		return command_usage(&cmd_tree_def, "-N START is a node: -r "
				     "does not apply");
	return entries_parse_start(s, start, &o->start);
}

static struct kdk_error *cmd_tree(struct session *s, int argc, char **argv)
{
	struct tree_opts o;
	struct layout l;
	struct json_writer jw;
	struct walk w = { .s = s, .o = &o, .l = &l, .w = &jw };
	uint64_t top = 0;
	struct kdk_error *err = parse(s, argc, argv, &o);

	if (!err)
		err = get_layout(s, o.kind, &l);
	if (err)
		return err;
	if (o.node_start)
		top = o.start;
	else
		err = entries_read_ptr(s, o.start + o.root_off +
				       (o.kind == TREE_XA ? l.xa_head :
					o.kind == TREE_MAPLE ? l.ma_root : 0),
				       &top);
	if (err)
		return err;
	json_init(&jw, s->out, true);
	if (s->json)
		json_begin_array(&jw);
	if (o.kind == TREE_RB)
		err = rb_walk(&w, top);
	else if (o.kind == TREE_XA)
		err = o.node_start ? xa_node(&w, top & ~3ull, 0, "root", 0) :
				     xa_walk(&w, top);
	else
		err = mt_walk(&w, top);
	if (s->json) {
		json_end_array(&jw);
		json_finish(&jw);
	}
	return err;
}

const struct command cmd_tree_def = {
	.name = "tree",
	.fn = cmd_tree,
	.summary = "red-black tree, XArray (radix tree) or maple tree",
	.synopsis = "tree [-t rbtree|radix|xarray|maple] [-r offset] "
		    "[-o offset] [-s|-S struct[.member[,member]]] [-x|-d] "
		    "[-l] [-p] [-N] start",
	.help =
"Prints the entries of a tree in the dump, one address a line, and with\n"
"-s members of each, as `struct` prints them.\n"
"\n"
"  -t type    rbtree (rb, the default), radix (ra) or xarray (x): the\n"
"             radix tree is an XArray since 4.20; maple (m): 6.1+ VMAs.\n"
"  start      the address (or symbol, or expression) of an rb_root,\n"
"             xarray or maple_tree, or of a struct holding one at -r.\n"
"  -r offset  where the root sits in start's struct: bytes or\n"
"             struct.member (mm_struct.mm_mt, address_space.i_pages).\n"
"  -o offset  red-black trees: where the rb_node sits in each entry's\n"
"             struct; entries print as node - offset.\n"
"  -N         start is a node (rb_node, xa_node, maple node), not a root.\n"
"  -l         red-black trees: in key order (leftmost first); without,\n"
"             root first, then the left subtree, then the right.\n"
"  -p         where each entry sits: \"position: root/l/r\" for red-black\n"
"             trees; \"index: N  position: root/SLOT/.../SLOT\" for\n"
"             XArrays (N the entry's index) and maple trees (N counts the\n"
"             entries, as crash's does).\n"
"  -s s.m,m   members m of struct s for each entry (-S: the same).\n"
"  -x, -d     the members' numbers in hexadecimal, or decimal.\n"
"\n"
"An XArray's bottom-level slots print as crash prints them: value\n"
"entries (page cache shadows) as they are, the internal tag stripped. A\n"
"tree that loops or a node that breaks the format stops the walk with an\n"
"error naming the node; what was printed before it stands.\n"
"With --json: an array of {address, position (with -p), members (with\n"
"-s)}.",
	.examples =
"  Every vmap_area, key order, with its range:\n"
"    crash> tree -t rbtree -o vmap_area.rb_node vmap_area_root -l -s vmap_area.va_start,va_end\n"
"  A process's VMAs (6.1+), from its mm_struct:\n"
"    crash> tree -t maple -r mm_struct.mm_mt 0xffff888003d2c000 -s vm_area_struct.vm_start,vm_end\n"
"  Every struct pid of the initial namespace, by PID:\n"
"    crash> tree -t xarray -r pid_namespace.idr init_pid_ns -p",
	.flags = CMD_NEEDS_TARGET,
};
