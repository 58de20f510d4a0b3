"""The lab's crash scenarios and what a correct analysis of each must find.

"expect" is fixed by how the scenario is built (tests/lab/crashme, guest/init);
facts only known at run time (PIDs) are read off the console into the run's
manifest.json by facts_from_console().
"""
import re

SCENARIOS = {
    "sysrq": {
        "what": "echo c > /proc/sysrq-trigger",
        "panic": "sysrq triggered crash",
        "comm": "sh",
        "stack": ["sysrq_handle_crash"],
        "culprit": "sysrq_handle_crash",
        "keepelf": True,  # the unfiltered /proc/vmcore: makedump's benchmark input
    },
    "oops": {
        "what": "NULL pointer dereference in create_oops(vma=NULL, priv)",
        "panic": "Fatal exception",
        # the first oops line: x86_64, then arm64 wording
        "oops": ["BUG: kernel NULL pointer dereference",
                 "Unable to handle kernel NULL pointer dereference"],
        "comm": "insmod",
        "stack": ["create_oops"],
        "culprit": "create_oops",
    },
    "listcorrupt": {
        "what": "list_del of an entry another kthread already deleted",
        "panic": "Fatal exception",
        "oops": ["kernel BUG at lib/list_debug.c"],
        "log": ["list_del corruption"],
        "comm": "crashme_walker",
        "stack": ["crashme_list_remove"],
        "culprit": "crashme_list_remove",
    },
    "uaf": {
        "what": "a timer writes into its kfree'd object; the next allocation faults",
        "panic": "Fatal exception",
        "oops": ["general protection fault", "Unable to handle kernel paging request"],
        "log": ["crashme: uaf: timer wrote into freed object"],
        "comm": "crashme_uaf",
        "stack": ["uaf_thread"],
        "culprit": "crashme_uaf_timer_fn",
    },
    "softlockup": {
        "what": "busy-poll of a register that never gets ready, preemption off",
        "panic": "softlockup: hung tasks",
        "log": ["watchdog: BUG: soft lockup"],
        "comm": "crashme_poll",
        "stack": ["crashme_poll_ready"],
        "culprit": "crashme_poll_ready",
        # soft lockup after 4 s, not 20; and no hung-task panic racing it
        # (a kworker waiting on the busy CPU trips the 5 s hung-task check)
        "sysctl": {"kernel.watchdog_thresh": 2, "kernel.hung_task_panic": 0},
    },
    "rwsem": {
        "what": "mmap_lock held for write forever; readers block in down_read",
        "panic": "hung_task: blocked tasks",
        "log": ["blocked for more than"],
        "comm": "khungtaskd",
        "stack": ["watchdog"],  # check_hung_uninterruptible_tasks is inlined
        "culprit": "crashme_hold_mmap_write",
        "waiter_stack": ["rwsem_down_read_slowpath", "crashme_read_mm"],
    },
    "mutex": {
        "what": "AB-BA deadlock between two kthreads",
        "panic": "hung_task: blocked tasks",
        "log": ["blocked for more than"],
        "comm": "khungtaskd",
        "stack": ["watchdog"],  # check_hung_uninterruptible_tasks is inlined
        "culprit": "crashme_lock_pair",
        "waiter_stack": ["__mutex_lock", "crashme_lock_pair"],
    },
    "spinlock": {
        "what": "a spinlock held forever with interrupts off; another CPU spins on it",
        "panic": "softlockup: hung tasks",
        "log": ["watchdog: BUG: soft lockup"],
        "comm": "crashme_spinner",
        "stack": ["crashme_take_spinlock"],
        "culprit": "crashme_hold_spinlock",
        "sysctl": {"kernel.watchdog_thresh": 2, "kernel.hung_task_panic": 0},
    },
    "fsfreeze": {
        "what": "writers stuck in D state on a frozen ext4",
        "panic": "hung_task: blocked tasks",
        "log": ["blocked for more than"],
        "comm": "khungtaskd",
        "stack": ["watchdog"],  # check_hung_uninterruptible_tasks is inlined
        "culprit": "fsfreeze",
        "waiter_stack": ["percpu_rwsem_wait"],
    },
    "oom": {
        "what": "a process eats memory with vm.panic_on_oom=1",
        "panic": "Out of memory",
        "log": ["invoked oom-killer"],
        "comm": "memhog",
        "stack": ["out_of_memory"],
        "culprit": "memhog",
    },
}

