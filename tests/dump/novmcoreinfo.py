"""Lab QEMU ELF dumps without their VMCOREINFO note, as QEMU writes them
when the guest has no `-device vmcoreinfo`, for tests/dump/test_no_vmcoreinfo.py.

    stripped(src)   the dump without the note
    wiped(src)      that, with the kernel's VMCOREINFO text also wiped from
                    memory (so no VMCOREINFO is anywhere)

Both live in ~/.cache/kdumpkit/derived/novmcoreinfo/<release>/<run>/ and are
remade when missing or when the source's size or mtime changed (a
recaptured lab run). They are written sparse: QEMU's guests are mostly
zero pages, so a 1 GiB dump takes ~120 MB of disk.

The note is removed the way QEMU would not have written it: QEMU puts the
guest's vmcoreinfo note last in PT_NOTE and starts memory right after the
notes (dump/dump.c: memory_offset = note_offset + note_size), with the
.shstrtab data after memory. So the note's bytes are cut out, PT_NOTE's
p_filesz shrinks by them, and every offset past them (PT_LOAD p_offset,
section sh_offset) moves down by as much. Renaming the note in place would
leave a note QEMU never writes.
"""
import json
import mmap
import os
import struct
from pathlib import Path

DERIVED = Path(os.environ.get("KDUMPKIT_DERIVED",
                              Path.home() / ".cache" / "kdumpkit" / "derived"))
TOPIC = DERIVED / "novmcoreinfo"
BLOCK = 1 << 16
ZERO = bytes(BLOCK)
PT_NOTE = 4


def _align4(n):
    return (n + 3) & ~3


def _notes(m, off, size):
    """(offset, total size, name, descsz) of each note in [off, off+size)."""
    end, out = off + size, []
    while off + 12 <= end:
        namesz, descsz, _ = struct.unpack_from("<III", m, off)
        total = 12 + _align4(namesz) + _align4(descsz)
        out.append((off, total, bytes(m[off + 12:off + 12 + namesz]).rstrip(b"\0"),
                    descsz))
        off += total
    return out


def _copy_sparse(src, src_off, dst, dst_off, length):
    """Copy length bytes, seeking over all-zero blocks of dst."""
    src.seek(src_off)
    dst.seek(dst_off)
    pos = dst_off
    while length:
        n = min(BLOCK - pos % BLOCK, length)
        buf = src.read(n)
        assert len(buf) == n, "source ended early"
        if buf == ZERO[:n]:
            dst.seek(n, os.SEEK_CUR)
        else:
            dst.write(buf)
        pos += n
        length -= n


def strip_note(src_path, dst_path):
    """Write src without its VMCOREINFO note; returns the VMCOREINFO text."""
    with open(src_path, "rb") as src:
        m = mmap.mmap(src.fileno(), 0, prot=mmap.PROT_READ)
        eh = bytearray(m[:64])
        phoff, shoff = struct.unpack_from("<QQ", eh, 32)
        phnum, shnum = struct.unpack_from("<HH", eh, 56)[0], struct.unpack_from("<H", eh, 60)[0]
        phdrs = [list(struct.unpack_from("<IIQQQQQQ", m, phoff + 56 * i))
                 for i in range(phnum)]
        cut = None
        for ph in phdrs:
            if ph[0] != PT_NOTE:
                continue
            for off, total, name, descsz in _notes(m, ph[2], ph[5]):
                if name == b"VMCOREINFO":
                    cut = (off, total, ph)
                    text = bytes(m[off + 24:off + 24 + descsz])
        assert cut, f"{src_path}: no VMCOREINFO note"
        cut_off, cut_len, note_ph = cut
        note_ph[5] -= cut_len                   # p_filesz
        note_ph[6] -= cut_len                   # p_memsz (0 or equal)
        for ph in phdrs:
            if ph[2] > cut_off:
                ph[2] -= cut_len                # p_offset
        shdrs = [list(struct.unpack_from("<IIQQQQIIQQ", m, shoff + 64 * i))
                 for i in range(shnum)] if shoff else []
        for sh in shdrs:
            if sh[4] > cut_off:
                sh[4] -= cut_len                # sh_offset
        if phoff > cut_off or shoff > cut_off:
            raise ValueError("headers after the notes: not QEMU's layout")
        tmp = Path(f"{dst_path}.tmp{os.getpid()}")  # two runs may race
        with open(tmp, "wb") as dst:
            dst.write(bytes(m[:cut_off]))       # ehdr, shdrs, phdrs, notes
            _copy_sparse(src, cut_off + cut_len, dst, cut_off,
                         len(m) - cut_off - cut_len)
            dst.truncate(len(m) - cut_len)
            for i, ph in enumerate(phdrs):
                dst.seek(phoff + 56 * i)
                dst.write(struct.pack("<IIQQQQQQ", *ph))
            for i, sh in enumerate(shdrs):
                dst.seek(shoff + 64 * i)
                dst.write(struct.pack("<IIQQQQIIQQ", *sh))
        m.close()
    os.replace(tmp, dst_path)
    return text


def wipe_text(src_path, dst_path, release):
    """Copy src and zero every copy of the kernel's VMCOREINFO text in it
    (vmcoreinfo_data, the vmcoreinfo_note, a safe copy): from
    "OSRELEASE=<release>\\n" to the NUL that ends it. Returns how many."""
    tmp = Path(f"{dst_path}.tmp{os.getpid()}")  # two runs may race
    size = os.path.getsize(src_path)
    with open(src_path, "rb") as src, open(tmp, "wb") as dst:
        _copy_sparse(src, 0, dst, 0, size)
        dst.truncate(size)
    needle = b"OSRELEASE=" + release.encode() + b"\n"
    found = 0
    with open(tmp, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0)
        pos = m.find(needle)
        while pos >= 0:
            end = m.find(b"\0", pos)
            end = size if end < 0 else end
            m[pos:end] = bytes(end - pos)
            found += 1
            pos = m.find(needle, end)
        m.flush()
        m.close()
    os.replace(tmp, dst_path)
    return found


def _stamp(src):
    st = src.stat()
    return {"source": str(src), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def derive(src, release):
    """{"stripped": path, "wiped": path, "vmcoreinfo": text, "wiped_copies": n}
    for the lab dump src, made if missing or stale."""
    src = Path(src)
    out = TOPIC / release / src.parent.name
    stamp_path = out / "stamp.json"
    want = _stamp(src)
    try:
        have = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        have = None
    stripped, wiped = out / "vmcore.elf", out / "vmcore-wiped.elf"
    if (not have or {k: have.get(k) for k in want} != want or
            not stripped.is_file() or not wiped.is_file()):
        out.mkdir(parents=True, exist_ok=True)
        stamp_path.unlink(missing_ok=True)
        text = strip_note(src, stripped)
        n = wipe_text(stripped, wiped, release)
        have = dict(want, vmcoreinfo=text.decode("latin-1"), wiped_copies=n)
        stamp_path.write_text(json.dumps(have))
    return {"stripped": stripped, "wiped": wiped,
            "vmcoreinfo": have["vmcoreinfo"], "wiped_copies": have["wiped_copies"]}
