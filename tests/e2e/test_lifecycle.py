"""process_lifecycle end to end: an audit log and an accounting file of the same workload
(tests/workload/run_workload.sh, whose `endings` case exits 0, 1, 42, 255 and dies by SIGKILL,
SIGSEGV, SIGINT, SIGTERM), from the committed recording and, as root, from a fresh recording of
this machine's kernel (private auditd plus borrowed accounting, both left as found). Every
process of the workload must have the right parent and the right exit code or signal.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from procaudit_e2e import EXTENSION, SHELL, run, skip_for
from test_audit_replay import ENDINGS, FIXTURES, KEY, WORKLOAD, read_manifest, skip_reason

from acct_sandbox import PrivateAccounting, SandboxUnavailable, accounting_target
from audit_sandbox import PrivateAuditd, host_lock

COLUMNS = ("pid, ppid, parent_path, path, exec_count, start_source, end_source, exit_code, "
           "signal, signal_name, duration")


def shell_rows(log, pacct, where):
    r = run([SHELL, "--audit-log", log, "--acct-file", pacct, "--json",
             f"SELECT {COLUMNS} FROM process_lifecycle WHERE {where}"])
    if r.returncode != 0:
        raise AssertionError(f"procaudit failed: {r.stderr.strip()}")
    return json.loads(r.stdout or "[]")


def python_rows(log, pacct, where):
    """The loadable extension in Python's sqlite3, files as the table's arguments."""
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(EXTENSION)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute(
        f"SELECT {COLUMNS} FROM process_lifecycle(?, ?) WHERE {where}", (log, pacct))]
    conn.close()
    return rows


class LifecycleChecks:
    def check(self, query, manifest_path):
        manifest = read_manifest(manifest_path)
        with open(manifest_path) as f:
            runner = int(f.readline().split("runner_pid=")[1].split()[0])
        endings = manifest["endings"]
        parent = int(endings["pid"])
        rows = query(f"ppid = {parent} OR pid = {parent}")
        by_pid = {}
        for r in rows:
            self.assertNotIn(r["pid"], by_pid, f"two instances of {r['pid']}: {rows}")
            by_pid[r["pid"]] = r
        self.assertEqual(by_pid[parent]["ppid"], runner)
        self.assertEqual(by_pid[parent]["exit_code"], 0)
        for name in ENDINGS:
            pid, status = int(endings[f"{name}_pid"]), int(endings[f"{name}_status"])
            row = by_pid.get(pid)
            self.assertIsNotNone(row, f"{name} (pid {pid}) has no row")
            self.assertEqual(row["ppid"], parent, name)
            self.assertTrue(row["parent_path"].endswith("/endings"), row)
            self.assertIn(row["start_source"], ("fork", "vfork", "clone", "clone3"), row)
            if status & 0x7f:
                self.assertEqual((row["signal"], row["exit_code"]), (status & 0x7f, None), row)
                # Audit sees a core-dumping signal (ANOM_ABEND); only accounting sees the rest.
                expected = ("anom_abend",) if status & 0x7f == 11 else ("acct",)
                self.assertIn(row["end_source"], expected, row)
                self.assertTrue(row["signal_name"].startswith("SIG"), row)
            else:
                self.assertEqual((row["exit_code"], row["signal"]), (status >> 8, None), row)
                self.assertEqual(row["end_source"], "exit_group", row)
            self.assertGreaterEqual(row["duration"], 0, row)
        # The child that never exec'd runs its parent's image.
        noexec = by_pid[int(endings["noexec_sigkill_pid"])]
        self.assertEqual(noexec["exec_count"], 0)
        self.assertTrue(noexec["path"].endswith("/endings"), noexec)
        # Every case the runner started: its parent and the status the shell saw.
        for name, case in manifest.items():
            if "status" not in case:
                continue
            pid = int(case["pid"])
            [row] = query(f"pid = {pid} AND start_source IN ('fork', 'vfork', 'clone', 'clone3')")
            self.assertEqual(row["ppid"], runner, name)
            self.assertEqual(row["exit_code"], int(case["status"]), (name, row))


class RecordedFixtureTest(unittest.TestCase, LifecycleChecks):
    LOG = os.path.join(FIXTURES, "workload.log")
    PACCT = os.path.join(FIXTURES, "workload.pacct")
    MANIFEST = os.path.join(FIXTURES, "workload.manifest")

    def test_through_the_shell(self):
        self.check(lambda where: shell_rows(self.LOG, self.PACCT, where), self.MANIFEST)

    def test_through_python_sqlite3_with_table_arguments(self):
        self.check(lambda where: python_rows(self.LOG, self.PACCT, where), self.MANIFEST)

    def test_missing_accounting_file_is_one_line_error(self):
        manifest = read_manifest(self.MANIFEST)["endings"]
        r = run([SHELL, "--audit-log", self.LOG, "--no-acct", "--json",
                 "SELECT pid, end_source, signal FROM process_lifecycle('"
                 + self.LOG + "', '/nonexistent/pacct') WHERE pid = "
                 + manifest["sigkill_pid"]])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("/nonexistent/pacct", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


class LiveRecordingTest(unittest.TestCase, LifecycleChecks):
    """This machine's kernel, now: audit and accounting recorded together."""

    def setUp(self):
        skip_for(skip_reason())
        self.work = tempfile.mkdtemp(prefix="procaudit-lifecycle-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def test_fresh_recording(self):
        manifest = os.path.join(self.work, "workload.manifest")
        pacct = os.path.join(self.work, "pacct")
        try:
            with host_lock():  # the state is compared under the lock every borrower takes
                before = accounting_target()
                with PrivateAuditd(os.path.join(self.work, "auditd"), key=KEY) as audit:
                    with PrivateAccounting(pacct):
                        subprocess.run([WORKLOAD, manifest], check=True, timeout=60)
                after = accounting_target()
        except SandboxUnavailable as e:
            print(f"\nskipped: {e}", file=sys.stderr)
            self.skipTest(str(e))
        self.assertEqual(before and before.key(), after and after.key())
        self.check(lambda where: shell_rows(audit.log_path, pacct, where), manifest)


if __name__ == "__main__":
    unittest.main()
