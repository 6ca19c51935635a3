"""libprocaudit.so loaded into the stock sqlite3 CLI and Python's sqlite3 module."""
import json
import os
import sqlite3
import tempfile
import unittest

from procaudit_e2e import BUILD_DIR, EXTENSION, run


class Sqlite3CliTest(unittest.TestCase):
    def test_readme_command_prints_a_positive_count(self):
        # The exact form users type, from the directory that holds build/.
        parent, build = os.path.split(os.path.abspath(BUILD_DIR))
        r = run(["sqlite3", ":memory:", "-cmd", f".load ./{build}/libprocaudit",
                 "SELECT count(*) FROM process_tree"], cwd=parent)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(int(r.stdout.strip()), 0)

    def test_every_table_answers(self):
        for table in ("process_tree", "open_files", "processes", "process_open_files",
                      "process_open_sockets"):
            r = run(["sqlite3", ":memory:", "-cmd", f".load {EXTENSION}",
                     f"SELECT count(*) FROM {table} WHERE pid = {os.getpid()}"])
            self.assertEqual(r.returncode, 0, f"{table}: {r.stderr}")
            self.assertRegex(r.stdout.strip(), r"^\d+$")

    def test_this_process_is_found_with_its_parent(self):
        r = run(["sqlite3", ":memory:", "-cmd", f".load {EXTENSION}", "-json",
                 f"SELECT pid, ppid FROM process_tree WHERE pid = {os.getpid()}"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), [{"pid": os.getpid(), "ppid": os.getppid()}])

    def test_view_in_a_database_file_cannot_run_the_tables(self):
        # SQLITE_VTAB_DIRECTONLY: opening someone's database must not read host state.
        with tempfile.TemporaryDirectory() as d:
            db = os.path.join(d, "untrusted.db")
            made = run(["sqlite3", db, "-cmd", f".load {EXTENSION}",
                        "CREATE VIEW v AS SELECT pid, cmdline FROM process_tree"])
            self.assertEqual(made.returncode, 0, made.stderr)
            r = run(["sqlite3", db, "-cmd", f".load {EXTENSION}", "SELECT count(*) FROM v"])
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("unsafe use of virtual table", r.stderr)

    def test_syntax_error_is_reported_not_crashed(self):
        r = run(["sqlite3", ":memory:", "-cmd", f".load {EXTENSION}",
                 "SELECT * FROM process_tree WHERE"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("error", r.stderr.lower())


class PythonSqlite3Test(unittest.TestCase):
    def setUp(self):
        self.conn = sqlite3.connect(":memory:")
        self.conn.enable_load_extension(True)
        self.conn.load_extension(EXTENSION)

    def tearDown(self):
        self.conn.close()

    def test_own_process_row(self):
        row = self.conn.execute(
            "SELECT pid, parent, name, path FROM processes WHERE pid = ?", (os.getpid(),)).fetchone()
        self.assertEqual(row[0], os.getpid())
        self.assertEqual(row[1], os.getppid())
        self.assertEqual(row[3], os.path.realpath("/proc/self/exe"))

    def test_own_open_file_with_position(self):
        with tempfile.NamedTemporaryFile("w") as f:
            f.write("12345678")
            f.flush()
            rows = self.conn.execute(
                "SELECT path, pos, type, flag_names FROM open_files WHERE pid = ? AND fd = ?",
                (os.getpid(), f.fileno())).fetchall()
            self.assertEqual(len(rows), 1)
            path, pos, ftype, flags = rows[0]
            self.assertEqual(path, os.path.realpath(f.name))
            self.assertEqual(pos, 8)
            self.assertEqual(ftype, "file")
            self.assertTrue(flags.startswith("O_RDWR"), flags)

    def test_argv_round_trips_through_json(self):
        argv = json.loads(self.conn.execute(
            "SELECT argv FROM process_tree WHERE pid = ?", (os.getpid(),)).fetchone()[0])
        with open("/proc/self/cmdline", "rb") as f:
            expected = f.read().rstrip(b"\0").split(b"\0")
        self.assertEqual(argv, [a.decode() for a in expected])

    def test_extension_reports_its_own_errors(self):
        with self.assertRaises(sqlite3.OperationalError) as ctx:
            self.conn.execute("SELECT nope FROM process_tree").fetchall()
        self.assertIn("no such column", str(ctx.exception))


if __name__ == "__main__":
    unittest.main()
