"""struct, union, whatis, ptype and the bare TYPE ADDR shortcut, with types
from the kernel's BTF (in the dump, or in the vmlinux's .BTF section).

Oracles:
- crash 8.0.2 with the vmlinux (gdb reading its DWARF) on every x86_64
  kdump-format dump: QUERIES are run in one crash session per dump, each
  redirected to its own file, and kept under
  ~/.cache/kdumpkit/derived/types/<release>/<run>/<key>/ (key: the dump's
  manifest, size and mtime, and the queries). Our output must be equal,
  whitespace aside. One known difference is normalized: gdb prints
  init_task.stack (which points at init_stack, a label of the linker script
  with no size in the vmlinux) without <init_stack>; from kallsyms we have
  no sizes to tell such labels apart.
- drgn 0.0.22 with the vmlinux's DWARF on the arm64 kdump-format dumps
  (crash cannot read arm64 dumps): offsets and sizes of the same structs,
  and init_task's pid, comm and tasks.
- the same command with and without the vmlinux (BTF from the dump's
  memory vs the vmlinux's .BTF section) gives the same output.
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

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "types"

X86 = labruns.dumps("x86_64")
X86_KDUMP = [p for p in X86 if p[1]["path"].name == "vmcore"]
ARM = labruns.dumps("arm64")
ARM_KDUMP = [p for p in ARM if p[1]["path"].name == "vmcore"]

# What engineers type; init_task and init_mm are data symbols, which
# x86_64's kallsyms has.
QUERIES = [
    "struct list_head",
    "struct -o list_head",
    "struct -o rw_semaphore",
    "struct -o mutex",
    "struct -o mm_struct",
    "struct -o page",
    "struct -o task_struct",
    "struct -o vm_area_struct",
    "struct -o qspinlock",
    "struct -o sched_entity",
    "struct -o module",
    "struct -o kobject",
    "struct -o file",
    "struct -o inode",
    "struct -o dentry",
    "struct -o super_block",
    "struct -o zone",
    "struct -o rq",
    "struct -o pglist_data",
    "struct rw_semaphore",
    "struct mutex",
    "struct page",
    "struct atomic_t",
    "struct timespec64",
    "struct task_struct",
    "struct mm_struct",
    "whatis spinlock_t",
    "whatis struct list_head",
    "whatis u32",
    "whatis atomic_long_t",
    "whatis union rcu_special",
    "ptype spinlock_t",
    "ptype struct list_head",
    "struct task_struct.pid,comm init_task",
    "struct task_struct.tasks init_task",
    "task_struct.pid init_task",
    "struct task_struct.se init_task",
    "struct -x task_struct.pid,flags init_task",
    "struct -d task_struct.pid,flags init_task",
    "mm_struct.mmap_lock init_mm",
    "struct task_struct init_task",
    "struct list_head init_task",
    "struct -x list_head init_task",
    "struct task_struct.comm init_task 2",
    "struct mm_struct init_mm",
    "struct task_struct.thread_pid,stack,mm,active_mm init_task",
    "struct -x task_struct.se.load init_task",
    "union rcu_special init_task",
]


# Layouts of crash's own (not gdb's), checked on two dumps: member lines
# without an address, -o with an address, whatis of an enum, typedef'd
# structs by their typedef's name, flags after the operands.
EXTRA_QUERIES = [
    "struct task_struct.pid",
    "struct mutex.wait_list",
    "struct -o list_head init_task",
    "struct -o task_struct.se init_task",
    "whatis enum pid_type",
    "struct list_head -x init_task",
    "struct task_struct.pid,comm -x init_task",
    "spinlock_t {init_task+2364}",
    "atomic_t {init_task+40}",
    "whatis softnet_data",
    "whatis runqueues",
    "struct -r list_head init_task",
    "struct -r task_struct.pid init_task",
    "struct -r task_struct.comm init_task",
    "struct -r list_head init_task 2",
]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def cached(info, name, make, extra=""):
    return refbatch.cached(DERIVED, info, name, make, extra)


vmlinux = refbatch.vmlinux
ours = refbatch.ours


def crash_answers(info, queries=QUERIES, name="crash-struct.json"):
    return refbatch.crash_answers(DERIVED, info, queries, name)


def norm(text):
    text = text or ""
    text = text.replace(" <init_stack>", "")
    return " ".join(text.split())


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


# crash ----------------------------------------------------------------------

@pytest.mark.parametrize("info", **params(X86_KDUMP))
def test_struct_matches_crash(kdumpkit_bin, info):
    """Every query's output equals crash's, whitespace aside."""
    want = crash_answers(info)
    got, r = ours(kdumpkit_bin, info, QUERIES)
    assert r.stderr == ""
    bad = {q: (want[q], got[q]) for q in QUERIES
           if want[q] is not None and norm(want[q]) != norm(got[q])}
    assert not bad, "\n".join(f"{q}:\n--- crash\n{w}\n--- ours\n{g}"
                              for q, (w, g) in list(bad.items())[:3])
    # every query was answered by crash: the comparison is real
    assert sum(1 for q in QUERIES if want[q]) >= 40


@pytest.mark.parametrize("info", **params(X86_KDUMP[:2]))
def test_crash_own_layouts_match(kdumpkit, kdumpkit_bin, info):
    # crash's TYPE ADDR takes no symbol+offset: hex addresses, from sym
    # (which test_vmlinux checks against crash)
    base = int(ok(kdumpkit, info, "sym init_task").split()[0], 16)
    queries = [re.sub(r"\{init_task\+(\d+)\}",
                      lambda m: f"{base + int(m.group(1)):x}", q)
               for q in EXTRA_QUERIES]
    want = crash_answers(info, queries, "crash-struct-extra.json")
    got, r = ours(kdumpkit_bin, info, queries)
    assert r.stderr == ""
    bad = {q: (want[q], got[q]) for q in queries
           if norm(want[q]) != norm(got[q])}
    assert not bad, "\n".join(f"{q}:\n--- crash\n{w}\n--- ours\n{g}"
                              for q, (w, g) in list(bad.items())[:3])


@pytest.mark.parametrize("info", **params(X86_KDUMP[:2]))
def test_vmlinux_btf_answers_the_same(kdumpkit_bin, info):
    """The vmlinux's .BTF and the BTF in the dump's memory are one
    kernel's types: the same answers."""
    mem, r1 = ours(kdumpkit_bin, info, QUERIES)
    vm, r2 = ours(kdumpkit_bin, info, QUERIES, with_vmlinux=True)
    assert r1.stderr == "" and r2.stderr == ""
    assert {q: norm(mem[q]) for q in QUERIES} == \
        {q: norm(vm[q]) for q in QUERIES}


