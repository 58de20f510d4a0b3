"""Modules and their symbols without debuginfo (mod, sym, rd -s), and the
kernel's BTF read from the dump's memory, on the lab's dumps.

What they are checked against:
- the guest's console: "Modules linked in:" (names and the '+' of a module
  still in its init), and each oops in a module: "RIP: 0010:FUNC+0xOFF/0xSIZE
  [MOD]", the "Code:" bytes around the RIP (so the address we give is where
  the faulting instruction really is), RSP and the caller in the trace;
- crash 8.0.2 with the vmlinux (its ref mod.txt, and sym run live once per
  dump, kept under ~/.cache/kdumpkit/derived/btfmod/, keyed by the dump);
- drgn 0.0.22 with the vmlinux's DWARF, walking `modules` itself (kdump
  format only: drgn cannot open QEMU's ELF or flattened dumps);
- BTF member offsets against the vmlinux's .BTF section and drgn's DWARF.

arm64's kallsyms lacks `modules` (no CONFIG_KALLSYMS_ALL): there the test
is that mod and sym say so and what to do.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import labruns  # noqa: E402
import kernels  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("KDUMPKIT_BIN", REPO / "build" / "kdumpkit"))
KDK_BTF = BIN.parent / "tests" / "kdk-btf"
DERIVED = Path.home() / ".cache" / "kdumpkit" / "derived" / "btfmod"

X86 = labruns.dumps("x86_64")
X86_KDUMP = [p for p in X86 if p[1]["path"].name == "vmcore"]
ARM = labruns.dumps("arm64")
ALL = labruns.dumps()

NO_MODULES = ("module list: `modules` is not in this kernel's kallsyms "
              "(CONFIG_KALLSYMS_ALL is off); give the vmlinux")

MEMBERS = ["task_struct.pid", "task_struct.comm", "list_head.next",
           "list_head.prev", "module.state", "module.list", "module.name",
           "module.core_layout.base", "module.core_layout.size",
           "module.init_layout.base", "module.kallsyms",
           "mod_kallsyms.symtab", "mod_kallsyms.num_symtab",
           "mod_kallsyms.strtab", "mod_kallsyms.typetab"]


def params(pairs):
    return {"argvalues": labruns.infos(pairs), "ids": labruns.ids(pairs)}


def run(kdumpkit, info, *cmds, json_out=False):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    args = [info["path"]] + (["--json"] if json_out else [])
    return kdumpkit(*args, "-c", "; ".join(cmds))


def ok(kdumpkit, info, *cmds, json_out=False):
    r = run(kdumpkit, info, *cmds, json_out=json_out)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def loads_crashme(info):
    """Did the guest load the lab's module (not every scenario does)?"""
    try:
        text = (info["path"].parent / "console.log").read_text(errors="replace")
    except OSError:
        return False
    return "crashme: " in text


def console(info):
    """The guest's console: the first oops's module list and, if the oops
    was in a module, its RIP, Code bytes, RSP and first module caller."""
    try:
        text = (info["path"].parent / "console.log").read_text(errors="replace")
    except OSError:
        return {}
    out = {}
    m = re.search(r"Modules linked in: (.*)", text)
    if m:
        out["modules"] = {}
        for word in m.group(1).split():
            name, _, flags = word.partition("(")
            out["modules"][name] = flags.rstrip(")")
    m = re.search(r"RIP: 0010:(\S+)\+0x([0-9a-f]+)/0x([0-9a-f]+) \[(\w+)\]\n"
                  r".*Code: (.*)\n.*RSP: 0018:([0-9a-f]+)", text)
    if m:
        out["rip"] = {"func": m.group(1), "off": int(m.group(2), 16),
                      "size": int(m.group(3), 16), "module": m.group(4),
                      "code": m.group(5).split(), "rsp": int(m.group(6), 16)}
        rest = text[m.end():]
        c = re.search(r"\n\[[ \d.]+\]  (\w+)\+0x([0-9a-f]+)/0x[0-9a-f]+ "
                      r"\[(\w+)\]", rest)
        if c:
            out["rip"]["caller"] = (c.group(1), int(c.group(2), 16),
                                    c.group(3))
    return out


