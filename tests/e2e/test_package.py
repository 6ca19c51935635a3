"""The Debian package: `cpack -G DEB` of the build, checked the way dpkg and a user would see it,
without installing it on this machine.

PackageTest builds the package into a temporary directory once and checks its control data
(name, version, dependencies, conffiles, maintainer scripts), its file list with modes, and,
extracted into a temporary root: the shell runs, the stock sqlite3 CLI loads the extension, the
man page renders without a groff warning and holds every option of --help, the example
configuration's queries run, and the systemd unit parses (every key a directive of its section,
the capability set exactly the expected one; `systemd-analyze verify` where installed).

UnitCapabilitiesTest (root, with kernel audit and fanotify) runs the packaged shell with exactly
the unit's capability bounding set: live capture, live accounting and other users' processes
work; and without CAP_SYS_PTRACE or CAP_SYS_ADMIN what needs them does not, so each is needed.
It holds the host lock and checks that audit and accounting state are as found afterwards.
"""
import ctypes
import glob
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unittest

from procaudit_e2e import (BUILD_DIR, SHELL, SOURCE_DIR, end_children, nobody_process, run,
                           skip_for)

PACKAGE = "procaudit"
MULTIARCH = "x86_64-linux-gnu"  # Debian's library directory on this architecture

# Options the man page must list as options (they come from --help). The lead extends this list as
# the daemon's options land in --help: "--daemon", "--config", "--logger-path",
# "--host-identifier", "--store", "--no-store".
EXPECTED_OPTIONS = ["--follow", "--audit-log", "--audit-stdin", "--audit-mode", "--acct-file",
                    "--watch-dir", "--json", "--proc-root", "--version", "--help", "--daemon",
                    "--config", "--logger-path", "--logger", "--host-identifier", "--store",
                    "--no-store", "--check-config", "--tree", "--ring-rows"]

# Every file the package holds, with its mode. Directories are not listed.
EXPECTED_FILES = {
    "/usr/bin/procaudit": 0o755,
    f"/usr/lib/{MULTIARCH}/libprocaudit.so": 0o644,
    "/usr/libexec/procaudit/audit-plugin": 0o755,
    "/usr/share/man/man8/procaudit.8.gz": 0o644,
    "/lib/systemd/system/procaudit.service": 0o644,
    "/etc/procaudit/procaudit.conf": 0o644,
    "/etc/audit/plugins.d/procaudit.conf": 0o644,
    "/usr/share/doc/procaudit/README.md": 0o644,
    "/usr/share/doc/procaudit/tables.md": 0o644,
    "/usr/share/doc/procaudit/copyright": 0o644,
    "/usr/share/doc/procaudit/examples/procaudit.conf": 0o644,
    "/usr/share/lintian/overrides/procaudit": 0o644,
}
CONFFILES = ["/etc/procaudit/procaudit.conf", "/etc/audit/plugins.d/procaudit.conf"]
MAINTAINER_SCRIPTS = ["postinst", "prerm", "postrm"]

# The unit's capability bounding set, each justified in the unit file. Not CAP_NET_ADMIN.
# CAP_SETPCAP: the daemon shrinks its own bounding set once started (test_privilege.py).
UNIT_CAPABILITIES = {"CAP_AUDIT_CONTROL", "CAP_AUDIT_READ", "CAP_SYS_PACCT", "CAP_SYS_ADMIN",
                     "CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE", "CAP_SETPCAP"}
# linux/capability.h numbers of the capabilities the tests name.
CAPABILITY_NUMBERS = {"CAP_DAC_READ_SEARCH": 2, "CAP_SETPCAP": 8, "CAP_NET_ADMIN": 12,
                      "CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21,
                      "CAP_AUDIT_CONTROL": 30, "CAP_AUDIT_READ": 37}