# arm64: drgn ------------------------------------------------------------------

OFFSETS = {
    "list_head": ["next", "prev"],
    "task_struct": ["__state", "stack", "pid", "tgid", "comm", "tasks", "mm",
                    "active_mm", "se", "thread_info", "real_parent",
                    "thread"],
    "mm_struct": ["mmap_lock", "pgd", "mm_users", "mm_count", "start_code",
                  "arg_start", "context"],
    "page": ["flags", "_refcount", "_mapcount", "mapping", "index", "lru",
             "compound_head", "memcg_data"],
    "rw_semaphore": ["count", "owner", "osq", "wait_lock", "wait_list"],
    "mutex": ["owner", "wait_lock", "osq", "wait_list"],
    "module": ["state", "list", "name", "core_layout", "init_layout"],
}

DRGN = r"""
import json, sys, drgn
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
want = json.loads(sys.argv[3])
out = {"offsets": {}, "sizes": {}}
for s, members in want.items():
    t = prog.type("struct " + s)
    out["sizes"][s] = t.size
    out["offsets"][s] = {m: drgn.offsetof(t, m) for m in members}
it = prog["init_task"]
out["init_task"] = {"address": it.address_, "pid": it.pid.value_(),
    "comm": it.comm.string_().decode(),
    "tasks.next": it.tasks.next.value_(), "tasks.prev": it.tasks.prev.value_(),
    "flags": it.flags.value_(), "prio": it.prio.value_()}
print(json.dumps(out))
"""


