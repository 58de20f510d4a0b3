"""Running the binaries under test so that a sanitizer report fails the
test: ASan and UBSan exit with their own codes (99, 98) instead of carrying
on, and the helpers here check for them."""
import os
import subprocess

SAN_ENV = {"ASAN_OPTIONS": "exitcode=99:detect_leaks=1",
           "UBSAN_OPTIONS": "halt_on_error=1:exitcode=98:print_stacktrace=1"}


def run(*args, stdin=None, timeout=600):
    """Run args (any path-likes) with the sanitizer settings; text output."""
    env = dict(os.environ, **SAN_ENV)
    return subprocess.run([str(a) for a in args], input=stdin, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_no_crash(r):
    """No sanitizer report, no signal, no sanitizer exit code."""
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    assert r.returncode >= 0, f"killed by signal {-r.returncode}: {r.stderr}"
    assert r.returncode not in (98, 99), r.stderr
