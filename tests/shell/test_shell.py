"""The analysis session end to end: -c, -i, stdin, pipes, redirections,
aliases, help, exit codes, and eval against crash's own eval.

    /usr/bin/python3 -m pytest tests/shell            (build/ by default)
    KDUMPKIT_BIN=build-asan/kdumpkit /usr/bin/python3 -m pytest tests/shell

The session needs a real dump: the first kdump-compressed vmcore of the lab
cache ($KDUMPKIT_LAB_CACHE, default ~/.cache/kdumpkit/lab) whose run is
complete (it has manifest.json).
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

LAB = Path(os.environ.get("KDUMPKIT_LAB_CACHE",
                          Path.home() / ".cache" / "kdumpkit" / "lab"))
RELEASE = "6.1.0-56-cloud-amd64"
VMLINUX = (LAB / "kernels" / RELEASE / "dbg" / "usr" / "lib" / "debug" / "boot"
           / f"vmlinux-{RELEASE}")
CRASH = "/usr/bin/crash"


def lab_vmcore():
    for mf in sorted(LAB.glob(f"{RELEASE}/*/manifest.json")):
        if (mf.parent / "vmcore").is_file():
            return mf.parent / "vmcore"
    return None


@pytest.fixture(scope="module")
def vmcore():
    path = lab_vmcore()
    if not path:
        pytest.skip(f"no complete kdump run of {RELEASE} in {LAB} "
                    "(tests/lab/lab.py ensure)")
    return path


@pytest.fixture
def session(kdumpkit, vmcore):
    """Run kdumpkit on the lab dump with extra arguments."""
    def run(*args, **kw):
        return kdumpkit(vmcore, *args, **kw)
    return run


def eval_block(hexa, dec, signed=None, size=""):
    """crash's layout of eval's four lines."""
    return (f"hexadecimal: {hexa}  {size}\n"
            f"    decimal: {dec}  {'' if signed is None else f'({signed})'}\n"
            f"      octal: {int(hexa, 16):o}\n"
            f"     binary: {int(hexa, 16):064b}\n")


# -- running commands -------------------------------------------------------

def test_c_runs_commands_in_order(session):
    r = session("-c", "eval 0x1000 + 16; eval (1 << 20) / 3")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == eval_block("1010", 4112) + eval_block("55555", 349525)


def test_c_may_repeat_with_i_in_order(session, tmp_path):
    script = tmp_path / "script"
    script.write_text("eval 2\n")
    r = session("-c", "eval 1", "-i", script, "-c", "eval 3")
    assert r.returncode == 0, r.stderr
    assert [l for l in r.stdout.splitlines() if l.startswith("    decimal")] == \
        ["    decimal: 1  ", "    decimal: 2  ", "    decimal: 3  "]


def test_commands_on_stdin(session):
    r = session(input="eval 1\n\n# a comment\neval 4k\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == eval_block("1", 1) + eval_block("1000", 4096,
                                                       size="(4KB)")


def test_script_with_i(session, tmp_path):
    script = tmp_path / "script"
    script.write_text("eval 1m\nset radix 16\n")
    r = session("-i", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (eval_block("100000", 1048576, size="(1MB)") +
                        "output radix: 16 (hex)\n")


def test_missing_script_is_one_line(session, tmp_path):
    r = session("-i", tmp_path / "nosuch")
    assert r.returncode == 1
    assert r.stderr == f"kdumpkit: {tmp_path / 'nosuch'}: No such file or directory\n"


def test_q_ends_the_session(session):
    r = session("-c", "eval 1; q; eval 2")
    assert r.returncode == 0
    assert r.stdout == eval_block("1", 1)
    r = session(input="eval 1\nexit\neval 2\n")
    assert r.stdout == eval_block("1", 1)
    r = session(input="quit\neval 2\n")     # the builtin alias of q
    assert r.stdout == ""


def test_unknown_command_keeps_the_session_going(session):
    r = session("-c", "frobnicate now; eval 7")
    assert r.returncode == 1
    assert r.stderr == "kdumpkit: frobnicate: command not found\n"
    assert r.stdout == eval_block("7", 7)
    r = session(input="frobnicate\neval 7\n")
    assert r.returncode == 1
    assert r.stdout == eval_block("7", 7)


def test_bad_flag_is_one_line(session):
    r = session("-c", "eval -x 1; eval 2")
    assert r.returncode == 1
    assert r.stderr == ("kdumpkit: eval: invalid option -- 'x' "
                        "(usage: eval [-b][-l] expression | value)\n")
    assert r.stdout == eval_block("2", 2)


def test_unterminated_quote_is_one_line(session):
    r = session("-c", "alias x 'eval 1")
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1
    assert "unterminated ' quote" in r.stderr


# -- pipes, redirections, shell escapes ---------------------------------------

def test_pipe_through_grep(session):
    r = session("-c", "eval 0x1000 + 16 | grep ' decimal'")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "    decimal: 4112  \n"


def test_pipeline_of_several_commands(session):
    r = session("-c", "help | grep -c e | wc -l")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"


def test_pipeline_that_finds_nothing_is_not_an_error(session):
    r = session("-c", "eval 1 | grep nosuchthing")
    assert r.returncode == 0
    assert r.stdout == ""


def test_pipeline_that_stops_reading_early(session):
    r = session("-c", "help eval | head -1; eval 5")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "\n" + eval_block("5", 5)


def test_output_order_around_a_pipe(session):
    r = session("-c", "eval 1; eval 2 | grep ' decimal'; eval 3")
    assert r.stdout == (eval_block("1", 1) + "    decimal: 2  \n" +
                        eval_block("3", 3))


def test_redirect_and_append(session, tmp_path):
    out = tmp_path / "out.txt"
    r = session("-c", f"eval 1 > {out}; eval 2 >> {out}; eval 3")
    assert r.returncode == 0, r.stderr
    assert r.stdout == eval_block("3", 3)
    assert out.read_text() == eval_block("1", 1) + eval_block("2", 2)
    r = session("-c", f"eval 9 > {out}")
    assert out.read_text() == eval_block("9", 9)


def test_redirect_to_a_directory_that_is_missing(session, tmp_path):
    r = session("-c", f"eval 1 > {tmp_path}/no/such; eval 2")
    assert r.returncode == 1
    assert r.stderr == f"kdumpkit: {tmp_path}/no/such: No such file or directory\n"
    assert r.stdout == eval_block("2", 2)


def test_operators_in_parentheses_are_not_pipes(session):
    r = session("-c", "eval (1 | 6) | grep hex; eval (256 >> 4) | grep ' dec'")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hexadecimal: 7  \n    decimal: 16  \n"


def test_shell_escape(session):
    # the whole line after '!' belongs to /bin/sh, ';' included
    r = session("-c", "eval 1; !echo hello from sh; echo again")
    assert r.returncode == 0, r.stderr
    assert r.stdout == eval_block("1", 1) + "hello from sh\nagain\n"
    r = session(input="!echo one | tr a-z A-Z\neval 2\n")
    assert r.stdout == "ONE\n" + eval_block("2", 2)


# -- aliases, set, help -------------------------------------------------------

def test_builtin_aliases_are_listed(session):
    r = session("-c", "alias")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "ORIGIN   ALIAS    COMMAND"
    assert "builtin  dmesg    log " in lines
    assert "builtin  hex      set radix 16 " in lines


def test_alias_defined_and_used(session):
    r = session("-c", "alias big 'eval -b (1 << 40) | grep bits'; big")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("ORIGIN   ALIAS    COMMAND\n"
                        "runtime  big      eval -b (1 << 40) | grep bits \n"
                        "   bits set: 40 \n")


def test_alias_naming_itself_expands_once(session):
    r = session("-c", "alias e1 'e1 x'; e1")
    assert r.returncode == 1
    assert r.stderr == "kdumpkit: e1: command not found\n"


def test_alias_cannot_hide_a_command(session):
    r = session("-c", "alias eval help")
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1


def test_hex_and_dec_aliases_set_the_radix(session):
    r = session("-c", "hex; set radix; dec; set -v")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("output radix: 16 (hex)\n"
                               "output radix: 16 (hex)\n"
                               "output radix: 10 (decimal)\n")
    assert "         radix: 10 (decimal)\n" in r.stdout


def test_set_refuses_what_it_does_not_know(session):
    r = session("-c", "set radix 8; set color on")
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "kdumpkit: set: radix: 8: 10 or 16 only",
        "kdumpkit: set: no setting 'color' (usage: set [pid | taskp | -c "
        "cpu | -p | -v] | set radix [10|16] | set json [on|off])"]


def test_help_lists_commands_in_columns(session):
    r = session("-c", "help")
    assert r.returncode == 0
    # the table: the lines up to the first blank one after it
    rows = r.stdout.strip("\n").split("\n\n")[0].splitlines()
    words = " ".join(rows).split()
    for name in ("alias", "eval", "exit", "help", "q", "set"):
        assert name in words
    # columns of fifteen, down then across
    assert re.match(r"^alias {10}\S", rows[0])


def test_help_of_one_command(session):
    r = session("-c", "help eval")
    assert r.returncode == 0
    sections = re.findall(r"^([A-Z]+)$", r.stdout, re.M)
    assert sections == ["NAME", "SYNOPSIS", "DESCRIPTION", "EXAMPLES"]
    assert "\nNAME\n  eval - " in r.stdout
    assert "\nSYNOPSIS\n  eval [-b][-l] expression | value\n" in r.stdout


def test_help_through_an_alias_and_unknown(session):
    r = session("-c", "help hex; help nosuch")
    assert r.returncode == 1
    assert "\nNAME\n  set - " in r.stdout
    assert r.stderr == ("kdumpkit: help: no command or alias 'nosuch' "
                        "(\"help\" lists them)\n")


def test_every_command_has_a_help_page(session):
    names = session("-c", "help").stdout.split("kdumpkit version")[0].split()
    for name in names:
        r = session("-c", f"help {name}")
        assert r.returncode == 0, name
        assert f"\nNAME\n  {name} - " in r.stdout


# -- eval ---------------------------------------------------------------------

def test_eval_error_has_a_column(session):
    r = session("-c", "eval 1 + (2 * ; eval 1")
    assert r.returncode == 1
    assert r.stderr == ("kdumpkit: eval: invalid expression '1 + (2 *': "
                        "column 9: expression ends where a number was "
                        "expected\n")
    assert r.stdout == eval_block("1", 1)


def test_eval_division_by_zero(session):
    r = session("-c", "eval 10 / 0")
    assert r.returncode == 1
    assert r.stderr == ("kdumpkit: eval: invalid expression '10 / 0': "
                        "column 4: division by zero\n")


def test_eval_precedence_beyond_crash(session):
    # crash wants one operator per pair of parentheses; C precedence here
    r = session("-c", "eval 1 + 2 * 3 | grep ' dec'")
    assert r.stdout == "    decimal: 7  \n"


def test_eval_json(session):
    r = session("--json", "-c", "eval -b 0x1000 - 1")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["value"] == 4095
    assert doc["hexadecimal"] == "0xfff"
    assert doc["bits_set"] == list(range(11, -1, -1))
    r = session("-c", "set json on; eval -1")
    doc = json.loads(r.stdout.split("\n", 1)[1])
    assert doc["signed"] == -1


# -- the command line ---------------------------------------------------------

def test_analyze_is_the_default(kdumpkit, vmcore):
    a = kdumpkit("analyze", vmcore, "-c", "eval 1")
    b = kdumpkit(vmcore, "-c", "eval 1")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout == eval_block("1", 1)


def test_vmlinux_in_either_order(kdumpkit, vmcore):
    if not VMLINUX.is_file():
        pytest.skip(f"{VMLINUX}: not in the lab cache")
    for args in ((VMLINUX, vmcore), (vmcore, VMLINUX)):
        r = kdumpkit(*args, "-c", "set -v")
        assert r.returncode == 0, r.stderr
        assert f"      dumpfile: {vmcore}\n" in r.stdout
        assert f"      namelist: {VMLINUX}\n" in r.stdout


def test_missing_dump_is_one_line(kdumpkit, tmp_path):
    path = tmp_path / "nosuch"
    r = kdumpkit("analyze", path, "-c", "eval 1")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith(f"kdumpkit: {path}: ")
    assert r.stderr.count("\n") == 1


def test_garbage_dump_is_one_line(kdumpkit, tmp_path):
    path = tmp_path / "vmcore"
    path.write_bytes(b"\0" * 64)
    r = kdumpkit(path, "-c", "eval 1")
    assert r.returncode == 1
    assert r.stderr.startswith(f"kdumpkit: {path}: ")
    assert r.stderr.count("\n") == 1


def test_usage_errors(kdumpkit, vmcore):
    for args in (["analyze"], ["analyze", vmcore, "-c"],
                 ["analyze", vmcore, "--frob"]):
        r = kdumpkit(*args)
        assert r.returncode == 2, args
        assert r.stderr.count("\n") == 1, args
        assert "usage: kdumpkit [analyze]" in r.stderr


def test_several_whole_dumps_are_no_split_dump(kdumpkit, vmcore):
    """Several dump files are the parts of a split dump (tests/dump/
    test_split.py); whole dumps are refused, naming the file."""
    r = kdumpkit("analyze", vmcore, vmcore, vmcore)
    assert r.returncode == 1
    assert r.stderr == (f"kdumpkit: {vmcore}: a whole dump, not a part of a "
                        f"split dump (makedumpfile --split): give it alone\n")


# -- eval against crash's own eval ---------------------------------------------
# Only expressions of crash's grammar, "(x op y)" or a value: crash 8.0.2
# evaluates the parenthesized part of "(1 << 20) / 3" or "2 * (3 + 4)" and
# silently drops the rest, where kdumpkit gives C's answer.

CRASH_EXPRESSIONS = [
    "0x1000 + 16", "1m", "2g", "4k", "128m", "128 * 1m",
    "3 * 512m", "1k + 1", "1g / 1k", "-b 0x1f", "-b 0", "-b -1",
    "-b 0xffffffff00000000", "-l 0x1000", "-l -1", "-1", "10 - 20", "0777",
    "1 ^ 3", "~0", "0xffffffffffffffff + 1", "0x7fffffffffffffff + 1",
    "100 % 7", "3 & 6", "(3 | 4)", "(1 >> 1)", "(1 << 63)", "0x10 * 0x10",
    "ffff", "1f", "(0x123456789 & 0xffff0000)",
]


@pytest.fixture(scope="module")
def crash_evals(vmcore, tmp_path_factory):
    """crash's output for each of CRASH_EXPRESSIONS, from one crash run."""
    if not (os.access(CRASH, os.X_OK) and VMLINUX.is_file()):
        pytest.skip("crash or the lab's vmlinux is missing")
    out = tmp_path_factory.mktemp("crash")
    script = "".join(f"eval {e} > {out}/{i}\n"
                     for i, e in enumerate(CRASH_EXPRESSIONS)) + "q\n"
    subprocess.run([CRASH, "-s", str(VMLINUX), str(vmcore)], input=script,
                   capture_output=True, text=True, timeout=300)
    got = {}
    for i, e in enumerate(CRASH_EXPRESSIONS):
        f = out / str(i)
        if f.exists():
            got[e] = f.read_text()
    if not got:
        pytest.skip("crash did not run")
    return got


