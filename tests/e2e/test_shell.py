"""The procaudit shell as users run it: one-shot, modes, scripts, errors, interactive."""
import csv
import io
import json
import os
import pty
import queue
import re
import select
import shutil
import signal
import stat
import struct
import subprocess
import tempfile
import termios
import threading
import time
import unittest

from procaudit_e2e import FIXTURE_PROC, SHELL, SOURCE_DIR, run

from audit_sandbox import host_lock, read_state
from test_acct_live import AccountingKept


class AuditStateKept:
    """For tests that may start a real live capture and live accounting (as root): hold the
    host's audit lock, so no other audit test runs meanwhile, and check the audit state and
    where accounting writes are as found afterwards."""

    def __init__(self, test):
        self.test = test

    def __enter__(self):
        if os.geteuid() != 0:
            self.lock = None
            return self
        self.lock = host_lock(600)
        self.lock.__enter__()
        self.acct = AccountingKept()
        self.acct.__enter__()
        self.before = read_state()
        return self

    def __exit__(self, *exc):
        if self.lock is None:
            return False
        try:
            try:
                after = read_state()
                self.test.assertEqual(after, self.before, self.before.diff(after))
            finally:
                self.acct.__exit__(*exc)
        finally:
            self.lock.__exit__(*exc)
        return False

ENDLESS = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c"


def shell(*args, **kwargs):
    return run([SHELL, *args], **kwargs)


