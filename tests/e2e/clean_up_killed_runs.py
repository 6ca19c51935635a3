"""Set-up of the suites that borrow the audit subsystem or accounting (a CTest fixture): before
them, undo what a procaudit run killed earlier left behind (an OOM kill, a session ended in the
middle of a test), with `procaudit --clean-up`.

Every live start of procaudit does this clean-up first, so a suite that saves the host's state and
compares it afterwards would otherwise count the first start's clean-up as a change of its own
(seen in CI: accounting on into a killed run's file before the suites, off after the first one).
Prints what it did; skips, saying why, where the suites themselves skip (not root, no audit).
"""
import sys

from procaudit_e2e import SHELL, run

from audit_sandbox import SandboxUnavailable, check_prerequisites, host_lock


def main() -> int:
    try:
        check_prerequisites()
    except SandboxUnavailable as e:
        print(f"no clean-up: {e.reason}")
        return 0
    with host_lock(600):
        r = run([SHELL, "--clean-up"], timeout=120)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
