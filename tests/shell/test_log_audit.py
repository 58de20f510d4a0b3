"""log -a: the audit records still queued in the kernel, on the lab's dumps.

What it is checked against:
- drgn 0.0.22 with the vmlinux's DWARF, walking audit_hold_queue,
  audit_retry_queue and audit_queue itself (kdump format only: drgn cannot
  open QEMU's ELF or flattened dumps), on x86_64 (we read kallsyms) and
  arm64 (we read the vmlinux's symtab: arm64's kallsyms has no data
  symbols);
- crash 8.0.2 with the vmlinux, run live once on x86_64 dumps and kept
  under ~/.cache/kdumpkit/derived/leftovers/, keyed by the dump;
- for QEMU's dumps, the ELF and the flattened copy of the same memory.

The lab's guests run no auditd and boot without audit=1, so kauditd
prints each record (the console's "audit: type=2000 ...") and drops it:
every queue is empty, which drgn confirms; the decoding of a queued
record is covered by tests/unit/test-audit.c.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import kernels  # noqa: E402

DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "leftovers"
EMPTY = "log: kernel audit log is empty\n"

ALL = labruns.dumps()
KDUMP = [p for p in ALL if p[1]["path"].name == "vmcore"]
X86_KDUMP = [p for p in KDUMP if p[1]["arch"] == "x86_64"]
ARM = labruns.dumps("arm64")
QEMU_ELF = [p for p in ALL if p[1]["path"].name == "vmcore.elf" and
            p[1]["path"].with_name("vmcore.flat").is_file()]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def vmlinux_args(info):
    """arm64 needs the vmlinux for the queues' addresses; x86_64 not."""
    if info["arch"] != "arm64":
        return []
    vmlinux = kernels.vmlinux_path("arm64")
    if not vmlinux.is_file():
        pytest.skip(f"no vmlinux at {vmlinux}")
    return [vmlinux]


def run(kdumpkit, info, cmd, path=None, json_out=False, vmlinux=None):
    path = path or info["path"]
    if not path.is_file():
        pytest.skip(f"{path} went away (being regenerated)")
    vm = vmlinux_args(info) if vmlinux is None else vmlinux
    return kdumpkit(*vm, path, *(["--json"] if json_out else []), "-c", cmd)


def ok(kdumpkit, info, cmd, **kw):
    r = run(kdumpkit, info, cmd, **kw)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def cached_oracle(info, name, make):
    """make() -> text, kept in the derived cache under the dump's key."""
    return labruns.cached_text(DERIVED, info, name, make)


DRGN_AUDIT = r"""
import json, sys, drgn
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
hdr = drgn.sizeof(prog.type("struct nlmsghdr"))
out = []
for name in ("audit_hold_queue", "audit_retry_queue", "audit_queue"):
    head = prog[name]
    p = head.next
    while p.value_() != head.address_:
        nlh = drgn.cast("struct nlmsghdr *", p.data)
        text = prog.read(p.data.value_() + hdr, int(p.len) - hdr)
        out.append({"queue": name, "skb": "0x%016x" % p.value_(),
                    "type": int(nlh.nlmsg_type),
                    "text": text.split(b"\0")[0].decode("latin-1")})
        p = p.next
print(json.dumps(out))
"""


def drgn_audit(info):
    vmlinux = kernels.vmlinux_path(info["arch"])
    if not vmlinux.is_file():
        pytest.skip(f"no vmlinux at {vmlinux}")

    def make():
        r = subprocess.run(["/usr/bin/python3", "-c", DRGN_AUDIT,
                            str(info["path"]), str(vmlinux)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            pytest.skip(f"drgn failed: {r.stderr[-300:]}")
        return r.stdout
    return json.loads(cached_oracle(info, "drgn-audit.json", make))


def as_text(records):
    if not records:
        return EMPTY
    return "".join(f"type={r['type']} {r['text']}\n" for r in records)


@pytest.mark.parametrize("info", **params(KDUMP))
def test_log_a_is_what_drgn_finds_queued(kdumpkit, info):
    want = drgn_audit(info)
    assert ok(kdumpkit, info, "log -a") == as_text(want)
    assert json.loads(ok(kdumpkit, info, "log -a", json_out=True)) == want


@pytest.mark.parametrize("info", **params(X86_KDUMP[:2]))
def test_log_a_prints_what_crash_prints(kdumpkit, info):
    vmlinux = kernels.vmlinux_path("x86_64")
    if not vmlinux.is_file():
        pytest.skip(f"no vmlinux at {vmlinux}")

    def make():
        r = subprocess.run(["crash", "-s", str(vmlinux), str(info["path"])],
                           input="log -a\nq\n", capture_output=True,
                           text=True, timeout=300)
        return r.stdout
    out = cached_oracle(info, "crash-log-a.txt", make)
    # crash's own warnings about the dump come first
    lines = [l for l in out.splitlines(keepends=True)
             if l.startswith(("type=", "log: "))]
    assert lines, f"crash printed no audit lines: {out[-300:]}"
    assert ok(kdumpkit, info, "log -a") == "".join(lines)


@pytest.mark.parametrize("info", **params(QEMU_ELF))
def test_log_a_same_from_elf_and_flattened(kdumpkit, info):
    """QEMU's two files of one memory image agree, record for record."""
    text = ok(kdumpkit, info, "log -a")
    assert text == EMPTY or all(l.startswith("type=")
                                for l in text.splitlines())
    flat = info["path"].with_name("vmcore.flat")
    assert ok(kdumpkit, info, "log -a", path=flat) == text


@pytest.mark.parametrize("info", **params(ARM))
def test_log_a_on_arm64_without_vmlinux_says_why(kdumpkit, info):
    r = run(kdumpkit, info, "log -a", vmlinux=[])
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (
        "kdumpkit: log: -a: neither audit_queue nor audit_skb_queue is in "
        "the kernel's symbols (kallsyms has data symbols only with "
        "CONFIG_KALLSYMS_ALL: give the vmlinux)\n")


@pytest.mark.parametrize("info", **params(X86_KDUMP[:1]))
def test_log_help_describes_a(kdumpkit, info):
    text = ok(kdumpkit, info, "help log")
    assert "log [-Ttdmca]" in text and "-a  instead of the log" in text
