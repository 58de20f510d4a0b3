"""bt on every lab dump, both arches, against what the kernel printed of
its own stack at the crash (the console's "Call Trace:"), drgn's stack of
the crashed thread (kdump-format dumps), and crash's user-mode registers.

x86_64 runs without a vmlinux (ORC, kallsyms and BTF from the dump's
memory); arm64 with it, because arm64's kallsyms lacks the data symbols
(runqueues, modules) that name the task and the module functions.
"""
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
import labruns  # noqa: E402
import kernels  # noqa: E402

ALL = labruns.dumps()
KDUMP = [p for p in ALL if p[1]["path"].name == "vmcore"]
X86_KDUMP = [p for p in KDUMP if p[1]["arch"] == "x86_64"]

# What the console prints above the function that asked for the trace.
PRINTERS = {"dump_stack_lvl", "dump_stack", "show_stack", "dump_backtrace",
            "__dump_stack", "show_trace_log_lvl"}


def run_bt(kdumpkit, info, *args, json_out=True):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    pre = []
    if info["arch"] == "arm64":
        pre = [kernels.vmlinux_path("arm64")]
    r = kdumpkit(*pre, info["path"], *(["--json"] if json_out else []),
                 "-c", " ".join(["bt", *args]))
    return r


def bt_json(kdumpkit, info, *args):
    r = run_bt(kdumpkit, info, *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def functions(cpu):
    return [f["function"] for f in cpu["frames"] if f["kind"] != "user"]


def console_trace(path):
    """The functions of the last kernel stack trace the crashed kernel
    printed (before a capture kernel's boot), without '?' entries and the
    printers above the caller; the interrupted function of a kernel-mode
    'RIP: 0010:' line in its place."""
    lines = path.read_text(errors="replace").splitlines()
    end = len(lines)
    for i, line in enumerate(lines):
        if i > 10 and "Linux version" in line:
            end = i
            break
    blocks, cur = [], None
    for line in lines[:end]:
        body = re.sub(r"^\[\s*[\d.]+\]\s?", "", line)
        if re.match(r"^Call [Tt]race:", body):
            cur = []
            blocks.append(cur)
            continue
        if cur is None:
            continue
        m = re.match(r"^\s+(\? )?([\w.]+)\+0x[0-9a-f]+/0x[0-9a-f]+", body)
        rip = re.match(r"^RIP: 0010:([\w.]+)\+0x", body)
        if m:
            if not m.group(1) and m.group(2) not in PRINTERS:
                cur.append(m.group(2))
        elif rip:
            cur.append(rip.group(1))
        elif re.match(r"^\s*</?(TASK|IRQ|NMI|SOFTIRQ)>", body) or \
                re.match(r"^(Code|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|DR|"
                         r"DR6):", body):
            continue
        else:
            cur = None
    return blocks[-1] if blocks else []


def is_subsequence(small, big):
    it = iter(big)
    return all(any(x == y for y in it) for x in small)


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_bt_panic_cpu_matches_console(kdumpkit, info):
    console = info["path"].parent / "console.log"
    trace = console_trace(console)
    if not trace:
        pytest.skip("the console has no stack trace of the crash")
    out = bt_json(kdumpkit, info)
    assert len(out) == 1
    cpu = out[0]
    assert cpu["error"] is None
    ours = functions(cpu)
    # A trace printed later than the registers were saved (arm64's
    # machine_kexec() prints one) starts above them.
    if ours[0] in trace:
        trace = trace[trace.index(ours[0]):]
    # arm64's console names a return address after a call to a noreturn
    # function (panic()) by the next function's symbol; bt names the caller.
    if info["arch"] == "arm64":
        trace = [f for i, f in enumerate(trace)
                 if f in ours or i == 0 or trace[i - 1] != "panic"]
    # Every function the kernel found reliably, in its order.
    assert is_subsequence(trace, ours), (trace, ours)


@pytest.mark.parametrize("info", labruns.infos(ALL), ids=labruns.ids(ALL))
def test_bt_a_unwinds_every_cpu_to_the_bottom(kdumpkit, info):
    out = bt_json(kdumpkit, info, "-a")
    # A CPU spinning with interrupts off saves no registers on arm64.
    assert len(out) >= (1 if "spinlock" in info["path"].parent.name else 2)
    bottoms = {"ret_from_fork", "secondary_startup_64_no_verify",
               "secondary_startup_64", "__primary_switched",
               "__secondary_switched"}
    for cpu in out:
        assert cpu["error"] is None, cpu
        assert cpu["task"] and cpu["command"], cpu
        last = cpu["frames"][-1]
        # A stack ends in user mode, or at where kernel threads and idle
        # tasks begin.
        assert last["kind"] == "user" or last["function"] in bottoms, \
            functions(cpu)
    assert sum(c["panic"] for c in out) == 0   # -a marks none


@pytest.mark.parametrize("info", labruns.infos(KDUMP), ids=labruns.ids(KDUMP))
def test_bt_matches_drgn_crashed_thread(kdumpkit, info):
    try:
        ref = json.loads((info["ref"] / "drgn" / "sys.json").read_text())
    except OSError:
        pytest.skip("no drgn reference")
    th = ref.get("crashed_thread")
    if not th or not th.get("frames"):
        pytest.skip("drgn found no crashed thread")
    pct = ref.get("panic_cpu_task") or {}
    if pct.get("task") != th["task"]:
        pytest.skip(f"drgn's crashed_thread ({th['task']}) is not the task "
                    f"current on its panic_cpu ({pct.get('task')})")
    stacks = json.loads((info["ref"] / "drgn" / "stacks.json").read_text())
    drgn_pcs = next((s["pcs"] for s in stacks if s["task"] == th["task"]),
                    None)
    if not drgn_pcs:
        pytest.skip("drgn has no stack of the crashed task")
    out = bt_json(kdumpkit, info)[0]
    assert out["task"].lstrip("0") == th["task"]
    assert out["cpu"] == th["cpu"]
    ours = [f["pc"].lstrip("0") for f in out["frames"]
            if f["kind"] != "user"]
    # drgn gives one frame per inlined function at the same pc.
    theirs = []
    for pc in drgn_pcs:
        if int(pc, 16) >= 1 << 63 and (not theirs or theirs[-1] != pc):
            theirs.append(pc)
    assert ours == theirs


def user_block(text):
    m = re.search(r"(    RIP: 0000[0-9a-f]{12}.*?SS: [0-9a-f]{4})", text,
                  re.S)
    return m.group(1) if m else None


@pytest.mark.parametrize("info", labruns.infos(X86_KDUMP),
                         ids=labruns.ids(X86_KDUMP))
def test_bt_user_registers_match_crash(kdumpkit, info):
    try:
        ref = (info["ref"] / "crash" / "bt.txt").read_text()
    except OSError:
        pytest.skip("no crash reference")
    want = user_block(ref)
    if not want:
        pytest.skip("crash's bt ends in the kernel")
    r = run_bt(kdumpkit, info, json_out=False)
    assert r.returncode == 0, r.stderr
    assert user_block(r.stdout) == want
    # The header names the same task as crash's.
    assert r.stdout.splitlines()[0] == ref.splitlines()[0]


def test_bt_bad_input(kdumpkit):
    info = labruns.infos(X86_KDUMP)[0]
    r = run_bt(kdumpkit, info, "-c", "99", json_out=False)
    assert r.returncode == 1
    assert "CPU 99 saved no registers" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run_bt(kdumpkit, info, "-c", "x", json_out=False)
    assert r.returncode != 0 and "not a CPU number" in r.stderr
    r = run_bt(kdumpkit, info, "-a", "-c", "0", json_out=False)
    assert r.returncode != 0


def exception_blocks(text):
    """{RIP value: the block's lines} of every kernel-mode exception frame."""
    out = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("    [exception RIP: "):
            block = lines[i:i + 8]
            m = re.match(r"    RIP: ([0-9a-f]{16})", block[1])
            if m:
                out[m.group(1)] = block
    return out


X86_CRASH_BT_A = [p for p in labruns.dumps("x86_64")
                  if (p[1]["ref"] / "crash" / "bt-a.txt").is_file()]


@pytest.mark.parametrize("info", labruns.infos(X86_CRASH_BT_A),
                         ids=labruns.ids(X86_CRASH_BT_A))
def test_bt_exception_frames_match_crash(kdumpkit, info):
    try:
        ref = exception_blocks((info["ref"] / "crash" / "bt-a.txt")
                               .read_text())
    except OSError:
        pytest.skip("no crash reference")
    r = run_bt(kdumpkit, info, "-a", json_out=False)
    assert r.returncode == 0, r.stderr
    ours = exception_blocks(r.stdout)
    common = set(ours) & set(ref)
    if not common:
        pytest.skip("no exception frame at an address crash found too "
                    f"(ours: {sorted(ours)}, crash's: {sorted(ref)})")
    for rip in common:
        assert ours[rip] == ref[rip]


def drgn_pcs(pcs):
    """drgn's kernel pcs, one per physical frame (it repeats a pc for each
    function inlined there)."""
    out = []
    for pc in pcs:
        if int(pc, 16) >= 1 << 63 and (not out or out[-1] != pc):
            out.append(pc)
    return out


@pytest.mark.parametrize("info", labruns.infos(KDUMP), ids=labruns.ids(KDUMP))
def test_bt_every_task_matches_drgn(kdumpkit, info):
    """Sleeping tasks from their saved context, running ones from their
    CPU's registers: the same frames as drgn's stack traces."""
    try:
        stacks = json.loads((info["ref"] / "drgn" / "stacks.json")
                            .read_text())
    except OSError:
        pytest.skip("no drgn reference")
    stacks = [s for s in stacks if s.get("pcs") and not s.get("error")]
    if not stacks:
        pytest.skip("drgn unwound no task")
    sysref = json.loads((info["ref"] / "drgn" / "sys.json").read_text())
    crashed = sysref.get("crashed_thread") or {}
    # drgn 0.0.22 on arm64 kdump dumps does not tie the CPU notes to their
    # tasks (its crashed_thread is not the panic CPU's current task, or it
    # cannot unwind it): it unwinds those tasks from their stale switch
    # context.
    drgn_uses_notes = bool(crashed.get("frames")) and crashed.get("task") \
        == (sysref.get("panic_cpu_task") or {}).get("task")
    r = run_bt(kdumpkit, info, *[s["task"] for s in stacks])
    out = json.loads(r.stdout)
    assert len(out) == len(stacks)
    bad = []
    for ref, ours in zip(stacks, out):
        if ours["error"] and "saved no registers" in ours["error"]:
            # Running on a CPU without a note: drgn unwinds its stale
            # context into garbage; bt says why it does not.
            assert r.returncode == 1
            continue
        assert ours["task"].lstrip("0") == ref["task"]
        assert ours["pid"] == ref["pid"] and ours["command"] == ref["comm"]
        pcs = [f["pc"].lstrip("0") for f in ours["frames"]
               if f["kind"] != "user"]
        assert ours["error"] is None, ours["error"]
        if ours["context"] == "cpu" and not drgn_uses_notes:
            continue
        if pcs != drgn_pcs(ref["pcs"]):
            bad.append((ref["pid"], ref["comm"], ours["error"],
                        pcs, drgn_pcs(ref["pcs"])))
    assert not bad, bad


@pytest.mark.parametrize("info", labruns.infos(KDUMP), ids=labruns.ids(KDUMP))
def test_bt_picks_drgns_panic_cpu(kdumpkit, info):
    """bt's CPU is the kernel's panic_cpu and its task the one current
    there, as drgn reads them, also when a CPU saved no registers (arm64
    spinlock: the notes are then matched to CPUs by PID)."""
    try:
        ref = json.loads((info["ref"] / "drgn" / "sys.json").read_text())
    except OSError:
        pytest.skip("no drgn reference")
    pct = ref.get("panic_cpu_task")
    if not pct:
        pytest.skip("drgn found no panic CPU")
    out = bt_json(kdumpkit, info)[0]
    assert out["panic"] and out["context"] == "cpu"
    assert out["cpu"] == ref["panic_cpu"] == pct["cpu"]
    assert out["task"].lstrip("0") == pct["task"]
    assert (out["pid"], out["command"]) == (pct["pid"], pct["comm"])