# Directives of systemd 252 (systemd.unit(5), systemd.service(5), systemd.exec(5),
# systemd.kill(5)) that a unit like ours may use; a key outside its section's list is a typo or
# in the wrong section.
UNIT_DIRECTIVES = {
    "Unit": {"Description", "Documentation", "After", "Before", "Wants", "Requires", "BindsTo",
             "PartOf", "Conflicts", "ConditionPathExists", "ConditionCapability",
             "ConditionVirtualization", "AssertPathExists", "DefaultDependencies",
             "StartLimitIntervalSec", "StartLimitBurst"},
    "Service": {
        # systemd.service(5)
        "Type", "ExecStart", "ExecStartPre", "ExecStartPost", "ExecReload", "ExecStop",
        "ExecStopPost", "Restart", "RestartSec", "TimeoutStartSec", "TimeoutStopSec",
        "TimeoutSec", "RuntimeMaxSec", "WatchdogSec", "PIDFile", "RemainAfterExit",
        "SuccessExitStatus", "RestartPreventExitStatus", "NotifyAccess",
        # systemd.kill(5)
        "KillMode", "KillSignal", "RestartKillSignal", "SendSIGKILL", "FinalKillSignal",
        # systemd.exec(5)
        "User", "Group", "DynamicUser", "SupplementaryGroups", "WorkingDirectory",
        "CapabilityBoundingSet", "AmbientCapabilities", "NoNewPrivileges", "SecureBits",
        "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateNetwork",
        "PrivateUsers", "PrivateMounts", "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths",
        "StateDirectory", "StateDirectoryMode", "LogsDirectory", "LogsDirectoryMode",
        "RuntimeDirectory", "RuntimeDirectoryMode", "RuntimeDirectoryPreserve",
        "CacheDirectory", "ConfigurationDirectory", "UMask", "ProtectKernelTunables",
        "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock",
        "ProtectHostname", "ProtectProc", "ProcSubset", "RestrictAddressFamilies",
        "RestrictNamespaces", "RestrictRealtime", "RestrictSUIDSGID", "SystemCallArchitectures",
        "SystemCallFilter", "SystemCallErrorNumber", "LockPersonality",
        "MemoryDenyWriteExecute", "Environment", "EnvironmentFile", "StandardOutput",
        "StandardError", "SyslogIdentifier", "LimitNOFILE", "LimitCORE", "Nice", "IOSchedulingClass",
        "CPUSchedulingPolicy", "OOMScoreAdjust", "DevicePolicy", "DeviceAllow", "IPAddressDeny",
        "TasksMax", "MemoryMax"},
    "Install": {"WantedBy", "RequiredBy", "Alias", "Also"},
}

HANG = 120.0  # hang guard of every wait, seconds


def parse_unit(text):
    """A systemd unit file as {section: [(key, value), ...]}, keys in file order (systemd allows
    a key more than once, e.g. CapabilityBoundingSet=). Raises ValueError with the line number
    on anything systemd would not read: a key outside a section, a line without '=', a
    continuation backslash (not used here)."""
    units, section = {}, None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.endswith("\\"):
            raise ValueError(f"line {number}: continuation lines are not expected")
        if line.startswith("["):
            if not line.endswith("]"):
                raise ValueError(f"line {number}: bad section header {line!r}")
            section = line[1:-1]
            if section in units:
                raise ValueError(f"line {number}: section [{section}] again")
            units[section] = []
            continue
        if section is None:
            raise ValueError(f"line {number}: {line!r} before any section")
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"line {number}: not key=value: {line!r}")
        units[section].append((key.strip(), value.strip()))
    return units


def unit_values(units, section, key):
    return [v for k, v in units.get(section, []) if k == key]


def unit_value(units, section, key):
    values = unit_values(units, section, key)
    return values[-1] if values else None


def capability_bounding_set(units):
    """CapabilityBoundingSet= as systemd combines its lines: each adds its names, an empty one
    resets, a leading '~' inverts (not expected here)."""
    caps = set()
    for value in unit_values(units, "Service", "CapabilityBoundingSet"):
        if not value:
            caps = set()
        elif value.startswith("~"):
            raise ValueError("inverted CapabilityBoundingSet= is not expected")
        else:
            caps |= set(value.split())
    return caps


