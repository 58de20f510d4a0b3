"""kdumpkit load / unload / initramfs on the host. The real load runs in the
lab guest (test_loop.py); here: the capture command line from a fake
/proc/cmdline, the refusals that come before the system call, and the
initramfs' contents, down to running the kdumpkit inside it."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fakeroot  # noqa: E402


@pytest.fixture
def files(tmp_path):
    k, i = tmp_path / "vmlinuz", tmp_path / "initrd.img"
    k.write_bytes(b"k" * 3 * 2**20)
    i.write_bytes(b"i" * 2 * 2**20)
    return k, i


def load(kdumpkit, root, *args):
    return kdumpkit("load", *map(str, args), env={**os.environ, "KDUMPKIT_ROOT": str(root)})


def test_capture_cmdline(kdumpkit, tmp_path, files):
    root = fakeroot.make(tmp_path / "root")
    k, i = files
    r = load(kdumpkit, root, "--kernel", k, "--initrd", i, "--append", "acpi=off",
             "--dry-run")
    assert r.returncode == 0, r.stderr
    got = dict(re.findall(r"^(\w+)\s+(.*)$", r.stdout, re.M))
    # crashkernel= and rdinit= belong to the first boot, "-- single" to its
    # init; irqpoll once
    assert got["cmdline"] == ("BOOT_IMAGE=/boot/vmlinuz root=/dev/vda1 ro quiet "
                              "irqpoll nr_cpus=1 reset_devices kdumpkit.save=1 acpi=off")
    assert got["kernel"] == f"{k} ({3 * 2**20} bytes)"
    r = load(kdumpkit, root, "--kernel", k, "--initrd", i, "--append", "acpi=off",
             "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j == {"kernel": str(k), "kernel_bytes": 3 * 2**20, "initrd": str(i),
                 "initrd_bytes": 2 * 2**20, "cmdline": got["cmdline"],
                 "loaded": False, "reservation_bytes": 0}


@pytest.mark.parametrize("changes,msg", [
    ({"sys/kernel/kexec_crash_size": "0\n"},
     "load: no memory is reserved for a capture kernel: add crashkernel=SIZE"),
    ({"sys/kernel/kexec_crash_size": f"{4 * 2**20}\n"},
     "take 5 MiB, the crashkernel= reservation is 4 MiB: reserve more"),
    ({"sys/kernel/kexec_crash_size": None},
     "load: this kernel has no kexec on crash"),
])
def test_refusals_before_the_system_call(kdumpkit, tmp_path, files, changes, msg):
    root = fakeroot.make(tmp_path / "root", changes)
    k, i = files
    r = load(kdumpkit, root, "--kernel", k, "--initrd", i)
    assert r.returncode == 1
    assert msg in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_missing_files(kdumpkit, tmp_path, files):
    root = fakeroot.make(tmp_path / "root")
    k, i = files
    r = load(kdumpkit, root, "--kernel", tmp_path / "nope", "--initrd", i)
    assert r.returncode == 1 and "load: kernel " in r.stderr and "No such file" in r.stderr
    r = load(kdumpkit, root, "--kernel", k, "--initrd", tmp_path / "nope.img")
    assert r.returncode == 1
    assert f"build it with 'kdumpkit initramfs {tmp_path / 'nope.img'}'" in r.stderr


def test_bad_arguments(kdumpkit):
    assert kdumpkit("load", "--kernel").returncode == 2
    assert kdumpkit("load", "--frobnicate").returncode == 2
    assert kdumpkit("unload", "x").returncode == 2


def cpio_list(img):
    r = subprocess.run(f"zcat '{img}' | cpio -itv --quiet", shell=True,
                       capture_output=True, text=True, check=True)
    return {ln.split()[-1].split(" -> ")[0]: ln for ln in r.stdout.splitlines()}


def ldd(binary):
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    return [p for p in re.findall(r"(/\S+)", out)]


@pytest.mark.skipif(not shutil.which("cpio"), reason="no cpio")
def test_initramfs_contents(kdumpkit, kdumpkit_bin, tmp_path):
    conf = tmp_path / "kdumpkit.conf"
    conf.write_text("path = /var/crash\ndevice = LABEL=dumps\nfinal_action = halt\n")
    ko = tmp_path / "virtio_blk.ko"
    ko.write_bytes(b"\x7fELF fake module")
    img = tmp_path / "capture.img"
    r = kdumpkit("initramfs", img, "--config", conf, "--module", ko)
    assert r.returncode == 0, r.stderr
    names = cpio_list(img)
    for n in ("init", "bin/busybox", "bin/kdumpkit", "etc/kdumpkit.conf",
              "modules/virtio_blk.ko", "modules.load", "dev/console"):
        assert n in names, n
    assert names["dev/console"].startswith("c")
    # every library the dynamic loader resolves for kdumpkit, under that name
    for lib in ldd(kdumpkit_bin):
        assert lib.lstrip("/") in names, lib
    # no reference capture tools
    assert not any("kexec" in n or "makedumpfile" in n for n in names)
    x = tmp_path / "x"
    x.mkdir()
    subprocess.run(f"cd '{x}' && zcat '{img}' | cpio -id --quiet", shell=True, check=True)
    assert (x / "modules.load").read_text() == "virtio_blk.ko\n"
    cfg = (x / "etc" / "kdumpkit.conf").read_text()
    assert "device = LABEL=dumps" in cfg and "final_action = halt" in cfg
    assert (x / "init").read_text().startswith("#!/bin/busybox sh\n")
    assert "kdumpkit save" in (x / "init").read_text()
    if os.geteuid() == 0 and "Sanitizer" not in r.stderr and "asan" not in str(kdumpkit_bin):
        # the kdumpkit in there runs with the libraries in there alone
        run = subprocess.run(["chroot", str(x), "/bin/kdumpkit", "save", "--print-config"],
                             capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert run.stdout == subprocess.run(
            [str(kdumpkit_bin), "save", "--config", str(conf), "--print-config"],
            capture_output=True, text=True).stdout


def test_initramfs_refuses_a_dynamic_busybox(kdumpkit, tmp_path):
    r = kdumpkit("initramfs", tmp_path / "x.img", "--busybox", "/bin/sh")
    assert r.returncode == 2
    assert "/bin/sh is not a static 64-bit program" in r.stderr
    assert not (tmp_path / "x.img").exists()


def test_initramfs_needs_an_output(kdumpkit):
    r = kdumpkit("initramfs")
    assert r.returncode == 2 and "give the file to write" in r.stderr


def test_initramfs_modules_by_name_come_with_what_they_need(kdumpkit, tmp_path):
    """--module NAME through the lab kernel's modules.dep: the same files, in
    an order that loads (dependencies first), as the lab's own closure."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lab"))
    import loop
    from kernels import module_closure
    if not (loop.moddir() / "modules.dep").exists():
        pytest.skip("no lab kernel modules")
    img = tmp_path / "capture.img"
    r = kdumpkit("initramfs", img, "--moddir", loop.moddir(), "--module", "virtio-pci",
                 "--module", "virtio_blk", "--json")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["path"] == str(img) and j["bytes"] == img.stat().st_size
    x = tmp_path / "x"
    x.mkdir()
    subprocess.run(f"cd '{x}' && zcat '{img}' | cpio -id --quiet", shell=True, check=True)
    order = (x / "modules.load").read_text().split()
    assert [Path(m).name for m in j["modules"]] == order
    want = [p.name for p in module_closure("x86_64", ["virtio_pci", "virtio_blk"])]
    assert sorted(order) == sorted(want)
    dep = {}
    for line in (loop.moddir() / "modules.dep").read_text().splitlines():
        mod, _, rest = line.partition(":")
        dep[Path(mod).name] = [Path(d).name for d in rest.split()]
    for i, m in enumerate(order):
        assert set(dep[m]) <= set(order[:i]), f"{m} before what it needs"
    for m in order:
        assert (x / "modules" / m).read_bytes() == \
            next(p for p in module_closure("x86_64", ["virtio_pci", "virtio_blk"])
                 if p.name == m).read_bytes()
    bad = kdumpkit("initramfs", tmp_path / "y.img", "--moddir", loop.moddir(),
                   "--module", "no_such_module")
    assert bad.returncode == 1 and "no module 'no_such_module' in " in bad.stderr
    assert not (tmp_path / "y.img").exists()


def test_kernel_must_be_a_bzimage(kdumpkit, tmp_path, files, kdumpkit_bin):
    if os.uname().machine != "x86_64":
        pytest.skip("the bzImage check is x86_64's")
    root = fakeroot.make(tmp_path / "root")
    _, i = files
    # a vmlinux (ELF) where the vmlinuz belongs
    r = load(kdumpkit, root, "--kernel", kdumpkit_bin, "--initrd", i)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert "is not a bzImage (no \"HdrS\" boot header at 0x202)" in r.stderr
