"""process_events end to end: the workload's kernel records, replayed through the shell, the
stock sqlite3 CLI and Python's sqlite3 module, from the committed recordings and from a fresh
recording of this machine's kernel under a private auditd (root only; skipped with the reason
elsewhere); and the auditd plugin stream, on a pipe and from a real auditd.

The checks per workload case are in WorkloadChecks, shared by every source.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

from procaudit_e2e import BUILD_DIR, EXTENSION, SHELL, SOURCE_DIR, audit_skip_reason, run, skip_for

from audit_sandbox import PrivateAuditd

FIXTURES = os.path.join(SOURCE_DIR, "tests/fixtures/audit")
WORKLOAD = os.path.join(BUILD_DIR, "workload/run_workload.sh")
KEY = "procaudit_e2e_replay"
# tests/workload/endings.c's children, as named in the manifest.
ENDINGS = ("exit0", "exit1", "exit42", "exit255", "sigkill", "sigsegv", "sigint", "sigterm",
           "noexec_sigkill")


def read_manifest(path):
    with open(path) as f:
        return {c["case"]: c for c in (dict(kv.split("=", 1) for kv in line.split())
                                       for line in f if line.startswith("case="))}


def shell_json(log, sql):
    """Rows of sql with log as the session source, through the procaudit shell."""
    r = run([SHELL, "--audit-log", log, "--json", sql])
    if r.returncode != 0:
        raise AssertionError(f"procaudit failed: {r.stderr.strip()}")
    return json.loads(r.stdout or "[]")


def python_rows(log, sql):
    """The same through Python's sqlite3 module and the loadable extension, table argument."""
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(EXTENSION)
    conn.row_factory = sqlite3.Row
    sql = sql.replace("FROM process_events", "FROM process_events(?)")
    rows = [dict(r) for r in conn.execute(sql, (log,) * sql.count("process_events(?)"))]
    conn.close()
    return rows


class WorkloadChecks:
    """Assertions on one recorded log of tests/workload/run_workload.sh. query(sql) -> dicts."""

    def check_workload(self, query, manifest):
        m = read_manifest(manifest)

        def rows(pid, extra=""):
            return query("SELECT syscall, pid, parent, path, argv, cwd, arch, exit_code, ns_pid, "
                         "success, mode FROM process_events WHERE pid = %d %s ORDER BY eid"
                         % (int(pid), extra))

        def execs(pid):
            return rows(pid, "AND syscall IN ('execve', 'execveat')")

        with self.subTest(case="relative_exec"):
            e = execs(m["relative_exec"]["pid"])
            self.assertEqual([r["path"] for r in e], ["/usr/bin/dash", "/usr/bin/true"])
            self.assertEqual(json.loads(e[1]["argv"]), ["./true"])  # as written ...
            self.assertEqual(e[1]["cwd"], "/usr/bin")  # ... resolved against this cwd

        with self.subTest(case="argv_torture"):
            c = m["argv_torture"]
            e = execs(c["pid"])
            self.assertEqual(len(e), 1)
            argv = json.loads(e[0]["argv"])
            self.assertEqual(len(argv), int(c["argc"]))
            block = b"".join(a.encode() + b"\0" for a in argv)
            self.assertEqual(hashlib.sha256(block).hexdigest(), c["argv_sha256"])
            self.assertEqual(e[0]["cwd"].encode().hex().upper(), c["cwd_hex"])
            self.assertIn("", argv)
            self.assertIn("new\nline", argv)

        with self.subTest(case="execveat"):
            c = m["execveat"]
            at = execs(c["execveat_pid"])
            self.assertEqual([(r["syscall"], r["path"]) for r in at], [("execveat", "/usr/bin/true")])
            fe = execs(c["fexecve_pid"])
            self.assertEqual(fe[0]["syscall"], "execveat")
            self.assertEqual(fe[0]["path"], "/usr/bin/env")  # fexecve: the fd's file, named
            for pid in (c["execveat_pid"], c["fexecve_pid"]):
                self.assertEqual(rows(pid, "AND syscall = 'clone'")[0]["parent"], int(c["pid"]))

        with self.subTest(case="fork_noexec"):
            c = m["fork_noexec"]
            r = rows(c["child_pid"])
            self.assertEqual([x["syscall"] for x in r], ["clone", "exit_group"])
            self.assertEqual(r[0]["parent"], int(c["pid"]))
            self.assertEqual(r[1]["exit_code"], int(c["child_status"]))
            self.assertEqual(r[1]["path"], r[0]["path"])  # still its parent's image

        with self.subTest(case="raw_fork"):
            c = m["raw_fork"]
            for pid, syscall, status in ((c["fork_pid"], "fork", 4), (c["vfork_pid"], "vfork", 5)):
                r = rows(pid)
                self.assertEqual(sorted(x["syscall"] for x in r), sorted([syscall, "exit_group"]))
                self.assertEqual([x["exit_code"] for x in r if x["syscall"] == "exit_group"], [status])
                self.assertTrue(all(x["parent"] == int(c["pid"]) for x in r))

        with self.subTest(case="threads_exit"):
            c = m["threads_exit"]
            r = rows(c["pid"], "AND syscall IN ('exit', 'exit_group', 'clone', 'clone3')")
            kinds = [x["syscall"] for x in r]
            # Its own birth, then three thread exits and the process exit: no thread births.
            self.assertEqual(kinds, ["clone", "exit", "exit", "exit", "exit_group"])
            self.assertEqual(r[-1]["exit_code"], 7)
            self.assertIsNone(r[0]["exit_code"])
            for tid in c["thread_tids"].split(","):
                self.assertEqual(rows(tid), [])  # a thread is not a process

        with self.subTest(case="deleted_exe"):
            c = m["deleted_exe"]
            r = rows(c["child_pid"])
            self.assertEqual(execs(c["child_pid"])[0]["path"], c["exe"])
            self.assertEqual(r[-1]["syscall"], "exit_group")

        with self.subTest(case="memfd_exec"):
            e = execs(m["memfd_exec"]["child_pid"])
            self.assertEqual(e[0]["syscall"], "execveat")
            self.assertTrue(e[0]["path"].startswith("/memfd:"), e[0]["path"])
            self.assertTrue(e[0]["path"].endswith(" (deleted)"), e[0]["path"])

        with self.subTest(case="static32"):
            c = m["static32"]
            if "skipped" not in c:
                r = rows(c["pid"], "AND syscall = 'exit_group'")
                self.assertEqual((r[0]["arch"], r[0]["exit_code"]), ("i386", 5))
                child = rows(c["child_pid"])
                self.assertEqual([(x["syscall"], x["arch"]) for x in child],
                                 [("clone", "i386"), ("execve", "i386"), ("exit_group", "x86_64")])

        with self.subTest(case="newpidns"):
            c = m["newpidns"]
            r = rows(c["ns_child_pid"])
            self.assertEqual([x["syscall"] for x in r], ["clone", "execve", "exit_group"])
            self.assertEqual(r[0]["parent"], int(c["ns_init_pid"]))
            self.assertTrue(all(x["ns_pid"] == int(c["ns_child_nspid"]) for x in r), r)

        with self.subTest(case="endings"):
            c = m["endings"]
            for name in ENDINGS:
                status = int(c[name + "_status"])
                r = rows(c[name + "_pid"])
                self.assertEqual(r[0]["syscall"], "clone", name)
                self.assertTrue(all(x["parent"] == int(c["pid"]) for x in r), (name, r))
                kinds = [x["syscall"] for x in r]
                if status & 0x7f:  # killed: no exit syscall at all
                    self.assertNotIn("exit_group", kinds, name)
                else:
                    self.assertEqual(kinds[-1], "exit_group", name)
                    self.assertEqual(r[-1]["exit_code"], status >> 8, name)
                self.assertEqual("execve" in kinds, name != "noexec_sigkill", name)

        # Every exec names its parent, and every row has a path.
        self.assertEqual(query("SELECT count(*) AS n FROM process_events "
                               "WHERE syscall LIKE 'exec%' AND (parent IS NULL OR path IS NULL)"),
                         [{"n": 0}])