class OneShotTest(unittest.TestCase):
    def test_list_is_the_default_off_a_terminal(self):
        r = shell("--proc-root", FIXTURE_PROC, "SELECT pid, name FROM process_tree WHERE pid IN (1, 100)")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "1|systemd\n100|my service\n")

    def test_json_values_are_typed(self):
        r = shell("--proc-root", FIXTURE_PROC, "--json",
                  "SELECT pid, name, path, argv FROM process_tree WHERE pid IN (100, 400)")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        self.assertEqual(rows[0]["pid"], 100)
        self.assertEqual(json.loads(rows[0]["argv"]), ["/usr/bin/oldbin", "--name", "hello world", "", "last"])
        self.assertIsNone(rows[1]["path"])

    def test_json_of_no_rows_is_an_empty_array(self):
        r = shell("--json", "SELECT * FROM process_tree WHERE pid = -1")
        self.assertEqual(json.loads(r.stdout), [])

    def test_csv_has_a_header_and_quotes(self):
        r = shell("--proc-root", FIXTURE_PROC, "--csv", "SELECT pid, cmdline FROM process_tree WHERE pid = 200")
        self.assertEqual(list(csv.reader(io.StringIO(r.stdout))),
                         [["pid", "cmdline"], ["200", 'sh -c echo "a;b"']])

    def test_line_mode(self):
        r = shell("--proc-root", FIXTURE_PROC, "--line", "SELECT pid, name FROM process_tree WHERE pid = 1")
        self.assertEqual(r.stdout, " pid = 1\nname = systemd\n")

    def test_table_mode_on_request(self):
        r = shell("--table", "SELECT 1 AS n, 'x' AS s")
        self.assertEqual(r.stdout, "+---+---+\n| n | s |\n+---+---+\n| 1 | x |\n+---+---+\n")

    def test_several_statements_and_arguments_run_in_order(self):
        r = shell("SELECT 1; SELECT 2", "SELECT 3")
        self.assertEqual(r.stdout, "1\n2\n3\n")

    def test_sql_error_is_one_line_and_exit_1(self):
        r = shell("SELECT * FROM no_such_table")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "Error: no such table: no_such_table\n")
        self.assertEqual(r.stdout, "")

    def test_unknown_option_is_one_line_and_exit_2(self):
        r = shell("--frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.splitlines()), 1)
        self.assertIn("--frobnicate", r.stderr)

    def test_bad_proc_root_is_one_line(self):
        r = shell("--proc-root", "/nonexistent", "SELECT * FROM open_files")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "Error: cannot open proc root '/nonexistent': No such file or directory\n")

    def test_help_and_version(self):
        r = shell("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: procaudit", r.stdout)
        r = shell("--version")
        self.assertRegex(r.stdout, r"^procaudit \d+\.\d+\.\d+ \(SQLite 3\.\d+")

    def test_tables_and_schema(self):
        r = shell(".tables")
        self.assertEqual(r.stdout.split(), ["acct_exits", "audit_status", "file_events", "open_files",
                                            "process_events", "process_lifecycle",
                                            "process_open_files", "process_open_sockets",
                                            "process_tree", "processes"])
        r = shell(".schema process_tree")
        self.assertIn("CREATE TABLE process_tree(", r.stdout)
        self.assertIn("root INTEGER HIDDEN", r.stdout)

    def test_script_on_stdin_with_dot_commands(self):
        script = "SELECT 1;\n.mode json\nSELECT 2 AS two;\nSELECT\n  3;\n"
        r = shell("--audit-mode", "off", input=script)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '1\n[\n  {"two":2}\n]\n[\n  {"3":3}\n]\n')

    def test_script_stops_at_the_first_error(self):
        r = shell("--audit-mode", "off", input="SELECT 1;\nSELECT bogus;\nSELECT 3;\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "1\n")


class DotCommandTest(unittest.TestCase):
    """.headers, .timer, .read, .output and .once, in scripts and one-shot arguments."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, name, text=None):
        path = os.path.join(self.dir, name)
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        return path

    def script(self, text):
        return shell("--audit-mode", "off", input=text)

    def test_headers_on_and_off(self):
        r = self.script(".headers on\nSELECT 1 AS a;\n.headers off\nSELECT 2 AS b;\n")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "a\n1\n2\n", ""))

    def test_headers_needs_on_or_off(self):
        r = self.script(".headers maybe\n")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: usage: .headers on|off\n"))

    def test_timer_prints_run_time_after_the_rows_of_each_statement(self):
        r = self.script(".timer on\nSELECT 1; SELECT 2;\n.timer off\nSELECT 3;\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual([lines[0], lines[2], lines[4]], ["1", "2", "3"])
        for line in (lines[1], lines[3]):  # sqlite3's format
            self.assertRegex(line, r"^Run Time: real \d+\.\d{3} user \d+\.\d{6} sys \d+\.\d{6}$")
        self.assertEqual(len(lines), 5)

    def test_timer_needs_on_or_off(self):
        r = shell(".timer")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: usage: .timer on|off\n"))

    def test_read_runs_statements_and_dot_commands_nested(self):
        inner = self.path("inner.sql", ".mode json\nSELECT 2 AS two;\n")
        outer = self.path("outer with space.sql",
                          "SELECT 1;\n.read '%s'\nSELECT\n  3 AS three" % inner)  # no ';' at EOF
        r = shell(".read '%s'" % outer, "SELECT 4 AS four")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, '1\n[\n  {"two":2}\n]\n[\n  {"three":3}\n]\n[\n  {"four":4}\n]\n')

    def test_an_error_stops_the_file_and_the_script(self):
        bad = self.path("bad.sql", "SELECT 1;\nSELECT bogus;\nSELECT 3;\n")
        r = self.script(".read %s\nSELECT 4;\n" % bad)
        self.assertEqual((r.returncode, r.stdout), (1, "1\n"))
        self.assertEqual(r.stderr, "Error: no such column: bogus\n")

    def test_read_of_a_missing_file_is_one_line_naming_it(self):
        missing = self.path("missing.sql")
        r = shell(".read " + missing)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "Error: cannot open '%s': No such file or directory\n" % missing)
        r = shell(".read " + self.dir)
        self.assertEqual(r.stderr, "Error: cannot open '%s': Is a directory\n" % self.dir)
        r = shell(".read")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: usage: .read FILE\n"))

    def test_a_file_that_reads_itself_stops_at_the_depth_limit(self):
        loop = self.path("loop.sql")
        self.path("loop.sql", "SELECT 'x';\n.read %s\n" % loop)
        r = shell(".read " + loop)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "x\n" * 16)
        self.assertEqual(r.stderr, "Error: .read %s: files read one inside another more than 16 "
                                   "deep\n" % loop)

    def test_output_goes_to_a_private_file_then_back_to_stdout(self):
        out = self.path("out.txt")
        r = self.script("SELECT 1;\n.output %s\nSELECT 2;\n.tables process_tr%%\n.output\n"
                        "SELECT 3;\n.output %s\nSELECT 4;\n.output stdout\nSELECT 5;\n" % (out, out))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "1\n3\n5\n", ""))
        with open(out) as f:
            self.assertEqual(f.read(), "4\n")  # truncated when opened again
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o600)

    def test_output_file_gets_everything_until_changed(self):
        out = self.path("out.txt")
        r = self.script(".output %s\nSELECT 2;\n.tables process_tr%%\n.mode\n" % out)
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)
        with open(out) as f:
            self.assertEqual(f.read(), "2\nprocess_tree\nlist\n")

    def test_once_takes_only_the_next_statement(self):
        once = self.path("once.txt")
        r = self.script(".once %s\nSELECT 2; SELECT 'same line';\nSELECT 3;\n" % once)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "3\n", ""))
        with open(once) as f:
            self.assertEqual(f.read(), "2\nsame line\n")
        self.assertEqual(stat.S_IMODE(os.stat(once).st_mode), 0o600)
        r = shell(".once")
        self.assertEqual((r.returncode, r.stderr), (1, "Error: usage: .once FILE\n"))

    def test_once_in_one_shot_arguments(self):
        once = self.path("once.txt")
        r = shell(".once " + once, "SELECT 1", "SELECT 2")
        self.assertEqual((r.returncode, r.stdout), (0, "2\n"), r.stderr)
        with open(once) as f:
            self.assertEqual(f.read(), "1\n")

    def test_unwritable_output_is_one_line_and_output_stays(self):
        bad = os.path.join(self.dir, "no", "such", "dir.txt")
        r = self.script("SELECT 1;\n.output %s\n" % bad)
        self.assertEqual((r.returncode, r.stdout), (1, "1\n"))
        self.assertEqual(r.stderr, "Error: cannot open '%s': No such file or directory\n" % bad)

    def test_help_lists_the_commands(self):
        r = shell(".help")
        for command in (".headers", ".mode", ".once", ".output", ".read", ".timer", ".schema"):
            self.assertIn("\n" + command + " ", "\n" + r.stdout)
        self.assertIn("tree", r.stdout)
        self.assertIn("--tree", shell("--help").stdout)


AUDIT_FIXTURES = os.path.join(SOURCE_DIR, "tests/fixtures/audit")


def tree_env(utf8):
    """The environment with a locale that says UTF-8, or the C locale."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE", "LANG")}
    env["LANG" if utf8 else "LC_ALL"] = "C.UTF-8" if utf8 else "C"
    return env


