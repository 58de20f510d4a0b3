"""tree (src/cmd/tree.c): red-black trees, XArrays (the radix tree) and
maple trees in the dump.

Oracles:
- crash 8.0.2 with the vmlinux on x86_64 kdump dumps, for rbtree and
  xarray (all queries in one session, cached): outputs equal.
- The kernel's own data, where crash has nothing to say (8.0.2 predates
  maple tree support, and reads no arm64 dump): the pid XArray of the
  initial namespace holds the PID of every task `ps` lists, each at its
  own index; a process's maple tree holds mm->map_count VMAs, each with
  vm_mm pointing back at the mm, in ascending, non-overlapping order.

crash 8.0.2 answers `tree -t radix` on 6.1 with "radix trees do not exist
or have changed their format": since 4.20 the radix tree is an XArray
(radix_tree_root is #defined to xarray), and kdumpkit walks it as one.
"""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "tree"
VMAP = "tree -t rbtree -o vmap_area.rb_node vmap_area_root"
PIDS = "tree -t xarray -r pid_namespace.idr init_pid_ns"
QUERIES = [
    VMAP,
    VMAP + " -l",
    VMAP + " -p",
    VMAP + " -l -s vmap_area.va_start,va_end",
    "tree -t rb -o 0x38 vmap_area_root -x -s vmap_area.va_end",
    PIDS,
    PIDS + " -p",
    "tree -t x -r pid_namespace.idr init_pid_ns -s pid.level",
]


def pick(arch, names):
    return [p for p in labruns.dumps(arch) if p[1]["path"].name == "vmcore"
            and p[1]["path"].parent.name in names]


X86 = pick("x86_64", ("oops-kdump", "mutex-kdump"))
ALL = pick("x86_64", ("oops-kdump",)) + pick("arm64", ("oops-kdump",
                                                        "mutex-kdump"))


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def norm(text):
    return " ".join((text or "").split())


@pytest.mark.parametrize("info", **params(X86))
def test_rbtree_and_xarray_match_crash(kdumpkit_bin, info):
    want = refbatch.crash_answers(DERIVED, info, QUERIES, "crash.json")
    got, r = refbatch.ours(kdumpkit_bin, info, QUERIES, with_vmlinux=True)
    assert r.stderr == ""
    for q in QUERIES:
        assert want[q] and "tree: " not in want[q], (q, want[q])
        assert norm(got[q]) == norm(want[q]), q
    # a real tree: the vmap areas of a booted kernel are many
    assert len(got[VMAP].split()) > 20
    radix, r = refbatch.ours(kdumpkit_bin, info, [PIDS.replace("xarray",
                                                               "radix")])
    assert list(radix.values()) == [got[PIDS]]


@pytest.mark.parametrize("info", **params(X86))
def test_btf_alone_gives_the_same(kdumpkit_bin, info):
    """Without the vmlinux the layouts come from the dump's BTF."""
    vm, _ = refbatch.ours(kdumpkit_bin, info, QUERIES, with_vmlinux=True)
    mem, r = refbatch.ours(kdumpkit_bin, info, QUERIES)
    assert r.stderr == ""
    assert mem == vm


def run(kdumpkit, info, cmds, *flags):
    """With the vmlinux: arm64's kallsyms has no data symbols
    (init_pid_ns)."""
    r = kdumpkit(refbatch.vmlinux(info), info["path"], *flags, "-c", cmds)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout


def user_tasks(kdumpkit, info):
    """[(pid, task)] of the tasks with a user address space."""
    out = run(kdumpkit, info, "ps -u")
    return [(int(m[1]), m[2]) for m in re.finditer(
        r"^>?\s*(\d+)\s+\d+\s+\d+\s+([0-9a-f]+)\s", out, re.M)]


@pytest.mark.parametrize("info", **params(ALL))
def test_pid_xarray_holds_every_pid(kdumpkit, info):
    out = run(kdumpkit, info, PIDS + " -p")
    index = {int(i) for i in re.findall(r"index: (\d+)", out)}
    ps = run(kdumpkit, info, "ps")
    pids = {int(m[1]) for m in re.finditer(r"^>?\s*(\d+)\s", ps, re.M)}
    pids.discard(0)                       # the idle tasks have no struct pid
    assert pids and pids <= index, sorted(pids - index)
    # each entry is the struct pid of its index
    got = json.loads(run(kdumpkit, info, PIDS + " -p -s pid.numbers[0].nr",
                         "--json"))
    for e in got[:40]:
        i = int(re.search(r"index: (\d+)", e["position"]).group(1))
        assert e["members"].split() == ["numbers[0].nr", "=", f"{i},"], e


@pytest.mark.parametrize("info", **params(ALL))
def test_maple_tree_is_each_process_vmas(kdumpkit, info):
    tasks = user_tasks(kdumpkit, info)[:6]
    assert tasks
    for pid, task in tasks:
        mm = re.search(r"mm = (0x[0-9a-f]+)",
                       run(kdumpkit, info, f"task_struct.mm {task}")).group(1)
        count = int(re.search(r"map_count = (\d+)", run(
            kdumpkit, info, f"mm_struct.map_count {mm}")).group(1))
        out = run(kdumpkit, info, f"tree -t maple -r mm_struct.mm_mt {mm} "
                  "-s vm_area_struct.vm_start,vm_end,vm_mm -x")
        vmas = re.findall(r"^([0-9a-f]+)\n  vm_start = (0x[0-9a-f]+),\n"
                          r"  vm_end = (0x[0-9a-f]+),\n  vm_mm = (0x[0-9a-f]+)",
                          out, re.M)
        assert len(vmas) == count, (pid, out)
        assert {v[3] for v in vmas} == {mm}
        bounds = [(int(v[1], 16), int(v[2], 16)) for v in vmas]
        assert all(a < b for a, b in bounds)
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(bounds, bounds[1:]))


@pytest.mark.parametrize("info", **params(ALL[:1]))
def test_bad_input_is_an_error_not_a_crash(kdumpkit, info):
    cases = {
        "tree -t btree vmap_area_root": "-t btree: one of rbtree",
        "tree -t xarray -o 8 init_pid_ns": "-o and -l are for red-black",
        "tree -t rbtree": "a start address is needed",
        "tree -t maple -v init_mm": "not built yet",
        "tree -t rbtree -N 0xdead000000000000":
            "reading the pointer at 0xdead000000000010",
        "tree -t maple -N 0xdead000000000002":
            "reading tree node memory at 0xdead000000000008",
    }
    for cmd, msg in cases.items():
        r = kdumpkit(refbatch.vmlinux(info), info["path"], "-c", cmd)
        assert msg in r.stderr, (cmd, r.stderr)
        assert r.returncode != 0 and "Sanitizer" not in r.stderr, cmd
