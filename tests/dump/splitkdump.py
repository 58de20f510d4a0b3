"""Split a kdump-compressed file into the parts makedumpfile --split would
have written, for the architectures the host's makedumpfile cannot read
(Debian's is built for x86_64 only).

Each part (makedumpfile.c: write_kdump_header(), write_kdump_pages_and_
bitmap_cyclic()) is the whole file's headers with split = 1 and the part's
PFNs [start, end) in the sub-header, both bitmaps whole, room for the
descriptors of every saved page with only the part's written from the
start, then the shared page of zeros and the part's pages. test_split.py
checks this against makedumpfile's own --split output on x86_64, and
against makedumpfile --reassemble on the others.
"""
import struct

HEADER = 464
DESC = 24


def layout(path):
    """(block size, sub-header blocks, bitmap bytes each, saved PFNs)."""
    with open(path, "rb") as f:
        h = f.read(HEADER)
        assert h[:8] == b"KDUMP   ", path
        bs, sub_blocks, bitmap_blocks = struct.unpack_from("<iiI", h, 428)
        half = bitmap_blocks // 2 * bs
        f.seek(bs * (1 + sub_blocks) + half)
        bits = f.read(half)
    saved = [i * 8 + b for i, byte in enumerate(bits) if byte
             for b in range(8) if byte >> b & 1]
    return bs, sub_blocks, half, saved


def boundaries(saved, max_pfn, n):
    """n PFN ranges holding about as many saved pages each."""
    cuts = [0] + [saved[len(saved) * i // n] for i in range(1, n)] + [max_pfn]
    return list(zip(cuts, cuts[1:]))


def split(src, outs, ranges=None):
    """Write the parts of src to the paths outs; ranges: [(start, end)]
    PFNs of each, or about equal shares of the saved pages."""
    bs, sub_blocks, half, saved = layout(src)
    with open(src, "rb") as f:
        head = bytearray(f.read(bs * (1 + sub_blocks) + 2 * half))
        max_pfn, = struct.unpack_from("<Q", head, bs + 96)
        desc_off = len(head)
        f.seek(desc_off)
        descs = [struct.unpack("<QIIQ", f.read(DESC)) for _ in saved]
        zero_off = desc_off + len(saved) * DESC
        f.seek(zero_off)
        zero = f.read(bs)
        has_zero = zero == bytes(bs) and any(d[0] == zero_off for d in descs)
        ranges = ranges or boundaries(saved, max_pfn, len(outs))
        for out, (start, end) in zip(outs, ranges):
            hdr = bytearray(head)
            struct.pack_into("<iQQ", hdr, bs + 12, 1, min(start, 0xffffffff),
                             min(end, 0xffffffff))
            struct.pack_into("<QQ", hdr, bs + 80, start, end)
            mine = [(pfn, d) for pfn, d in zip(saved, descs) if start <= pfn < end]
            data_off = zero_off + (bs if has_zero else 0)
            table, pages = bytearray(), []
            for _, (off, size, flags, pflags) in mine:
                if has_zero and off == zero_off:
                    table += struct.pack("<QIIQ", zero_off, size, flags, pflags)
                    continue
                f.seek(off)
                pages.append(f.read(size))
                table += struct.pack("<QIIQ", data_off, size, flags, pflags)
                data_off += size
            with open(out, "wb") as g:
                g.write(hdr)
                g.write(table)
                g.truncate(zero_off)
                g.seek(zero_off)
                if has_zero:
                    g.write(zero)
                for p in pages:
                    g.write(p)
    return ranges
