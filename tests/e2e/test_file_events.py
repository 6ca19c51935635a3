"""file_events end to end: tests/workload/file_ops's catalogue of file operations (every file
syscall; names relative, absolute, and relative to a directory descriptor; ENOENT, EACCES,
EEXIST, ENOTEMPTY; names the kernel logs in hex), compared row by row with the file_events row
file_ops says each operation must give (its manifest). From the committed recording
(tests/fixtures/audit/files.log) through the shell and through Python's sqlite3 module, and
from a fresh recording of this machine's kernel under a private auditd (root only; skipped with
the reason elsewhere).

The comparison (FileEventsChecks): every operation of the manifest is exactly one row, in the
order performed, matched on pid, syscall, operation, path, target, success and error; then each
row's status, fd, flags, mode, new_uid, new_gid, name and uid are checked. The only other rows
of file_ops's processes are the dynamic loader's opens before its first operation.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest
import urllib.parse
from collections import Counter

from procaudit_e2e import BUILD_DIR, EXTENSION, SHELL, SOURCE_DIR, audit_skip_reason, run, skip_for

from audit_sandbox import PrivateAuditd, file_rules

FIXTURES = os.path.join(SOURCE_DIR, "tests/fixtures/audit")
FIXTURE_LOG = os.path.join(FIXTURES, "files.log")
FIXTURE_MANIFEST = os.path.join(FIXTURES, "files.manifest")
FILE_OPS = os.path.join(BUILD_DIR, "workload/file_ops")
KEY = "procaudit_e2e_files"

# The columns a manifest line can give: text ones whose bytes matter (hex in the queries, so
# that a name that is not UTF-8 survives JSON and Python's decoding), integers, plain text.
BYTE_COLUMNS = ("path", "target", "name")
INT_COLUMNS = ("pid", "success", "status", "fd", "new_uid", "new_gid", "uid")
TEXT_COLUMNS = ("syscall", "operation", "error", "flags", "mode")
# A row's identity: an operation is found by these; the rest are checked once it is found.
IDENTITY = ("pid", "syscall", "operation", "path", "target", "success", "error")
DETAILS = ("status", "fd", "flags", "mode", "new_uid", "new_gid", "name", "uid")

SELECT = ("SELECT eid, exe, " + ", ".join(
    [f"CASE WHEN {c} IS NULL THEN NULL ELSE hex({c}) END AS {c}" for c in BYTE_COLUMNS]
    + list(INT_COLUMNS) + list(TEXT_COLUMNS)) + " FROM file_events")
# The dynamic loader's opens of a program linked with libc, before main().
LOADER_PATH = re.compile(rb"^(/etc/ld\.so\.cache|/.*\.so(\.[0-9]+)*)$")


def read_manifest(path):
    """(header, ops): file_ops's header line as a dict, and one dict per operation, values
    decoded (bytes for paths and names, int, str); a column the line leaves out is None, one
    it gives as * is absent (not checked)."""
    header, ops = None, []
    with open(path, "rb") as f:
        for line in f.read().decode("ascii").splitlines():
            fields = dict(kv.split("=", 1) for kv in line.split())
            if "workload" in fields:
                header = {k: urllib.parse.unquote(v) for k, v in fields.items()}
                continue
            if "op" not in fields:
                continue
            op = {"op": int(fields["op"])}
            for col in BYTE_COLUMNS + INT_COLUMNS + TEXT_COLUMNS:
                value = fields.get(col)
                if value == "*":
                    continue
                if value is not None:
                    value = urllib.parse.unquote_to_bytes(value)
                    value = (value if col in BYTE_COLUMNS else
                             int(value) if col in INT_COLUMNS else value.decode())
                op[col] = value
            ops.append(op)
    if header is None or header.get("workload") != "file_ops" or header.get("version") != "1":
        raise AssertionError(f"{path}: not a file_ops manifest (version 1)")
    return header, ops


def decode_rows(rows):
    """Query rows (dicts) with the hex columns back to bytes."""
    for r in rows:
        for col in BYTE_COLUMNS:
            if r[col] is not None:
                r[col] = bytes.fromhex(r[col])
    return rows


def shell_rows(log, where=""):
    r = run([SHELL, "--audit-log", log, "--json", f"{SELECT} {where} ORDER BY eid"])
    if r.returncode != 0:
        raise AssertionError(f"procaudit failed ({r.returncode}): {r.stderr.strip()}")
    return decode_rows(json.loads(r.stdout or "[]"))


def python_rows(log, where="", params=()):
    """The same through Python's sqlite3 module, the loadable extension and the table's
    argument."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.enable_load_extension(True)
        conn.load_extension(EXTENSION)
        conn.row_factory = sqlite3.Row
        sql = f"{SELECT.replace('FROM file_events', 'FROM file_events(?)')} {where} ORDER BY eid"
        return decode_rows([dict(r) for r in conn.execute(sql, (log, *params))])
    finally:
        conn.close()


def identity(row):
    return tuple(row.get(c) for c in IDENTITY)


def show(row):
    return " ".join(f"{c}={row.get(c)!r}" for c in IDENTITY + DETAILS if c in row)


