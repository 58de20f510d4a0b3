"""The vmlinux found by itself (src/debuginfo/find.c): under a debuginfo
root (Debian's -dbg layout, boot/vmlinux-RELEASE, or the .build-id tree)
or from a debuginfod server, and only when its build-id is the dump's.

Oracles: VMCOREINFO's BUILD-ID against the ELF note (`readelf -n`), and
the answers kdumpkit gives with the same vmlinux named on the command line.
The debuginfod server is the real one (elfutils' debuginfod) on loopback,
indexing the lab's extracted -dbg package.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import refbatch  # noqa: E402

X86 = [p for p in labruns.dumps("x86_64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name == "oops-kdump"]
ARM = labruns.dumps("arm64")
QUERIES = "sys; whatis linux_banner; p panic_timeout; sym schedule"


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def build_id_of(path):
    out = subprocess.run(["readelf", "-n", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", out).group(1)


def run(kdumpkit_bin, dump, env, *extra):
    e = dict(os.environ, **env)
    return subprocess.run([str(kdumpkit_bin), *map(str, extra), str(dump),
                           "-c", QUERIES], capture_output=True, text=True,
                          env=e, timeout=600)


def body(text):
    """The answers, less sys's KERNEL line (it names the file)."""
    return [ln for ln in text.splitlines() if "KERNEL:" not in ln]


@pytest.fixture
def named(kdumpkit_bin):
    def get(info):
        vm = refbatch.vmlinux(info)
        r = run(kdumpkit_bin, info["path"], {}, vm)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        return vm, r.stdout
    return get


@pytest.mark.parametrize("info", **params(X86))
def test_found_in_debug_root(kdumpkit_bin, named, info):
    """Debian's linux-image-*-dbg layout: ROOT/boot/vmlinux-RELEASE."""
    vm, want = named(info)
    root = vm.parent.parent          # .../usr/lib/debug
    r = run(kdumpkit_bin, info["path"], {"KDUMPKIT_DEBUGINFO_DIRS": str(root)})
    assert r.returncode == 0, r.stderr
    assert f"vmlinux {vm} (found in {root})" in r.stderr
    assert f"KERNEL: {vm}" in r.stdout
    assert body(r.stdout) == body(want)
    assert "const char linux_banner[" in r.stdout   # DWARF, not BTF


@pytest.mark.parametrize("info", **params(X86))
def test_found_by_build_id_link(kdumpkit_bin, named, info, tmp_path):
    """The .build-id tree: xx/rest.debug, named by the dump's BUILD-ID
    (checked against readelf's note), is found; a same-release file of
    another build under boot/ is passed over."""
    vm, want = named(info)
    bid = build_id_of(vm)
    d = tmp_path / ".build-id" / bid[:2]
    d.mkdir(parents=True)
    (d / f"{bid[2:]}.debug").symlink_to(vm)
    r = run(kdumpkit_bin, info["path"],
            {"KDUMPKIT_DEBUGINFO_DIRS": f"/nonexistent:{tmp_path}"})
    assert r.returncode == 0, r.stderr
    assert f"KERNEL: {d / (bid[2:] + '.debug')}" in r.stdout
    assert body(r.stdout) == body(want)


@pytest.mark.parametrize("info", **params(X86))
def test_wrong_build_is_not_taken(kdumpkit_bin, info, tmp_path):
    """A file named for the release that is another kernel (the arm64
    vmlinux under x86_64's name) is not used; the dump opens with its own
    symbols and DWARF-only commands say what was looked for."""
    arm = [p for p in ARM if p[1]["path"].name == "vmcore"]
    if not arm:
        pytest.skip("no arm64 lab dump: its vmlinux is the wrong build")
    other = refbatch.vmlinux(arm[0][1])
    boot = tmp_path / "boot"
    boot.mkdir()
    (boot / f"vmlinux-{info['release']}").symlink_to(other)
    bid = build_id_of(refbatch.vmlinux(info))
    r = subprocess.run([str(kdumpkit_bin),
                        str(info["path"]), "-c", "sys; dis -l schedule 1"],
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ,
                                KDUMPKIT_DEBUGINFO_DIRS=str(tmp_path)))
    assert "KERNEL: (none: symbols from the dump)" in r.stdout
    assert (f"no vmlinux was given or found: no vmlinux for "
            f"{info['release']} (build-id {bid}) in {tmp_path}") in r.stderr


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def debuginfod(tmp_path):
    """elfutils' debuginfod on loopback over the lab's -dbg tree."""
    exe = shutil.which("debuginfod")
    if not exe:
        pytest.skip("debuginfod is not installed (scripts/install-deps lab)")
    info = labruns.infos(X86)[0]
    root = refbatch.vmlinux(info).parent.parent.parent.parent.parent
    port = free_port()
    proc = subprocess.Popen([exe, "-p", str(port), "-d",
                             str(tmp_path / "db.sqlite"), "-F", "-t0", "-g0",
                             str(root)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    bid = build_id_of(refbatch.vmlinux(info))
    try:
        for _ in range(120):      # until it has scanned the tree
            try:
                with urllib.request.urlopen(f"{url}/buildid/{bid}/debuginfo",
                                            timeout=5) as resp:
                    resp.read(16)       # served: enough
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("debuginfod did not serve the vmlinux in 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.mark.parametrize("info", **params(X86))
def test_from_debuginfod(kdumpkit_bin, named, info, debuginfod, tmp_path):
    """No vmlinux on disk, DEBUGINFOD_URLS set: the server gives the file
    of the dump's build-id, and the answers are those of the named one."""
    vm, want = named(info)
    cache = tmp_path / "cache"
    r = run(kdumpkit_bin, info["path"], {
        "KDUMPKIT_DEBUGINFO_DIRS": "", "DEBUGINFOD_URLS": debuginfod,
        "DEBUGINFOD_CACHE_PATH": str(cache)})
    assert r.returncode == 0, r.stderr
    assert f"(from debuginfod ({debuginfod}))" in r.stderr
    got = Path(re.search(r"KERNEL: (\S+)", r.stdout).group(1))
    assert got.is_relative_to(cache)
    assert build_id_of(got) == build_id_of(vm)
    assert body(r.stdout) == body(want)