# The order make lab runs them in; make check needs the first ones soonest.
ORDER = ["sysrq", "oops", "listcorrupt", "uaf", "softlockup", "rwsem", "mutex",
         "spinlock", "fsfreeze", "oom"]

_CPU_LINE = re.compile(r"CPU: (\d+) PID: (\d+) Comm: (\S+)")
_PANIC = re.compile(r"Kernel panic - not syncing: (.*?)\s*$", re.M)
_OOPS = re.compile(r"^\[\s*[\d.]+\] ((?:BUG: kernel|kernel BUG at|general protection fault"
                   r"|Unable to handle kernel|Internal error:).*?)\s*$", re.M)
_BOOT = re.compile(r"^\[\s*[\d.]+\] Linux version ", re.M)


def first_kernel_text(text):
    """The console up to the capture kernel's boot banner, if any."""
    boots = [m.start() for m in _BOOT.finditer(text)]
    return text[:boots[1]] if len(boots) > 1 else text


def facts_from_console(text):
    """What the crashed kernel said about itself on the console.

    With a capture kernel loaded, an oops goes to crash_kexec() straight from
    oops_end(), before panic() could print its message: then the oops line is
    the only word of the cause, and the last CPU line before it names the task.
    """
    text = first_kernel_text(text)
    facts = {}
    oops = _OOPS.search(text)
    if oops:
        facts["oops_message"] = oops.group(1)
    m = _PANIC.search(text)
    if m:
        facts["panic_message"] = m.group(1)
        before = text[:m.start()]
        # panic() prints the CPU line right after its message, unless an oops
        # printed it already (then panic skips its own stack dump)
        after = _CPU_LINE.match(text[m.end():].lstrip().partition("] ")[2])
    else:
        before, after = text, None
    cpus = _CPU_LINE.findall(before)
    if after:
        cpu, pid, comm = after.groups()
    elif cpus:
        cpu, pid, comm = cpus[-1]
    if after or cpus:
        facts.update(panic_cpu=int(cpu), panic_pid=int(pid), panic_comm=comm)
    # crashme and guest/init name the lock holders and the blocked tasks
    holder = re.search(r"crashme: \w+: holder pid (\d+)", before)
    if holder:
        facts["holder_pid"] = int(holder.group(1))
    blocked = [int(p) for p in re.findall(r"crashme: rwsem: waiter pid (\d+)", before)]
    blocked += [int(p) for p in re.findall(r"LAB: blocked pid (\d+)", before)]
    blocked += [int(p) for p in
                re.findall(r"crashme: mutex: pid (\d+) holds", before)]
    if blocked:
        facts["blocked_pids"] = sorted(set(blocked))
    return facts


def death_line(scenario, facts):
    """The expected words of the cause as this console said them: the panic
    message, or the oops line when a capture kernel took over straight from
    the oops (panic() never printed then). None when neither matches."""
    exp = SCENARIOS[scenario]
    if exp["panic"] in facts.get("panic_message", ""):
        return exp["panic"]
    for oops in exp.get("oops", []):
        if oops in facts.get("oops_message", ""):
            return oops
    return None


def problems_of(scenario, facts):
    """Where the console disagrees with what the scenario must produce."""
    exp = SCENARIOS[scenario]
    problems = []
    if not death_line(scenario, facts):
        problems.append(f"panic message {facts.get('panic_message')!r} lacks "
                        f"{exp['panic']!r} (oops line {facts.get('oops_message')!r})")
    if facts.get("panic_comm") != exp["comm"]:
        problems.append(f"panic task {facts.get('panic_comm')!r}, expected {exp['comm']!r}")
    return problems