def dpkg_field(info, name):
    """A control field's value from `dpkg-deb -I` output (single-line fields)."""
    m = re.search(rf"^ {re.escape(name)}: (.*)$", info, re.M)
    return m.group(1).strip() if m else None


def listing(contents):
    """`dpkg-deb -c` output as {path: (mode string, owner/group)} for regular files."""
    files = {}
    for line in contents.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 6 or not parts[0].startswith("-"):
            continue
        path = parts[5]
        path = path[1:] if path.startswith("./") else path
        files["/" + path.lstrip("/")] = (parts[0], parts[1])
    return files


def mode_of(mode_string):
    """'-rwxr-xr-x' -> 0o755."""
    bits = 0
    for i, ch in enumerate(mode_string[1:10]):
        if ch != "-":
            bits |= 1 << (8 - i)
    return bits


def skip_reason():
    for tool in ("cpack", "dpkg-deb", "groff", "sqlite3"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    if not os.path.exists(os.path.join(BUILD_DIR, "CPackConfig.cmake")):
        return f"{BUILD_DIR} has no CPackConfig.cmake (configured before cmake/Packaging.cmake?)"
    if not os.path.exists(SHELL):
        return f"{SHELL} is not built"
    return None


def build_package(out_dir):
    """`cpack -G DEB -B out_dir` in the build directory; returns the .deb's path."""
    result = run(["cpack", "-G", "DEB", "-B", out_dir], cwd=BUILD_DIR, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"cpack failed ({result.returncode}): {result.stdout}{result.stderr}")
    debs = glob.glob(os.path.join(out_dir, "*.deb"))
    if len(debs) != 1:
        raise AssertionError(f"cpack made {debs}, not one .deb: {result.stdout}")
    return debs[0]


class Package:
    """The package built once for every test here, extracted (files and control) into a
    temporary directory removed at the end."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="procaudit-package-")
        try:
            self.deb = build_package(os.path.join(self.dir, "out"))
            self.root = os.path.join(self.dir, "root")
            self.control = os.path.join(self.dir, "control")
            self.info = self.dpkg_deb("-I", self.deb)
            self.contents = self.dpkg_deb("-c", self.deb)
            self.dpkg_deb("-x", self.deb, self.root)
            self.dpkg_deb("-e", self.deb, self.control)
        except BaseException:
            self.remove()
            raise

    @staticmethod
    def dpkg_deb(*args):
        result = run(["dpkg-deb", *args])
        if result.returncode != 0:
            raise AssertionError(f"dpkg-deb {' '.join(args)}: {result.stderr}")
        return result.stdout

    def path(self, installed):
        return os.path.join(self.root, installed.lstrip("/"))

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


_package = None


def package():
    """The package, built on first use (the two test classes share it)."""
    global _package
    if _package is None:
        _package = Package()
    return _package


def tearDownModule():
    if _package is not None:
        _package.remove()


class PackageTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        skip_for(skip_reason(), "skipping the package tests")
        cls.pkg = package()


class ControlTest(PackageTestCase):
    """What dpkg reads before it installs anything."""

    def test_control_fields(self):
        info = self.pkg.info
        self.assertEqual(dpkg_field(info, "Package"), PACKAGE)
        version = run([SHELL, "--version"]).stdout.split()[1]
        self.assertEqual(dpkg_field(info, "Version"), f"{version}-1")
        arch = run(["dpkg", "--print-architecture"]).stdout.strip()
        self.assertEqual(dpkg_field(info, "Architecture"), arch)
        self.assertEqual(dpkg_field(info, "Section"), "admin")
        self.assertEqual(dpkg_field(info, "Priority"), "optional")
        self.assertEqual(dpkg_field(info, "Maintainer"), "procaudit developers")
        self.assertEqual(dpkg_field(info, "Recommends"), "auditd")
        self.assertEqual(dpkg_field(info, "Suggests"), "acct")
        self.assertEqual(os.path.basename(self.pkg.deb), f"{PACKAGE}_{version}-1_{arch}.deb")

    def test_depends_come_from_the_binaries(self):
        depends = [d.strip().split()[0] for d in dpkg_field(self.pkg.info, "Depends").split(",")]
        for library in ("libsqlite3-0", "libaudit1", "libauparse0", "libedit2", "libc6",
                        "libstdc++6"):
            self.assertIn(library, depends)
        self.assertNotIn("auditd", depends, "auditd is recommended, not required")

    def test_conffiles_are_the_files_under_etc(self):
        with open(os.path.join(self.pkg.control, "conffiles")) as f:
            self.assertEqual(f.read().split(), CONFFILES)
        under_etc = sorted(p for p in EXPECTED_FILES if p.startswith("/etc/"))
        self.assertEqual(sorted(CONFFILES), under_etc)

    def test_maintainer_scripts_are_executable_posix_shell(self):
        for name in MAINTAINER_SCRIPTS:
            with self.subTest(script=name):
                path = os.path.join(self.pkg.control, name)
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o755)
                with open(path) as f:
                    self.assertEqual(f.readline().strip(), "#!/bin/sh")
                result = run(["sh", "-n", path])
                self.assertEqual(result.returncode, 0, result.stderr)

    def test_ldconfig_trigger_for_the_library_directory(self):
        with open(os.path.join(self.pkg.control, "triggers")) as f:
            self.assertEqual(f.read().split(), ["activate-noawait", "ldconfig"])

    def test_the_service_is_neither_enabled_nor_started_on_install(self):
        with open(os.path.join(self.pkg.control, "postinst")) as f:
            commands = [line for line in f.read().splitlines()
                        if line.strip() and not line.lstrip().startswith("#")]
        self.assertTrue(commands)
        for line in commands:
            self.assertNotRegex(line, r"\benable\b|\bstart\b")


class ContentsTest(PackageTestCase):
    """The file list, modes and owners, and what the extracted files do."""

    def test_exactly_the_expected_files_with_their_modes(self):
        files = listing(self.pkg.contents)
        self.assertEqual(sorted(files), sorted(EXPECTED_FILES))
        for path, (mode, owner) in files.items():
            with self.subTest(path=path):
                self.assertEqual(mode_of(mode), EXPECTED_FILES[path], mode)
                self.assertEqual(owner, "root/root")

    def test_packaged_shell_runs(self):
        result = run([self.pkg.path("/usr/bin/procaudit"), "--version"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"^procaudit \d+\.\d+\.\d+ \(SQLite 3\.")
        result = run([self.pkg.path("/usr/bin/procaudit"), "--proc-root",
                      os.path.join(SOURCE_DIR, "tests/fixtures/proc"),
                      "SELECT count(*) FROM processes"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(int(result.stdout), 0)

    def test_stock_sqlite3_loads_the_packaged_extension(self):
        library = self.pkg.path(f"/usr/lib/{MULTIARCH}/libprocaudit")
        result = run(["sqlite3", "-cmd", f".load {library}", ":memory:",
                      "SELECT count(*) FROM processes"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(int(result.stdout), 0)

    def test_bare_name_loads_from_the_library_directory(self):
        """`.load libprocaudit` with no path: dlopen searches its directories. The package's
        directory is one of the system's (ld.so's own list); here it stands in through
        LD_LIBRARY_PATH, which dlopen searches the same way."""
        result = run(["/lib64/ld-linux-x86-64.so.2", "--help"])
        if result.returncode == 0 and "search path" in result.stdout:
            self.assertIn(f"/usr/lib/{MULTIARCH}", result.stdout)
        env = dict(os.environ, LD_LIBRARY_PATH=self.pkg.path(f"/usr/lib/{MULTIARCH}"))
        result = run(["sqlite3", "-cmd", ".load libprocaudit", ":memory:",
                      "SELECT count(*) FROM processes"], env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertGreater(int(result.stdout), 0)

    def test_audit_plugin_ships_inactive_and_points_at_the_packaged_program(self):
        with open(self.pkg.path("/etc/audit/plugins.d/procaudit.conf")) as f:
            conf = dict(line.split("=", 1) for line in f.read().splitlines()
                        if "=" in line and not line.lstrip().startswith("#"))
        conf = {k.strip(): v.strip() for k, v in conf.items()}
        self.assertEqual(conf["active"], "no")
        self.assertEqual(conf["path"], "/usr/libexec/procaudit/audit-plugin")
        self.assertIn(conf["path"], EXPECTED_FILES)
        with open(self.pkg.path(conf["path"])) as f:
            self.assertIn("BIN=/usr/bin/procaudit", f.read())

    def test_nothing_from_tests_or_benchmarks(self):
        for line in self.pkg.contents.splitlines():
            self.assertNotRegex(line, r"test|bench|fixture|\.h$")


class ManPageTest(PackageTestCase):
    """procaudit(8): generated from --help at build time, rendered without a groff warning."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with gzip.open(cls.pkg.path("/usr/share/man/man8/procaudit.8.gz"), "rt") as f:
            cls.roff = f.read()
        cls.help = run([SHELL, "--help"]).stdout

    def render(self):
        # -P-cbou: plain text, no overstriking for bold and underline.
        result = run(["groff", "-man", "-Tutf8", "-ww", "-P-cbou"], input=self.roff,
                     env=dict(os.environ, LC_ALL="C.UTF-8"))
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout, result.stderr

    def test_renders_without_warnings(self):
        result = run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=self.roff)
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stderr, "")
        if shutil.which("man"):
            page = self.pkg.path("/usr/share/man/man8/procaudit.8.gz")
            result = run(["man", "-l", page], env=dict(os.environ, MANPAGER="cat", MANWIDTH="80"))
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("procaudit", result.stdout)

    def test_is_the_page_the_build_made(self):
        with open(os.path.join(BUILD_DIR, "man/procaudit.8")) as f:
            self.assertEqual(f.read(), self.roff)
        with open(self.pkg.path("/usr/share/man/man8/procaudit.8.gz"), "rb") as f:
            header = f.read(10)
        self.assertEqual(header[4:8], b"\0\0\0\0", "gzip -n: no time stamp in the header")

    def test_sections(self):
        self.assertRegex(self.roff, re.compile(r'^\.TH PROCAUDIT "8"', re.M))
        headers = re.findall(r'^\.SH "?([A-Z ]+)"?$', self.roff, re.M)
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "SIGNALS", "CAPABILITIES",
                        "ENVIRONMENT", "FILES", "SEE ALSO"):
            self.assertIn(section, headers)
        self.assertLess(headers.index("SIGNALS"), headers.index("FILES"))
        text, _ = self.render()
        for words in ("SIGTERM", "SIGHUP", "/etc/procaudit/procaudit.conf", "CAP_AUDIT_CONTROL",
                      "/run/procaudit"):
            self.assertIn(words, text)

    def option_tags(self):
        """The options the page lists as options: the tags of its .TP paragraphs."""
        tags = re.findall(r"^\.[TH]P\n(.*)$", self.roff, re.M)
        return {o.replace("\\-", "-") for t in tags
                for o in re.findall(r"\\-\\-[a-z]+(?:\\-[a-z]+)*", t)}

    def test_lists_the_expected_options(self):
        tags = self.option_tags()
        for option in EXPECTED_OPTIONS:
            self.assertIn(option, tags)

    def test_lists_every_option_of_help(self):
        """Generated from --help: an option added there reaches the page by the next build."""
        in_help = set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", self.help, re.M))
        in_help |= set(re.findall(r", (--[a-z][a-z-]*)", self.help))
        self.assertGreater(len(in_help), 15)
        self.assertEqual(in_help - self.option_tags(), set())


