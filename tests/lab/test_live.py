"""kdumpkit /proc/kcore on the lab's running x86_64 guest (live.py boots it
once per session), checked against what the guest itself says: uname -r,
/proc/version, /proc/kallsyms, /proc/iomem, nproc, its clock, a line it wrote
to the kernel log, and a sysctl it set. Unprivileged and locked-down reads
must fail with a one-line error. Only x86_64: the arm64 guest would need an
arm64 build of kdumpkit.
"""
import json
import re

import pytest

import live


@pytest.fixture(scope="module")
def guest(kdumpkit_bin):
    why = live.qemu_missing()
    if why:
        pytest.skip(f"no live guest: {why}")
    r = live.boot(kdumpkit_bin)
    print(f"\nlive guest: boot and {len(r['sections'])} sections in {r['boot_s']} s")
    return r


def out(guest, name):
    s = guest["sections"].get(name)
    assert s is not None, f"section {name} missing; console tail:\n{guest['console'][-3000:]}"
    return s["out"]


def ok_out(guest, name):
    s = guest["sections"].get(name)
    text = out(guest, name)
    assert s["rc"] == 0, f"{name}: exit {s['rc']}:\n{text}"
    return text


def field(text, label):
    m = re.search(rf"^\s*{label}: (.*)$", text, re.M)
    assert m, f"no {label} line in:\n{text}"
    return m.group(1)


def kallsyms(guest):
    """{name: (address, type letter)} from the guest's /proc/kallsyms."""
    syms = {}
    for line in ok_out(guest, "kallsyms").splitlines():
        addr, kind, name = line.split()
        syms[name] = (int(addr, 16), kind)
    return syms


def iomem(guest, name):
    """Top-level or nested /proc/iomem ranges called name, as [start, end)."""
    found = []
    for line in ok_out(guest, "iomem").splitlines():
        m = re.match(r"\s*([0-9a-f]+)-([0-9a-f]+) : (.*)$", line)
        if m and m.group(3) == name:
            found.append((int(m.group(1), 16), int(m.group(2), 16) + 1))
    return found


def test_guest_ran_every_section(guest):
    assert guest["finished"] and guest["done"], guest["console"][-3000:]
    assert set(guest["sections"]) == {name for name, _ in live.SECTIONS}
    for name, s in guest["sections"].items():
        assert "Sanitizer" not in s["out"] and "runtime error:" not in s["out"], \
            f"{name}:\n{s['out']}"


def test_sys_release_nodename_cpus_are_the_guests(guest):
    sys_text = ok_out(guest, "sys")
    assert field(sys_text, "RELEASE") == ok_out(guest, "uname").strip()
    assert field(sys_text, "NODENAME") == live.HOSTNAME
    assert field(sys_text, "CPUS") == ok_out(guest, "nproc").strip()
    assert f"Linux version {field(sys_text, 'RELEASE')} " in ok_out(guest, "version")
    assert field(sys_text, "VERSION") in ok_out(guest, "version")


def test_sys_is_live_like_crash(guest):
    """crash on a live system: DUMPFILE is the memory source, no PANIC line."""
    sys_text = ok_out(guest, "sys")
    assert field(sys_text, "DUMPFILE") == "/proc/kcore"
    assert not re.search(r"^\s*PANIC:", sys_text, re.M)
    j = json.loads(ok_out(guest, "sys_json"))
    assert j["live"] is True and "panic" not in j
    assert j["dumpfile"] == "/proc/kcore"


def test_sys_date_and_uptime_are_now(guest):
    """DATE is the guest's clock and UPTIME its /proc/uptime, when sys ran."""
    j = json.loads(ok_out(guest, "sys_json"))
    clock = ok_out(guest, "clock").split()
    guest_now, guest_uptime = int(clock[0]), float(clock[1])
    s = guest["sections"]["sys_json"]
    ran_after = s["secs"] + 60    # TCG is slow; sections run seconds apart
    assert j["crash_time_source"] == "timekeeper"
    assert guest_now - 2 <= j["crash_time"] <= guest_now + ran_after
    assert guest_uptime - 2 <= j["uptime_ms"] / 1000 <= guest_uptime + ran_after


