"""The command line itself: version, help, dispatch, and clear refusals."""
import re

import pytest

NOT_BUILT = ["triage", "makedump", "load", "unload", "status",
             "estimate", "save"]


def test_version(kdumpkit):
    r = kdumpkit("--version")
    assert r.returncode == 0
    assert re.fullmatch(r"kdumpkit \d+\.\d+\.\d+\n", r.stdout)


def test_help_lists_every_subcommand(kdumpkit):
    r = kdumpkit("help")
    assert r.returncode == 0
    for name in NOT_BUILT + ["analyze", "info", "initramfs", "help"]:
        assert re.search(rf"^  {name} ", r.stdout, re.M), name


def test_help_of_one_subcommand(kdumpkit):
    r = kdumpkit("help", "makedump")
    assert r.returncode == 0
    assert r.stdout.startswith("usage: kdumpkit makedump ")


def test_no_arguments_is_a_usage_error(kdumpkit):
    r = kdumpkit()
    assert r.returncode == 2
    assert "usage: kdumpkit" in r.stderr


def test_unknown_word_is_refused_in_one_line(kdumpkit):
    r = kdumpkit("frobnicate")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "'frobnicate' is neither a subcommand nor a dump file" in r.stderr


@pytest.mark.parametrize("name", NOT_BUILT)
def test_subcommands_not_built_say_so(kdumpkit, name):
    line = re.search(rf"^  {name} .*$", kdumpkit("help").stdout, re.M).group(0)
    if "(not built yet)" not in line:
        pytest.skip(f"{name} is built now: its own tests cover it")
    r = kdumpkit(name)
    assert r.returncode != 0
    assert f"'{name}' is not built yet" in r.stderr


def test_a_file_argument_means_analyze(kdumpkit, tmp_path):
    f = tmp_path / "vmcore"
    f.write_bytes(b"\0" * 64)
    r = kdumpkit(f)
    # analyze ran, and could not open the dump: one line naming the file
    assert r.returncode == 1
    assert r.stderr.startswith(f"kdumpkit: {f}: ")
    assert r.stderr.count("\n") == 1
    assert r.stdout == ""