def parse_tree(text):
    """The lines of a drawn tree as (depth, pid, parent line's pid or None, rest of the line)."""
    nodes, path = [], []
    for line in text.splitlines():
        m = re.match(r"^((?:[\u2502 |][ ]|[\u251c\u2514|`][\u2500-])*)(\d+)(.*)$", line)
        assert m, "not a tree line: %r" % line
        depth = len(m.group(1)) // 2
        assert depth <= len(path), "line deeper than its parent: %r" % line
        del path[depth:]
        nodes.append((depth, int(m.group(2)), path[-1] if path else None, m.group(3).strip()))
        path.append(int(m.group(2)))
    return nodes


def read_manifest(name):
    """The cases of a fixture manifest: a list of {key: value} per line, the header first."""
    with open(os.path.join(AUDIT_FIXTURES, name)) as f:
        return [dict(w.split("=", 1) for w in line.split()) for line in f if line.strip()]


class TreeTest(unittest.TestCase):
    """--tree and .mode tree: rows with pid and ppid (or parent) drawn as pstree draws them."""

    def test_process_tree_has_pid_1_as_a_root_and_this_process_under_its_ancestors(self):
        chain, pid = [], os.getpid()
        while pid != 0:  # this process, its parent, ... up to the top
            chain.append(pid)
            with open("/proc/%d/stat" % pid) as f:
                pid = int(f.read().rsplit(")", 1)[1].split()[1])
        p = subprocess.Popen([SHELL, "--tree", "SELECT pid, ppid, name FROM process_tree"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=tree_env(utf8=True))
        out, err = p.communicate(timeout=60)
        self.assertEqual((p.returncode, err), (0, ""))
        self.assertIn("\u2514\u2500", out)  # box drawing in a UTF-8 locale
        nodes = parse_tree(out)
        with open("/proc/1/comm") as f:
            init = f.read().strip()
        self.assertIn((0, 1, None, init), nodes)  # pid 1 a root, its name beside it
        parent_of = {n[1]: n[2] for n in nodes}
        for child, parent in zip(chain, chain[1:]):
            self.assertEqual(parent_of[child], parent, "pid %d in\n%s" % (child, out))
        self.assertIsNone(parent_of[chain[-1]])  # the top of the chain is a root
        self.assertEqual(parent_of[p.pid], os.getpid())  # procaudit itself, under this test
        self.assertEqual(len(nodes), len(parent_of))  # a snapshot: every pid once

    def test_ascii_connectors_outside_a_utf8_locale(self):
        r = shell("--tree", "SELECT pid, ppid FROM process_tree", env=tree_env(utf8=False))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex(r.stdout, "[\u2500-\u257f]")
        self.assertIn("`-", r.stdout)
        parse_tree(r.stdout)

    def test_hand_made_rows_reuse_loops_and_missing_parents(self):
        sql = ("WITH t(pid, ppid, name) AS (VALUES (1, 0, 'init'), (5, 6, 'a'), (6, 5, 'b'), "
               "(7, 7, 'self'), (8, 1, 'old'), (8, 1, 'again'), (9, 8, 'child'), "
               "(10, NULL, 'orphan')) SELECT * FROM t")
        r = shell("--tree", sql, env=tree_env(utf8=False))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout,
                         "1      init\n"
                         "|-8    old\n"
                         "`-8    again\n"  # both rows of pid 8, in row order
                         "  `-9  child\n"  # under the nearest earlier row of pid 8
                         "5      a\n"      # 5 and 6 name each other: cut at the earlier row
                         "`-6    b\n"
                         "7      self\n"   # its own parent
                         "10     orphan\n")

    def test_mode_tree_with_headers_and_parent_column(self):
        r = shell("--audit-mode", "off", input=".mode tree\n.headers on\nWITH t(pid, parent, name) "
                  "AS (VALUES (1, NULL, 'a'), (2, 1, 'b')) SELECT name, pid, parent FROM t;\n"
                  ".mode\n", env=tree_env(utf8=False))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, "pid  name\n1    a\n`-2  b\ntree\n")

    def test_without_the_tree_columns_one_line_and_no_output(self):
        cases = [("SELECT pid, name FROM process_tree", "no ppid or parent column"),
                 ("SELECT ppid FROM process_tree", "no pid column"),
                 ("SELECT 1 AS x", "neither")]
        for sql, missing in cases:
            with self.subTest(sql=sql):
                r = shell("--tree", sql)
                self.assertEqual((r.returncode, r.stdout), (1, ""))
                self.assertEqual(r.stderr, "Error: tree mode needs a pid column and a ppid (or "
                                           "parent) column; the result has %s\n" % missing)

    def check_fixture_tree(self, out, manifest):
        """The workload's processes hang as its manifest says, every row of them."""
        cases = read_manifest(manifest)
        runner = int(cases[0]["runner_pid"])
        expected = {}  # pid -> its parent
        for case in cases[1:]:
            pid = int(case["pid"])
            expected[pid] = runner
            for key, value in case.items():
                if key.endswith("_pid") and key != "ns_child_pid":
                    expected[int(value)] = pid
            if "ns_child_pid" in case:
                expected[int(case["ns_child_pid"])] = int(case["ns_init_pid"])
        nodes = parse_tree(out)
        seen = set()
        for depth, pid, parent, _ in nodes:
            if pid in expected:
                seen.add(pid)
                self.assertEqual(parent, expected[pid], "pid %d in\n%s" % (pid, out))
        self.assertEqual(seen, set(expected))
        self.assertEqual([n[:3] for n in nodes if n[1] == runner][0], (0, runner, None))
        return nodes

    def test_process_lifecycle_of_the_recorded_workload(self):
        r = shell("--audit-log", os.path.join(AUDIT_FIXTURES, "workload.log"),
                  "--acct-file", os.path.join(AUDIT_FIXTURES, "workload.pacct"),
                  "--tree", "SELECT pid, ppid, path, exit_code, signal FROM process_lifecycle",
                  env=tree_env(utf8=True))
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        nodes = self.check_fixture_tree(r.stdout, "workload.manifest")
        rows = shell("--audit-log", os.path.join(AUDIT_FIXTURES, "workload.log"),
                     "--acct-file", os.path.join(AUDIT_FIXTURES, "workload.pacct"),
                     "SELECT count(*) FROM process_lifecycle")
        self.assertEqual(len(nodes), int(rows.stdout))  # every row drawn once
        endings = [c for c in read_manifest("workload.manifest")[1:] if c["case"] == "endings"][0]
        killed = [n for n in nodes if n[1] == int(endings["sigkill_pid"])]
        self.assertEqual(killed[0][3].split()[-1], "9")  # the other columns beside the pid

    def test_process_events_of_the_recorded_workloads(self):
        for log, manifest in (("workload.log", "workload.manifest"),
                              ("workload-enriched.log", "workload-enriched.manifest")):
            with self.subTest(log=log):
                sql = "SELECT pid, ppid, syscall, path FROM process_events"
                r = shell("--audit-log", os.path.join(AUDIT_FIXTURES, log), "--tree", sql,
                          env=tree_env(utf8=False))
                self.assertEqual((r.returncode, r.stderr), (0, ""))
                nodes = self.check_fixture_tree(r.stdout, manifest)
                count = shell("--audit-log", os.path.join(AUDIT_FIXTURES, log),
                              "SELECT count(*) FROM process_events")
                self.assertEqual(len(nodes), int(count.stdout))  # each event row a node


