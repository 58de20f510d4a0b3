/* crash's state names for the values include/linux/sched.h gives the
 * TASK_* and EXIT_* bits in 4.14 to 6.x (__state | exit_state), as crash's
 * task_state_string() names them: the last matching test wins, TASK_IDLE
 * (UNINTERRUPTIBLE | NOLOAD) is ID, a state with no known bit is ??. */
#include <stdint.h>

#include "kernel/task_state.h"
#include "tap.h"

static const struct {
	uint64_t state;
	const char *name;
} cases[] = {
	{ 0x0, "RU" },			/* TASK_RUNNING */
	{ 0x1, "IN" },			/* TASK_INTERRUPTIBLE */
	{ 0x2, "UN" },			/* TASK_UNINTERRUPTIBLE */
	{ 0x402, "ID" },		/* TASK_IDLE */
	{ 0x102, "UN" },		/* TASK_KILLABLE */
	{ 0x2001, "IN" },		/* TASK_INTERRUPTIBLE | TASK_FREEZABLE */
	{ 0x4, "ST" },			/* __TASK_STOPPED */
	{ 0x104, "ST" },		/* TASK_STOPPED (| WAKEKILL) */
	{ 0x8, "TR" },			/* __TASK_TRACED */
	{ 0x20, "ZO" },			/* EXIT_ZOMBIE in exit_state */
	{ 0x1 | 0x20, "ZO" },		/* a zombie still marked sleeping */
	{ 0x10, "DE" },			/* EXIT_DEAD */
	{ 0x80, "DE" },			/* TASK_DEAD */
	{ 0x40, "PA" },			/* TASK_PARKED */
	{ 0x200, "WA" },		/* TASK_WAKING */
	{ 0x800, "NE" },		/* TASK_NEW */
	{ 0x8000, "??" },		/* TASK_FROZEN (6.1): crash has no name */
};

/* crash's long names (task_state_string_verbose), as `set` shows them. */
static const struct {
	uint64_t state;
	const char *name;
} verbose_cases[] = {
	{ 0x0, "TASK_RUNNING" },
	{ 0x1, "TASK_INTERRUPTIBLE" },
	{ 0x402, "TASK_UNINTERRUPTIBLE|TASK_NOLOAD" },	/* TASK_IDLE */
	{ 0x102, "TASK_UNINTERRUPTIBLE|TASK_WAKEKILL" },	/* TASK_KILLABLE */
	{ 0x8, "TASK_TRACED" },
	{ 0x20, "EXIT_ZOMBIE" },
	{ 0x10, "EXIT_DEAD" },
	{ 0x90, "EXIT_DEAD|TASK_DEAD" },
	{ 0x40, "TASK_PARKED" },
	{ 0x8000, "" },			/* TASK_FROZEN: no name, as in crash */
};

static void test_verbose(const struct task_state_bits *b)
{
	char buf[128];

	for (size_t i = 0; i < sizeof(verbose_cases) /
			       sizeof(verbose_cases[0]); i++) {
		task_state_verbose(b, verbose_cases[i].state, buf,
				   sizeof(buf));
		is_str(buf, verbose_cases[i].name, "verbose state 0x%llx",
		       (unsigned long long)verbose_cases[i].state);
	}
}

int main(void)
{
	struct task_state_bits b;
	char buf[8];

	task_state_bits_default(&b);
	ok(!b.from_kernel, "the defaults say they are defaults");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		task_state_name(&b, cases[i].state, buf);
		is_str(buf, cases[i].name, "state 0x%llx",
		       (unsigned long long)cases[i].state);
	}
	test_verbose(&b);
	/* a kernel without NOLOAD (before 4.14): TASK_IDLE does not exist,
	 * and 0x402 is just uninterruptible */
	b.noload = 0;
	task_state_name(&b, 0x402, buf);
	is_str(buf, "UN", "no NOLOAD bit: UN");
	return tap_done();
}
