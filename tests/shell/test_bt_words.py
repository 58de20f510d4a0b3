"""bt -F / -FF / -p / -v: the stack words of each frame by name: a kernel or module
address as symbol+offset, a pointer into a slab object as its cache
("[kmalloc-16]", -FF "[ADDR:kmalloc-16]"); and bt -p.

Oracle: crash 8.0.2 with the vmlinux on x86_64 kdump dumps (cached). Its
panic-task stack starts higher (at crash_kexec, where we start at the
exception frame), so the words both print are compared, address by
address: every one must read the same. Left out: crash's module
pseudo-symbols (_MODULE_INIT_START_crashme), and the compiler's local
labels crash takes from the vmlinux (.LC0+1217, a string in .rodata):
kallsyms drops ".L" names, and so do we, with or without the vmlinux, so
the same word reads as the symbol below it (SIGMA2+87584).
"""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import refbatch  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "bt-words"
QUERIES = ["bt -F", "bt -FF"]
X86 = [p for p in labruns.dumps("x86_64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name in ("oops-kdump", "mutex-kdump",
                                        "softlockup-kdump", "uaf-kdump")]
ARM = [p for p in labruns.dumps("arm64") if p[1]["path"].name == "vmcore"
       and p[1]["path"].parent.name in ("oops-kdump", "uaf-kdump")]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def words(text):
    """{stack address: what bt printed for the word there}"""
    out = {}
    for ln in (text or "").splitlines():
        m = re.match(r"\s+([0-9a-f]{16}): (.*)$", ln)
        if m:
            for i, tok in enumerate(m[2].split()):
                out[int(m[1], 16) + 8 * i] = tok
    return out


@pytest.mark.parametrize("info", **params(X86))
def test_words_match_crash(kdumpkit_bin, info):
    want = refbatch.crash_answers(DERIVED, info, QUERIES, "crash.json")
    got, r = refbatch.ours(kdumpkit_bin, info, QUERIES, with_vmlinux=True)
    assert r.stderr == ""
    for q in QUERIES:
        c, o = words(want[q]), words(got[q])
        common = [a for a in set(c) & set(o)
                  if not c[a].startswith(("_MODULE_", ".L"))]
        assert len(common) >= 10, q
        assert {a: o[a] for a in common} == {a: c[a] for a in common}, q
    named = [t for t in words(got["bt -F"]).values() if "+" in t]
    assert named                          # return addresses at least


@pytest.mark.parametrize("info", **params(ARM))
def test_arm64_words_are_named(kdumpkit, info):
    r = kdumpkit(refbatch.vmlinux(info), info["path"], "-c", "bt -F")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    toks = words(r.stdout).values()
    # arm64 frame records hold return addresses: named, as functions
    assert any(re.fullmatch(r"[A-Za-z_][\w.]*\+\d+", t) for t in toks)


@pytest.mark.parametrize("info", **params(X86[:1]))
def test_p_is_the_panic_task_whatever_set_chose(kdumpkit, info):
    plain = kdumpkit(info["path"], "-c", "bt").stdout
    r = kdumpkit(info["path"], "-c", "set 1; bt -p")
    assert r.returncode == 0
    assert r.stdout.endswith(plain)
    r = kdumpkit(info["path"], "-c", "bt -p 1")
    assert r.returncode != 0 and "-p take no task" in r.stderr
    r = kdumpkit(info["path"], "--json", "-c", "bt -F")
    assert r.returncode != 0 and "-F prints text only" in r.stderr