class RecordedFixtureTest(unittest.TestCase, WorkloadChecks):
    """The committed recordings (real kernel output, see tests/fixtures/audit/MANIFEST)."""

    def test_raw_log_through_the_shell(self):
        log = os.path.join(FIXTURES, "workload.log")
        self.check_workload(lambda sql: shell_json(log, sql), os.path.join(FIXTURES, "workload.manifest"))

    def test_enriched_log_through_python_sqlite3(self):
        log = os.path.join(FIXTURES, "workload-enriched.log")
        self.check_workload(lambda sql: python_rows(log, sql),
                            os.path.join(FIXTURES, "workload-enriched.manifest"))

    def test_sqlite3_cli_loads_the_extension_and_replays(self):
        log = os.path.join(FIXTURES, "workload.log")
        r = run(["sqlite3", "-cmd", f".load {EXTENSION}", ":memory:",
                 f"SELECT count(*) > 100, count(DISTINCT path) > 10 FROM process_events('{log}')"])
        self.assertEqual((r.returncode, r.stdout.strip(), r.stderr), (0, "1|1", ""))

    def test_missing_file_is_one_line_error(self):
        r = run([SHELL, "--audit-log", "/nonexistent/audit.log", "SELECT 1"])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "procaudit: cannot open audit log '/nonexistent/audit.log': "
                                   "No such file or directory\n")

    def test_stdin_stream_gives_the_same_rows_as_the_file(self):
        log = os.path.join(FIXTURES, "workload.log")
        sql = "SELECT eid, pid, parent, syscall, path, argv, cwd, exit_code, ns_pid FROM process_events"
        with open(log, "rb") as f:
            r = subprocess.run([SHELL, "--audit-stdin", "--json", sql], stdin=f,
                               capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), shell_json(log, sql))

    def test_bad_lines_warn_once_and_rows_still_come(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.log")
            with open(os.path.join(FIXTURES, "workload.log"), "rb") as f:
                data = f.read()
            with open(bad, "wb") as f:
                f.write(b"\x00\x01garbage\n" + data[: len(data) // 2] + b"\ntype=SYSC\n" +
                        data[len(data) // 2:])
            r = run([SHELL, "--audit-log", bad, "SELECT count(*) > 100 FROM process_events"])
            self.assertEqual(r.returncode, 0)
            self.assertEqual(r.stdout, "1\n")
            warnings = r.stderr.splitlines()
            self.assertEqual(len(warnings), 1, r.stderr)
            self.assertRegex(warnings[0], r"^procaudit: warning: .*bad\.log: skipped [2-4] bad "
                                          r"records \(first: .*bad\.log line 1: ")


def skip_reason():
    return audit_skip_reason(WORKLOAD)


class LiveRecordingTest(unittest.TestCase, WorkloadChecks):
    """This machine's kernel, now: records the workload and checks it the same way."""

    def setUp(self):
        skip_for(skip_reason())
        self.work = tempfile.mkdtemp(prefix="procaudit-replay-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def record(self, log_format, plugin=None):
        manifest = os.path.join(self.work, "workload.manifest")
        audit_dir = os.path.join(self.work, "auditd-" + log_format.lower())
        if plugin:
            plugin(audit_dir)
        with PrivateAuditd(audit_dir, key=KEY, log_format=log_format) as audit:
            subprocess.run([WORKLOAD, manifest], check=True, timeout=60)
        return audit.log_path, manifest

    def test_raw_recording(self):
        log, manifest = self.record("RAW")
        self.check_workload(lambda sql: shell_json(log, sql), manifest)

    def test_enriched_recording(self):
        log, manifest = self.record("ENRICHED")
        self.check_workload(lambda sql: python_rows(log, sql), manifest)

    def test_auditd_plugin_stream(self):
        """A real auditd runs packaging/auditd's plugin: its stream gives the workload's rows."""
        out = os.path.join(self.work, "plugin.json")
        sql_file = os.path.join(self.work, "plugin.sql")
        with open(sql_file, "w") as f:
            f.write("SELECT syscall, pid, parent, path, argv, cwd, arch, exit_code, ns_pid, "
                    "success, mode FROM process_events")

        def install(audit_dir):
            plugins = os.path.join(audit_dir, "plugins.d")
            os.makedirs(plugins)
            program = os.path.join(self.work, "audit-plugin")
            with open(os.path.join(SOURCE_DIR, "packaging/auditd/audit-plugin")) as f:
                script = f.read()
            script = (script.replace("BIN=/usr/bin/procaudit", f"BIN={SHELL}")
                      .replace("SQL_FILE=/etc/procaudit/plugin.sql", f"SQL_FILE={sql_file}")
                      .replace("OUT=/var/log/procaudit/plugin.json", f"OUT={out}"))
            with open(program, "w") as f:
                f.write(script)
            os.chmod(program, 0o755)
            with open(os.path.join(SOURCE_DIR, "packaging/auditd/procaudit.conf")) as f:
                conf = f.read().replace("/usr/libexec/procaudit/audit-plugin", program)
            # Shipped inactive; enabled here as an administrator would.
            self.assertIn("active = no", conf)
            conf = conf.replace("active = no", "active = yes")
            with open(os.path.join(plugins, "procaudit.conf"), "w") as f:
                f.write(conf)

        log, manifest = self.record("RAW", plugin=install)
        plugin_rows = self.whole_json_answer(out)
        self.assertGreater(len(plugin_rows), 30)

        def query(sql):  # the same checks, over the plugin's rows, via an in-memory table
            conn = sqlite3.connect(":memory:")
            conn.row_factory = sqlite3.Row
            cols = list(plugin_rows[0].keys())
            conn.execute("CREATE TABLE process_events (eid INTEGER PRIMARY KEY, %s)" % ", ".join(cols))
            conn.executemany("INSERT INTO process_events (%s) VALUES (%s)" % (
                ", ".join(cols), ", ".join("?" * len(cols))),
                [tuple(r[c] for c in cols) for r in plugin_rows])
            return [dict(r) for r in conn.execute(sql)]

        self.check_workload(query, manifest)

    def whole_json_answer(self, out, hang_guard=60.0):
        """auditd closes the plugin's stdin when it stops; procaudit then answers, in more than
        one write when the answer is long (a slow run, under ASan, was read between two): wait
        until out holds a whole JSON document."""
        deadline = time.monotonic() + hang_guard
        while True:
            try:
                with open(out) as f:
                    return json.load(f)
            except (FileNotFoundError, json.JSONDecodeError):
                if time.monotonic() >= deadline:
                    break
            time.sleep(0.1)
        text = open(out).read() if os.path.exists(out) else "(no file)"
        err = open(out + ".err").read() if os.path.exists(out + ".err") else ""
        self.fail(f"no whole JSON answer in {out} after {hang_guard} s: ...{text[-300:]!r}; "
                  f"stderr: {err!r}")


if __name__ == "__main__":
    unittest.main()
