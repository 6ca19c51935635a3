"""Shared helpers for the end-to-end tests: where the built artifacts are."""
import os
import subprocess

BUILD_DIR = os.environ.get("PROCAUDIT_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE_DIR = os.environ.get("PROCAUDIT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))
SHELL = os.path.join(BUILD_DIR, "procaudit")
EXTENSION = os.path.join(BUILD_DIR, "libprocaudit")  # SQLite adds .so
FIXTURE_PROC = os.path.join(SOURCE_DIR, "tests/fixtures/proc")


def run(args, **kwargs):
    """Runs a command, returns CompletedProcess with text output; never raises on exit code."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 60)
    return subprocess.run(args, check=False, **kwargs)