@pytest.fixture(scope="module")
def our_evals(kdumpkit_bin, vmcore, tmp_path_factory):
    out = tmp_path_factory.mktemp("ours")
    script = "".join(f"eval {e} > {out}/{i}\n"
                     for i, e in enumerate(CRASH_EXPRESSIONS))
    r = subprocess.run([str(kdumpkit_bin), str(vmcore)], input=script,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return {e: (out / str(i)).read_text()
            for i, e in enumerate(CRASH_EXPRESSIONS)}


@pytest.mark.parametrize("expr", CRASH_EXPRESSIONS)
def test_eval_matches_crash(expr, crash_evals, our_evals):
    if expr not in crash_evals:
        pytest.skip(f"crash wrote nothing for 'eval {expr}'")
    assert our_evals[expr] == crash_evals[expr]


# -- the terminal -------------------------------------------------------------

def test_terminal_prompt_and_history(kdumpkit_bin, vmcore, tmp_path):
    """On a terminal: the prompt, line editing through readline, ^C to
    drop a line, and the history saved in ~/.kdumpkit_history."""
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:
        os.environ["HOME"] = str(tmp_path)
        os.environ["TERM"] = "dumb"
        os.execv(str(kdumpkit_bin), [str(kdumpkit_bin), str(vmcore)])
    out = b""

    def read_until(marker, timeout=30):
        nonlocal out
        end = time.time() + timeout
        while marker not in out and time.time() < end:
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        return marker in out

    assert read_until(b"kdumpkit> ")
    os.write(fd, b"eval 99")           # typed, then dropped by ^C
    assert read_until(b"eval 99")
    time.sleep(0.3)                     # readline is back in read()
    out = b""
    os.write(fd, b"\x03")
    assert read_until(b"kdumpkit> ")
    os.write(fd, b"eval 0x20 + 1\r")
    assert read_until(b"decimal: 33")
    os.write(fd, b"q\r")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    history = (tmp_path / ".kdumpkit_history").read_text().splitlines()
    assert history[-2:] == ["eval 0x20 + 1", "q"]
