"""The lab's dumps for the command tests: every dump file of every
complete run (one with manifest.json; a run without it is being written
right now and is left alone), with the directory of its reference
outputs (ref/kdump, ref/elf or ref/flattened)."""
import hashlib
import os
import json

import lab

RELEASES = {"6.1.0-56-cloud-amd64": "x86_64", "6.1.0-56-arm64": "arm64"}
FORMATS = {"vmcore": "kdump", "vmcore.elf": "elf", "vmcore.flat": "flattened"}


def dumps(arch=None):
    """(id, info) pairs: info has path, ref, manifest, release, arch."""
    out = []
    for manifest, path, _ in lab.finished_dumps(tuple(FORMATS)):
        a = RELEASES.get(path.parent.parent.name)
        if not a or (arch and a != arch):
            continue
        fmt = FORMATS[path.name]
        out.append((f"{a}-{path.parent.name}-{fmt}", {
            "path": path, "ref": path.parent / "ref" / fmt,
            "manifest": manifest, "release": path.parent.parent.name, "arch": a,
        }))
    return sorted(out, key=lambda p: p[0])


def ids(pairs):
    return [p[0] for p in pairs]


def infos(pairs):
    return [p[1] for p in pairs]


def dump_key(info, extra=None):
    """A key that changes when the lab recaptures the run (and with extra,
    e.g. the queries an oracle answered): for outputs of the reference
    tools kept under ~/.cache/kdumpkit/derived."""
    st = info["path"].stat()
    h = hashlib.sha256(json.dumps(info["manifest"], sort_keys=True,
                                  default=str).encode())
    tail = "" if extra is None else f":{extra}"
    h.update(f"{st.st_size}:{st.st_mtime_ns}{tail}".encode())
    return h.hexdigest()[:16]


def cached_text(derived, info, name, make, extra=None):
    """make() -> text, kept under derived/<release>/<run>/<dump_key>/name."""
    path = (derived / info["release"] / info["path"].parent.name /
            dump_key(info, extra) / name)
    if path.is_file():
        return path.read_text()
    text = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")  # two runs may race
    tmp.write_text(text)
    tmp.replace(path)
    return text
