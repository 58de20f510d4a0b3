#include "kernel/task_state.h"

#include <stdio.h>
#include <string.h>

/* task_state_array has 9 entries on 6.1; more than this is not that array. */
#define MAX_STATE_NAMES 24
#define STATE_NAME_LEN 32

void task_state_bits_default(struct task_state_bits *out)
{
	/* include/linux/sched.h, 4.14 to 6.x */
	*out = (struct task_state_bits){
		.running = 0, .interruptible = 0x1, .uninterruptible = 0x2,
		.stopped = 0x4, .traced = 0x8, .dead = 0x10 | 0x80,
		.zombie = 0x20, .parked = 0x40, .wakekill = 0x100,
		.waking = 0x200, .noload = 0x400, .new_ = 0x800,
	};
}

static struct kdk_error *read_name(struct target *t, uint64_t ptr,
				   char *buf)
{
	struct kdk_error *err;

	err = target_read_kvaddr(t, ptr, buf, STATE_NAME_LEN - 1);
	buf[STATE_NAME_LEN - 1] = '\0';
	return err;
}

struct kdk_error *task_state_bits_read(struct target *t, uint64_t addr,
				       struct task_state_bits *out)
{
	struct task_state_bits b = { 0 };
	bool seen_running = false, seen_in = false, seen_un = false;
	uint64_t bit = 0;

	for (int i = 0; i < MAX_STATE_NAMES; i++) {
		char name[STATE_NAME_LEN];
		struct kdk_error *err;
		uint64_t ptr;

		err = target_read_kvaddr(t, addr + 8 * (uint64_t)i, &ptr, 8);
		if (!err)
			err = read_name(t, ptr, name);
		if (err) {
			if (i == 0)
				return kdk_error_wrap(err, "task_state_array");
			kdk_error_free(err);
			break;
		}
		/* Each entry is "L (words)"; anything else ends the array. */
		if (!name[0] || name[1] != ' ' || name[2] != '(')
			break;
		if (strstr(name, "(running)"))
			b.running = bit, seen_running = true;
		else if (strstr(name, "(sleeping)"))
			b.interruptible = bit, seen_in = true;
		else if (strstr(name, "(disk sleep)"))
			b.uninterruptible = bit, seen_un = true;
		else if (strstr(name, "(stopped)"))
			b.stopped = bit;
		else if (strstr(name, "(tracing stop)"))
			b.traced |= bit;
		else if (strstr(name, "(zombie)"))
			b.zombie = bit;
		else if (strstr(name, "(dead)"))
			b.dead |= bit;
		else if (strstr(name, "(wakekill)"))
			b.wakekill = bit;
		else if (strstr(name, "(waking)"))
			b.waking = bit;
		else if (strstr(name, "(parked)"))
			b.parked = bit;
		bit = bit ? bit << 1 : 1;
	}
	if (!seen_running || !seen_in || !seen_un || !b.zombie || !b.stopped)
		return kdk_error(KDK_ERR_FORMAT, "task_state_array at 0x%llx "
				 "does not list running, sleeping, disk sleep, "
				 "stopped and zombie",
				 (unsigned long long)addr);
	/* The bits after parked, as include/linux/sched.h has them since
	 * 4.14 (the kernels whose array names "parked"). */
	if (b.parked) {
		b.dead |= b.parked << 1;
		b.wakekill = b.parked << 2;
		b.waking = b.parked << 3;
		b.noload = b.parked << 4;
		b.new_ = b.parked << 5;
	}
	b.from_kernel = true;
	*out = b;
	return NULL;
}

/* The same tests in the same order as crash's task_state_string(): the
 * last one that matches names the state. */
void task_state_name(const struct task_state_bits *b, uint64_t state,
		     char *buf)
{
	bool set = false;

	strcpy(buf, "??");
	if (state == b->running)
		strcpy(buf, "RU");
	if (state & b->interruptible) {
		strcpy(buf, "IN");
		set = true;
	}
	if (state & b->uninterruptible) {
		strcpy(buf, b->noload && (state & b->noload) ? "ID" : "UN");
		set = true;
	}
	if (state & b->zombie) {
		strcpy(buf, "ZO");
		set = true;
	}
	if (state & b->stopped) {
		strcpy(buf, "ST");
		set = true;
	}
	if (b->traced && (state & b->traced)) {
		strcpy(buf, "TR");
		set = true;
	}
	if ((state & b->dead) && !set)
		strcpy(buf, "DE");
	if (b->parked && state == b->parked)
		strcpy(buf, "PA");
	if (b->waking && state == b->waking)
		strcpy(buf, "WA");
	if (b->new_ && state == b->new_)
		strcpy(buf, "NE");
}

static void add_name(char *buf, size_t len, const char *name)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? "|" : "", name);
}

/* The tests of crash's task_state_string_verbose(), in its order. */
void task_state_verbose(const struct task_state_bits *b, uint64_t state,
			char *buf, size_t len)
{
	const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ b->interruptible, "TASK_INTERRUPTIBLE" },
		{ b->uninterruptible, "TASK_UNINTERRUPTIBLE" },
		{ b->stopped, "TASK_STOPPED" },
		{ b->traced, "TASK_TRACED" },
	}, late[] = {
		{ b->zombie, "EXIT_ZOMBIE" },
		{ b->waking, "TASK_WAKING" },
		{ b->wakekill, "TASK_WAKEKILL" },
		{ b->noload, "TASK_NOLOAD" },
		{ b->new_, "TASK_NEW" },
	};

	buf[0] = '\0';
	if (state == b->running) {
		snprintf(buf, len, "TASK_RUNNING");
		return;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].bit && (state & names[i].bit))
			add_name(buf, len, names[i].name);
	if (state & b->dead)
		add_name(buf, len, __builtin_popcountll(state & b->dead) > 1 ?
			 "EXIT_DEAD|TASK_DEAD" : "EXIT_DEAD");
	for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++)
		if (late[i].bit && (state & late[i].bit))
			add_name(buf, len, late[i].name);
	if (b->parked && state == b->parked)
		snprintf(buf, len, "TASK_PARKED");
}
