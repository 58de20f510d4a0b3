"""p, px and pd: C expressions over the dump, printed as crash prints
gdb's answers.

Oracles:
- crash 8.0.2 with the vmlinux (gdb reading its DWARF) on x86_64
  kdump-format dumps: QUERIES in one crash session per dump, each
  redirected to its own file, cached under
  ~/.cache/kdumpkit/derived/expr/ (refbatch.crash_answers). Outputs must
  be equal, whitespace aside and with gdb's value-history numbers ($N)
  made one, since they count every value a session printed. Addresses in
  the queries come from the dump (init_task's tasks list, vmemmap_base),
  and crash evaluates the same text.
- the same queries without the vmlinux (BTF from the dump's memory) and
  with it (its ELF symtab and .BTF): the same output.
- drgn 0.0.22 with the vmlinux's DWARF on arm64 kdump-format dumps (crash
  cannot read arm64 dumps): values of init_task, jiffies, per-cpu
  runqueues and pointer arithmetic.

Known oracle errors, left out of the comparison (see the report):
- crash relocates per-cpu symbols by the KASLR offset, so its `p
  &runqueues` is 0x31431980 where the symbol is 0x31980, and any
  expression using &PERCPU_SYMBOL reads the wrong memory.
- crash drops " - " from an expression before gdb sees it (`p 1 - 5`
  becomes `p 1 5`), and takes `p -5` for an option.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "expr"

X86_KDUMP = [p for p in labruns.dumps("x86_64")
             if p[1]["path"].name == "vmcore"]
ARM_KDUMP = [p for p in labruns.dumps("arm64")
             if p[1]["path"].name == "vmcore"]

# {TASK}: pid 1's task_struct (init_task.tasks.next less the offset of
# tasks), {HEAD}: &init_task.tasks, {PAGE}: vmemmap_base (struct page of
# pfn 0), {INIT}: &init_task.
QUERIES = [
    # the examples
    "p ((struct page*){PAGE} +1)",
    "p ((struct page *){PAGE} + 0x1000)",
    "p &((struct task_struct *){TASK})->mm->mmap_lock",
    "px ((struct task_struct *){TASK})->mm->owner",
    "px ((struct task_struct *){TASK})->mm.owner",
    "p /x {TASK}-0x38",
    "p jiffies",
    "p init_task.comm",
    "p init_task.pid",
    "p sizeof(struct page)",
    "p runqueues:0",
    "p &init_task.tasks",
    "p *(struct list_head *){HEAD}",
    # symbols, members, formats
    "px jiffies",
    "pd jiffies",
    "p /x jiffies",
    "p -x jiffies",
    "p jiffies_64",
    "p init_task.prio",
    "p init_task.flags",
    "p /x init_task.flags",
    "px init_task.flags",
    "p init_task.tasks",
    "p &init_task",
    "p &init_task.comm",
    "p &init_task.pid",
    "p init_task.se.load",
    "px init_task.se.load",
    "p /x init_task.se.load",
    "p init_task.thread_pid",
    "p *init_task.thread_pid",
    "p init_task.sched_class",
    "p init_task.sched_class->enqueue_task",
    "p init_task.cred",
    "p *init_task.cred",
    "p init_task.pid_links",
    "p init_task.pid_links[1].next",
    "p init_task.comm[0]",
    "px init_task.comm[0]",
    "pd init_task.comm[0]",
    "p /x init_task.comm",
    "px init_task.comm",
    "p (char *)init_task.comm",
    "p init_task.comm + 1",
    "p &init_task.comm[2]",
    "p *init_task.comm",
    "p init_task.thread_info",
    "p init_task.usage",
    "p *(atomic_t *)&init_task.usage",
    "p init_task.signal->rlim[0]",
    "p init_task.tasks.next->next",
    "p init_task.tasks.next.next",
    "p *init_task.tasks.next",
    "p init_task.tasks.next->prev == &init_task.tasks",
    "p ((struct task_struct *){TASK})->comm",
    "p ((struct task_struct *){TASK})->pid",
    "p ((struct task_struct *){TASK})->real_parent",
    "p *((struct task_struct *){TASK})->mm->pgd",
    "p ((struct task_struct *){TASK})->mm->mm_users",
    "p &init_task + 1",
    "p (struct list_head)init_task",
    "p init_task.se.on_rq ? 5 : 6",
    # sizes
    "p sizeof(struct task_struct)",
    "p sizeof init_task",
    "p sizeof(init_task.comm)",
    "p sizeof(struct page *)",
    "p sizeof(int) * 2",
    "p sizeof(long)",
    # the table of globals: their types show in &X's "(T *)"
    "p &init_mm.mmap_lock",
    "p init_mm.mmap_lock",
    "p modules",
    "p &modules",
    "p modules.next",
    "p nr_cpu_ids",
    "p &nr_cpu_ids",
    "p __per_cpu_offset[0]",
    "p __per_cpu_offset[1]",
    "p __per_cpu_offset",
    "p vm_zone_stat",
    "p &vm_zone_stat",
    "p _totalram_pages",
    "p max_pfn",
    "p &max_pfn",
    "p nr_threads",
    "p total_forks",
    "p &panic_cpu",
    "p oops_in_progress",
    "p system_state",
    "px system_state",
    "p /x system_state",
    "p init_uts_ns.name.release",
    "p &init_uts_ns",
    "p &init_pid_ns",
    "p &init_cred",
    "p &init_struct_pid",
    "p &init_nsproxy",
    "p &super_blocks",
    "p page_offset_base",
    "p &vmemmap_base",
    "p &vmalloc_base",
    "p high_memory",
    "p &tainted_mask",
    "p saved_command_line",
    "p prb",
    "p &mem_section",
    "p &_totalram_pages",
    "p &init_task.se",
    # per-cpu
    "p irq_stat:a",
    "p irq_stat:1",
    "p current_task:a",
    "p cpu_number:1",
    "p cpu_number:0,1",
    "p runqueues",
    "p jiffies:0",
    "p cpu_number:",
    "p current_task:",
    # functions (BTF prototypes)
    "p schedule",
    "p &schedule",
    "p *schedule",
    "p panic",
    # literals, operators, casts
    "p 0x10 * 3",
    "p 10/3",
    "p 5 % 3",
    "p 1 << 4",
    "p 6 & 3",
    "p 6 ^ 3",
    "p ~0",
    "p 1 == 1",
    "p 0xffffffff",
    "p 0x80000000",
    "p 0x100000000",
    "p 0xffffffffffffffff",
    "p/x -1",
    "p /x 255",
    "p /d 0xff",
    "p (char)65",
    "p (char)0",
    "p (unsigned char)200",
    "p (int)0xffffffff",
    "p (unsigned int)&init_task",
    "p (unsigned long)&init_task",
    "p (long)&init_task",
    "p (void *)&init_task",
    "p (struct list_head *)0",
    "p ((struct list_head *)0)+1",
    "p &((struct list_head *)0)->prev",
    "p &((struct page *)0)->lru",
    "p (enum pid_type)1",
    "p (enum pid_type)99",
    "p (_Bool)1",
    "p (u64)5",
    "p (pte_t *)0",
    "p (spinlock_t *)0",
    # enumerators
    "p PIDTYPE_TGID",
    "p PIDTYPE_TGID + 1",
    "p NR_VM_ZONE_STAT_ITEMS",
    "p vm_zone_stat[NR_FREE_PAGES]",
    "p (enum pid_type)PIDTYPE_SID",
]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def run(kdumpkit, info, *cmds, vm=None, json_out=False):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away")
    args = ([vm] if vm else []) + [info["path"]]
    args += ["--json"] if json_out else []
    return kdumpkit(*args, "-c", "; ".join(cmds))


def ok(kdumpkit, info, *cmds, **kw):
    r = run(kdumpkit, info, *cmds, **kw)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def norm(text):
    return " ".join(re.sub(r"\$\d+", "$N", text or "").split())


def hexval(text):
    """The last 0x number of a p answer."""
    return int(re.findall(r"0x[0-9a-f]+", text)[-1], 16)


def places(kdumpkit, info):
    """The addresses the queries are made of, from the dump."""
    out = ok(kdumpkit, info, "p init_task.tasks.next",
             "p &((struct task_struct *)0)->tasks", "p &init_task.tasks",
             "p /x vmemmap_base", "sym init_task").splitlines()
    nxt, off, head, page = (hexval(line) for line in out[:4])
    init = int(out[4].split()[0], 16)
    return {"TASK": f"0x{nxt - off:x}", "HEAD": f"0x{head:x}",
            "PAGE": f"0x{page:x}", "INIT": f"0x{init:x}"}


def queries_for(kdumpkit, info):
    p = places(kdumpkit, info)
    return [q.format(**p) for q in QUERIES]


# x86_64: crash ---------------------------------------------------------------

@pytest.mark.parametrize("info", **params(X86_KDUMP[:3]))
def test_p_matches_crash(kdumpkit, kdumpkit_bin, info):
    """Every query's output equals crash's, whitespace and $N aside."""
    queries = queries_for(kdumpkit, info)
    want = refbatch.crash_answers(DERIVED, info, queries, "crash-p.json")
    got, r = refbatch.ours(kdumpkit_bin, info, queries)
    assert r.stderr == ""
    answered = [q for q in queries if want[q] and "gdb request failed"
                not in want[q] and not want[q].startswith("p: ")]
    # crash answered (nearly) all: the comparison is real
    assert len(answered) >= len(queries) - 2, \
        [q for q in queries if q not in answered]
    bad = {q: (want[q], got[q]) for q in answered
           if norm(want[q]) != norm(got[q])}
    assert not bad, "\n".join(f"{q}:\n--- crash\n{w[:800]}\n--- ours\n"
                              f"{(g or '')[:800]}"
                              for q, (w, g) in list(bad.items())[:3])
    assert len(answered) >= 30


@pytest.mark.parametrize("info", **params(X86_KDUMP[:1]))
def test_vmlinux_and_btf_alone_agree(kdumpkit, kdumpkit_bin, info):
    """BTF from the dump and kallsyms, or the vmlinux's DWARF and symtab:
    two type sources, the same answers."""
    queries = queries_for(kdumpkit, info)
    mem, r1 = refbatch.ours(kdumpkit_bin, info, queries)
    vm, r2 = refbatch.ours(kdumpkit_bin, info, queries, with_vmlinux=True)
    assert r1.stderr == "" and r2.stderr == ""
    assert {q: norm(mem[q]) for q in queries} == \
        {q: norm(vm[q]) for q in queries}


# arm64: drgn -------------------------------------------------------------------

DRGN = r"""
import json, sys, drgn
from drgn.helpers.linux.percpu import per_cpu
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
it = prog["init_task"]
task = drgn.container_of(it.tasks.next, "struct task_struct", "tasks")
rq1 = per_cpu(prog["runqueues"], 1)
out = {
    "init_task": it.address_, "pid": it.pid.value_(),
    "comm": it.comm.string_().decode(), "prio": it.prio.value_(),
    "tasks_next": it.tasks.next.value_(),
    "jiffies": prog["jiffies_64"].value_(),  # jiffies: a linker alias
    "nr_cpu_ids": prog["nr_cpu_ids"].value_(),
    "pco1": prog["__per_cpu_offset"][1].value_(),
    "rq1": rq1.address_, "rq1_nr_running": rq1.nr_running.value_(),
    "rq1_curr": rq1.curr.value_(),
    "task": task.value_(), "task_pid": task.pid.value_(),
    "task_comm": task.comm.string_().decode(),
    "task_mm": task.mm.value_(),
    "mmap_lock": task.mm.mmap_lock.address_,
    "page_size": prog.type("struct page").size,
    "task_size": prog.type("struct task_struct").size,
}
print(json.dumps(out))
"""


def drgn_answers(info):
    vm = refbatch.vmlinux(info)

    def make():
        r = subprocess.run(["/usr/bin/python3", "-c", DRGN, str(info["path"]),
                            str(vm)], capture_output=True, text=True,
                           timeout=600)
        if r.returncode != 0:
            pytest.skip(f"drgn failed: {r.stderr[-300:]}")
        return json.loads(r.stdout)
    return refbatch.cached(DERIVED, info, "drgn-p.json", make, extra=DRGN)


def pjson(kdumpkit, info, expr, vm=None):
    return json.loads(ok(kdumpkit, info, f"p {expr}", vm=vm, json_out=True))


@pytest.mark.parametrize("info", **params(ARM_KDUMP[:2]))
def test_arm64_values_match_drgn(kdumpkit, info):
    """arm64 with the vmlinux (its kallsyms has no data symbols): symbols,
    members, per-cpu values and pointer arithmetic are drgn's."""
    want = drgn_answers(info)
    vm = refbatch.vmlinux(info)

    def val(expr):
        return pjson(kdumpkit, info, expr, vm=vm)["value"]

    assert val("init_task.pid") == want["pid"]
    assert val("init_task.comm") == want["comm"]
    assert val("init_task.prio") == want["prio"]
    assert int(val("&init_task"), 16) == want["init_task"]
    assert int(val("init_task.tasks.next"), 16) == want["tasks_next"]
    assert val("nr_cpu_ids") == want["nr_cpu_ids"]
    assert val("__per_cpu_offset[1]") == want["pco1"]
    assert val("jiffies") == want["jiffies"]
    assert val("sizeof(struct page)") == want["page_size"]
    assert val("sizeof(init_task)") == want["task_size"]
    cpu1 = pjson(kdumpkit, info, "runqueues:1", vm=vm)[0]
    assert int(cpu1["address"], 16) == want["rq1"]
    assert cpu1["value"]["nr_running"] == want["rq1_nr_running"]
    assert int(cpu1["value"]["curr"], 16) == want["rq1_curr"]
    task = f"((struct task_struct *)0x{want['task']:x})"
    assert val(f"{task}->pid") == want["task_pid"]
    assert val(f"{task}->comm") == want["task_comm"]
    assert int(val(f"{task}->mm"), 16) == want["task_mm"]
    assert int(val(f"&{task}->mm->mmap_lock"), 16) == want["mmap_lock"]
    assert int(val(f"{task} + 1"), 16) == want["task"] + want["task_size"]


