"""scripts/audit_sandbox.py leaves the machine's audit state exactly as it found it, and the
recorded fixtures in tests/fixtures/audit/ match their MANIFEST.

The sandbox tests need root and a kernel with audit; elsewhere they are skipped with the reason.
They hold the host lock (audit_sandbox.host_lock) around each before/after comparison, so
another recorder on this host cannot run in between; the command-line recorder they start
shares that lock through PROCAUDIT_AUDIT_LOCK_FD.
"""
import hashlib
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from procaudit_e2e import SOURCE_DIR, audit_skip_reason, skip_for

import audit_sandbox
from audit_sandbox import PrivateAuditd, SandboxUnavailable, host_lock, read_state

SANDBOX = os.path.join(SOURCE_DIR, "scripts/audit_sandbox.py")
FIXTURES = os.path.join(SOURCE_DIR, "tests/fixtures/audit")
KEY = "procaudit_e2e"
OTHER_KEY = "procaudit_e2e_other"


class FixtureManifestTest(unittest.TestCase):
    """No root needed: the committed logs are the ones MANIFEST describes."""

    def entries(self):
        with open(os.path.join(FIXTURES, "MANIFEST")) as f:
            lines = [line.rstrip("\n") for line in f if line.strip()]
        meta = dict(re.match(r"# (\w+): (.*)", line).groups() for line in lines
                    if re.match(r"# (\w+): ", line))
        sums = [line.split("  ", 1) for line in lines if not line.startswith("#")]
        return meta, sums

    def test_sha256_of_every_fixture_matches_manifest(self):
        meta, sums = self.entries()
        self.assertEqual({name for _, name in sums},
                         {"workload.log", "workload.pacct", "workload.manifest",
                          "workload-enriched.log", "workload-enriched.manifest",
                          "files.log", "files.manifest"})
        for digest, name in sums:
            with open(os.path.join(FIXTURES, name), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), digest, name)
        for field in ("recorded", "kernel", "auditd", "command"):
            self.assertIn(field, meta)

    def test_every_case_pid_is_in_its_log(self):
        for name, fmt in (("workload", "raw"), ("workload-enriched", "enriched")):
            with open(os.path.join(FIXTURES, name + ".log"), encoding="utf-8",
                      errors="surrogateescape") as f:
                log = f.read()
            # split("\n"), not splitlines(): ENRICHED records carry \x1d (group separator)
            # before the interpreted fields, and splitlines() splits there too.
            lines = log.rstrip("\n").split("\n")
            self.assertTrue(lines[0].startswith("type=DAEMON_START "), name)
            self.assertIn(f" format={fmt} ", lines[0])
            self.assertTrue(lines[-1].startswith("type=DAEMON_END "), name)
            self.assertEqual(fmt == "enriched", "\x1d" in log)
            with open(os.path.join(FIXTURES, name + ".manifest")) as f:
                cases = [dict(kv.split("=", 1) for kv in line.split())
                         for line in f if line.startswith("case=")]
            self.assertEqual([c["case"] for c in cases],
                             ["relative_exec", "argv_torture", "execveat", "fork_noexec",
                              "raw_fork", "threads_exit", "deleted_exe", "memfd_exec",
                              "static32", "newpidns", "endings"])
            for c in cases:
                self.assertNotIn("skipped", c, f"{name}: case {c['case']} was skipped")
                self.assertRegex(log, rf" pid={c['pid']} ", f"{name}: case {c['case']}")


def wait_for_line(stream, pattern, timeout):
    """Reads lines from a pipe until one matches; returns the match or None."""
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([stream], [], [], 0.1)
        if not ready:
            continue
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            return None
        buf += chunk
        m = re.search(pattern, buf)
        if m:
            return m
    return None