@pytest.mark.parametrize("name", ["jiffies", "init_task", "linux_banner", "panic_timeout"])
def test_sym_is_proc_kallsyms(guest, name):
    addr, kind = kallsyms(guest)[name]
    m = re.search(rf"^([0-9a-f]+) \((\w)\) {name}$", ok_out(guest, "sym"), re.M)
    assert m, ok_out(guest, "sym")
    assert (int(m.group(1), 16), m.group(2)) == (addr, kind)


def test_rd_linux_banner_is_proc_version(guest):
    text = "".join(line.split(":  ", 1)[1] for line in ok_out(guest, "banner").splitlines())
    assert text == ok_out(guest, "version").rstrip("\n")


def test_rd_reads_a_sysctl_the_guest_set(guest):
    """kernel.panic=37 is the int panic_timeout."""
    m = re.match(r"([0-9a-f]+):\s+([0-9a-f]{8})\b", ok_out(guest, "panic_timeout"))
    assert m and int(m.group(1), 16) == kallsyms(guest)["panic_timeout"][0]
    assert int(m.group(2), 16) == live.PANIC_TIMEOUT


def test_log_has_this_boots_line(guest):
    assert guest["marker"]
    assert re.search(rf"^\[\s*\d+\.\d{{6}}\] {re.escape(guest['marker'])}$",
                     ok_out(guest, "log"), re.M)
    first = ok_out(guest, "log").splitlines()[0]
    assert "Linux version " + ok_out(guest, "uname").strip() in first


def test_info_dmesg_has_this_boots_line(guest):
    assert guest["marker"] and guest["marker"] in ok_out(guest, "dmesg")


def test_vtop_linux_banner_lands_in_kernel_rodata(guest):
    text = ok_out(guest, "vtop")
    m = re.search(r"^([0-9a-f]{16})\s+([0-9a-f]+)\s*$", text, re.M)
    assert m, text
    assert int(m.group(1), 16) == kallsyms(guest)["linux_banner"][0]
    paddr = int(m.group(2), 16)
    (start, end), = iomem(guest, "Kernel rodata")
    assert start <= paddr < end


def test_info_says_live_kcore(guest):
    j = json.loads(ok_out(guest, "info_json"))
    assert j["format"] == "ELF (/proc/kcore, live)" and j["live"] is True
    assert j["cpu_notes"] == 0 and j["problems"] == []
    assert j["release"] == ok_out(guest, "uname").strip()
    assert j["vmcoreinfo"]["CRASHTIME"] is None
    assert "format        ELF (/proc/kcore, live)" in ok_out(guest, "info")


def test_info_memory_is_iomem_system_ram(guest):
    """kcore's RAM segments come from walk_system_ram_range(): whole pages
    of each "System RAM" range of /proc/iomem."""
    j = json.loads(ok_out(guest, "info_json"))
    want = [((s + 4095) // 4096 * 4096, e // 4096 * 4096)
            for s, e in iomem(guest, "System RAM")]
    got = [(r["start"], r["end"]) for r in j["memory"]["ranges"]]
    assert got == want


def test_session_runs_the_commands_together(guest):
    text = ok_out(guest, "session")
    addr, _ = kallsyms(guest)["jiffies"]
    assert field(text, "RELEASE") == ok_out(guest, "uname").strip()
    assert f"{addr:016x} (D) jiffies" in text
    assert "PGD DIRECTORY:" in text
    assert len(re.findall(r"^\[\s*\d+\.\d{6}\] ", text, re.M)) == 3


def test_unprivileged_user_gets_one_line_error(guest):
    s = guest["sections"]["nonroot"]
    lines = s["out"].splitlines()
    assert lines[0] == "65534"  # su's user really is nobody
    assert s["rc"] == 1 and len(lines) == 2, s["out"]
    assert lines[1] == ("kdumpkit: /proc/kcore: cannot open: Permission denied "
                        "(reading the running kernel's memory needs root)")


def test_lockdown_gets_one_line_error(guest):
    s = guest["sections"]["lockdown"]
    lines = s["out"].splitlines()
    assert lines[0] == "none integrity [confidentiality]"
    assert s["rc"] == 1 and len(lines) == 2, s["out"]
    assert lines[1].startswith("kdumpkit: /proc/kcore: cannot open: Operation not "
                               "permitted (the kernel is locked down: "
                               "lockdown=confidentiality")