class FileEventsChecks:
    """Assertions on file_events over one recorded run of file_ops."""

    def check_rows(self, rows, manifest_path, whole_log=True):
        """rows: file_events rows (decoded, in eid order). whole_log: rows is the whole table,
        so that rows of other processes are errors too (a fixture's log holds nothing else)."""
        header, ops = read_manifest(manifest_path)
        pids = {op["pid"] for op in ops}
        self.assertIn(int(header["pid"]), pids)
        if not whole_log:
            rows = [r for r in rows if r["pid"] in pids]
        self.assertTrue(rows, "file_events has no rows for file_ops")

        # The loader's opens: only before the first operation, only libraries and their cache.
        want = Counter(identity(op) for op in ops)
        first = next((i for i, r in enumerate(rows) if identity(r) in want), len(rows))
        loader, rows = rows[:first], rows[first:]
        for r in loader:
            self.assertTrue(r["pid"] == int(header["pid"]) and r["operation"] == "open_read"
                            and r["success"] == 1 and LOADER_PATH.match(r["path"] or b""),
                            f"a row before file_ops's first operation: {show(r)}")
        self.assertLessEqual(len(loader), 8, [show(r) for r in loader])

        # Every operation exactly once: nothing missing, nothing extra, nothing twice.
        got = Counter(identity(r) for r in rows)
        missing = [show(op) for op in ops if got[identity(op)] < want[identity(op)]]
        extra = [show(r) for r in rows if got[identity(r)] > want[identity(r)]]
        self.assertEqual((missing, extra), ([], []),
                         "operations without their row (first list) and rows no operation "
                         "expects (second list)")
        self.assertEqual([identity(r) for r in rows], [identity(op) for op in ops],
                         "rows not in the order of the operations")

        # Then each row's other columns.
        wrong = []
        for op, r in zip(ops, rows):
            for col in DETAILS:
                if col in op and r[col] != op[col]:
                    wrong.append(f"op {op['op']} ({op['syscall']} {op.get('path')!r}): {col} "
                                 f"is {r[col]!r}, expected {op[col]!r}")
            if r["exe"] != header["exe"]:
                wrong.append(f"op {op['op']}: exe is {r['exe']!r}, expected {header['exe']!r}")
        self.assertEqual(wrong, [])


class RecordedFixtureTest(unittest.TestCase, FileEventsChecks):
    """The committed recording (real kernel output, see tests/fixtures/audit/MANIFEST)."""
    maxDiff = None

    def test_fixture_is_a_whole_small_raw_log(self):
        self.assertLess(os.path.getsize(FIXTURE_LOG), 1 << 20)
        with open(FIXTURE_LOG, "rb") as f:
            lines = f.read().rstrip(b"\n").split(b"\n")
        self.assertTrue(lines[0].startswith(b"type=DAEMON_START ") and b" format=raw " in lines[0])
        self.assertTrue(lines[-1].startswith(b"type=DAEMON_END "))
        header, ops = read_manifest(FIXTURE_MANIFEST)
        self.assertEqual(header["dir"], "/tmp/procaudit-files/d")
        self.assertEqual(header["exe"], "/tmp/procaudit-files/bin/file_ops")
        self.assertEqual([op["op"] for op in ops], list(range(1, len(ops) + 1)))

    def test_through_the_shell(self):
        self.check_rows(shell_rows(FIXTURE_LOG), FIXTURE_MANIFEST)

    def test_through_python_sqlite3_and_the_extension(self):
        self.check_rows(python_rows(FIXTURE_LOG), FIXTURE_MANIFEST)

    def test_pid_constraints_give_the_rows_a_scan_gives(self):
        _, ops = read_manifest(FIXTURE_MANIFEST)
        pids = sorted({op["pid"] for op in ops})
        every = python_rows(FIXTURE_LOG)
        for pid in pids + [1]:
            with self.subTest(pid=pid):
                self.assertEqual(python_rows(FIXTURE_LOG, "WHERE pid = ?", (pid,)),
                                 [r for r in every if r["pid"] == pid])
                self.assertEqual(shell_rows(FIXTURE_LOG, f"WHERE pid = {pid}"),
                                 [r for r in every if r["pid"] == pid])
        marks = ", ".join("?" * len(pids))
        self.assertEqual(python_rows(FIXTURE_LOG, f"WHERE pid IN ({marks})", pids),
                         [r for r in every if r["pid"] in pids])


class LiveRecordingTest(unittest.TestCase, FileEventsChecks):
    """This machine's kernel, now: records file_ops and checks it the same way. Its directory's
    name has a space, so the kernel logs the CWD in hex as well."""
    maxDiff = None

    def setUp(self):
        skip_for(audit_skip_reason(FILE_OPS))
        self.work = tempfile.mkdtemp(prefix="procaudit-files-")
        self.addCleanup(shutil.rmtree, self.work, ignore_errors=True)

    def test_fresh_recording(self):
        os.chmod(self.work, 0o755)  # file_ops's EACCES child (uid 65534) needs to search DIR
        workdir = os.path.join(self.work, "work dir")
        os.mkdir(workdir, 0o755)
        os.chmod(workdir, 0o755)
        manifest = os.path.join(self.work, "files.manifest")
        with open(manifest, "wb") as out:
            with PrivateAuditd(os.path.join(self.work, "auditd"), key=KEY, log_format="RAW",
                               rules=file_rules(os.path.realpath(FILE_OPS))) as audit:
                proc = subprocess.run([FILE_OPS, workdir], stdout=out, timeout=60)
        self.assertEqual(proc.returncode, 0, "file_ops failed")
        # Rules of other programs on this host may be loaded too: only file_ops's pids count.
        self.check_rows(shell_rows(audit.log_path), manifest, whole_log=False)
        self.check_rows(python_rows(audit.log_path), manifest, whole_log=False)


if __name__ == "__main__":
    unittest.main()