@pytest.mark.parametrize("info", **params(ARM_KDUMP[:1]))
def test_arm64_without_vmlinux_reads_addresses(kdumpkit, info):
    """No vmlinux: BTF from the dump, addresses given as numbers."""
    want = drgn_answers(info)
    task = f"((struct task_struct *)0x{want['task']:x})"
    assert pjson(kdumpkit, info, f"{task}->pid")["value"] == want["task_pid"]
    assert pjson(kdumpkit, info, f"{task}->comm")["value"] == \
        want["task_comm"]
    text = ok(kdumpkit, info, f"p *(struct list_head *)0x{want['init_task']:x}")
    assert text.startswith("$1 = {\n  next = 0x")
    # a data symbol arm64's kallsyms lacks is an error that says so
    r = run(kdumpkit, info, "p init_task.pid")
    assert r.returncode == 1
    assert 'no symbol "init_task"' in r.stderr


# errors -----------------------------------------------------------------------

def x86_one():
    if not X86_KDUMP:
        pytest.skip("no x86_64 kdump dumps")
    return X86_KDUMP[0][1]


def test_bad_expressions_say_where(kdumpkit):
    info = x86_one()
    cases = {
        "p (struct nosuch *)0": "column 2: no struct type named nosuch",
        "p init_task.nosuch": "column 11: there is no member named nosuch "
                              "in struct task_struct",
        "p 1 +": "column 4: expected an expression",
        "p (1": "column 3: expected ')'",
        "p 1 2": "column 3: syntax error",
        "p nosuchsym_at_all": 'column 1: no symbol "nosuchsym_at_all"',
        "p 10/0": "column 3: division by zero",
        "p *(struct list_head *)0": "cannot access memory at address 0x0",
        "p init_task.pid.x": "column 15: attempt to extract a member",
        "p *init_task.pid": "attempt to take contents of a non-pointer",
        "p &1": "column 1: attempt to take the address of a value not in",
        "p init_task @ 1": "column 11: unexpected character '@'",
        "p 99999999999999999999999": "numeric constant too large",
        "p panic_on_warn": "'panic_on_warn' has unknown type; cast it",
        "p (float)1": "floating point is not supported",
        "p runqueues:9": "invalid cpu specification: 9",
        "p": "an expression is needed",
        "p /q 1": "unsupported format",
        "p init_task = 1": "assignment is not supported",
    }
    for cmd, why in cases.items():
        r = run(kdumpkit, info, cmd, "p init_task.pid")
        assert r.returncode == 1, cmd
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and why in lines[0], (cmd, r.stderr)
        assert r.stdout == "$1 = 0\n", cmd