def drgn_answers(info):
    vm = vmlinux(info)

    def make():
        r = subprocess.run(["/usr/bin/python3", "-c", DRGN, str(info["path"]),
                            str(vm), json.dumps(OFFSETS)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            pytest.skip(f"drgn failed: {r.stderr[-300:]}")
        return json.loads(r.stdout)
    return cached(info, "drgn-struct.json", make,
                  extra=json.dumps(OFFSETS, sort_keys=True))


def member_offsets(defn):
    """{name: offset} of a struct --json definition, unnamed members'
    members included, as C finds them."""
    out = {}
    for m in defn["members"]:
        if m["name"] is None:
            out.update(member_offsets(m))
        else:
            out[m["name"]] = m["offset"]
    return out


@pytest.mark.parametrize("info", **params(ARM_KDUMP))
def test_arm64_offsets_match_drgn(kdumpkit, info):
    """arm64, no vmlinux: BTF from the dump; drgn reads DWARF."""
    want = drgn_answers(info)
    for s, members in OFFSETS.items():
        defn = json.loads(ok(kdumpkit, info, f"struct {s}", json_out=True))
        assert defn["size"] == want["sizes"][s], s
        got = member_offsets(defn)
        assert {m: got[m] for m in members} == want["offsets"][s], s


@pytest.mark.parametrize("info", **params(ARM_KDUMP))
def test_arm64_init_task_matches_drgn(kdumpkit, info):
    """arm64's kallsyms has no init_task: its address from drgn; the
    values from BTF and the dump must be drgn's."""
    want = drgn_answers(info)["init_task"]
    addr = f"{want['address']:x}"
    js = json.loads(ok(kdumpkit, info,
                       f"struct task_struct.pid,comm,tasks,flags,prio {addr}",
                       json_out=True))[0]
    assert js["pid"] == want["pid"]
    assert js["comm"] == want["comm"]
    assert int(js["tasks"]["next"], 16) == want["tasks.next"]
    assert int(js["tasks"]["prev"], 16) == want["tasks.prev"]
    assert js["flags"] == want["flags"] and js["prio"] == want["prio"]
    text = ok(kdumpkit, info, f"task_struct.pid,comm {addr}")
    assert f'comm = "{want["comm"]}' in text
    # with the vmlinux, init_task is a symbol and gives the same
    vm = vmlinux(info)
    assert ok(kdumpkit, info, "task_struct.pid,comm init_task",
              vm=vm) == text


@pytest.mark.parametrize("info", **params(ARM_KDUMP[:1]))
def test_arm64_definitions_match_x86_layout(kdumpkit, info):
    """The same layout as x86_64's crash answers, where the arches agree:
    list_head and rw_semaphore have no arch-dependent members."""
    if not X86_KDUMP:
        pytest.skip("no x86_64 kdump dumps")
    want = crash_answers(X86_KDUMP[0][1])
    for q in ["struct -o list_head", "struct -o rw_semaphore",
              "struct -o mutex", "whatis spinlock_t", "ptype struct list_head"]:
        assert norm(ok(kdumpkit, info, q)) == norm(want[q]), q


# JSON -------------------------------------------------------------------------

def x86_one():
    if not X86_KDUMP:
        pytest.skip("no x86_64 kdump dumps")
    return X86_KDUMP[0][1]


def test_json_definition_has_the_text_offsets(kdumpkit):
    info = x86_one()
    text = ok(kdumpkit, info, "struct -o task_struct")
    js = json.loads(ok(kdumpkit, info, "struct task_struct", json_out=True))
    assert js["name"] == "struct task_struct" and js["kind"] == "struct"
    assert f"SIZE: {js['size']}" in text
    offs = member_offsets(js)
    for name in ["pid", "comm", "tasks", "mm", "thread"]:
        assert re.search(rf"\[{offs[name]}\] \S.* \*?{name}(\[\d+\])?;",
                         text), name


def test_json_values_are_the_text_values(kdumpkit):
    info = x86_one()
    text = ok(kdumpkit, info, "struct list_head init_task")
    js = json.loads(ok(kdumpkit, info, "struct list_head init_task",
                       json_out=True))
    sym = ok(kdumpkit, info, "sym init_task").split()[0]
    assert int(js[0]["address"], 16) == int(sym, 16)
    for k in ("next", "prev"):
        assert f"{k} = {js[0]['value'][k]}" in text


# the shortcut and errors ------------------------------------------------------

def test_type_name_as_command_is_struct(kdumpkit):
    info = x86_one()
    assert ok(kdumpkit, info, "task_struct.pid,comm init_task") == \
        ok(kdumpkit, info, "struct task_struct.pid,comm init_task")
    assert ok(kdumpkit, info, "list_head init_task") == \
        ok(kdumpkit, info, "struct list_head init_task")
    # a word that is neither a command nor a type
    r = run(kdumpkit, info, "nosuchthing 0")
    assert r.returncode == 1
    assert r.stderr == "kdumpkit: nosuchthing: command not found\n"


def excluded_address(kdumpkit, info):
    """A direct-map address whose page makedumpfile -d 31 left out: a
    RAM page that is not in the dump's bitmap (libkdumpfile's view)."""
    kdumpfile = pytest.importorskip("kdumpfile")
    k = kdumpfile.kdumpfile(str(info["path"]))
    bits = k.attr["file.pagemap"].get_bits(0x10000, 0x20000 - 1)
    for i, byte in enumerate(bits):
        if byte != 0xff:
            pfn = 0x10000 + i * 8 + next(b for b in range(8)
                                         if not byte >> b & 1)
            out = ok(kdumpkit, info, f"ptov {pfn * 4096:x}")
            return out.split()[-2] if out.split() else None
    pytest.skip("no excluded page found")


def test_bad_input_is_one_line_and_the_session_goes_on(kdumpkit):
    info = x86_one()
    cases = {
        "struct nosuchtype": "invalid data structure reference: nosuchtype",
        "struct list_head.nosuch init_task": "no member nosuch",
        "struct list_head 0x1234": "reading 0x1234",
        "union page": "data type mismatch: page is not a union",
        "struct task_struct.comm[99] init_task": "past the array",
        "whatis init_task": "BTF describes only per-cpu variables",
        "whatis nosuch_at_all": "cannot resolve: nosuch_at_all",
        "struct": "a struct name is needed",
    }
    for cmd, why in cases.items():
        r = run(kdumpkit, info, cmd, "struct list_head init_task")
        assert r.returncode == 1, cmd
        lines = r.stderr.splitlines()
        assert len(lines) == 1 and why in lines[0], (cmd, r.stderr)
        assert r.stdout.startswith("struct list_head {"), cmd


def test_excluded_page_is_an_error(kdumpkit):
    info = x86_one()
    addr = excluded_address(kdumpkit, info)
    r = run(kdumpkit, info, f"struct list_head {addr}", "whatis u32")
    assert r.returncode == 1
    assert len(r.stderr.splitlines()) == 1
    assert "excluded from the dump" in r.stderr, r.stderr
    assert "typedef unsigned int u32;" in r.stdout


def test_help_pages(kdumpkit):
    info = x86_one()
    for cmd in ("struct", "union", "whatis", "ptype"):
        out = ok(kdumpkit, info, f"help {cmd}")
        assert out.lstrip().startswith("NAME"), cmd
        assert f"{cmd} [" in out


def test_l_offset_gives_the_struct_around_a_member(kdumpkit):
    """-l: the address is of a member (init_task.tasks, as a list walk
    hands it); the struct shown is the task's."""
    info = x86_one()
    want = ok(kdumpkit, info, "struct task_struct.pid,comm init_task")
    off = json.loads(ok(kdumpkit, info, "struct task_struct",
                        json_out=True))
    tasks = member_offsets(off)["tasks"]
    for spec in ("task_struct.tasks", str(tasks)):
        assert ok(kdumpkit, info, f"struct -l {spec} task_struct.pid,comm "
                  f"init_task+{tasks}") == want, spec


def test_count_walks_consecutive_structs(kdumpkit):
    """count 3 is the structs at addr, addr+16, addr+32; -2 the one before
    addr and addr's own."""
    info = x86_one()
    base = int(ok(kdumpkit, info, "sym init_task").split()[0], 16)
    one = [ok(kdumpkit, info, f"struct list_head {base + d:x}")
           for d in (-16, 0, 16, 32)]
    assert ok(kdumpkit, info, f"struct list_head {base:x} 3") == \
        "".join(one[1:])
    assert ok(kdumpkit, info, f"struct list_head {base:x} -2") == \
        "".join(one[:2])


PERCPU = ["runqueues", "irq_stat", "softnet_data", "process_counts",
          "cpu_number", "current_task"]

DRGN_PERCPU = r"""
import json, sys, drgn
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
out = {}
for name in json.loads(sys.argv[3]):
    try:
        out[name] = prog[name].type_.type_name()
    except (KeyError, LookupError):
        pass
print(json.dumps(out))
"""


@pytest.mark.parametrize("info", **params(X86_KDUMP[:1] + ARM_KDUMP[:1]))
def test_whatis_percpu_variables_match_drgn(kdumpkit, info):
    """BTF's only variables are per-cpu ones: their types are DWARF's."""
    vm = vmlinux(info)

    def make():
        r = subprocess.run(["/usr/bin/python3", "-c", DRGN_PERCPU,
                            str(info["path"]), str(vm), json.dumps(PERCPU)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            pytest.skip(f"drgn failed: {r.stderr[-300:]}")
        return json.loads(r.stdout)
    want = cached(info, "drgn-percpu.json", make, extra=json.dumps(PERCPU))
    assert len(want) >= 4
    for name, tname in want.items():
        sep = "" if tname.endswith("*") else " "
        assert ok(kdumpkit, info, f"whatis {name}") == \
            f"{tname}{sep}{name};\n"