# bt -v: the STACK_END_MAGIC check, on the dumps as they are and on a copy
# of a QEMU ELF dump with one task's magic overwritten.
def elf_offset(path, paddr):
    """The file offset of physical address paddr in an ELF64 core."""
    import struct
    with open(path, "rb") as f:
        hdr = f.read(64)
        phoff, = struct.unpack_from("<Q", hdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", hdr, 54)
        f.seek(phoff)
        for _ in range(phnum):
            ph = f.read(phentsize)
            p_type, _, off, _, pa, filesz = struct.unpack_from("<IIQQQQ", ph)
            if p_type == 1 and pa <= paddr < pa + filesz:
                return off + paddr - pa
    raise AssertionError(f"{paddr:#x} is in no PT_LOAD")


@pytest.mark.parametrize("info", **params(X86 + ARM))
def test_v_finds_no_overflow_in_the_lab(kdumpkit, info):
    r = kdumpkit(info["path"], "-c", "bt -v")
    assert r.returncode == 0 and r.stdout == "No stack overflows detected\n"


QEMU = [p for p in labruns.dumps("x86_64") if p[1]["path"].name ==
        "vmcore.elf" and p[1]["path"].parent.name == "oops-qemu"]


@pytest.mark.parametrize("info", **params(QEMU))
def test_v_finds_an_overwritten_stack_end(kdumpkit, info, tmp_path):
    import json
    import shutil
    ps = json.loads(kdumpkit(info["path"], "--json", "-c", "ps 1").stdout)
    task = ps[0]["task"]
    out = kdumpkit(info["path"], "-c", f"task_struct.stack {task}").stdout
    base = int(re.search(r"0x[0-9a-f]+", out).group(0), 16)
    vt = json.loads(kdumpkit(info["path"], "--json", "-c",
                             f"vtop {base:#x}").stdout)
    copy = tmp_path / "vmcore.elf"
    shutil.copyfile(info["path"], copy)
    copy.chmod(0o600)
    with open(copy, "r+b") as f:
        f.seek(elf_offset(copy, vt[0]["physical"]))
        f.write((0x4141414141414141).to_bytes(8, "little"))
    r = kdumpkit(copy, "-c", "bt -v")
    assert r.returncode == 0, r.stderr
    assert (f"possible stack overflow: {base:x}: 4141414141414141 != "
            "STACK_END_MAGIC") in r.stdout
    assert f"TASK: {int(task, 16):x}" in r.stdout
    assert len(re.findall(r"^PID: ", r.stdout, re.M)) == 1
    js = json.loads(kdumpkit(copy, "--json", "-c", "bt -v").stdout)
    assert [j["pid"] for j in js] == [1]


@pytest.mark.parametrize("info", **params(X86[:2]))
def test_r_is_the_whole_stack_as_crash_dumps_it(kdumpkit_bin, info):
    """bt -r: THREAD_SIZE of stack from its base, rd -s style; lines where
    crash names a word by a .L label or its module pseudo-symbols are left
    out (see above: where crash says _MODULE_INIT_START_crashme we name
    the module's function there, crashme_init)."""
    want = refbatch.crash_answers(DERIVED, info, ["bt -r"], "crash-r.json")
    got, r = refbatch.ours(kdumpkit_bin, info, ["bt -r"], with_vmlinux=True)
    assert r.stderr == ""
    c = [ln for ln in want["bt -r"].splitlines()
         if ln.strip() and not ln.startswith("WARNING")]
    o = [ln for ln in got["bt -r"].splitlines() if ln.strip()]
    assert len(c) == len(o) == 1 + 16384 // 16
    keep = [i for i, ln in enumerate(c)
            if " .L" not in ln and " _MODULE_" not in ln]
    assert len(keep) > len(c) - 20
    assert [o[i] for i in keep] == [c[i] for i in keep]
    assert c[1].split()[1] == "0000000057ac6e9d"   # the stack end magic


@pytest.mark.parametrize("info", **params(X86))
def test_e_finds_the_frames_crash_finds(kdumpkit_bin, info):
    """bt -e: every word run that reads as a pt_regs, kernel- or
    user-mode: on the panic tasks equal to crash 8.0.2, line for line; a
    task that entered the kernel from user space has its user-mode frame
    at the top of its stack."""
    want = refbatch.crash_answers(DERIVED, info, ["bt -e"], "crash-e.json")
    got, r = refbatch.ours(kdumpkit_bin, info, ["bt -e"], with_vmlinux=True)
    assert r.stderr == ""

    def lines(text):
        return [ln for ln in (text or "").splitlines()
                if ln.strip() and not ln.startswith("WARNING")]
    assert lines(got["bt -e"]) == lines(want["bt -e"])
    assert "EXCEPTION FRAME AT" in got["bt -e"] or "(none found)" in got["bt -e"]


ARM_E = [p for p in labruns.dumps("arm64") if p[1]["path"].name == "vmcore"
         and p[1]["path"].parent.name in ("oops-kdump", "softlockup-kdump",
                                          "mutex-kdump", "uaf-kdump")]


@pytest.mark.parametrize("info", **params(ARM_E))
def test_e_on_arm64_finds_every_frame_the_unwinder_crossed(kdumpkit, info):
    """No crash reads these dumps: the oracle is our own unwinder, which
    walks through each exception's pt_regs by the frame records. Every one
    it crossed (kernel or user) is among those bt -e finds, with the same
    PC."""
    import json
    vm = refbatch.vmlinux(info)
    r = kdumpkit(vm, info["path"], "-c", "bt -e")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    found = dict(re.findall(r"(?:KERNEL|USER)-MODE EXCEPTION FRAME AT: "
                            r"([0-9a-f]+)\n\s+PC: ([0-9a-f]+)", r.stdout))
    assert found
    js = json.loads(kdumpkit(vm, info["path"], "--json", "-c", "bt").stdout)
    for t in js if isinstance(js, list) else [js]:
        for f in t["frames"]:
            if f.get("kind") in ("exception", "user"):
                assert f["regs_addr"] in found, (f, found)
