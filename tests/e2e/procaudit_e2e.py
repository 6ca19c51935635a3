"""Shared helpers for the end-to-end tests: where the built artifacts are, run(), and ending the
procaudit processes a test started."""
import os
import subprocess
import sys

BUILD_DIR = os.environ.get("PROCAUDIT_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE_DIR = os.environ.get("PROCAUDIT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
SHELL = os.path.join(BUILD_DIR, "procaudit")
EXTENSION = os.path.join(BUILD_DIR, "libprocaudit")  # SQLite adds .so
FIXTURE_PROC = os.path.join(SOURCE_DIR, "tests/fixtures/proc")

sys.path.insert(0, os.path.join(SOURCE_DIR, "scripts"))
import extension_host  # noqa: E402

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
