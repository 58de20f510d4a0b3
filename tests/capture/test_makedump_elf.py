"""kdumpkit makedump -E: an ELF vmcore of the lab's unfiltered /proc/vmcore
(vmcore.elf of the sysrq-kdump runs), both architectures.

- Every page of memory reads, from our ELF file, as the input's page when
  our -d 31 kdump-compressed dump of the same input saves it (whose pages
  are makedumpfile's, test_makedump.py), and as zeros when it does not:
  what ELF readers see is exactly what the dump level keeps. This is
  stricter than makedumpfile -E itself, which writes the real contents of
  left-out pages that sit in short gaps between saved ones.
- crash 8.0.2 (x86_64) reads it: sys and log as on makedumpfile's dump.
- kdumpkit reads it: sys, log and bt as on the input.
- -E -F | -R gives the same file; a full disk leaves OUT.incomplete.
"""
import mmap
import struct
import subprocess

import pytest

from test_makedump import (ARCHES, crash_output, kdump_parts, made,  # noqa: F401
                           set_bits, sysrq_run, tiny_disk, without_paths)

PAGE = 4096
PT_LOAD = 1


def elf_image(path):
    """(mapping, [(paddr, offset, filesz, memsz)]) of an ELF vmcore."""
    f = open(path, "rb")
    m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
    f.close()
    assert m[:4] == b"\x7fELF"
    phoff, = struct.unpack_from("<Q", m, 32)
    phnum, = struct.unpack_from("<H", m, 56)
    segs = []
    for i in range(phnum):
        typ, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", m, phoff + 56 * i)
        if typ == PT_LOAD:
            segs.append((paddr, off, filesz, memsz))
    return m, sorted(segs)


def page_of(image, paddr):
    """The page at paddr as an ELF reader sees it; None if not memory."""
    m, segs = image
    for start, off, filesz, memsz in segs:
        if start <= paddr < start + memsz:
            if paddr + PAGE <= start + filesz:
                return m[off + paddr - start:off + paddr - start + PAGE]
            assert paddr >= start + filesz, "a page half in the file"
            return bytes(PAGE)
    return None


@pytest.fixture(scope="module")
def made_elf(kdumpkit_bin, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("makedump-elf")
    cache = {}

    def make(arch):
        if arch not in cache:
            elf, _, _ = sysrq_run(arch)
            out = out_dir / f"{arch}-E-d31"
            r = subprocess.run([str(kdumpkit_bin), "makedump", "-E", "-d",
                                "31", str(elf), str(out)],
                               capture_output=True, text=True, timeout=1200)
            assert r.returncode == 0, r.stderr
            cache[arch] = (out, r.stderr)
        return cache[arch]
    return make


@pytest.mark.parametrize("arch", ARCHES)
def test_elf_pages_are_what_the_level_keeps(arch, made, made_elf):
    elf, _, _ = sysrq_run(arch)
    ours, stderr = made_elf(arch)
    kept = set(set_bits(kdump_parts(made(arch, 31, "c")[0])["saved"]))
    src, out = elf_image(elf), elf_image(ours)
    wrong, pages = [], 0
    for start, _, _, memsz in src[1]:
        first = (start + PAGE - 1) // PAGE
        for pfn in range(first, (start + memsz) // PAGE):
            got = page_of(out, pfn * PAGE)
            want = page_of(src, pfn * PAGE) if pfn in kept else bytes(PAGE)
            pages += 1
            if got != want:
                wrong.append(pfn)
    assert pages > 100000
    assert not wrong, (f"{len(wrong)} pages read wrong, e.g. "
                       f"{[hex(p) for p in wrong[:10]]}")
    assert "PT_LOAD segments" in stderr
    # fewer program headers than runs of saved pages: short gaps filled
    assert len(out[1]) < 1000


@pytest.mark.skipif(not __import__("shutil").which("crash"), reason="no crash")
def test_crash_reads_elf(made_elf):
    _, _, ref = sysrq_run("x86_64")
    ours, _ = made_elf("x86_64")
    out = crash_output(ours, ["sys", "log"])
    assert "PANIC:" in out, out
    assert without_paths(out) == \
        without_paths((ref / "sys.txt").read_text()) + \
        without_paths((ref / "log.txt").read_text())


@pytest.mark.parametrize("arch", ARCHES)
def test_kdumpkit_reads_elf(arch, made_elf, kdumpkit):
    elf, _, _ = sysrq_run(arch)
    ours, _ = made_elf(arch)
    outs = []
    for dump in (elf, ours):
        r = kdumpkit(dump, "-c", "sys; log; bt")
        assert r.returncode == 0, r.stderr
        outs.append(without_paths(r.stdout))
    assert outs[0] == outs[1]
    assert any("sysrq_handle_crash" in line for line in outs[1])


def test_flattened_elf_round_trip(made_elf, kdumpkit_bin, tmp_path):
    elf, _, _ = sysrq_run("x86_64")
    ours, _ = made_elf("x86_64")
    back = tmp_path / "back"
    with open(tmp_path / "stream", "wb") as f:
        r = subprocess.run([str(kdumpkit_bin), "makedump", "-E", "-F", "-d",
                            "31", "--message-level", "0", str(elf)], stdout=f,
                           stderr=subprocess.PIPE, timeout=600)
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "stream", "rb") as f:
        r = subprocess.run([str(kdumpkit_bin), "makedump", "-R", str(back),
                            "--message-level", "0"], stdin=f,
                           stderr=subprocess.PIPE, timeout=600)
    assert r.returncode == 0, r.stderr
    assert back.read_bytes() == ours.read_bytes()


def test_elf_full_disk_leaves_incomplete(kdumpkit, tiny_disk):
    elf, _, _ = sysrq_run("x86_64")
    out = tiny_disk / "vmcore"
    r = kdumpkit("makedump", "-E", "-d", 31, "--message-level", 0, elf, out)
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert "INCOMPLETE" in lines[0] and "No space left on device" in lines[0]
    assert not out.exists()
    assert (tiny_disk / "vmcore.incomplete").exists()