def cached_oracle(info, name, make):
    """make() -> text, kept in the derived cache under the dump's key."""
    return labruns.cached_text(DERIVED, info, name, make)


def crash_sym(info):
    """crash's own sym -m crashme and sym of a few names, with the vmlinux."""
    vmlinux = kernels.vmlinux_path(info["arch"])
    if not vmlinux.is_file():
        pytest.skip(f"no vmlinux at {vmlinux}")

    def make():
        script = "sym -m crashme\nsym create_oops\nsym run_oops\nq\n"
        r = subprocess.run(["crash", "-s", str(vmlinux), str(info["path"])],
                           input=script, capture_output=True, text=True,
                           timeout=300)
        if "MODULE START: crashme" not in r.stdout:
            pytest.skip(f"crash did not list crashme: {r.stderr[-300:]}")
        return r.stdout
    return cached_oracle(info, "crash-sym.txt", make)


DRGN_MODULES = r"""
import sys, drgn
from drgn.helpers.linux.list import list_for_each_entry
prog = drgn.Program()
prog.set_core_dump(sys.argv[1])
prog.load_debug_info([sys.argv[2]])
for m in list_for_each_entry("struct module", prog["modules"].address_of_(),
                             "list"):
    print("%x %s %x %d %d" % (m.value_(), m.name.string_().decode(),
          m.core_layout.base.value_(), m.core_layout.size.value_(),
          m.state.value_()))
"""


