"""Types and global variables from the vmlinux's DWARF (types_dwarf.c),
found through the name index cached by build-id (dwarf_index.c).

BTF describes no global variable but the per-cpu ones, so without DWARF
`p panic_timeout` needs a cast; with the vmlinux every global has its C
type, as in crash.

Oracles:
- crash 8.0.2 with the same vmlinux (gdb reading its DWARF) on two x86_64
  kdump dumps: QUERIES in one session each, cached; outputs equal
  whitespace and gdb's $N aside. Left out: `whatis zone_names`, where
  gdb 10 writes "char * constzone_names[5];" (no space before the name;
  the C declaration is `const char * const zone_names[]`), and whatis of
  a member two levels down (`whatis init_task.se.load.weight`), which
  crash answers "struct task_struct".
- drgn 0.0.22 with the vmlinux on an arm64 kdump dump (crash cannot read
  arm64 dumps): the values of the same globals.
- The index file itself: built on the first start, read on the next, and
  rebuilt, not trusted, when it is cut short.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "dwarf-types"

# globals outside the BTF-era table (expr_globals.c), their types, arrays
# of two dimensions, enumerators, functions, strings
QUERIES = [
    "p sysctl_hung_task_timeout_secs",
    "p panic_timeout",
    "p panic_on_warn",
    "p sysctl_panic_on_oom",
    "p max_threads",
    "p watchdog_thresh",
    "p softlockup_panic",
    "p sysctl_hung_task_panic",
    "whatis sysctl_hung_task_timeout_secs",
    "whatis kmalloc_caches",
    "p kmalloc_caches[0][3]",
    "p kmalloc_caches[0][3]->name",
    "p kmalloc_caches[0][3]->object_size",
    "p *kmalloc_caches[0][3]",
    "p zone_names",
    "whatis schedule",
    "whatis panic",
    "p linux_banner",
    "whatis linux_banner",
    "p init_uts_ns.name.release",
    "p &init_mm",
    "p init_task.se.load",
    "p __cpu_online_mask",
    "p &__cpu_online_mask",
    "whatis node_states",
    "p PIDTYPE_MAX",
    "p /d NR_VM_ZONE_STAT_ITEMS",
    "p sizeof(struct task_struct)",
    "p sizeof(kmalloc_caches)",
    "p system_state",
    "whatis init_task.thread",
    "whatis *kmalloc_caches[0][3]",
    "p init_task.thread.sp",
    "p hung_task_call_panic",
]
ARM_NAMES = ["sysctl_hung_task_timeout_secs", "panic_timeout",
             "max_threads", "watchdog_thresh", "softlockup_panic",
             "sysctl_hung_task_panic"]


def pick(arch, names):
    return [p for p in labruns.dumps(arch) if p[1]["path"].name == "vmcore"
            and p[1]["path"].parent.name in names]


X86 = pick("x86_64", ("softlockup-kdump", "oops-kdump"))
ARM = pick("arm64", ("softlockup-kdump",))


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def norm(text):
    return " ".join(re.sub(r"\$\d+", "$N", text or "").split())


@pytest.mark.parametrize("info", **params(X86))
def test_globals_match_crash(kdumpkit_bin, info):
    want = refbatch.crash_answers(DERIVED, info, QUERIES, "crash.json")
    got, r = refbatch.ours(kdumpkit_bin, info, QUERIES, with_vmlinux=True)
    assert r.stderr == ""
    answered = [q for q in QUERIES if want[q] and "gdb request failed"
                not in want[q] and not want[q].startswith(("p: ",
                                                           "whatis: "))]
    assert len(answered) >= len(QUERIES) - 2, \
        [q for q in QUERIES if q not in answered]
    bad = {q: (want[q], got[q]) for q in answered
           if norm(want[q]) != norm(got[q])}
    assert not bad, "\n".join(f"{q}:\n--- crash\n{w[:600]}\n--- ours\n"
                              f"{(g or '')[:600]}"
                              for q, (w, g) in list(bad.items())[:4])


SYSCTL_VARS = {
    "kernel.panic": "panic_timeout",
    "kernel.panic_on_oops": "panic_on_oops",
    "kernel.softlockup_panic": "softlockup_panic",
    "kernel.hung_task_panic": "sysctl_hung_task_panic",
    "kernel.hung_task_timeout_secs": "sysctl_hung_task_timeout_secs",
    "kernel.watchdog_thresh": "watchdog_thresh",
    "vm.panic_on_oom": "sysctl_panic_on_oom",
}
LAB = Path(__file__).resolve().parents[1] / "lab"


def sysctls_set(scenario):
    """{sysctl: value} the lab's guest set before the crash: guest/init's
    own, then the scenario's."""
    sys.path.insert(0, str(LAB))
    import scenarios  # noqa: E402
    init = (LAB / "guest" / "init").read_text()
    line = init[init.index("sysctl -q -w kernel.panic="):]
    line = line[:line.index("\n\n")]
    out = dict(re.findall(r"([a-z_.]+)=(\d+)", line))
    out.update({k: str(v) for k, v in
                scenarios.SCENARIOS[scenario].get("sysctl", {}).items()})
    return out


