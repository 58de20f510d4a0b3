"""ps -r: resource limits (task->signal->rlim[]).

Oracles: crash 8.0.2's `ps -r PID` of the panic task with the vmlinux on
x86_64 kdump dumps (cached under ~/.cache/kdumpkit/derived/psr/): the same
text; drgn 0.0.22 on arm64 kdump dumps (crash cannot read them): the same
numbers.
"""
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernels  # noqa: E402
import lab  # noqa: E402
import labruns  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "psr"
X86 = [p for p in labruns.dumps("x86_64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name in ("sysrq-kdump", "oom-kdump")]
ARM = [p for p in labruns.dumps("arm64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name == "sysrq-kdump"]

DRGN = r"""
import json, sys, drgn
from drgn.helpers.linux.pid import find_task
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
t = find_task(prog, int(sys.argv[3]))
print(json.dumps([[int(r.rlim_cur), int(r.rlim_max)] for r in t.signal.rlim]))
"""


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def panic_pid(info):
    return lab.load_manifest(info["path"].parent)["facts"]["panic_pid"]


@pytest.mark.skipif(not shutil.which("crash"), reason="no crash")
@pytest.mark.parametrize("info", **params(X86))
def test_ps_r_matches_crash(info, kdumpkit):
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    pid = panic_pid(info)
    theirs = labruns.cached_text(DERIVED, info, f"crash-ps-r-{pid}.txt", lambda: subprocess.run(
        ["crash", "-s", str(vmlinux), str(info["path"])], input=f"ps -r {pid}\nq\n",
        capture_output=True, text=True, timeout=600).stdout)
    r = kdumpkit(info["path"], "-c", f"ps -r {pid}")
    assert r.returncode == 0, r.stderr
    assert "RLIMIT" in theirs
    assert r.stdout.strip("\n") == theirs[theirs.index("PID:"):].strip("\n")


@pytest.mark.parametrize("info", **params(ARM))
def test_ps_r_matches_drgn(info, kdumpkit):
    vmlinux = kernels.vmlinux_path("arm64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    pid = panic_pid(info)
    want = json.loads(labruns.cached_text(DERIVED, info, f"drgn-rlim-{pid}.json", lambda: subprocess.run(
        [sys.executable, "-c", DRGN, str(info["path"]), str(vmlinux), str(pid)],
        capture_output=True, text=True, timeout=600, check=True).stdout))
    r = kdumpkit(vmlinux, info["path"], "-c", f"ps -r {pid}")
    assert r.returncode == 0, r.stderr
    rows = re.findall(r"^\s+[A-Z]+\s+(\S+)\s+(\S+)\s*$", r.stdout, re.M)[1:]
    assert len(rows) == 16

    def num(v):
        return (1 << 64) - 1 if v == "(unlimited)" else int(v)
    assert [[num(a), num(b)] for a, b in rows] == want
