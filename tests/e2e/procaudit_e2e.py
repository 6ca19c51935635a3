"""Shared helpers for the end-to-end tests: where the built artifacts are, run(), why a test that
needs root and kernel audit skips here, and ending the processes a test started (procaudit's, and
others such as nobody_process()).

Importing it puts scripts/ on sys.path: the suites import audit_sandbox, acct_sandbox,
live_procaudit and extension_host from there after it."""
import os
import subprocess
import sys
import time
import unittest

BUILD_DIR = os.environ.get("PROCAUDIT_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE_DIR = os.environ.get("PROCAUDIT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
SHELL = os.path.join(BUILD_DIR, "procaudit")
EXTENSION = os.path.join(BUILD_DIR, "libprocaudit")  # SQLite adds .so
FIXTURE_PROC = os.path.join(SOURCE_DIR, "tests/fixtures/proc")
HANG = 120.0  # hang guard of every wait, seconds

sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import extension_host  # noqa: E402
from audit_sandbox import SandboxUnavailable, check_prerequisites  # noqa: E402

# In a sanitized build this runner was started as a host of the extension; what it starts is not,
# unless it loads the extension (run() below, live_procaudit.ExtensionSession).
extension_host.leave_host_env()


def run(args, **kwargs):
    """Runs a command, returns CompletedProcess with text output; never raises on exit code."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 60)
    if any("libprocaudit" in str(arg) for arg in args):  # a host of the extension
        kwargs["env"] = extension_host.host_env(kwargs.get("env"),
                                                python=extension_host.is_python(args[0]))
    return subprocess.run(args, check=False, **kwargs)


def audit_skip_reason(*built):
    """Why a test that needs root and kernel audit (audit_sandbox.check_prerequisites) and the
    files `built` cannot run here; None when it can."""
    try:
        check_prerequisites()
    except SandboxUnavailable as e:
        return e.reason
    for path in built:
        if not os.path.exists(path):
            return f"{path} is not built"
    return None


def skip_for(reason, what="skipped"):
    """From a setUp or setUpClass: when there is a reason (not None), says `what: reason` on
    stderr and skips (unittest.SkipTest with the reason)."""
    if reason:
        print(f"\n{what}: {reason}", file=sys.stderr)
        raise unittest.SkipTest(reason)


def end_sessions(sessions):
    """A cleanup: by pid, each procaudit a test started (a live_procaudit session, or a bare
    Popen: SIGTERM, so that procaudit restores, then SIGKILL if it hangs)."""
    for session in sessions:
        if isinstance(session, subprocess.Popen):
            if session.poll() is None:
                session.terminate()
                try:
                    session.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    session.kill()
                    session.communicate()
        else:
            session.end()


def end_children(children):
    """A cleanup: SIGKILL to each process (Popen) in children still running, by pid, and reaped."""
    for child in children:
        if child.poll() is None:
            child.kill()
        child.wait()


def nobody_process(children):
    """Starts a process of another user (nobody) holding a file open, /proc/PID/fd/3, and returns
    its pid once it is so (its Popen added to children, for end_children)."""
    child = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
         "sh", "-c", "exec 3</etc/hostname; exec sleep 600"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    children.append(child)
    deadline = time.monotonic() + HANG
    while not os.path.exists(f"/proc/{child.pid}/fd/3") or \
            os.readlink(f"/proc/{child.pid}/exe").endswith("/sh"):
        if time.monotonic() >= deadline:
            raise AssertionError(f"the nobody process did not start in {HANG} s")
        time.sleep(0.05)
    return child.pid
