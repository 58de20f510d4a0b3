// SPDX-License-Identifier: GPL-2.0
/*
 * crashme: reproduces the crash classes of real kdump case studies, one per
 * scenario, so that the lab can capture real dumps of them.
 *
 *   insmod crashme.ko scenario=NAME [victim=PID]
 *
 * Every scenario prints "crashme: <fact> ..." lines that the lab reads back
 * into the scenario's manifest (who holds a lock, who waits for it).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/timer.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pid.h>

/*
 * The functions a scenario names are kept whole: not inlined, and not cloned
 * by GCC's interprocedural passes (create_oops would otherwise become
 * create_oops.constprop.0 without its vma argument).
 */
#define crashme_fn __attribute__((noipa))

static char *scenario = "";
module_param(scenario, charp, 0444);
MODULE_PARM_DESC(scenario, "oops|listcorrupt|uaf|softlockup|rwsem|mutex|spinlock");

static int victim;
module_param(victim, int, 0444);
MODULE_PARM_DESC(victim, "rwsem: PID whose mmap_lock is taken for write");

/* ---- 1. oops: NULL pointer dereference ---------------------------------- */

struct mydev_priv {
	char name[64];
	int i;
};

static crashme_fn int create_oops(struct vm_area_struct *vma,
				 struct mydev_priv *priv)
{
	unsigned long flags;

	pr_info("crashme: oops: priv %px name %s i %d\n", priv, priv->name, priv->i);
	flags = READ_ONCE(vma->vm_flags);	/* vma is NULL */
	return (int)flags + priv->i;
}

static int run_oops(void)
{
	struct mydev_priv priv = { .name = "figo", .i = 10 };

	return create_oops(NULL, &priv);
}

/* ---- 2. list corruption: a walker deletes what another thread deleted ---- */

struct item {
	struct list_head node;
	int id;
};

static LIST_HEAD(items);
static DEFINE_SPINLOCK(items_lock);

static crashme_fn void crashme_list_remove(struct item *it)
{
	spin_lock(&items_lock);
	list_del(&it->node);	/* second list_del: LIST_POISON1 in ->next */
	spin_unlock(&items_lock);
}

static int list_walker(void *unused)
{
	struct item *it, *found = NULL;

	spin_lock(&items_lock);
	list_for_each_entry(it, &items, node)
		if (it->id == 3)
			found = it;
	spin_unlock(&items_lock);
	pr_info("crashme: listcorrupt: walker pid %d found item %px\n",
		current->pid, found);
	msleep(500);		/* the reaper runs meanwhile */
	crashme_list_remove(found);
	return 0;
}

static int list_reaper(void *unused)
{
	struct item *it, *tmp;

	msleep(100);
	spin_lock(&items_lock);
	list_for_each_entry_safe(it, tmp, &items, node)
		list_del(&it->node);	/* entries are leaked, not freed */
	spin_unlock(&items_lock);
	pr_info("crashme: listcorrupt: reaper pid %d emptied the list\n",
		current->pid);
	return 0;
}

static int run_listcorrupt(void)
{
	int n;

	for (n = 0; n < 8; n++) {
		struct item *it = kzalloc(sizeof(*it), GFP_KERNEL);

		if (!it)
			return -ENOMEM;
		it->id = n;
		list_add_tail(&it->node, &items);
	}
	kthread_run(list_reaper, NULL, "crashme_reaper");
	kthread_run(list_walker, NULL, "crashme_walker");
	return 0;
}

/* ---- 3. use-after-free: a timer writes into its freed object ------------ */

struct session_obj {
	struct timer_list timer;
	char payload[96];
};

static struct kmem_cache *uaf_cache;

static crashme_fn void crashme_uaf_timer_fn(struct timer_list *t)
{
	struct session_obj *obj = from_timer(obj, t, timer);

	/* obj was freed before its timer fired: this overwrites SLUB's free pointer */
	memset(obj->payload, 0x41, sizeof(obj->payload));
	pr_info("crashme: uaf: timer wrote into freed object %px\n", obj);
}

static int uaf_thread(void *unused)
{
	struct session_obj *obj, *a, *b;

	obj = kmem_cache_alloc(uaf_cache, GFP_KERNEL);
	if (!obj)
		return -ENOMEM;
	timer_setup(&obj->timer, crashme_uaf_timer_fn, 0);
	mod_timer(&obj->timer, jiffies + HZ / 10);
	kmem_cache_free(uaf_cache, obj);	/* the bug: no del_timer_sync() */
	pr_info("crashme: uaf: pid %d freed object %px, its timer still armed\n",
		current->pid, obj);
	msleep(500);
	/* the next allocations follow the corrupted free pointer */
	a = kmem_cache_alloc(uaf_cache, GFP_KERNEL);
	b = kmem_cache_alloc(uaf_cache, GFP_KERNEL);
	pr_info("crashme: uaf: allocations survived %px %px\n", a, b);
	return 0;
}

static int run_uaf(void)
{
	struct task_struct *t;

	uaf_cache = kmem_cache_create("crashme_session",
				      sizeof(struct session_obj), 0, 0, NULL);
	if (!uaf_cache)
		return -ENOMEM;
	t = kthread_create(uaf_thread, NULL, "crashme_uaf");
	if (IS_ERR(t))
		return PTR_ERR(t);
	kthread_bind(t, 0);	/* free and reallocate through one CPU's freelist */
	wake_up_process(t);
	return 0;
}

/* ---- 4. soft lockup: polling a register that never becomes ready -------- */

static u32 fake_status_reg;	/* the device never sets READY */
#define DEV_READY 0x1