class UnprivilegedTest(unittest.TestCase):
    """Another user's exe and fd/ are unreadable: NULLs and skipped rows, never an error."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to run the shell as another user (setpriv)")
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv (util-linux) is not installed")

    def as_nobody(self, sql):
        return run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", SHELL, sql])

    def test_process_tree_as_nobody(self):
        r = self.as_nobody("SELECT count(*), count(path), count(name) FROM process_tree")
        self.assertEqual(r.returncode, 0, r.stderr)
        total, with_path, with_name = map(int, r.stdout.strip().split("|"))
        self.assertGreater(total, 0)
        self.assertLess(with_path, total)  # root's processes hide their exe
        self.assertEqual(with_name, total)

    def test_proc_query_as_nobody_does_not_try_the_live_capture(self):
        r = self.as_nobody("SELECT count(*) > 0 FROM process_tree")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "1\n", ""))

    def test_open_files_as_nobody_shows_only_readable_processes(self):
        r = self.as_nobody("SELECT count(*) FROM open_files WHERE pid = 1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "0")
        r = self.as_nobody("SELECT count(DISTINCT pid) FROM open_files")
        self.assertEqual(r.returncode, 0, r.stderr)


class InteractiveTest(unittest.TestCase):
    """The shell on a terminal: prompt, line editing, pretty tables, history."""

    def setUp(self):
        self.home = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    @staticmethod
    def read_until_prompt(fd, timeout=10):
        out = b""
        deadline = time.time() + timeout
        while b"procaudit>" not in out and time.time() < deadline:
            if select.select([fd], [], [], 0.5)[0]:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        return out

    # Tests that are not about the live capture keep away from the kernel's audit state.
    def converse(self, lines, args=("--audit-mode", "off")):
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["HOME"] = self.home
            os.environ["TERM"] = "dumb"
            os.execv(SHELL, [SHELL, *args])
        out = b""
        try:
            out = self.read_until_prompt(fd)  # a Ctrl-C typed before then would hit Python
            for line in lines:
                os.write(fd, line.encode() + b"\r")
                time.sleep(0.3)
            deadline = time.time() + 10
            while time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.5)
                if not ready:
                    if os.waitpid(pid, os.WNOHANG) != (0, 0):
                        break
                    continue
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            try:
                os.kill(pid, 9)  # our own child, by pid, in case it did not quit
            except ProcessLookupError:
                pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        return out.decode(errors="replace")

    def test_prompt_table_output_and_history(self):
        out = self.converse(["SELECT 40 + 2 AS answer;", ".quit"])
        self.assertIn("procaudit>", out)
        self.assertIn("| answer |", out)  # pretty table by default on a terminal
        self.assertIn("|     42 |", out)
        history = os.path.join(self.home, ".procaudit_history")
        self.assertTrue(os.path.exists(history))
        self.assertEqual(stat.S_IMODE(os.stat(history).st_mode), 0o600)
        with open(history, errors="replace") as f:
            # libedit's history file escapes spaces and other bytes as \ooo (vis(3)).
            text = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), f.read())
        self.assertIn("SELECT 40 + 2 AS answer;", text)

    def test_ctrl_c_interrupts_the_query_not_the_session(self):
        endless = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c;"
        out = self.converse([endless, "\x03", "SELECT 'still here' AS s;", ".quit"])
        self.assertIn("interrupted", out)
        self.assertIn("still here", out)

    def test_the_shell_starts_the_live_capture_or_warns_and_goes_on(self):
        with AuditStateKept(self):
            out = self.converse(["SELECT 40 + 2 AS answer;", ".quit"], args=())
        self.assertIn("|     42 |", out)
        warnings = [l for l in out.splitlines() if "live capture" in l]
        self.assertTrue(all(l.startswith(LiveCaptureTest.WARNING) for l in warnings), warnings)
        self.assertLessEqual(len(warnings), 1)

    def test_statement_over_two_lines(self):
        out = self.converse(["SELECT", "7 AS seven;", ".quit"])
        self.assertIn("...>", out)
        self.assertIn("|     7 |", out)

    def test_ctrl_c_at_the_prompt_discards_the_line_not_the_session(self):
        out = self.converse(["SELECT 'dropped' AS d\x03", "SELECT 'kept' AS k;", ".quit"])
        self.assertNotIn("| dropped |", out)
        self.assertIn("| kept |", out)

    def test_ctrl_c_discards_a_statement_being_continued(self):
        out = self.converse(["SELECT 'dropped'", "AS d\x03", "SELECT 'kept' AS k;", ".quit"])
        self.assertNotIn("| dropped |", out)
        self.assertIn("| kept |", out)

    def test_history_of_one_session_is_recalled_in_the_next(self):
        self.converse(["SELECT 'remembered' AS h;", ".quit"])
        # Ctrl-P twice: the line before the last (".quit"), then Enter.
        out = self.converse(["\x10\x10", ".quit"])
        self.assertIn("| remembered |", out)

    def test_read_stops_its_file_at_an_error_not_the_session(self):
        path = os.path.join(self.home, "bad.sql")
        with open(path, "w") as f:
            f.write("SELECT 'one' AS x;\nSELECT bogus;\nSELECT 'three' AS y;\n")
        out = self.converse([".read " + path, "SELECT 'after' AS a;", ".quit"])
        self.assertIn("| one |", out)
        self.assertIn("Error: no such column: bogus", out)
        self.assertNotIn("three", out)
        self.assertIn("| after |", out)

    # Tab completion, typed as a user types it: libedit reads the keys from the terminal.
    def test_tab_completes_a_table_name(self):
        out = self.converse(["SELECT 'done' AS r FROM process_tr\t LIMIT 1;", ".quit"])
        self.assertIn("FROM process_tree", out)
        self.assertIn("| done |", out)

    def test_tab_completes_the_common_prefix_and_lists_the_candidates(self):
        out = self.converse(["SELECT * FROM proc\t\t;", ".quit"])
        for name in ("process_events", "process_lifecycle", "process_open_files", "process_tree",
                     "processes"):
            self.assertIn(name, out)
        # Enter ran the line as completed: the common prefix, which is no table.
        self.assertIn("Error: no such table: process\r\n", out)

    def test_tab_completes_a_column_name_and_a_keyword(self):
        out = self.converse(["SELECT ppi\t FROM process_tree wher\t pid = 1;", ".quit"])
        self.assertIn("SELECT ppid  FROM process_tree where  pid = 1;", out)
        self.assertIn("| ppid |", out)

    def test_tab_completes_dot_commands_and_their_arguments(self):
        out = self.converse([".ti\t o\t\t", ".mode tr\t", "SELECT 1 AS pid, 0 AS ppid;",
                             ".quit"])
        self.assertIn(".timer ", out)
        self.assertRegex(out, r"off\s+on")  # .timer's two arguments listed
        self.assertIn(".mode tree", out)
        self.assertIn("Error: usage: .timer on|off", out)  # the line ran as ".timer o"
        self.assertRegex(out, r"\r\n1\r\n")  # tree mode drew the row

    def test_tab_completes_a_file_name_after_read(self):
        with open(os.path.join(self.home, "only_file.sql"), "w") as f:
            f.write("SELECT 'from the file' AS f;\n")
        out = self.converse([".read %s/only_f\t" % self.home, ".quit"])
        self.assertIn("| from the file |", out)

    def test_new_tables_complete_after_the_statement_that_made_them(self):
        out = self.converse(["SELECT 1 FROM process_tr\t LIMIT 0;",  # names read, and cached
                             "CREATE TABLE zebra_notes(stripes);",
                             "INSERT INTO zebra_notes VALUES (7);",
                             "SELECT strip\t FROM zebra_n\t;", ".quit"])
        self.assertIn("SELECT stripes  FROM zebra_notes ;", out)
        self.assertIn("| stripes |", out)

    def test_sigterm_at_the_prompt_exits_143_and_restores_the_terminal(self):
        pid, fd = pty.fork()
        if pid == 0:
            os.environ["HOME"] = self.home
            os.environ["TERM"] = "dumb"
            os.execv(SHELL, [SHELL, "--audit-mode", "off"])
        try:
            self.assertIn(b"procaudit>", self.read_until_prompt(fd))
            os.kill(pid, signal.SIGTERM)
            _, status = os.waitpid(pid, 0)
            self.assertEqual(os.waitstatus_to_exitcode(status), 143)
            # libedit reads in raw mode; the terminal is cooked again (echo, canonical).
            lflag = termios.tcgetattr(fd)[3]
            self.assertTrue(lflag & termios.ICANON and lflag & termios.ECHO)
        finally:
            try:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            os.close(fd)


class LiveCaptureTest(unittest.TestCase):
    """Without --audit-log/--audit-stdin, the event tables read the live capture. Whether it can
    start depends on the engine and privileges; what is checked here holds either way."""

    WARNING = "procaudit: warning: live capture off: "

    def test_proc_tables_alone_do_not_start_it(self):
        sql = "SELECT count(*) > 0 FROM process_tree"
        default, off = shell(sql), shell("--audit-mode", "off", sql)
        self.assertEqual((default.returncode, default.stdout, default.stderr), (0, "1\n", ""))
        self.assertEqual((off.returncode, off.stdout, off.stderr), (0, "1\n", ""))

    def test_one_shot_event_table_starts_it_or_says_why_in_one_line(self):
        with AuditStateKept(self):
            r = shell("SELECT count(*) >= 0 FROM process_events")
        if r.returncode == 0:
            self.assertEqual(r.stdout, "1\n")
        else:
            self.assertEqual(r.returncode, 1)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertTrue(r.stderr.startswith("Error: "), r.stderr)
            self.assertNotIn("no event source", r.stderr)  # it tried the live capture

    def test_audit_mode_off_leaves_the_event_tables_without_a_source(self):
        r = shell("--audit-mode", "off", "SELECT count(*) FROM process_events")
        self.assertEqual(r.returncode, 1)
        self.assertIn("process_events has no event source", r.stderr)

    def test_a_script_starts_it_at_once_and_goes_on_without_it(self):
        with AuditStateKept(self):
            r = shell(input="SELECT count(*) > 0 FROM process_tree;\n")
        self.assertEqual((r.returncode, r.stdout), (0, "1\n"), r.stderr)
        if r.stderr:  # cannot start: one warning line, and the /proc tables still answer
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertTrue(r.stderr.startswith(self.WARNING), r.stderr)
        r = shell("--audit-mode", "off", input="SELECT 1;\n")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "1\n", ""))


class SignalTest(unittest.TestCase):
    """Signals outside the interactive shell: one thread takes them, cleans up, exits 128+N."""

    def start(self, *args, **kwargs):
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        p = subprocess.Popen([SHELL, *args], text=True, **kwargs)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        return p

    def signal_after(self, p, signo, delay=0.3):
        time.sleep(delay)
        p.send_signal(signo)
        out, err = p.communicate(timeout=10)
        return p.returncode, out, err

    def test_one_shot_exits_128_plus_the_signal(self):
        for signo in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            with self.subTest(signal=signo.name):
                code, out, err = self.signal_after(self.start(ENDLESS), signo)
                self.assertEqual(code, 128 + signo)
                self.assertEqual((out, err), ("", ""))

    def test_script_on_stdin_exits_130_on_sigint(self):
        p = self.start("--audit-mode", "off", stdin=subprocess.PIPE)
        p.stdin.write(ENDLESS + ";\n")
        p.stdin.flush()
        code, _, err = self.signal_after(p, signal.SIGINT)
        self.assertEqual(code, 130)
        self.assertEqual(err, "")

    def test_a_signal_ignored_at_start_stays_ignored(self):
        # nohup: SIGHUP ignored. Linux would still queue it for sigwait; procaudit must not take it.
        p = self.start(ENDLESS, preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
        time.sleep(0.3)
        p.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        self.assertIsNone(p.poll())
        code, _, _ = self.signal_after(p, signal.SIGTERM, delay=0)
        self.assertEqual(code, 143)

    def test_audit_stdin_answers_on_sigterm_as_auditd_stops_its_plugin(self):
        # auditd sends SIGTERM to its plugins when it stops: the SQL runs over what arrived.
        log = os.path.join(SOURCE_DIR, "tests/fixtures/audit/workload.log")
        with open(log) as f:
            records = f.read()
        want = shell("--audit-log", log, "SELECT count(*) FROM process_events")
        p = self.start("--audit-stdin", "SELECT count(*) FROM process_events", stdin=subprocess.PIPE)
        p.stdin.write(records)
        p.stdin.flush()  # and left open
        code, out, err = self.signal_after(p, signal.SIGTERM, delay=0.5)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, want.stdout)
        self.assertEqual(err, "")


WORKLOAD_LOG = os.path.join(SOURCE_DIR, "tests/fixtures/audit/workload.log")
EXECS = "SELECT eid, pid, syscall, path FROM process_events WHERE syscall='execve'"


class Follower:
    """procaudit --audit-stdin --follow ..., its stdin a pipe, its stdout read line by line as
    it comes (by a thread, so a test can wait with a timeout)."""

    def __init__(self, test, *args):
        self.p = subprocess.Popen([SHELL, "--audit-stdin", "--follow", *args], text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        test.addCleanup(self.cleanup)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        for line in self.p.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def write(self, text):
        self.p.stdin.write(text)
        self.p.stdin.flush()

    def next_line(self, timeout=15):
        """The next line printed, or None at the end of the output; fails after timeout."""
        return self.lines.get(timeout=timeout)

    def finish(self, timeout=15):
        """Waits for the exit; returns (exit status, the lines not read yet, stderr)."""
        self.p.wait(timeout=timeout)
        self.reader.join(timeout)
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        return self.p.returncode, rest, self.p.stderr.read()

    def cleanup(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        for f in (self.p.stdin, self.p.stdout, self.p.stderr):
            try:
                f.close()
            except OSError:
                pass


def workload_pieces(n):
    """The fixture log's lines in n pieces, cut between records."""
    with open(WORKLOAD_LOG) as f:
        lines = f.readlines()
    size = (len(lines) + n - 1) // n
    return ["".join(lines[i:i + size]) for i in range(0, len(lines), size)]