class ExampleConfigTest(PackageTestCase):
    """/etc/procaudit/procaudit.conf: osquery's format, and queries that run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(cls.pkg.path("/etc/procaudit/procaudit.conf")) as f:
            cls.config = json.load(f)

    def test_same_as_the_example_in_the_docs(self):
        with open(self.pkg.path("/usr/share/doc/procaudit/examples/procaudit.conf")) as f:
            self.assertEqual(json.load(f), self.config)

    def test_layout(self):
        self.assertEqual(set(self.config), {"options", "schedule", "packs"})
        self.assertEqual(self.config["options"]["logger_path"], "/var/log/procaudit")
        self.assertEqual(self.config["packs"], {"*": "/etc/procaudit/packs/*.conf"})
        schedule = self.config["schedule"]
        tables = {name: re.search(r"\bFROM (\w+)", q["query"]).group(1)
                  for name, q in schedule.items()}
        self.assertEqual(sorted(tables.values()), ["acct_exits", "audit_status",
                                                    "process_events", "process_open_sockets"])
        by_table = {t: schedule[name] for name, t in tables.items()}
        self.assertEqual(by_table["process_events"]["interval"], 60)
        self.assertFalse(by_table["process_events"].get("snapshot", False))
        self.assertTrue(by_table["process_open_sockets"]["snapshot"])
        self.assertEqual(by_table["audit_status"]["interval"], 300)
        self.assertTrue(by_table["audit_status"]["snapshot"])
        for query in schedule.values():
            self.assertIsInstance(query["interval"], int)
            self.assertTrue(query["description"])

    def test_every_scheduled_query_runs(self):
        """Against the recorded workload (audit log and accounting file), so a renamed column
        fails here rather than in the daemon."""
        fixtures = os.path.join(SOURCE_DIR, "tests/fixtures/audit")
        rows = {}
        for name, query in self.config["schedule"].items():
            with self.subTest(query=name):
                result = run([self.pkg.path("/usr/bin/procaudit"), "--json",
                              "--audit-log", os.path.join(fixtures, "workload.log"),
                              "--acct-file", os.path.join(fixtures, "workload.pacct"),
                              query["query"]])
                self.assertEqual(result.returncode, 0, result.stderr)
                rows[name] = json.loads(result.stdout or "[]")
        self.assertTrue(rows["process_execs"], "the workload's execs")
        self.assertTrue(rows["signal_deaths"], "the workload's SIGKILLed children")


class UnitFileTest(PackageTestCase):
    """/lib/systemd/system/procaudit.service, parsed as systemd reads it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.path = cls.pkg.path("/lib/systemd/system/procaudit.service")
        with open(cls.path) as f:
            cls.units = parse_unit(f.read())

    def test_every_key_is_a_directive_of_its_section(self):
        self.assertEqual(set(self.units), {"Unit", "Service", "Install"})
        for section, pairs in self.units.items():
            for key, _ in pairs:
                self.assertIn(key, UNIT_DIRECTIVES[section], f"[{section}] {key}=")

    def test_only_capability_lists_repeat(self):
        for section, pairs in self.units.items():
            keys = [k for k, _ in pairs if k != "CapabilityBoundingSet"]
            self.assertEqual(len(keys), len(set(keys)), f"a key repeats in [{section}]")

    def test_capabilities_exactly_the_expected_set(self):
        self.assertEqual(capability_bounding_set(self.units), UNIT_CAPABILITIES)
        self.assertIsNone(unit_value(self.units, "Service", "AmbientCapabilities"))
        self.assertIsNone(unit_value(self.units, "Service", "User"), "runs as root")

    def test_daemon_settings(self):
        expected = {
            "Type": "simple",
            "ExecStart": "/usr/bin/procaudit --daemon --config /etc/procaudit/procaudit.conf",
            "ExecReload": "/bin/kill -HUP $MAINPID",
            "KillSignal": "SIGTERM",
            "Restart": "on-failure",
            "NoNewPrivileges": "yes",
            "ProtectSystem": "strict",
            "ProtectHome": "read-only",
            "PrivateTmp": "yes",
            "StateDirectory": "procaudit",
            "StateDirectoryMode": "0700",
            "LogsDirectory": "procaudit",
            "LogsDirectoryMode": "0700",
            "RuntimeDirectory": "procaudit",
            "RuntimeDirectoryPreserve": "yes",
            "UMask": "0077",
            "RestrictAddressFamilies": "AF_NETLINK AF_UNIX",
            "SystemCallArchitectures": "native",
            "LockPersonality": "yes",
            "MemoryDenyWriteExecute": "yes",
        }
        for key, value in expected.items():
            self.assertEqual(unit_value(self.units, "Service", key), value, key)
        self.assertRegex(unit_value(self.units, "Service", "TimeoutStopSec"), r"^\d+$")
        self.assertEqual(set(unit_value(self.units, "Service", "ReadWritePaths").split()),
                         {"/var/lib/procaudit", "/var/log/procaudit", "/run/procaudit"})
        self.assertIsNone(unit_value(self.units, "Service", "ProtectProc"),
                          "the tables read every process's /proc")
        self.assertEqual(unit_value(self.units, "Unit", "After"), "auditd.service")
        self.assertEqual(unit_value(self.units, "Install", "WantedBy"), "multi-user.target")
        self.assertIn("/usr/bin/procaudit", EXPECTED_FILES)

    def test_the_config_it_names_is_in_the_package(self):
        argv = unit_value(self.units, "Service", "ExecStart").split()
        self.assertIn(argv[0], EXPECTED_FILES)
        self.assertIn(argv[argv.index("--config") + 1], CONFFILES)

    def test_parser_rejects_what_systemd_would_not_read(self):
        for text in ("Type=simple\n", "[Service]\nType simple\n", "[Service\nType=simple\n",
                     "[Service]\n[Service]\n"):
            with self.subTest(text=text), self.assertRaises(ValueError):
                parse_unit(text)

    def test_systemd_analyze_verify(self):
        """systemd's own check, offline (no running systemd needed). It looks for ExecStart's
        program on this host, where the package is not installed: a copy of the unit names the
        extracted one instead, the only change. --man=no: the page is not installed either."""
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            self.skipTest("systemd-analyze is not installed")
        with open(self.path) as f:
            text = f.read()
        self.assertEqual(text.count("ExecStart=/usr/bin/procaudit "), 1)
        work = tempfile.mkdtemp(prefix="procaudit-unit-")
        self.addCleanup(shutil.rmtree, work, ignore_errors=True)
        copy = os.path.join(work, "procaudit.service")
        with open(copy, "w") as f:
            f.write(text.replace("ExecStart=/usr/bin/procaudit ",
                                 f"ExecStart={self.pkg.path('/usr/bin/procaudit')} "))
        result = run([analyze, "verify", "--man=no", copy])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout + result.stderr, "")


