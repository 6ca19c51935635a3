"""The environment of a process that loads a sanitized libprocaudit.so (PROCAUDIT_SANITIZE=ON).

An extension built with AddressSanitizer loads only into a process whose ASan runtime was loaded
first, so the tests' hosts of the extension (the stock sqlite3 CLI, Debian's Python) start with it
preloaded. tests/e2e/CMakeLists.txt names the runtime in PROCAUDIT_SANITIZER_RUNTIME; without that
(a normal build) nothing here changes anything.

    extension_host.py PYTHON ARGS...   runs a Python as a host (the e2e runner: the tests load the
                                       extension in-process too)

Python 3.11 standard library only.
"""
from __future__ import annotations

import os
import sys

RUNTIME = os.environ.get("PROCAUDIT_SANITIZER_RUNTIME")
# Python does not free everything at exit, and LeakSanitizer would fail every Python host for
# leaks that are not procaudit's: a Python host runs without the leak check (a later option wins
# over an earlier one). The sqlite3 CLI frees what it allocates, so it keeps the check, which then
# covers the extension inside it.
_NO_LEAK_CHECK = ":detect_leaks=0"


def host_env(env: dict | None = None, python: bool = False) -> dict:
    """env (default: this process's) for a process that will load the extension."""
    env = dict(os.environ if env is None else env)
    if RUNTIME:
        env["LD_PRELOAD"] = RUNTIME
        if python:
            env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + _NO_LEAK_CHECK
    return env


def preload(lib: str) -> str:
    """LD_PRELOAD's value for a library injected into a procaudit binary (the fault injection
    shim): in a sanitized build the ASan runtime must come first in the initial library list, or
    the process aborts at start."""
    return f"{RUNTIME}:{lib}" if RUNTIME else lib


def leave_host_env() -> None:
    """In a host started with host_env's additions: takes them out of os.environ again, so that
    what this process starts (procaudit above all) runs as procaudit's own binaries do: nothing
    preloaded, leaks checked."""
    if RUNTIME and os.environ.get("LD_PRELOAD") == RUNTIME:
        del os.environ["LD_PRELOAD"]
        os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "").removesuffix(
            _NO_LEAK_CHECK)


def is_python(program: str) -> bool:
    return os.path.basename(program).startswith("python")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: extension_host.py PROGRAM [ARGS...]")
    os.execve(sys.argv[1], sys.argv[1:], host_env(python=is_python(sys.argv[1])))
