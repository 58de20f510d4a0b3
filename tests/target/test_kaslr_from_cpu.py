"""x86_64 KASLR offset and phys_base from QEMU's CPU notes and a vmlinux
(src/arch/x86_64_kaslr.c), through tests/tools/kaslr-from-cpu.c.

    /usr/bin/python3 -m pytest tests/target/test_kaslr_from_cpu.py

The lab's QEMU dumps of x86_64 (ELF and flattened kdump, every scenario)
carry VMCOREINFO, whose KERNELOFFSET and NUMBER(phys_base) are the truth;
the link-time addresses come from `nm` on the lab's vmlinux. A vmlinux
that is not the dump's kernel must be refused, not give a wrong offset.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shell"))
import kernels  # noqa: E402
import labruns  # noqa: E402
import sanitized  # noqa: E402

REPO = HERE.parents[1]
BIN = Path(os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit"))
TOOL = BIN.parent / "tests" / "kaslr-from-cpu"
NEEDED = ("idt_table", "asm_exc_divide_error", "_stext")

X86 = labruns.dumps("x86_64")
QEMU = [p for p in X86 if p[1]["path"].parent.name.endswith("-qemu")]
KDUMP = [p for p in X86 if p[1]["path"].parent.name == "sysrq-kdump"]


@pytest.fixture(scope="module")
def link_syms():
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    out = subprocess.run(["nm", str(vmlinux)], capture_output=True,
                         text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] in NEEDED:
            syms[f[2]] = int(f[0], 16)
    assert set(syms) == set(NEEDED)
    return syms


def kaslr(path, syms):
    args = [f"{k}={v:x}" for k, v in syms.items()]
    r = subprocess.run([str(TOOL), str(path), *args], capture_output=True,
                       text=True, timeout=300,
                       env=dict(os.environ, **sanitized.SAN_ENV))
    assert r.returncode == 0, r.stderr
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr
    return [json.loads(l) for l in r.stdout.splitlines()]


def truth(path):
    r = subprocess.run([str(BIN), "info", "--json", "--vmcoreinfo", str(path)],
                       capture_output=True, text=True, check=True)
    vi = json.loads(r.stdout)["vmcoreinfo"]["all"]
    # NUMBER(phys_base) is signed (%ld): negative when the kernel sits
    # lower in physical memory than its link address says
    return int(vi["KERNELOFFSET"], 16), int(vi["NUMBER(phys_base)"]) % 2**64


@pytest.mark.parametrize("info", labruns.infos(QEMU), ids=labruns.ids(QEMU))
def test_kaslr_from_cpu_matches_vmcoreinfo(info, link_syms):
    offset, phys_base = truth(info["path"])
    assert offset, "the lab's kernels run with KASLR: a zero offset proves little"
    cpus = kaslr(info["path"], link_syms)
    assert cpus, "QEMU writes a QEMU note per vCPU"
    good = [c for c in cpus if "error" not in c]
    assert good, cpus
    for c in good:
        assert (c["kernel_offset"], c["phys_base"]) == (offset, phys_base), c
        # 6.1 loads the IDTR with the CPU entry area's alias of idt_table
        assert c["idt_base"] == 0xfffffe0000000000
        assert c["how"] == "asm_exc_divide_error"


@pytest.mark.parametrize("info", labruns.infos(QEMU[:1]), ids=labruns.ids(QEMU[:1]))
@pytest.mark.parametrize("wrong", ["idt_table", "asm_exc_divide_error"])
def test_kaslr_refuses_another_kernels_symbols(info, link_syms, wrong):
    """A vmlinux whose symbols sit elsewhere (another build) gives errors
    that say so, never a wrong offset."""
    syms = dict(link_syms)
    syms[wrong] += 0x1000
    cpus = kaslr(info["path"], syms)
    assert cpus and all("error" in c for c in cpus), cpus
    assert all("not this kernel's" in c["error"] for c in cpus), cpus


@pytest.mark.parametrize("info", labruns.infos(QEMU[:1]), ids=labruns.ids(QEMU[:1]))
def test_kaslr_needs_idt_table(info, link_syms):
    syms = {k: v for k, v in link_syms.items() if k != "idt_table"}
    cpus = kaslr(info["path"], syms)
    assert cpus and all("idt_table" in c["error"] for c in cpus), cpus


@pytest.mark.parametrize("info", labruns.infos(KDUMP), ids=labruns.ids(KDUMP))
def test_kdump_dumps_have_no_cpu_state_note(info, link_syms):
    """kdump's NT_PRSTATUS has no CR3 or IDTR; only QEMU writes them."""
    assert kaslr(info["path"], link_syms) == []