class FollowTest(unittest.TestCase):
    """--follow over --audit-stdin: rows printed as the records arrive, each exactly once."""

    @classmethod
    def setUpClass(cls):
        r = shell("--audit-log", WORKLOAD_LOG, "--json", EXECS)
        assert r.returncode == 0, r.stderr
        cls.replayed = json.loads(r.stdout)
        assert len(cls.replayed) > 30

    def test_rows_come_as_records_arrive_and_match_the_replay(self):
        f = Follower(self, "--json", EXECS)
        rows = []
        for piece in workload_pieces(3):
            f.write(piece)
            line = f.next_line()  # rows come while stdin is still open: flushed as they arrive
            self.assertIsNotNone(line)
            rows.append(json.loads(line))
        while len(rows) < len(self.replayed):  # the tracker releases the rest after 2 s
            line = f.next_line()
            self.assertIsNotNone(line)
            rows.append(json.loads(line))  # one JSON object per line
        self.assertEqual(rows, self.replayed)  # same rows, none twice, none missing
        f.p.send_signal(signal.SIGTERM)
        code, rest, err = f.finish()
        self.assertEqual((code, rest, err), (0, [], ""))

    def test_closing_stdin_ends_the_follow_with_exit_0(self):
        f = Follower(self, "--json", EXECS)
        f.write("".join(workload_pieces(1)))
        f.p.stdin.close()
        code, rest, err = f.finish()
        self.assertEqual((code, err), (0, ""))
        self.assertEqual([json.loads(l) for l in rest], self.replayed)

    def test_an_aggregate_gives_one_result_per_round(self):
        f = Follower(self, "--json", "SELECT count(*) AS n FROM process_events WHERE syscall='execve'")
        self.assertEqual(json.loads(f.next_line()), {"n": 0})  # the first round: an empty ring
        counts = []
        for piece in workload_pieces(2):
            f.write(piece)
            n = 0
            while n == 0:  # a round over new events that hold no exec counts 0
                n = json.loads(f.next_line())["n"]
                counts.append(n)
        f.p.stdin.close()
        code, rest, err = f.finish()
        self.assertEqual((code, err), (0, ""))
        counts += [json.loads(l)["n"] for l in rest]
        self.assertEqual(sum(counts), len(self.replayed))
        self.assertLess(max(counts), len(self.replayed))

    def test_table_mode_prints_a_header_once_then_list_rows(self):
        f = Follower(self, "--table", EXECS)
        self.assertEqual(f.next_line(), "eid|pid|syscall|path\n")  # at the first round
        rows = []
        for piece in workload_pieces(2):
            f.write(piece)
            rows.append(f.next_line())
        f.p.stdin.close()
        code, rest, err = f.finish()
        self.assertEqual((code, err), (0, ""))
        want = ["%d|%d|%s|%s\n" % (r["eid"], r["pid"], r["syscall"], r["path"] or "")
                for r in self.replayed]
        self.assertEqual(rows + rest, want)  # no boxes, no second header

    def test_sigint_ends_the_follow_with_exit_0(self):
        f = Follower(self, "--json", EXECS)
        f.write(workload_pieces(2)[0])
        self.assertIsNotNone(f.next_line())
        f.p.send_signal(signal.SIGINT)
        code, _, err = f.finish()
        self.assertEqual((code, err), (0, ""))

    def test_closed_output_ends_the_follow(self):
        r, w = os.pipe()
        os.close(r)  # like `procaudit --follow ... | head -1` once head is done
        p = subprocess.Popen([SHELL, "--audit-stdin", "--follow", "--json", EXECS], text=True,
                             stdin=subprocess.PIPE, stdout=w, stderr=subprocess.PIPE)
        os.close(w)
        try:
            p.stdin.write("".join(workload_pieces(1)))
            p.stdin.flush()
            _, err = p.communicate(timeout=15)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 128 + signal.SIGPIPE)
        self.assertEqual(err, "")

    def test_follow_with_an_audit_log_is_a_usage_error(self):
        r = shell("--follow", "--audit-log", WORKLOAD_LOG, EXECS)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.splitlines()), 1)
        self.assertIn("a replay ends", r.stderr)

    def test_live_follow_starts_or_fails_in_one_line(self):
        # multicast only reads: it changes no audit state when the capture can start.
        with AuditStateKept(self):
            self._live_follow()

    def _live_follow(self):
        p = subprocess.Popen([SHELL, "--follow", "--audit-mode", "multicast", EXECS], text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=3)
            self.assertEqual(p.returncode, 1)
            self.assertEqual(len(err.splitlines()), 1, err)
            self.assertTrue(err.startswith("procaudit: "), err)
        except subprocess.TimeoutExpired:  # it runs: SIGTERM ends it cleanly
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=10)
            self.assertEqual(p.returncode, 0, err)
            # Only warnings: auditing off, or rules that do not record every exec.
            for line in err.splitlines():
                self.assertTrue(line.startswith("procaudit: warning: "), err)