class SandboxRestoresStateTest(unittest.TestCase):
    """The audit state (auditctl -s state fields, auditctl -l) after == before, whatever
    happens to the recording."""

    @classmethod
    def setUpClass(cls):
        skip_for(audit_skip_reason(), "skipping the audit sandbox tests")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="procaudit-e2e-audit.")
        self.addCleanup(self.tmp.cleanup)
        self.lock = host_lock()
        self.lock_fd = self.lock.__enter__()
        self.addCleanup(self.lock.__exit__, None, None, None)
        self.before = read_state()
        if int(self.before.status["pid"]) != 0:
            self.skipTest(f"the audit pid is owned by pid {self.before.status['pid']}")

    def assertStateRestored(self, timeout=0.0):
        deadline = time.monotonic() + timeout
        while True:
            after = read_state()
            if after == self.before or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        self.assertEqual(after, self.before, self.before.diff(after))

    def cli(self, *cmd, out="out.log"):
        """Starts the command-line recorder on CMD, sharing our host lock."""
        env = dict(os.environ, **{audit_sandbox.LOCK_FD_ENV: str(self.lock_fd)})
        proc = subprocess.Popen(
            [sys.executable, SANDBOX, "--key", KEY, "--workdir",
             os.path.join(self.tmp.name, "work"), "--out", os.path.join(self.tmp.name, out),
             "--", *cmd], stderr=subprocess.PIPE, pass_fds=(self.lock_fd,), env=env)
        self.addCleanup(proc.stderr.close)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        return proc

    def sleeper(self):
        """A command that records its pid, so the test can end it by pid if it is orphaned."""
        pidfile = os.path.join(self.tmp.name, "sleeper.pid")

        def end_it():
            try:
                with open(pidfile) as f:
                    pid = int(f.read())
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError):
                pass
        self.addCleanup(end_it)
        return ["/bin/sh", "-c", f"echo $$ > '{pidfile}'; exec sleep 60"], pidfile

    def test_records_and_restores(self):
        marker = f"procaudit-e2e-{os.getpid()}"
        with PrivateAuditd(self.tmp.name, key=KEY) as audit:
            during = read_state()
            self.assertEqual(during.status["pid"], str(audit.auditd_pid))
            self.assertEqual(during.status["enabled"], "1")
            self.assertEqual(during.status["backlog_limit"], "8192")
            ours = [r for r in during.rules if f"key={KEY}" in r]
            self.assertEqual(len(ours), 2, during.rules)
            self.assertTrue(any("arch=b32" in r for r in ours))
            subprocess.run(["/bin/true", marker], check=True)
        self.assertStateRestored()
        with open(audit.log_path) as f:
            log = f.read()
        self.assertIn(f'a1="{marker}"', log)
        self.assertTrue(log.startswith("type=DAEMON_START"))
        self.assertTrue(log.rstrip("\n").split("\n")[-1].startswith("type=DAEMON_END"))

    def test_restores_when_the_body_raises(self):
        class Boom(Exception):
            pass
        with self.assertRaises(Boom):
            with PrivateAuditd(self.tmp.name, key=KEY):
                raise Boom()
        self.assertStateRestored()

    def test_leaves_other_rules_alone(self):
        # OTHER_KEY starts with KEY: `auditctl -D -k KEY` would delete this rule too.
        other = ["-a", "always,exit", "-F", "arch=b64", "-S", "chmod", "-k", OTHER_KEY]
        subprocess.run(["auditctl", *other], check=True, capture_output=True)
        try:
            with_other = read_state()
            with PrivateAuditd(self.tmp.name, key=KEY):
                pass
            self.assertEqual(read_state(), with_other)
        finally:
            subprocess.run(["auditctl", "-d", *other[1:]], check=True, capture_output=True)
        self.assertStateRestored()

    def test_refuses_while_another_owns_the_audit_pid(self):
        with PrivateAuditd(self.tmp.name, key=KEY) as audit:
            with self.assertRaises(SandboxUnavailable) as cm:
                audit_sandbox.check_available(OTHER_KEY)
            self.assertIn(f"owned by pid {audit.auditd_pid}", cm.exception.reason)
        self.assertStateRestored()

    def test_refuses_when_rules_with_its_key_exist(self):
        rule = ["-a", "always,exit", "-F", "arch=b64", "-S", "chmod", "-k", KEY]
        subprocess.run(["auditctl", *rule], check=True, capture_output=True)
        try:
            with_rule = read_state()
            with self.assertRaises(SandboxUnavailable) as cm:
                with PrivateAuditd(self.tmp.name, key=KEY):
                    self.fail("started despite a rule with its key")
            self.assertIn("already loaded", cm.exception.reason)
            self.assertEqual(read_state(), with_rule)
        finally:
            # Exactly this rule: `auditctl -D -k KEY` takes every key that starts with KEY.
            subprocess.run(["auditctl", "-d", *rule[1:]], check=True, capture_output=True)
        self.assertStateRestored()

    def test_restore_state_puts_back_what_a_killed_program_left(self):
        # What a program killed mid-capture leaves: its rules, other settings. restore_state
        # deletes only the rules of the keys named (OTHER_KEY starts with KEY and stays).
        other = ["-a", "always,exit", "-F", "arch=b64", "-S", "chmod", "-k", OTHER_KEY]
        subprocess.run(["auditctl", *other], check=True, capture_output=True)
        try:
            with_other = read_state()
            for args in (["-a", "always,exit", "-F", "arch=b64", "-S", "execve", "-k", KEY],
                         ["-a", "always,exit", "-F", "arch=b32", "-S", "execve", "-k", KEY],
                         ["-b", "321"], ["--backlog_wait_time", "1234"], ["-e", "1"]):
                subprocess.run(["auditctl", *args], check=True, capture_output=True)
            self.assertNotEqual(read_state(), with_other)
            self.assertEqual(audit_sandbox.rules_with_key(KEY)[0],
                             f"-a always,exit -F arch=b64 -S execve -F key={KEY}")
            self.assertEqual(audit_sandbox.restore_state(with_other, (KEY,)), [])
            self.assertEqual(read_state(), with_other)
        finally:
            subprocess.run(["auditctl", "-d", *other[1:]], check=True, capture_output=True)
        self.assertStateRestored()

    def test_cli_records_a_command(self):
        proc = self.cli("/bin/sh", "-c", "exit 3")
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 3, err)
        self.assertStateRestored()
        with open(os.path.join(self.tmp.name, "out.log")) as f:  # hex: it has a space
            self.assertIn(f'a2={b"exit 3".hex().upper()}', f.read())

    def interrupt_mid_run(self, sig, expected_status):
        cmd, pidfile = self.sleeper()
        proc = self.cli(*cmd)
        m = wait_for_line(proc.stderr, rb"recording \(auditd pid (\d+)", 30)
        self.assertIsNotNone(m, "the recorder did not start")
        deadline = time.monotonic() + 10
        while not os.path.exists(pidfile) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(read_state().status["pid"], m.group(1).decode())
        os.kill(proc.pid, sig)
        proc.wait(timeout=60)
        self.assertEqual(proc.returncode, expected_status)
        self.assertStateRestored()
        with open(pidfile) as f:  # the recorder ended its command
            sleeper = int(f.read())
        self.assertFalse(os.path.exists(f"/proc/{sleeper}") and
                         open(f"/proc/{sleeper}/stat").read().split()[2] != "Z")

    def test_sigterm_mid_run(self):
        self.interrupt_mid_run(signal.SIGTERM, 128 + signal.SIGTERM)

    def test_sigint_mid_run(self):
        self.interrupt_mid_run(signal.SIGINT, 128 + signal.SIGINT)

    def test_sigkill_mid_run_the_guard_restores(self):
        cmd, _ = self.sleeper()
        proc = self.cli(*cmd)
        self.assertIsNotNone(wait_for_line(proc.stderr, rb"recording \(auditd pid", 30))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.assertStateRestored(timeout=30)
        guard_log = os.path.join(self.tmp.name, "work", "guard.log")
        deadline = time.monotonic() + 10
        while not os.path.exists(guard_log) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(guard_log) as f:
            self.assertIn("restored the audit state", f.read())


if __name__ == "__main__":
    unittest.main()