@pytest.mark.parametrize("info", **params(X86 + ARM))
def test_panic_sysctls_are_the_guests(kdumpkit_bin, info):
    """The panic settings a user checks first, read through DWARF's types,
    are the values the lab's guest wrote with sysctl before it crashed."""
    scenario = info["path"].parent.name.split("-")[0]
    want = sysctls_set(scenario)
    names = [k for k in SYSCTL_VARS if k in want]
    assert len(names) >= 6
    queries = [f"p {SYSCTL_VARS[k]}" for k in names]
    got, r = refbatch.ours(kdumpkit_bin, info, queries, with_vmlinux=True)
    assert r.stderr == ""
    for k, q in zip(names, queries):
        assert int(got[q].split()[-1]) == int(want[k]), (k, got[q])


DRGN = r"""
import json, sys, drgn
prog = drgn.program_from_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
out = {n: prog[n].value_() for n in sys.argv[3:]}
out["kmalloc_caches[0][3]"] = prog["kmalloc_caches"][0][3].value_()
print(json.dumps(out))
"""


@pytest.mark.parametrize("info", **params(ARM))
def test_arm64_globals_match_drgn(kdumpkit_bin, info):
    vm = refbatch.vmlinux(info)

    def make():
        r = subprocess.run(["/usr/bin/python3", "-c", DRGN, str(info["path"]),
                            str(vm)] + ARM_NAMES, capture_output=True,
                           text=True, timeout=600)
        if r.returncode != 0:
            pytest.skip(f"drgn failed: {r.stderr[-300:]}")
        return json.loads(r.stdout)
    want = refbatch.cached(DERIVED, info, "drgn.json", make,
                           extra=DRGN + ",".join(ARM_NAMES))
    queries = [f"p {n}" for n in ARM_NAMES] + ["p kmalloc_caches[0][3]"]
    got, r = refbatch.ours(kdumpkit_bin, info, queries, with_vmlinux=True)
    assert r.stderr == ""
    for n in ARM_NAMES:
        assert int(got[f"p {n}"].split()[-1]) == want[n], n
    ptr = re.search(r"0x[0-9a-f]+", got["p kmalloc_caches[0][3]"]).group(0)
    assert int(ptr, 16) == want["kmalloc_caches[0][3]"]


def test_index_is_cached_and_rebuilt_when_cut(kdumpkit_bin, tmp_path):
    """First start builds the index and keeps it under XDG_CACHE_HOME;
    the second reads it; a file cut short is rebuilt, with the same
    answers each time."""
    info = labruns.infos(X86)[0]
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path))
    queries = ["p panic_timeout", "whatis kmalloc_caches",
               "p PIDTYPE_MAX"]

    def ask():
        argv = [str(kdumpkit_bin), str(refbatch.vmlinux(info)),
                str(info["path"])]
        r = subprocess.run(argv, input="\n".join(queries) + "\n",
                           capture_output=True, text=True, env=env,
                           timeout=300)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        return r.stdout

    first = ask()
    files = list((tmp_path / "kdumpkit" / "dwarf-index").glob("*.idx"))
    assert len(files) == 1
    size = files[0].stat().st_size
    assert size > 100000
    mtime = files[0].stat().st_mtime_ns
    assert ask() == first
    assert files[0].stat().st_mtime_ns == mtime, "read, not rebuilt"
    with open(files[0], "r+b") as f:
        f.truncate(size // 2)
    assert ask() == first
    assert files[0].stat().st_size == size, "rebuilt whole"
    assert "kmem_cache *kmalloc_caches[" in first