def test_no_debug_symbols_act_as_in_gdb(kdumpkit):
    """A variable the types do not know: cast it (gdb's way)."""
    info = x86_one()
    sym = ok(kdumpkit, info, "sym panic_on_warn").split()[0]
    rd = ok(kdumpkit, info, f"rd -32 {sym}").split()[1]
    out = ok(kdumpkit, info, "p (int)panic_on_warn", "p &panic_on_warn")
    lines = out.splitlines()
    assert lines[0] == f"$1 = {int(rd, 16)}"
    assert lines[1] == ("$2 = (<data variable, no debug info> *) "
                        f"0x{sym} <panic_on_warn>")


def test_json_gives_type_and_value(kdumpkit):
    info = x86_one()
    js = pjson(kdumpkit, info, "init_task.tasks")
    text = ok(kdumpkit, info, "p init_task.tasks")
    assert js["type"] == "struct list_head"
    assert f"next = {js['value']['next']}" in text
    js = pjson(kdumpkit, info, "&init_task.comm")
    assert js["type"] == "char (*)[16]" and js["address"] is None
    all_cpus = pjson(kdumpkit, info, "cpu_number:a")
    assert [c["value"] for c in all_cpus] == [c["cpu"] for c in all_cpus]
    assert len(all_cpus) == pjson(kdumpkit, info, "nr_cpu_ids")["value"]


def test_eval_takes_symbols(kdumpkit):
    info = x86_one()
    sym = int(ok(kdumpkit, info, "sym jiffies").split()[0], 16)
    out = ok(kdumpkit, info, "eval jiffies + 8")
    assert f"hexadecimal: {sym + 8:x}" in out


def test_help_pages(kdumpkit):
    info = x86_one()
    for cmd in ("p", "px", "pd"):
        out = ok(kdumpkit, info, f"help {cmd}")
        assert out.lstrip().startswith("NAME"), cmd
        assert f"{cmd} [" in out