def drgn_modules(info):
    vmlinux = kernels.vmlinux_path(info["arch"])
    if not vmlinux.is_file():
        pytest.skip(f"no vmlinux at {vmlinux}")

    def make():
        r = subprocess.run(["/usr/bin/python3", "-c", DRGN_MODULES,
                            str(info["path"]), str(vmlinux)],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            pytest.skip(f"drgn failed: {r.stderr[-300:]}")
        return r.stdout
    return cached_oracle(info, "drgn-modules.txt", make)


def mod_rows(text):
    rows = []
    for line in text.splitlines()[1:]:
        f = line.split()
        rows.append({"module": int(f[0], 16), "name": f[1],
                     "base": int(f[2], 16), "size": int(f[3]),
                     "object": " ".join(f[4:])})
    return rows


X86_CRASHME = [p for p in X86 if loads_crashme(p[1])]
X86_KDUMP_CRASHME = [p for p in X86_KDUMP if loads_crashme(p[1])]


# mod ----------------------------------------------------------------------

@pytest.mark.parametrize("info", **params(X86))
def test_mod_lists_the_consoles_modules(kdumpkit, info):
    """Every x86_64 dump: the modules the kernel named in its oops, with
    the state the kernel's '+' flag gives; in a run without an oops, the
    modules the lab's guest loads (kernels.py) and crashme if the console
    shows it loaded."""
    rows = mod_rows(ok(kdumpkit, info, "mod"))
    states = {m["name"]: m["state"] for m in
              json.loads(ok(kdumpkit, info, "mod", json_out=True))}
    assert [r["name"] for r in rows] == list(states)
    want = console(info).get("modules")
    if want is None:
        assert set(kernels.KERNELS["x86_64"]["modules"]) <= set(states)
        assert ("crashme" in states) == loads_crashme(info)
        return
    assert set(states) == set(want)
    for name, flags in want.items():
        assert states[name] == ("coming" if "+" in flags else "live"), name
    # crash's order: by base address, each inside the kernel's module area
    bases = [r["base"] for r in rows]
    assert bases == sorted(bases)
    assert all(r["object"] == "(not loaded) [CONFIG_KALLSYMS]" for r in rows)


@pytest.mark.parametrize("info", **params(X86_KDUMP))
def test_mod_matches_crash(kdumpkit, info):
    ref = info["ref"] / "crash" / "mod.txt"
    try:
        want = ref.read_text()
    except OSError:
        pytest.skip(f"no {ref}")
    assert ok(kdumpkit, info, "mod") == want


@pytest.mark.parametrize("info", **params(X86_KDUMP))
def test_mod_matches_drgn(kdumpkit, info):
    """drgn reads struct module with the vmlinux's DWARF; we with BTF."""
    want = {}
    for line in drgn_modules(info).splitlines():
        addr, name, base, size, state = line.split()
        want[name] = (int(addr, 16), int(base, 16), int(size), int(state))
    ours = json.loads(ok(kdumpkit, info, "mod", json_out=True))
    names = {"live": 0, "coming": 1, "going": 2}
    assert {m["name"]: (int(m["module"], 16), int(m["base"], 16), m["size"],
                        names[m["state"]]) for m in ours} == want


def test_mod_json_has_the_text_rows(kdumpkit):
    if not X86:
        pytest.skip("no x86_64 lab dumps")
    info = X86[0][1]
    rows = mod_rows(ok(kdumpkit, info, "mod"))
    js = json.loads(ok(kdumpkit, info, "mod", json_out=True))
    assert [(r["module"], r["name"], r["base"], r["size"]) for r in rows] == \
        [(int(m["module"], 16), m["name"], int(m["base"], 16), m["size"])
         for m in js]
    assert all(m["symbols"] > 0 for m in js)


# sym of module symbols ------------------------------------------------------

MODULE_RIP = [p for p in X86 if "rip" in console(p[1])]


@pytest.mark.parametrize("info", **params(MODULE_RIP))
def test_sym_of_the_oops_rip_is_the_consoles(kdumpkit, info):
    """The console says RIP is FUNC+OFF/SIZE [crashme] and shows the code
    bytes there: sym FUNC gives an address whose bytes at +OFF are the
    console's, sym of that address gives FUNC+OFF [crashme], and the next
    symbol of the module is SIZE past FUNC."""
    rip = console(info)["rip"]
    line = ok(kdumpkit, info, f"sym {rip['func']}").strip()
    m = re.fullmatch(r"([0-9a-f]{16}) \(t\) (\S+) \[(\w+)\]", line)
    assert m, line
    assert (m.group(2), m.group(3)) == (rip["func"], rip["module"])
    addr = int(m.group(1), 16) + rip["off"]
    assert ok(kdumpkit, info, f"sym {addr:x}").strip() == \
        f"{addr:016x} (t) {rip['func']}+{rip['off']} [{rip['module']}]"
    # arch/x86/kernel/dumpstack.c: "Code:" shows 42 bytes before RIP,
    # <the byte at RIP> and 21 after; or, where the 42 bytes before are
    # not mapped, the address it could not read: RIP - 42.
    unable = re.match(r"Unable to access opcode bytes at 0x([0-9a-f]+)\.",
                      " ".join(rip["code"]))
    if unable:
        assert addr == int(unable.group(1), 16) + 42
    else:
        at = next(i for i, b in enumerate(rip["code"]) if b.startswith("<"))
        want = [b.strip("<>") for b in rip["code"]]
        got = []
        for row in ok(kdumpkit, info,
                      f"rd -8 {addr - at:x} {len(want)}").splitlines():
            got += re.findall(r"\b[0-9a-f]{2}\b", row.split(":", 1)[1][:50])
        assert got == want
    listing = ok(kdumpkit, info, f"sym -m {rip['module']}").splitlines()
    starts = [int(l.split()[0], 16) for l in listing if " (t) " in l]
    start = addr - rip["off"]
    assert min(a for a in starts if a > start) - start == rip["size"]


@pytest.mark.parametrize("info", **params(
    [p for p in MODULE_RIP if "caller" in console(p[1])["rip"]]))
def test_rd_s_shows_the_consoles_module_caller(kdumpkit, info):
    """The oops trace's first module caller (run_oops+0x75 [crashme]) is a
    return address on the stack near RSP: rd -s names it the same way."""
    rip = console(info)["rip"]
    func, off, _ = rip["caller"]
    out = ok(kdumpkit, info, f"rd -s {rip['rsp']:x} 16")
    assert f"{func}+{off}" in out.split()


@pytest.mark.parametrize("info", **params(X86_KDUMP_CRASHME))
def test_sym_module_listing_matches_crash(kdumpkit, info):
    """crash's sym -m crashme (symbols from the module's kallsyms, as
    ours): the same names at the same addresses between the same MODULE
    START/END lines; and sym NAME prints crash's line. crash gives data
    symbols the type '?'; ours are the kernel's own (its typetab, what
    /proc/kallsyms prints), so letters are compared where crash has one."""
    ref = crash_sym(info)

    def core(text):
        lines = text.splitlines()
        i = next(k for k, l in enumerate(lines) if "MODULE START" in l)
        j = next(k for k, l in enumerate(lines) if "MODULE END" in l)
        return lines[i:j + 1]
    want, ours = core(ref), core(ok(kdumpkit, info, "sym -m crashme"))
    assert [re.sub(r"\(.\)", "", l).split() for l in want] == \
        [re.sub(r"\(.\)", "", l).split() for l in ours]
    for w, o in zip(want, ours):
        if "(?)" not in w:
            assert w == o
    for name in ("create_oops", "run_oops"):
        line = next(l for l in ref.splitlines() if f") {name} [" in l)
        assert ok(kdumpkit, info, f"sym {name}").strip() == line.strip()


@pytest.mark.parametrize("info", **params(
    [p for p in X86_CRASHME if p[1]["path"].name != "vmcore"][:1] +
    X86_KDUMP_CRASHME[:1]))
def test_sym_lists_and_finds_module_symbols(kdumpkit, info):
    """sym -l ends with the modules' blocks (as crash's does), each symbol
    of which sym NAME finds at the same address with its [module]; -q
    finds module symbols too; expressions use them."""
    listing = ok(kdumpkit, info, "sym -l").splitlines()
    starts = [l for l in listing if "MODULE START:" in l]
    mods = mod_rows(ok(kdumpkit, info, "mod"))
    assert [l.split()[-1] for l in starts] == [m["name"] for m in mods]
    assert [int(l.split()[0], 16) for l in starts] == [m["base"] for m in mods]
    crashme = ok(kdumpkit, info, "sym -m crashme").splitlines()
    assert crashme[0].endswith("MODULE START: crashme")
    # names more than one module has (_note_10, init_module) are found in
    # the first module that has them, the kernel's (victim) before any
    first = next(i for i, l in enumerate(listing) if "MODULE START:" in l)
    names = [l.split()[2] for l in listing if " (" in l]
    kernel = {l.split()[2] for l in listing[:first]}
    for line in crashme:
        m = re.fullmatch(r"([0-9a-f]{16}) \((.)\) (\S+)", line)
        if m and names.count(m.group(3)) == 1 and m.group(3) not in kernel:
            got = ok(kdumpkit, info, f"sym {m.group(3)}").strip()
            assert got == f"{line} [crashme]"
    q = ok(kdumpkit, info, "sym -q create_oop").splitlines()
    assert any(l.endswith(" create_oops [crashme]") for l in q)
    addr = ok(kdumpkit, info, "sym create_oops").split()[0]
    assert ok(kdumpkit, info, "eval create_oops + 1").split()[1] == \
        f"{int(addr, 16) + 1:x}"
    js = json.loads(ok(kdumpkit, info, "sym create_oops", json_out=True))
    assert js == [{"address": f"0x{addr}", "name": "create_oops",
                   "offset": 0, "type": "t", "module": "crashme"}]


def test_bad_module_operands_are_one_line_errors(kdumpkit):
    if not X86_CRASHME:
        pytest.skip("no x86_64 lab dumps")
    info = X86_CRASHME[0][1]
    for cmd, words in (("sym -m nosuchmodule", "nosuchmodule: no such module"),
                       ("mod -s", "not built yet"),
                       ("mod -S", "not built yet"),
                       ("mod crashme", "unexpected operand")):
        r = run(kdumpkit, info, cmd)
        assert r.returncode != 0, cmd
        assert words in r.stderr and len(r.stderr.splitlines()) == 1, cmd


# arm64: no `modules` in kallsyms ----------------------------------------------

@pytest.mark.parametrize("info", **params(ARM))
def test_arm64_says_to_give_the_vmlinux(kdumpkit, info):
    r = run(kdumpkit, info, "mod")
    assert r.returncode == 1
    assert r.stderr == f"kdumpkit: mod: {NO_MODULES}\n"
    r = run(kdumpkit, info, "sym create_oops")
    assert r.returncode == 1 and NO_MODULES in r.stderr
    # the kernel's own symbols still answer, and sym -l lists them all
    assert ok(kdumpkit, info, "sym _stext").split()[2] == "_stext"
    assert "MODULE START" not in ok(kdumpkit, info, "sym -l")
    r = run(kdumpkit, info, "sym -M")
    assert r.returncode == 1 and r.stderr == f"kdumpkit: sym: {NO_MODULES}\n"


# BTF from memory -------------------------------------------------------------

def kdk_btf(*args):
    if not KDK_BTF.exists():
        pytest.skip(f"no {KDK_BTF}")
    r = subprocess.run([str(KDK_BTF), *map(str, args)], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    origin = lines[0].split()
    members = {}
    for line in lines[1:]:
        f = line.split()
        assert f[1] != "err", line
        members[f[0]] = (int(f[1]), int(f[2]))
    return origin, members


DWARF_OFFSETS = r"""
import sys, drgn
prog = drgn.Program()
prog.load_debug_info([sys.argv[1]])
for arg in sys.argv[2:]:
    t, path = arg.split(".", 1)
    print(arg, drgn.offsetof(prog.type("struct " + t), path))
"""


@pytest.fixture(scope="module")
def vmlinux_truth():
    """Per arch: the .BTF section parsed from the vmlinux, and drgn's
    offsets from its DWARF."""
    out = {}
    for arch in ("x86_64", "arm64"):
        vmlinux = kernels.vmlinux_path(arch)
        if not vmlinux.is_file():
            continue
        origin, members = kdk_btf("--elf", vmlinux, *MEMBERS)
        r = subprocess.run(["/usr/bin/python3", "-c", DWARF_OFFSETS,
                            str(vmlinux), *MEMBERS], capture_output=True,
                           text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        dwarf = {l.split()[0]: int(l.split()[1]) for l in r.stdout.splitlines()}
        out[arch] = {"size": int(origin[2]), "members": members,
                     "dwarf": dwarf}
    return out


@pytest.mark.parametrize("info", **params(ALL))
def test_btf_in_memory_is_the_vmlinuxs(info, vmlinux_truth):
    """The BTF found in the dump (by __start_BTF on x86_64, by scanning on
    arm64) is the vmlinux's .BTF: same size, same member offsets and
    sizes, and the offsets are DWARF's."""
    truth = vmlinux_truth.get(info["arch"])
    if not truth:
        pytest.skip("no vmlinux for this arch")
    if not info["path"].is_file():
        pytest.skip("dump went away")
    origin, members = kdk_btf(info["path"], *MEMBERS)
    how = "marked" if info["arch"] == "x86_64" else "scanned"
    assert origin[3] == how
    assert int(origin[2]) == truth["size"]
    assert members == truth["members"]
    assert {k: v[0] for k, v in members.items()} == truth["dwarf"]
    print(f"BTF {info['arch']} {how}: {origin[2]} bytes in {origin[4]} s")


# arm64 with the vmlinux: `modules` from its symtab ----------------------------

def arm64_vmlinux():
    vmlinux = kernels.vmlinux_path("arm64")
    if not vmlinux.is_file():
        pytest.skip(f"no vmlinux at {vmlinux}")
    return vmlinux


def ok_vm(kdumpkit, info, cmd, json_out=False):
    if not info["path"].is_file():
        pytest.skip(f"{info['path']} went away (being regenerated)")
    r = kdumpkit(arm64_vmlinux(), info["path"],
                 *(["--json"] if json_out else []), "-c", cmd)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def arm64_pc(info):
    """The first oops in a module: "pc : FUNC+0xOFF/0xSIZE [MOD]" and the
    "Code:" words, the one at pc in parentheses."""
    try:
        text = (info["path"].parent / "console.log").read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r"\] pc : (\w+)\+0x([0-9a-f]+)/0x([0-9a-f]+) \[(\w+)\]\n"
                  r"(?:.*\n)*?.*Code: ((?:\(?[0-9a-f]{8}\)? ?)+)", text)
    if not m:
        return None
    return {"func": m.group(1), "off": int(m.group(2), 16),
            "size": int(m.group(3), 16), "module": m.group(4),
            "code": m.group(5).split()}


ARM_PC = [p for p in ARM if arm64_pc(p[1])]


@pytest.mark.parametrize("info", **params(ARM))
def test_arm64_mod_with_vmlinux_lists_the_consoles_modules(kdumpkit, info):
    """The vmlinux gives `modules`; the list read with the in-memory BTF is
    the console's "Modules linked in:", '+' meaning still coming."""
    rows = mod_rows(ok_vm(kdumpkit, info, "mod"))
    states = {m["name"]: m["state"] for m in
              json.loads(ok_vm(kdumpkit, info, "mod", json_out=True))}
    assert [r["name"] for r in rows] == list(states)
    want = console(info).get("modules")
    if want is None:
        assert set(kernels.KERNELS["arm64"]["modules"]) <= set(states)
        assert ("crashme" in states) == loads_crashme(info)
        return
    assert set(states) == set(want)
    for name, flags in want.items():
        assert states[name] == ("coming" if "+" in flags else "live"), name
    bases = [r["base"] for r in rows]
    assert bases == sorted(bases)


@pytest.mark.parametrize("info", **params(ARM_PC))
def test_arm64_sym_of_the_oops_pc_is_the_consoles(kdumpkit, info):
    """pc : create_oops+0x34/0x50 [crashme]: sym FUNC + OFF is an address
    that sym names FUNC+OFF [crashme], whose instruction words are the
    console's "Code:" (4 before pc, (the one at pc)), and the module's next
    text symbol is SIZE past FUNC."""
    pc = arm64_pc(info)
    line = ok_vm(kdumpkit, info, f"sym {pc['func']}").strip()
    m = re.fullmatch(r"([0-9a-f]{16}) \(t\) (\S+) \[(\w+)\]", line)
    assert m, line
    assert (m.group(2), m.group(3)) == (pc["func"], pc["module"])
    addr = int(m.group(1), 16) + pc["off"]
    assert ok_vm(kdumpkit, info, f"sym {addr:x}").strip() == \
        f"{addr:016x} (t) {pc['func']}+{pc['off']} [{pc['module']}]"
    at = next(i for i, w in enumerate(pc["code"]) if w.startswith("("))
    want = [w.strip("()") for w in pc["code"]]
    got = []
    for row in ok_vm(kdumpkit, info, f"rd -32 {addr - 4 * at:x} "
                     f"{len(want)}").splitlines():
        got += re.findall(r"\b[0-9a-f]{8}\b", row.split(":", 1)[1])
    assert got == want
    listing = ok_vm(kdumpkit, info, f"sym -m {pc['module']}").splitlines()
    starts = [int(l.split()[0], 16) for l in listing if " (t) " in l]
    start = addr - pc["off"]
    assert min(a for a in starts if a > start) - start == pc["size"]
