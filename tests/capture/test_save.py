"""kdumpkit save on the host, with the lab's x86_64 sysrq-kdump vmcore.elf
(the capture kernel's /proc/vmcore, saved whole) standing in for
/proc/vmcore: the log first, then the dump; old dumps pruned; and on a small
file system a fallback to dump level 31, or the log alone and a message,
never a half dump called vmcore. The log is checked against the one
makedumpfile --dump-dmesg saved in the same capture kernel (the run's
dmesg.txt)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TESTS / "shell"))
import labruns  # noqa: E402


@pytest.fixture(scope="module")
def sysrq():
    for _, info in labruns.dumps("x86_64"):
        if info["path"].parent.name == "sysrq-kdump" and info["path"].name == "vmcore.elf":
            return info["path"], info["path"].parent / "dmesg.txt"
    pytest.skip("no x86_64 sysrq-kdump run in the lab cache")


def conf(tmp_path, **kv):
    p = tmp_path / "kdumpkit.conf"
    p.write_text("".join(f"{k} = {v}\n" for k, v in kv.items()))
    return p


def dump_dirs(path):
    return sorted(d.name for d in Path(path).iterdir() if d.is_dir())


def info(kdumpkit, f):
    r = kdumpkit("info", "--json", f)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_save_writes_log_then_dump(kdumpkit, sysrq, tmp_path):
    elf, their_log = sysrq
    target = tmp_path / "crash"
    for old in ("20200101-000000", "20200102-000000", "20200103-000000"):
        (target / old).mkdir(parents=True)
        (target / old / "vmcore").write_text("old")
    (target / "unrelated").mkdir()
    c = conf(tmp_path, path=target, dump_level=31, codec="lzo", threads=2, keep=2)
    r = kdumpkit("save", "--config", c, "--vmcore", elf)
    assert r.returncode == 0, r.stderr
    dirs = dump_dirs(target)
    # keep = 2: the newest old dump and the new one; other names untouched
    new = [d for d in dirs if d not in ("20200103-000000", "unrelated")]
    assert len(new) == 1 and re.fullmatch(r"\d{8}-\d{6}", new[0])
    assert dirs == sorted(["20200103-000000", "unrelated", new[0]])
    d = target / new[0]
    assert sorted(p.name for p in d.iterdir()) == ["dmesg.txt", "vmcore"]
    assert (d / "dmesg.txt").read_text() == their_log.read_text()
    i = info(kdumpkit, d / "vmcore")
    assert (i["format"], i["dump_level"], i["compression"]) == ("kdump-compressed", 31, "lzo")
    assert i["header"]["incomplete"] is False and i["header"]["node"] == "lab-sysrq"
    assert re.search(r"saved .*/vmcore \([\d.]+ MiB, dump level 31\) and dmesg.txt",
                     r.stderr)
    # the log reached the disk before the dump was started
    assert r.stderr.index("kernel log saved") < r.stderr.index("makedump:")


def small_fs(tmp_path, mib):
    """A tmpfs of mib MiB (needs root); skip where it cannot be made."""
    mnt = tmp_path / f"fs{mib}"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={mib}M", "tmpfs", str(mnt)],
            capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root)")
    return mnt


@pytest.fixture
def fs(tmp_path):
    made = []

    def make(mib):
        m = small_fs(tmp_path, mib)
        made.append(m)
        return m
    yield make
    for m in made:
        subprocess.run(["umount", str(m)], capture_output=True)


def test_full_disk_falls_back_to_level_31(kdumpkit, sysrq, tmp_path, fs):
    """Level 1 keeps ~90 MiB of this dump, level 31 ~17 MiB: on 40 MiB the
    second try fits."""
    elf, _ = sysrq
    mnt = fs(40)
    r = kdumpkit("save", "--config", conf(tmp_path, path=mnt, dump_level=1),
                 "--vmcore", elf, "--quiet")
    assert r.returncode == 0, r.stderr
    (d,) = [mnt / n for n in dump_dirs(mnt)]
    assert sorted(p.name for p in d.iterdir()) == ["dmesg.txt", "vmcore"]
    assert info(kdumpkit, d / "vmcore")["dump_level"] == 31
    assert "dump level 31" in r.stderr


def test_json_says_what_is_on_disk(kdumpkit, sysrq, tmp_path):
    elf, _ = sysrq
    c = conf(tmp_path, path=tmp_path / "crash", dump_level=31, codec="zstd")
    r = kdumpkit("save", "--config", c, "--vmcore", elf, "--json", "--quiet")
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    d = Path(j["dir"])
    assert d.parent == tmp_path / "crash"
    assert j["dmesg"] == str(d / "dmesg.txt") and j["vmcore"] == str(d / "vmcore")
    assert j["complete"] is True and j["error"] is None
    assert j["bytes"] == (d / "vmcore").stat().st_size
    assert j["dump_level"] == info(kdumpkit, d / "vmcore")["dump_level"] == 31


def test_full_disk_keeps_the_log_and_says_so(kdumpkit, sysrq, tmp_path, fs):
    elf, their_log = sysrq
    mnt = fs(6)
    r = kdumpkit("save", "--config", conf(tmp_path, path=mnt, dump_level=1),
                 "--vmcore", elf, "--json")
    assert r.returncode == 1
    j = json.loads(r.stdout)
    assert j["complete"] is False and j["vmcore"] is None
    assert j["dmesg"].endswith("/dmesg.txt") and "No space left" in j["error"]
    assert "trying again at dump level 31" in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert re.match(r"kdumpkit: save: .*: the kernel log is saved, the dump is NOT "
                    r"saved whole: .*No space left on device$", last), last
    (d,) = [mnt / n for n in dump_dirs(mnt)]
    names = sorted(p.name for p in d.iterdir())
    assert "vmcore" not in names
    assert (d / "dmesg.txt").read_text() == their_log.read_text()
    if "vmcore.incomplete" in names:     # what fitted, marked as such
        r = kdumpkit("info", d / "vmcore.incomplete")
        assert "the writer marked the dump incomplete (it ran out of space)" in r.stderr


@pytest.mark.parametrize("text,msg", [
    ("path = relative\n", ":1: path: path must be an absolute directory"),
    ("dump_level = 32\n", ":1: dump_level: dump_level must be a number from 0 to 31"),
    ("# fine\n\ncodec = gzip\n", ":3: codec: codec must be zlib, lzo"),
    ("no equals sign\n", ":1: expected 'key = value'"),
])
def test_bad_config_is_one_line(kdumpkit, tmp_path, text, msg):
    c = tmp_path / "bad.conf"
    c.write_text(text)
    r = kdumpkit("save", "--config", c, "--vmcore", "/dev/null")
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and msg in r.stderr, r.stderr


def test_not_a_capture_kernel(kdumpkit, tmp_path):
    r = kdumpkit("save", "--config", conf(tmp_path, path=tmp_path / "t"),
                 "--vmcore", tmp_path / "no-vmcore")
    assert r.returncode == 1
    assert "is this the capture kernel?" in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "t").exists()


def test_print_config_round_trips(kdumpkit, tmp_path):
    c = conf(tmp_path, path="/srv/dumps", dump_level=17, codec="zstd", keep=5,
             final_action="halt", device="UUID=1234", fstype="xfs")
    r = kdumpkit("save", "--config", c, "--print-config")
    assert r.returncode == 0
    again = tmp_path / "again.conf"
    again.write_text(r.stdout)
    r2 = kdumpkit("save", "--config", again, "--print-config")
    assert r2.stdout == r.stdout
    kv = dict(re.findall(r"^(\w+) = (\S+)$", r.stdout, re.M))
    assert kv == {"path": "/srv/dumps", "dump_level": "17", "codec": "zstd",
                  "threads": "0", "keep": "5", "failure_action": "dmesg-only",
                  "final_action": "halt", "device": "UUID=1234", "fstype": "xfs"}