static crashme_fn void crashme_poll_ready(void)
{
	while (!(READ_ONCE(fake_status_reg) & DEV_READY))
		cpu_relax();
}

static int poll_thread(void *unused)
{
	pr_info("crashme: softlockup: poller pid %d on cpu %d\n",
		current->pid, raw_smp_processor_id());
	preempt_disable();
	crashme_poll_ready();
	preempt_enable();
	return 0;
}

static int run_softlockup(void)
{
	kthread_run(poll_thread, NULL, "crashme_poll");
	return 0;
}

/* ---- 5. rwsem deadlock: mmap_lock held for write, readers pile up ------- */

static struct mm_struct *victim_mm;

static crashme_fn void crashme_hold_mmap_write(struct mm_struct *mm)
{
	mmap_write_lock(mm);
	pr_info("crashme: rwsem: holder pid %d holds mmap_lock %px of pid %d\n",
		current->pid, &mm->mmap_lock, victim);
	for (;;)
		schedule_timeout_interruptible(MAX_SCHEDULE_TIMEOUT);
}

static int rwsem_writer(void *unused)
{
	crashme_hold_mmap_write(victim_mm);
	return 0;
}

static crashme_fn void crashme_read_mm(struct mm_struct *mm)
{
	pr_info("crashme: rwsem: waiter pid %d\n", current->pid);
	mmap_read_lock(mm);
	mmap_read_unlock(mm);
}

static int rwsem_reader(void *unused)
{
	crashme_read_mm(victim_mm);
	return 0;
}

static int run_rwsem(void)
{
	struct task_struct *task;
	int n;

	task = get_pid_task(find_get_pid(victim), PIDTYPE_PID);
	if (!task)
		return -ESRCH;
	victim_mm = get_task_mm(task);
	put_task_struct(task);
	if (!victim_mm)
		return -EINVAL;
	kthread_run(rwsem_writer, NULL, "crashme_rw_hold");
	msleep(200);
	for (n = 0; n < 2; n++)
		kthread_run(rwsem_reader, NULL, "crashme_rwait%d", n);
	return 0;
}

/* ---- 6. mutex AB-BA deadlock --------------------------------------------- */

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

static crashme_fn void crashme_lock_pair(struct mutex *first,
				       struct mutex *second, const char *names)
{
	mutex_lock(first);
	pr_info("crashme: mutex: pid %d holds %s, wants the other\n",
		current->pid, names);
	msleep(300);
	mutex_lock(second);
	mutex_unlock(second);
	mutex_unlock(first);
}

static int mutex_ab(void *unused)
{
	crashme_lock_pair(&lock_a, &lock_b, "lock_a");
	return 0;
}

static int mutex_ba(void *unused)
{
	crashme_lock_pair(&lock_b, &lock_a, "lock_b");
	return 0;
}

static int run_mutex(void)
{
	kthread_run(mutex_ab, NULL, "crashme_ab");
	kthread_run(mutex_ba, NULL, "crashme_ba");
	return 0;
}

/* ---- 7. spinlock held forever with interrupts off ----------------------- */

static DEFINE_SPINLOCK(dev_lock);

static crashme_fn void crashme_hold_spinlock(void)
{
	unsigned long flags;

	spin_lock_irqsave(&dev_lock, flags);
	pr_info("crashme: spinlock: holder pid %d on cpu %d, irqs off\n",
		current->pid, raw_smp_processor_id());
	for (;;)
		cpu_relax();
}

static crashme_fn void crashme_take_spinlock(void)
{
	pr_info("crashme: spinlock: waiter pid %d on cpu %d\n",
		current->pid, raw_smp_processor_id());
	spin_lock(&dev_lock);
	spin_unlock(&dev_lock);
}

static int spin_holder(void *unused)
{
	/*
	 * Let insmod finish first: loading a module sends IPIs (set_memory_ro),
	 * and a CPU with interrupts off never answers them.
	 */
	msleep(1000);
	crashme_hold_spinlock();
	return 0;
}

static int spin_waiter(void *unused)
{
	msleep(1500);
	crashme_take_spinlock();
	return 0;
}

static int run_spinlock(void)
{
	struct task_struct *h, *w;

	if (num_online_cpus() < 2)
		return -EINVAL;
	h = kthread_create(spin_holder, NULL, "crashme_holder");
	w = kthread_create(spin_waiter, NULL, "crashme_spinner");
	if (IS_ERR(h) || IS_ERR(w))
		return -ENOMEM;
	kthread_bind(h, 0);
	kthread_bind(w, 1);
	wake_up_process(h);
	wake_up_process(w);
	return 0;
}

/* ------------------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*run)(void);
} scenarios[] = {
	{ "oops", run_oops },
	{ "listcorrupt", run_listcorrupt },
	{ "uaf", run_uaf },
	{ "softlockup", run_softlockup },
	{ "rwsem", run_rwsem },
	{ "mutex", run_mutex },
	{ "spinlock", run_spinlock },
};

static int __init crashme_init(void)
{
	size_t n;

	for (n = 0; n < ARRAY_SIZE(scenarios); n++) {
		if (strcmp(scenario, scenarios[n].name) == 0) {
			pr_info("crashme: scenario %s by pid %d\n", scenario,
				current->pid);
			return scenarios[n].run();
		}
	}
	pr_err("crashme: unknown scenario '%s'\n", scenario);
	return -EINVAL;
}

/* no module_exit: a loaded crashme is never meant to be removed */
module_init(crashme_init);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Reproduces kernel crash classes for the kdumpkit lab");