def json_rows(lines):
    return [json.loads(line) for line in lines]


def canonical(rows):
    """Rows as sorted JSON texts: the same rows in any order compare equal, duplicates kept."""
    return sorted(json.dumps(r, sort_keys=True) for r in rows)


class FollowEveryTableTest(unittest.TestCase):
    """--follow with each event table: file_events, acct_exits and process_lifecycle (FollowTest
    covers process_events), over --audit-stdin so no kernel state is touched."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir, True)

    def read_rows(self, follower, n, timeout=30):
        """The next n JSON rows the follower prints (fewer if it ends or time runs out)."""
        rows, deadline = [], time.monotonic() + timeout
        while len(rows) < n and time.monotonic() < deadline:
            try:
                line = follower.next_line(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            rows.append(json.loads(line))
        return rows

    def test_file_events(self):
        log = os.path.join(AUDIT_FIXTURES, "files.log")
        sql = "SELECT eid, pid, operation, syscall, path, target, success FROM file_events"
        want = json.loads(shell("--audit-log", log, "--json", sql).stdout)
        self.assertGreater(len(want), 30)
        f = Follower(self, "--json", sql)
        with open(log) as records:
            lines = records.readlines()
        half = len(lines) // 2
        f.write("".join(lines[:half]))
        rows = self.read_rows(f, 1)  # rows come while the input is still open
        self.assertEqual(len(rows), 1)
        f.write("".join(lines[half:]))
        f.p.stdin.close()
        code, rest, err = f.finish()
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(rows + json_rows(rest), want)  # in order, each once

    def test_acct_exits_of_a_growing_accounting_file(self):
        with open(os.path.join(AUDIT_FIXTURES, "workload.pacct"), "rb") as src:
            records = src.read()
        growing = os.path.join(self.dir, "pacct")
        open(growing, "wb").close()
        sql = "SELECT pid, ppid, comm, exit_code, signal FROM acct_exits"
        want = json.loads(shell("--acct-file", os.path.join(AUDIT_FIXTURES, "workload.pacct"),
                                "--json", sql).stdout)
        f = Follower(self, "--acct-file", growing, "--json", sql)
        half = len(records) // 64 // 2 * 64
        rows = []
        for piece in (records[:half], records[half:]):
            with open(growing, "ab") as out:  # as the kernel appends a record per exit
                out.write(piece)
            rows += self.read_rows(f, len(piece) // 64)
        self.assertEqual(rows, want)
        f.p.stdin.close()
        code, rest, err = f.finish()
        self.assertEqual((code, rest, err), (0, [], ""))

    def shifted_workload(self):
        """workload.log and workload.pacct moved in time so the workload (all within one second)
        ran a second ago: followed, the records arrive as a live capture's would, a few seconds
        before each acct-only end is due (those wait for audit's records, then print). Not in
        the future: libauparse ages an unfinished event by its timestamp against the clock, so
        records from the future are held until their time, which a live capture never sees."""
        with open(os.path.join(AUDIT_FIXTURES, "workload.log")) as f:
            log = f.read()
        stamp = re.compile(r"audit\((\d+)\.")
        delta = int(time.time()) - 1 - min(int(m) for m in stamp.findall(log))
        log = stamp.sub(lambda m: "audit(%d." % (int(m.group(1)) + delta), log)
        with open(os.path.join(AUDIT_FIXTURES, "workload.pacct"), "rb") as f:
            acct = bytearray(f.read())
        for off in range(0, len(acct) - len(acct) % 64, 64):  # struct acct_v3's ac_btime
            struct.pack_into("=I", acct, off + 24, struct.unpack_from("=I", acct, off + 24)[0] + delta)
        paths = os.path.join(self.dir, "workload.log"), os.path.join(self.dir, "workload.pacct")
        with open(paths[0], "w") as f:
            f.write(log)
        with open(paths[1], "wb") as f:
            f.write(acct)
        return log, paths

    def follow_lifecycle(self, log, log_path, acct_path):
        """Follows process_lifecycle while log (the text of log_path) streams in with acct_path
        beside it; checks that the ended processes print each once, as the replay shows them,
        and returns those rows.

        /proc is the fixture tree's: a process is "running" when a live one has its pid and
        start time, and the recorded pids (19xxx) may be this host's own right now, started
        within the shifted workload's seconds (seen under ASan in CI: such a process printed
        without its path, then again)."""
        sql = "SELECT pid, ppid, path, exit_code, signal, end_source FROM process_lifecycle"
        f = Follower(self, "--proc-root", FIXTURE_PROC, "--acct-file", acct_path, "--json", sql)
        f.write(log)
        # Ended processes only: one still running when the log ends has no end to print.
        ended = " WHERE end_source IS NOT NULL AND end_source <> 'running'"
        want = json.loads(shell("--proc-root", FIXTURE_PROC, "--audit-log", log_path, "--acct-file",
                                acct_path, "--json", sql + ended).stdout)
        rows = self.read_rows(f, len(want))  # acct-only ends come a few seconds after the end
        f.p.stdin.close()
        code, rest, err = f.finish()
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(canonical(rows + json_rows(rest)), canonical(want))
        return want

    def test_process_lifecycle_prints_each_process_once_when_its_end_is_known(self):
        log, (log_path, acct_path) = self.shifted_workload()
        want = self.follow_lifecycle(log, log_path, acct_path)
        sources = {r["end_source"] for r in want}
        self.assertIn("acct", sources)  # killed children: their end is only in accounting
        self.assertGreater(len(sources), 1)

    def test_process_lifecycle_follows_a_stream_from_the_past(self):
        """The recorded workload as recorded, hours or months ago: acct-only ends are long past
        their wait when their audit rows arrive, and still each process prints once."""
        log_path = os.path.join(AUDIT_FIXTURES, "workload.log")
        with open(log_path) as f:
            log = f.read()
        self.follow_lifecycle(log, log_path, os.path.join(AUDIT_FIXTURES, "workload.pacct"))

    def test_tree_mode_draws_each_round_as_a_tree(self):
        sql = "SELECT pid, ppid, syscall FROM process_events"
        want = shell("--audit-log", WORKLOAD_LOG, "SELECT count(*) FROM process_events")
        f = Follower(self, "--tree", sql)
        f.write("".join(workload_pieces(1)))
        f.p.stdin.close()
        code, rest, err = f.finish()
        self.assertEqual((code, err), (0, ""))
        nodes = parse_tree("".join(rest))
        self.assertEqual(len(nodes), int(want.stdout))
        self.assertTrue(any(depth > 0 for depth, *_ in nodes))

    def test_tree_mode_without_the_tree_columns_is_one_line(self):
        f = Follower(self, "--tree", "SELECT pid, syscall FROM process_events")
        code, rest, err = f.finish()
        self.assertEqual((code, rest), (1, []))
        self.assertEqual(err, "Error: tree mode needs a pid column and a ppid (or parent) column; "
                              "the result has no ppid or parent column\n")


if __name__ == "__main__":
    unittest.main()
