"""Dumps without a VMCOREINFO note: kdumpkit finds the kernel's own copy in
physical memory (src/dump/vmcoreinfo_scan.c) and works as with the note.

    /usr/bin/python3 -m pytest tests/dump/test_no_vmcoreinfo.py
    KDUMPKIT_BIN=build-asan/kdumpkit /usr/bin/python3 -m pytest ...

The dumps are the lab's QEMU ELF dumps of the sysrq runs with the note cut
out as QEMU writes them without `-device vmcoreinfo` (novmcoreinfo.py,
derived under ~/.cache/kdumpkit/derived/novmcoreinfo/), and a copy with the
kernel's VMCOREINFO text also wiped from memory. The original dump is the
oracle: the same `sys`, `log`, `sym`; and on x86_64 the kernel's
vmcoreinfo_note pointer, read and translated on the original, is where the
copy was found.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "shell"))
import kernels  # noqa: E402
import labruns  # noqa: E402
import novmcoreinfo  # noqa: E402
import sanitized  # noqa: E402

REPO = HERE.parents[1]
BIN = Path(os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit"))
DUMP_READ = BIN.parent / "tests" / "dump-read"
# NT_PRSTATUS: pr_reg at byte 112; the PC's index in it (user_regs_struct
# rip; user_pt_regs pc)
PC_INDEX = {"x86_64": 16, "arm64": 32}


def sysrq_dumps(fmt=None):
    return [(tid, info) for tid, info in labruns.dumps()
            if info["path"].parent.name == "sysrq-qemu" and
            (fmt is None or info["path"].name == fmt)]


ELF = sysrq_dumps("vmcore.elf")
ARCHES = [info["arch"] for _, info in ELF]
pytestmark = pytest.mark.skipif(not ELF, reason="no lab sysrq-qemu ELF dumps")


def run(*args):
    r = sanitized.run(*args)
    sanitized.assert_no_crash(r)
    return r


def ok(*args):
    r = run(BIN, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module", params=ARCHES)
def case(request):
    info = next(i for _, i in ELF if i["arch"] == request.param)
    d = novmcoreinfo.derive(info["path"], info["release"])
    return dict(d, original=info["path"], arch=info["arch"])


def cpu_pcs(path):
    """The PC of each NT_PRSTATUS note, in note order, read from the file."""
    import mmap
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
        machine = struct.unpack_from("<H", m, 18)[0]
        index = PC_INDEX["x86_64" if machine == 62 else "arm64"]
        phoff, = struct.unpack_from("<Q", m, 32)
        phnum, = struct.unpack_from("<H", m, 56)
        pcs = []
        for i in range(phnum):
            t, _, off, _, _, size, _, _ = struct.unpack_from(
                "<IIQQQQQQ", m, phoff + 56 * i)
            if t != 4:
                continue
            for noff, _, name, _ in novmcoreinfo._notes(m, off, size):
                typ, = struct.unpack_from("<I", m, noff + 8)
                if name == b"CORE" and typ == 1:
                    desc = noff + 12 + 8    # "CORE\0" padded to 8
                    pcs.append(struct.unpack_from("<Q", m, desc + 112 + 8 * index)[0])
        m.close()
    return pcs


# --- the stripped copy is the dump QEMU would have written ---------------

def test_stripped_copy_is_the_same_dump_without_the_note(case):
    orig = json.loads(ok("info", "--json", case["original"]))
    new = json.loads(ok("info", "--json", case["stripped"]))
    for key in ("memory", "pages", "cpus", "cpu_notes", "qemu_notes",
                "machine", "page_size"):
        assert new[key] == orig[key], key
    assert orig["vmcoreinfo_source"]["from"] == "ELF note"
    assert not orig["vmcoreinfo_source"]["memory_scanned"]
    # the same bytes where each range starts, ends and in its middle
    cmds = "; ".join(f"rd -p {a:#x} 8" for r in orig["memory"]["ranges"]
                     for a in (r["start"], (r["start"] + r["end"]) // 2,
                               r["end"] - 64))
    assert ok(case["stripped"], "-c", cmds) == ok(case["original"], "-c", cmds)


# --- info: where VMCOREINFO came from ------------------------------------

def test_info_says_found_in_memory(case):
    out = ok("info", case["stripped"])
    m = re.search(r"^VMCOREINFO    found in memory at physical (0x[0-9a-f]+) "
                  r"\(the kernel's vmcoreinfo_note\), the dump had no "
                  r"VMCOREINFO note$", out, re.M)
    assert m, out
    j = json.loads(ok("info", "--json", case["stripped"]))
    src = j["vmcoreinfo_source"]
    assert src["from"] == "memory" and src["in"] == "vmcoreinfo_note"
    assert src["paddr"] == m.group(1)
    assert src["memory_scanned"] and 0 < src["pages_scanned"] <= \
        j["pages"]["in_memory"]


def test_found_vmcoreinfo_is_the_note_that_was_cut(case):
    """Every line the original note had, and no other."""
    orig = json.loads(ok("info", "--json", "--vmcoreinfo", case["original"]))
    new = json.loads(ok("info", "--json", "--vmcoreinfo", case["stripped"]))
    assert new["vmcoreinfo"]["all"] == orig["vmcoreinfo"]["all"]
    assert new["vmcoreinfo"]["all"]["OSRELEASE"] == \
        case["vmcoreinfo"].split("\n")[0].split("=", 1)[1]


def test_found_where_the_kernel_points(case):
    """The kernel's vmcoreinfo_note pointer, read and translated on the
    original dump, is where the scan found the note. Its address is the
    vmlinux's (nm) plus KERNELOFFSET: arm64's kallsyms has no data symbols."""
    vmlinux = kernels.vmlinux_path(case["arch"])
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    nm = subprocess.run(["nm", str(vmlinux)], capture_output=True, text=True,
                        check=True).stdout
    link = next(int(l.split()[0], 16) for l in nm.splitlines()
                if l.split()[2:] == ["vmcoreinfo_note"])
    vi = json.loads(ok("info", "--json", case["original"]))["vmcoreinfo"]
    addr = link + int(vi["KERNELOFFSET"], 16)
    word = ok(case["original"], "-c", f"rd {addr:#x}").split()[1]
    vt = ok(case["original"], "-c", f"vtop {word}").splitlines()[1].split()
    src = json.loads(ok("info", "--json", case["stripped"]))["vmcoreinfo_source"]
    assert vt[0] == word
    assert int(src["paddr"], 16) == int(vt[1], 16)


# --- everything above works unchanged ------------------------------------

def test_sys_matches_original(case):
    def body(path):
        return [l for l in ok(path, "-c", "sys").splitlines()
                if not l.lstrip().startswith("DUMPFILE:")]
    orig = body(case["original"])
    assert body(case["stripped"]) == orig
    fields = dict(l.split(":", 1) for l in orig)
    assert fields["     RELEASE"].strip() == case["original"].parents[1].name
    assert "sysrq triggered crash" in fields["       PANIC"]


def test_log_matches_original(case):
    orig = ok(case["original"], "-c", "log")
    assert "sysrq triggered crash" in orig
    assert ok(case["stripped"], "-c", "log") == orig
    assert ok(case["stripped"], "-c", "log | tail -5") == \
        ok(case["original"], "-c", "log | tail -5")


def test_sym_of_cpu_pcs_matches_original(case):
    pcs = cpu_pcs(case["original"])
    assert pcs and cpu_pcs(case["stripped"]) == pcs
    cmd = "sym " + " ".join(f"{pc:#x}" for pc in pcs)
    orig = ok(case["original"], "-c", cmd)
    assert len(orig.splitlines()) == len(pcs)
    assert ok(case["stripped"], "-c", cmd) == orig


# --- no VMCOREINFO anywhere ----------------------------------------------

def test_wiped_copy_says_none_anywhere_in_one_line(case):
    assert case["wiped_copies"] >= 1
    r = run(BIN, case["wiped"], "-c", "log")
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "no VMCOREINFO anywhere" in lines[0]
    assert "give the kernel's vmlinux" in lines[0]
    r = run(BIN, case["wiped"], "-c", "sym schedule")
    assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
    assert "no VMCOREINFO anywhere" in r.stderr


def test_wiped_copy_info(case):
    out = ok("info", case["wiped"])
    pages = json.loads(ok("info", "--json", case["wiped"]))
    assert re.search(r"^VMCOREINFO    none: no note, and none found in memory "
                     rf"\({pages['pages']['in_memory']} pages looked at\); "
                     r"give the kernel's vmlinux$", out, re.M), out
    assert pages["vmcoreinfo"] is None
    assert pages["vmcoreinfo_source"] == {
        "from": None, "memory_scanned": True,
        "pages_scanned": pages["pages"]["in_memory"]}


# --- the scan on dumps that have the note, every format ------------------

SYSRQ = [(tid, info) for tid, info in labruns.dumps()
         if info["path"].parent.name in ("sysrq-qemu", "sysrq-kdump")]


@pytest.mark.parametrize("info", labruns.infos(SYSRQ), ids=labruns.ids(SYSRQ))
def test_scan_finds_the_note_the_dump_carries(info):
    """Forced on dumps with VMCOREINFO (ELF, flattened, makedumpfile -d 31),
    the scan finds the kernel's note and its text is the dump's own."""
    r = run(DUMP_READ, "--scan-vmcoreinfo", info["path"])
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert found["found"] and found["in_note"]
    full = json.loads(ok("info", "--json", "--vmcoreinfo", info["path"]))
    assert found["paddr"] % 4096 == 0
    req = "".join(f"{found['paddr'] + 24:x} {found['length']}\n")
    r = subprocess.run([str(DUMP_READ), info["path"]], input=req,
                       capture_output=True, text=True, timeout=600)
    text = bytes.fromhex(r.stdout.split()[1]).decode()
    lines = dict(l.split("=", 1) for l in text.splitlines() if "=" in l)
    assert lines == full["vmcoreinfo"]["all"]


# --- synthetic cores: what the scan takes and what it refuses ------------

TEXT = ("OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
        "SYMBOL(swapper_pg_dir)=ffffffff82000000\nKERNELOFFSET=0\n")


def as_note(text):
    desc = text.encode()
    return (struct.pack("<III", 11, len(desc), 0) + b"VMCOREINFO\0\0" +
            desc + bytes(-len(desc) % 4) + bytes(12))


def core(path, pages):
    """An x86_64 ELF core, no notes, physical memory = the given pages."""
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, 1,
                        0, 0, 0)
    size = 4096 * len(pages)
    phdr = struct.pack("<IIQQQQQQ", 1, 7, 4096, 0, 0, size, size, 4096)
    blob = ehdr + phdr
    data = b"".join(p.ljust(4096, b"\0")[:4096] for p in pages)
    path.write_bytes(blob + bytes(4096 - len(blob)) + data)
    return path


def source(path):
    return json.loads(ok("info", "--json", "--vmcoreinfo", path))


@pytest.mark.parametrize("bad", [
    b"OSRELEASE=6.1\nPAGESIZE=4096\n",                  # no page tables
    b"OSRELEASE=\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=1\n",   # no release
    b"OSRELEASE=6.1\nPAGESIZE=4095\nSYMBOL(swapper_pg_dir)=1\n",
    b"OSRELEASE=6.1\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=xyz\n",
    as_note("OSRELEASE=6.1\n"),                          # a note, but invalid
    struct.pack("<III", 11, 1 << 20, 0) + b"VMCOREINFO\0\0" + TEXT.encode(),
], ids=["no-pgd", "no-release", "bad-pagesize", "bad-symbol", "bad-note",
        "huge-note"])
def test_scan_refuses_what_is_not_vmcoreinfo(tmp_path, bad):
    j = source(core(tmp_path / "c", [b"", bad, b"x" * 4096]))
    assert j["vmcoreinfo"] is None
    assert j["vmcoreinfo_source"]["pages_scanned"] == 3


def test_scan_takes_text_page(tmp_path):
    j = source(core(tmp_path / "c", [b"junk", TEXT.encode(), b""]))
    assert j["vmcoreinfo_source"] == {"from": "memory", "paddr": "0x1000",
                                      "in": "vmcoreinfo_data",
                                      "memory_scanned": True,
                                      "pages_scanned": 3}
    assert j["vmcoreinfo"]["all"]["OSRELEASE"] == "6.1.0-test"


def test_scan_prefers_the_note_then_crashtime(tmp_path):
    pages = [TEXT.encode(), (TEXT + "CRASHTIME=1700000000\n").encode(),
             as_note(TEXT + "CRASHTIME=1700000001\n"), b""]
    j = source(core(tmp_path / "c", pages))
    assert j["vmcoreinfo_source"]["paddr"] == "0x2000"
    assert j["vmcoreinfo_source"]["in"] == "vmcoreinfo_note"
    assert j["vmcoreinfo_source"]["pages_scanned"] == 3     # stops there
    assert j["vmcoreinfo"]["CRASHTIME"] == "1700000001"
    j = source(core(tmp_path / "d", pages[:2]))
    assert j["vmcoreinfo_source"]["paddr"] == "0x1000"
    assert j["vmcoreinfo"]["CRASHTIME"] == "1700000000"


# --- no VMCOREINFO anywhere, but the vmlinux given -------------------------

def vmlinux_of(arch):
    vmlinux = kernels.vmlinux_path(arch)
    if not vmlinux.is_file():
        pytest.skip(f"no {vmlinux}")
    return vmlinux


def test_wiped_copy_with_vmlinux_derives_the_kernels_vmcoreinfo(case):
    """x86_64: KASLR offset and phys_base from QEMU's CPU note, symbols from
    the vmlinux, layouts from its BTF: every line made is the line the
    kernel wrote itself (the note cut from the original), and the ones the
    page tables and the log need are among them."""
    if case["arch"] != "x86_64":
        pytest.skip("QEMU's arm64 dumps hold no TTBR1")
    vmlinux = vmlinux_of("x86_64")
    out = ok("info", "--vmlinux", vmlinux, case["wiped"])
    assert re.search(r"^VMCOREINFO    derived from the vmlinux and the CPU "
                     r"state \(the dump has none anywhere\)$", out, re.M), out
    made = json.loads(ok("info", "--json", "--vmcoreinfo", "--vmlinux",
                         vmlinux, case["wiped"]))
    assert made["vmcoreinfo_source"]["from"] == "derived"
    made = made["vmcoreinfo"]["all"]
    kernel = dict(l.split("=", 1) for l in case["vmcoreinfo"].splitlines()
                  if "=" in l)
    assert {k: kernel.get(k) for k in made} == made
    for key in ("OSRELEASE", "KERNELOFFSET", "NUMBER(phys_base)",
                "SYMBOL(swapper_pg_dir)", "SYMBOL(init_top_pgt)",
                "SYMBOL(prb)", "OFFSET(printk_info.text_len)",
                "SYMBOL(init_uts_ns)", "OFFSET(uts_namespace.name)"):
        assert key in made, key
    assert "BUILD-ID" not in made and "CRASHTIME" not in made


def test_wiped_copy_with_vmlinux_is_the_original(case):
    """sys, sym of each CPU's PC and the log's end, as on the original dump
    with the same vmlinux."""
    if case["arch"] != "x86_64":
        pytest.skip("QEMU's arm64 dumps hold no TTBR1")
    vmlinux = vmlinux_of("x86_64")
    pcs = cpu_pcs(case["original"])
    cmds = ["sys", "sym " + " ".join(f"{pc:#x}" for pc in pcs),
            "log | tail -20"]
    for cmd in cmds:
        orig = ok(vmlinux, case["original"], "-c", cmd)
        new = ok(vmlinux, case["wiped"], "-c", cmd)
        if cmd == "sys":
            orig, new = ([l for l in t.splitlines()
                          if not l.lstrip().startswith("DUMPFILE:")]
                         for t in (orig, new))
            assert any("sysrq triggered crash" in l for l in new)
            assert any(l.endswith(str(vmlinux)) for l in new)
        assert new == orig, cmd
    assert "end Kernel panic" in ok(vmlinux, case["wiped"], "-c",
                                     "log | tail -1")


def test_wiped_copy_with_the_wrong_vmlinux_or_arm64_is_one_line(case):
    other = {"x86_64": "arm64", "arm64": "x86_64"}[case["arch"]]
    r = run(BIN, vmlinux_of(other), case["wiped"], "-c", "sys")
    assert r.returncode == 1 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "the dump has no VMCOREINFO anywhere" in r.stderr
    assert "the vmlinux is" in r.stderr
    if case["arch"] == "arm64":
        r = run(BIN, vmlinux_of("arm64"), case["wiped"], "-c", "sys")
        assert r.returncode == 1 and len(r.stderr.splitlines()) == 1
        assert "possible on x86_64 only" in r.stderr


def test_makedump_writes_the_vmcoreinfo_it_found(case, tmp_path):
    """makedump of a dump without the note (QEMU's, when the guest never
    told QEMU where VMCOREINFO is) writes the one found in memory into
    its output, which libkdumpfile (the library under drgn) and crash
    then read; without it they cannot open the dump at all."""
    import kdumpfile
    out = tmp_path / "vmcore"
    r = run(BIN, "makedump", "-c", "-d", "31", "--message-level", "0",
            case["stripped"], out)
    assert r.returncode == 0, r.stderr
    want = [line for line in case["vmcoreinfo"].splitlines() if line]
    lib = kdumpfile.kdumpfile(str(out))
    raw = lib.attr["linux.vmcoreinfo.raw"]
    got = bytes(raw).decode()
    assert [line for line in got.splitlines() if line] == want
    assert lib.attr["linux.uts.release"] == \
        next(line.split("=", 1)[1] for line in want if line.startswith("OSRELEASE="))
    del lib
    if case["arch"] == "x86_64" and shutil.which("crash"):
        c = subprocess.run(["crash", "-s", str(vmlinux_of("x86_64")), str(out)],
                           input="sys\nq\n", capture_output=True, text=True,
                           timeout=600)
        assert re.search(r"PANIC: .*sysrq triggered crash", c.stdout), \
            c.stdout[-1000:] + c.stderr[-1000:]