# --- The unit's capabilities, on this machine's kernel ------------------------------------------

def capability_mask(names):
    mask = 0
    for name in names:
        mask |= 1 << CAPABILITY_NUMBERS[name]
    return mask


def bounded_to(names):
    """A preexec_fn: the child's capability bounding set becomes exactly names (as systemd's
    CapabilityBoundingSet= does before it execs the daemon), and its inheritable set empty."""
    keep = capability_mask(names)
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24

    def drop():
        for cap in range(last + 1):
            if not keep & (1 << cap) and libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
                os._exit(126)
    return drop


def effective_capabilities(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^CapEff:\s*([0-9a-f]+)$", f.read(), re.M).group(1), 16)


def live_skip_reason():
    reason = skip_reason()
    if reason:
        return reason
    if os.geteuid() != 0:
        return "needs root: it starts live capture and accounting with the unit's capabilities"
    from audit_sandbox import SandboxUnavailable, check_prerequisites
    from acct_sandbox import accounting_target
    try:
        check_prerequisites()
        target = accounting_target()
        if target is not None:
            target.close()
    except SandboxUnavailable as e:
        return e.reason
    except OSError as e:
        return f"cannot probe process accounting: {e}"
    if not shutil.which("setpriv"):
        return "setpriv (util-linux) is not installed"
    return None


class UnitCapabilitiesTest(PackageTestCase):
    """The packaged shell under exactly the unit's bounding set does what the daemon's sources
    need; without CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH or CAP_SYS_ADMIN it cannot."""

    @classmethod
    def setUpClass(cls):
        skip_for(live_skip_reason(), "skipping the unit capability tests")
        super().setUpClass()
        cls.shell = cls.pkg.path("/usr/bin/procaudit")

    def setUp(self):
        from test_acct_live import AccountingKept  # noqa: E402 (a helper, not a test case)
        from audit_sandbox import read_state
        self.kept = AccountingKept()
        self.kept.__enter__()
        self.addCleanup(self.kept.__exit__, None, None, None)
        self.audit_before = read_state()
        self.addCleanup(self.check_audit_restored)
        self.children = []
        self.addCleanup(end_children, self.children)  # runs first

    def check_audit_restored(self):
        from audit_sandbox import read_state, restore_state
        after = read_state()
        if after != self.audit_before:
            left = restore_state(self.audit_before, ("procaudit",))
            self.fail(f"the audit state differs from before: {self.audit_before.diff(after)}"
                      + (f"; not restored either: {left}" if left else ""))

    def session(self, capabilities, *args):
        from live_procaudit import ShellSession
        s = ShellSession(self.shell, args, preexec_fn=bounded_to(capabilities))
        self.kept.pids.append(s.pid)
        self.addCleanup(s.end)
        return s

    def test_the_unit_set_runs_every_source(self):
        nobody = nobody_process(self.children)
        s = self.session(UNIT_CAPABILITIES)
        status = s.query("SELECT mode, acct_mode FROM audit_status WHERE role = 'session'")
        self.assertEqual(effective_capabilities(s.pid), capability_mask(UNIT_CAPABILITIES))
        self.assertEqual(len(status), 1, s.stderr)
        self.assertIn(status[0]["mode"], ("unicast", "multicast"), s.stderr)
        self.assertIn(status[0]["acct_mode"], ("own", "shared"), s.stderr)

        # Another user's process: its descriptors (DAC_READ_SEARCH, SYS_PTRACE) and executable.
        fds = s.query(f"SELECT fd, path FROM process_open_files WHERE pid = {nobody}")
        self.assertIn({"fd": 3, "path": "/etc/hostname"}, fds)
        tree = s.query(f"SELECT path FROM process_tree WHERE pid = {nobody}")
        self.assertEqual(tree, [{"path": os.path.realpath(shutil.which("sleep"))}])

        # A process started and killed now: its exec (audit) and its signal death (accounting).
        victim = subprocess.Popen(["sleep", "600"])
        self.children.append(victim)
        s.poll("SELECT pid FROM process_events WHERE syscall = 'execve' "
               f"AND pid = {victim.pid}", len, timeout=HANG)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        s.poll(f"SELECT signal_name FROM acct_exits WHERE pid = {victim.pid}",
               lambda rows: rows == [{"signal_name": "SIGKILL"}], timeout=HANG)
        self.assertEqual(s.stop(signal.SIGTERM), 128 + signal.SIGTERM, s.stderr)

    def test_other_users_processes_need_ptrace_and_dac_read_search(self):
        nobody = nobody_process(self.children)
        sql = f"SELECT fd, path FROM process_open_files WHERE pid = {nobody} AND fd = 3"
        for missing in ("CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH"):
            with self.subTest(without=missing):
                result = run([self.shell, "--json", "--audit-mode", "off", "--no-acct", sql],
                             preexec_fn=bounded_to(UNIT_CAPABILITIES - {missing}))
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertNotIn({"fd": 3, "path": "/etc/hostname"},
                                 json.loads(result.stdout or "[]"))
        result = run([self.shell, "--json", "--audit-mode", "off", "--no-acct", sql],
                     preexec_fn=bounded_to(UNIT_CAPABILITIES))
        self.assertEqual(json.loads(result.stdout), [{"fd": 3, "path": "/etc/hostname"}])

    def test_live_accounting_needs_sys_admin(self):
        s = self.session(UNIT_CAPABILITIES - {"CAP_SYS_ADMIN"}, "--audit-mode", "off", "--acct")
        with self.assertRaises(AssertionError) as failed:
            s.query("SELECT count(*) AS n FROM acct_exits")
        self.assertIn("CAP_SYS_ADMIN", str(failed.exception))


if __name__ == "__main__":
    unittest.main()
