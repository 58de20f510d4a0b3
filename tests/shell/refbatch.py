"""Running many queries in one session of a tool that reads commands on
stdin (crash, kdumpkit), each redirected to its own file, and keeping a
reference tool's answers in the derived cache (labruns.cached_text).
Shared by test_struct.py and test_p.py."""
import json
import subprocess
import tempfile
from pathlib import Path

import pytest

import kernels
import labruns


def vmlinux(info):
    path = kernels.vmlinux_path(info["arch"])
    if not path.is_file():
        pytest.skip(f"no vmlinux at {path}")
    return path


def batch(argv, queries):
    """Run queries in one session of argv, each into its own file (both
    crash and kdumpkit take `cmd > file`): ({query: output}, process)."""
    with tempfile.TemporaryDirectory() as d:
        script = "".join(f"{q} > {d}/{i}.txt\n" for i, q in enumerate(queries))
        r = subprocess.run(argv, input=script + "q\n", capture_output=True,
                           text=True, timeout=900)
        out = {}
        for i, q in enumerate(queries):
            p = Path(d) / f"{i}.txt"
            out[q] = p.read_text(errors="replace") if p.exists() else None
        return out, r


def cached(derived, info, name, make, extra=""):
    """make() -> a JSON value, kept in the derived cache under the dump's
    key and extra (e.g. the queries asked)."""
    return json.loads(labruns.cached_text(
        derived, info, name, lambda: json.dumps(make()), extra=extra))


def crash_answers(derived, info, queries, name):
    """crash 8.0.2 with the vmlinux, all queries in one session, cached:
    {query: output or None}."""
    vm = vmlinux(info)

    def make():
        out, r = batch(["crash", "-s", str(vm), str(info["path"])], queries)
        if not any(out.values()):
            pytest.skip(f"crash gave nothing: {r.stderr[-300:]}")
        return out
    return cached(derived, info, name, make, extra="\n".join(queries))


def ours(kdumpkit_bin, info, queries, with_vmlinux=False):
    """The same queries in one kdumpkit session: ({query: output}, process)."""
    argv = [str(kdumpkit_bin)]
    if with_vmlinux:
        argv.append(str(vmlinux(info)))
    argv += [str(info["path"]), "-i", "/dev/stdin"]
    return batch(argv, queries)
