// src/daemon/config.h (with config_values.h and osquery_json.h): osquery-format daemon configs,
// osquery's published packs, and one clear error for every way a config can be wrong.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "daemon/config.h"
#include "daemon/config_values.h"
#include "daemon/osquery_json.h"

namespace procaudit::daemon {
namespace {

namespace fs = std::filesystem;

const std::string kPacks =
    std::string(PROCAUDIT_SOURCE_DIR) + "/tests/fixtures/public/osquery-packs";

class TempDir {
 public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "daemon_config_test.XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    fs::create_directories(fs::path(file).parent_path());
    std::ofstream(file) << text;
    return file;
  }

 private:
  std::string path_;
};

// Runs body in a child process that cannot bypass file modes: as uid/gid 65534 when root (dir
// made readable to it), else as this user. Returns the child's exit status: 0 passed, 77 could
// not drop privileges.
int AsUnprivileged(const TempDir& dir, const std::function<int()>& body) {
  if (geteuid() == 0) chmod(dir.path().c_str(), 0755);
  const pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 &&
        (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0)) {
      _exit(77);
    }
    _exit(body());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return 77;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Parses text that must be valid.
DaemonConfig Parse(const std::string& text, const std::string& base_dir = "") {
  std::string error;
  auto config = ParseDaemonConfig(text, "/etc/procaudit/test.conf", base_dir, error);
  EXPECT_TRUE(config) << error;
  return config ? *config : DaemonConfig{};
}

// Parses text that must be refused, and returns the one error line.
std::string Error(const std::string& text, const std::string& base_dir = "") {
  std::string error;
  const auto config = ParseDaemonConfig(text, "/etc/procaudit/test.conf", base_dir, error);
  EXPECT_FALSE(config) << text;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  return error;
}

std::string OneQuery(const std::string& fields) {
  return R"({"schedule": {"ps": {"query": "SELECT pid FROM processes")" +
         (fields.empty() ? "" : ", " + fields) + "}}}";
}

const ScheduledQuery* Find(const DaemonConfig& c, const std::string& name) {
  for (const auto& q : c.queries) {
    if (q.name == name) return &q;
  }
  return nullptr;
}

size_t NotesContaining(const DaemonConfig& c, const std::string& needle) {
  return static_cast<size_t>(std::count_if(c.notes.begin(), c.notes.end(), [&](const auto& n) {
    return n.find(needle) != std::string::npos;
  }));
}

// --- Values ---------------------------------------------------------------------------------

TEST(ConfigValues, Sizes) {
  EXPECT_EQ(ParseSize("1024"), 1024u);
  EXPECT_EQ(ParseSize("10M"), 10u << 20);
  EXPECT_EQ(ParseSize("1G"), 1u << 30);
  EXPECT_EQ(ParseSize("512k"), 512u << 10);
  EXPECT_EQ(ParseSize("2MiB"), 2u << 20);
  EXPECT_EQ(ParseSize("3TB"), uint64_t{3} << 40);
  for (const char* bad :
       {"", "M", "10 M", "-1", "1.5G", "10X", "99999999999999999999", "20000000T"}) {
    EXPECT_FALSE(ParseSize(bad)) << bad;
  }
}

TEST(ConfigValues, Ages) {
  EXPECT_EQ(ParseAge("90"), 90u);
  EXPECT_EQ(ParseAge("30m"), 1800u);
  EXPECT_EQ(ParseAge("12h"), 43200u);
  EXPECT_EQ(ParseAge("7d"), 604800u);
  EXPECT_EQ(ParseAge("2w"), 1209600u);
  for (const char* bad : {"", "d", "7 d", "1y", "-3h", "1.5h"}) EXPECT_FALSE(ParseAge(bad)) << bad;
}

TEST(ConfigValues, Versions) {
  EXPECT_EQ(ParseVersion("1.4.5"), (std::vector<uint64_t>{1, 4, 5}));
  EXPECT_EQ(ParseVersion("5"), (std::vector<uint64_t>{5}));
  for (const char* bad : {"", "1.", ".1", "1..2", "v1.2", "1.2-rc1", "1.x", " 1.2"}) {
    EXPECT_FALSE(ParseVersion(bad)) << bad;
  }
  const auto v = [](const char* s) { return *ParseVersion(s); };
  EXPECT_TRUE(VersionNewer(v("5.0.1"), v("5.0.0")));
  EXPECT_TRUE(VersionNewer(v("5.10"), v("5.9.9")));  // numbers, not text
  EXPECT_FALSE(VersionNewer(v("5"), v("5.0.0")));
  EXPECT_FALSE(VersionNewer(v("2.11.0"), v("5.0.0")));
}

TEST(ConfigValues, Platforms) {
  for (const char* runs :
       {"", "linux", "posix", "all", "any", "Linux", "darwin,linux", "windows, posix", " , "}) {
    EXPECT_TRUE(PlatformRunsHere(runs)) << runs;
  }
  for (const char* skipped : {"darwin", "windows", "windows,darwin", "ubuntu", "freebsd", "lin"}) {
    EXPECT_FALSE(PlatformRunsHere(skipped)) << skipped;
  }
}

// --- osquery's config text ------------------------------------------------------------------

TEST(OsqueryJson, CommentLinesAreDroppedAndLinesTrimmed) {
  const StrippedConfig s = StripConfigComments("{\n  # hash\n  // slashes\n  \"a\": 1  \n}");
  EXPECT_EQ(s.text, "{\n\"a\": 1\n}\n");
  EXPECT_EQ(s.original_line, (std::vector<size_t>{1, 4, 5}));
}

TEST(OsqueryJson, BackslashNewlineJoinsLinesInsideStrings) {
  // osx-attacks.conf: "select * from launchd where \<newline>        name = ...".
  const StrippedConfig s = StripConfigComments("{\"q\": \"a \\\n    b\",\n\"r\": 1}");
  EXPECT_EQ(s.text, "{\"q\": \"a     b\",\n\"r\": 1}\n");
  EXPECT_EQ(s.original_line, (std::vector<size_t>{1, 3}));
  std::string error;
  const auto doc = ParseOsqueryJson("{\"q\": \"a \\\r\n b\"}", error);  // CRLF too
  ASSERT_TRUE(doc) << error;
  EXPECT_EQ((*doc)["q"], "a  b");
}

TEST(OsqueryJson, ErrorsNameTheOriginalLine) {
  std::string error;
  EXPECT_FALSE(ParseOsqueryJson("{\n# comment\n// comment\n\"a\": 1,\n}\n", error));
  EXPECT_EQ(error,
            "line 5: invalid JSON: syntax error while parsing object key - unexpected '}'; "
            "expected string literal");
}

TEST(OsqueryJson, TrailingCommentsAndBlockCommentsAreNotJson) {
  // osquery drops whole comment lines only.
  std::string error;
  EXPECT_FALSE(ParseOsqueryJson("{\"a\": 1 // one\n}", error));
  EXPECT_TRUE(error.starts_with("line 1: invalid JSON: ")) << error;
  EXPECT_FALSE(ParseOsqueryJson("{/* x */ \"a\": 1}", error));
}

TEST(OsqueryJson, DuplicateKeysAreNamedWithTheirPath) {
  std::string error;
  EXPECT_FALSE(
      ParseOsqueryJson(R"({"packs": {"ir": {"queries": {"crontab": {}, "crontab": {}}}}})", error));
  EXPECT_EQ(error,
            "packs.ir.queries.crontab: given twice in one object (osquery would keep only one)");
  EXPECT_FALSE(ParseOsqueryJson(R"({"a": [{"x": 1, "x": 2}]})", error));
  EXPECT_EQ(error, "a[0].x: given twice in one object (osquery would keep only one)");
  EXPECT_TRUE(ParseOsqueryJson(R"({"a": {"x": 1}, "b": {"x": 1}})", error)) << error;
}

TEST(OsqueryJson, NestingDeeperThanOsqueryAllowsIsRefused) {
  std::string error;
  const std::string deep = std::string(33, '[') + std::string(33, ']');
  EXPECT_FALSE(ParseOsqueryJson(deep, error));
  EXPECT_EQ(error, "line 1: nested deeper than 32 levels (osquery's limit)");
  const std::string ok = std::string(32, '[') + std::string(32, ']');
  EXPECT_TRUE(ParseOsqueryJson(ok, error)) << error;
  EXPECT_TRUE(ParseOsqueryJson(R"({"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", error));
}

TEST(OsqueryJson, InvalidUtf8IsAnErrorWithAPrintableMessage) {
  std::string error;
  EXPECT_FALSE(ParseOsqueryJson("{\"a\": \"\xff\xfe\"}", error));
  EXPECT_TRUE(error.starts_with("line 1: invalid JSON: ")) << error;
  EXPECT_TRUE(std::all_of(error.begin(), error.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
      << error;
}

// --- Schedule and queries -------------------------------------------------------------------

TEST(DaemonConfig, ScheduleQueriesKeepTheirNames) {
  const DaemonConfig c = Parse(R"({"schedule": {
      "ps": {"query": "SELECT pid FROM processes", "interval": 60, "description": "d",
             "value": "v"},
      "mounts": {"query": "SELECT * FROM mounts", "interval": "3600", "snapshot": true},
      "info": {"query": "SELECT 1", "interval": 600, "removed": false}}})");
  ASSERT_EQ(c.queries.size(), 3u);
  const ScheduledQuery& ps = c.queries[0];
  EXPECT_EQ(ps.name, "ps");
  EXPECT_EQ(ps.sql, "SELECT pid FROM processes");
  EXPECT_EQ(ps.interval_s, 60u);
  EXPECT_FALSE(ps.snapshot);
  EXPECT_TRUE(ps.removed);
  EXPECT_EQ(ps.description, "d");
  EXPECT_EQ(ps.value, "v");
  EXPECT_EQ(ps.pack, "");
  EXPECT_EQ(ps.origin, "/etc/procaudit/test.conf");
  EXPECT_EQ(c.queries[1].interval_s, 3600u);  // a string of digits, as many packs write it
  EXPECT_TRUE(c.queries[1].snapshot);
  EXPECT_FALSE(c.queries[2].removed);
  EXPECT_TRUE(c.notes.empty());
}

TEST(DaemonConfig, IntervalDefaultsToOsquerys3600OrTheOption) {
  EXPECT_EQ(Parse(OneQuery("")).queries.at(0).interval_s, 3600u);
  const DaemonConfig c = Parse(R"({"options": {"schedule_default_interval": "120"},
      "schedule": {"ps": {"query": "SELECT 1"}}})");
  EXPECT_EQ(c.queries.at(0).interval_s, 120u);
}

TEST(DaemonConfig, BadIntervalsNameTheKeyAndTheValue) {
  EXPECT_EQ(Error(OneQuery(R"("interval": 0)")),
            "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got 0");
  EXPECT_EQ(
      Error(OneQuery(R"("interval": 604801)")),
      "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got 604801");
  EXPECT_EQ(Error(OneQuery(R"("interval": -5)")),
            "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got -5");
  EXPECT_EQ(Error(OneQuery(R"("interval": 1.5)")),
            "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got 1.5");
  EXPECT_EQ(
      Error(OneQuery(R"("interval": "1h")")),
      "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got \"1h\"");
  EXPECT_EQ(Error(OneQuery(R"("interval": 18446744073709551616)")),
            "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got "
            "1.8446744073709552e+19");
  EXPECT_EQ(Error(OneQuery(R"("interval": "")")),
            "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got \"\"");
  EXPECT_EQ(Error(OneQuery(R"("interval": true)")),
            "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got true");
  EXPECT_EQ(Parse(OneQuery(R"("interval": 604800)")).queries.at(0).interval_s, 604800u);
  EXPECT_EQ(Parse(OneQuery(R"("interval": "1")")).queries.at(0).interval_s, 1u);
}

TEST(DaemonConfig, QueryMustBeANonEmptyString) {
  EXPECT_EQ(Error(R"({"schedule": {"ps": {"interval": 60}}})"),
            "/etc/procaudit/test.conf: schedule.ps: has no \"query\"");
  EXPECT_EQ(Error(R"({"schedule": {"ps": {"query": "  "}}})"),
            "/etc/procaudit/test.conf: schedule.ps.query: must not be empty");
  EXPECT_EQ(Error(R"({"schedule": {"ps": {"query": 7}}})"),
            "/etc/procaudit/test.conf: schedule.ps.query: must be a string, got 7");
  EXPECT_EQ(Error(R"({"schedule": {"ps": "SELECT 1"}})"),
            "/etc/procaudit/test.conf: schedule.ps: must be a query (an object), got \"SELECT 1\"");
  EXPECT_EQ(Error(R"({"schedule": {"": {"query": "SELECT 1"}}})"),
            "/etc/procaudit/test.conf: schedule: a query name must not be empty");
}

TEST(DaemonConfig, BooleansTakeOsquerysStringsToo) {
  const DaemonConfig c = Parse(OneQuery(R"("snapshot": "TRUE", "removed": "false")"));
  EXPECT_TRUE(c.queries.at(0).snapshot);
  EXPECT_FALSE(c.queries.at(0).removed);
  EXPECT_EQ(Error(OneQuery(R"("snapshot": "yes")")),
            "/etc/procaudit/test.conf: schedule.ps.snapshot: must be true or false, got \"yes\"");
  EXPECT_EQ(Error(OneQuery(R"("removed": 0)")),
            "/etc/procaudit/test.conf: schedule.ps.removed: must be true or false, got 0");
}

TEST(DaemonConfig, UnknownKeysAreErrorsNamingTheKey) {
  EXPECT_EQ(Error(R"({"schedul": {}})"),
            "/etc/procaudit/test.conf: schedul: unknown key (did you mean \"schedule\"?)");
  EXPECT_EQ(Error(R"({"views": {}})"),
            "/etc/procaudit/test.conf: views: unknown key (known here: options, schedule, packs)");
  EXPECT_EQ(Error(OneQuery(R"("intervall": 60)")),
            "/etc/procaudit/test.conf: schedule.ps.intervall: unknown key (did you mean "
            "\"interval\"?)");
  EXPECT_EQ(Error(OneQuery(R"("shard": 10)")),
            "/etc/procaudit/test.conf: schedule.ps.shard: unknown key (known here: query, "
            "interval, snapshot, removed, platform, version, description, value)");
  EXPECT_EQ(Error(R"({"options": {"logger_pth": "/x"}})"),
            "/etc/procaudit/test.conf: options.logger_pth: unknown key (did you mean "
            "\"logger_path\"?)");
  EXPECT_EQ(Error(R"({"packs": {"ir": {"queries": {}, "oncall": "me"}}})"),
            "/etc/procaudit/test.conf: packs.ir.oncall: unknown key (known here: queries, "
            "platform, version, discovery)");
}

TEST(DaemonConfig, IgnoredOsqueryKeysAreNoted) {
  const DaemonConfig c = Parse(R"({"decorators": {"load": ["SELECT uuid FROM system_info"]},
      "file_paths": {"etc": ["/etc/%%"]}, "yara": {}, "events": {}, "file_accesses": [],
      "auto_table_construction": {},
      "options": {"schedule_splay_percent": 10},
      "schedule": {"ps": {"query": "SELECT 1", "denylist": false}}})");
  ASSERT_EQ(c.queries.size(), 1u);
  EXPECT_EQ(c.notes.at(0),
            "/etc/procaudit/test.conf: options.schedule_splay_percent: ignored: "
            "procaudit runs each query at its interval, without osquery's random "
            "splay");
  EXPECT_EQ(c.notes.at(1),
            "/etc/procaudit/test.conf: decorators: ignored: procaudit adds no decorations to "
            "result lines");
  EXPECT_EQ(NotesContaining(c, ": ignored: "), 8u);
  EXPECT_EQ(NotesContaining(c, "schedule.ps.denylist: ignored: procaudit never denylists"), 1u);
  EXPECT_EQ(Error(OneQuery(R"("denylist": "maybe")")),
            "/etc/procaudit/test.conf: schedule.ps.denylist: must be true or false, got \"maybe\"");
}

TEST(DaemonConfig, PlatformsOtherThanLinuxAreSkippedWithANote) {
  const DaemonConfig c = Parse(R"({"schedule": {
      "a": {"query": "SELECT 1", "platform": "darwin"},
      "b": {"query": "SELECT 2", "platform": "linux,darwin"},
      "c": {"query": "SELECT 3", "platform": "posix"},
      "d": {"query": "SELECT 4", "platform": ""},
      "e": {"query": "SELECT 5", "platform": "ubuntu"}}})");
  ASSERT_EQ(c.queries.size(), 3u);
  EXPECT_EQ(c.queries[0].name, "b");
  EXPECT_EQ(c.notes, (std::vector<std::string>{
                         "/etc/procaudit/test.conf: schedule.a: skipped: platform \"darwin\" is "
                         "not linux, posix, all or any",
                         "/etc/procaudit/test.conf: schedule.e: skipped: platform \"ubuntu\" is "
                         "not linux, posix, all or any"}));
}

TEST(DaemonConfig, VersionsNewerThanTheCompatVersionAreSkipped) {
  const DaemonConfig c = Parse(R"({"schedule": {
      "old": {"query": "SELECT 1", "version": "1.4.5"},
      "same": {"query": "SELECT 1", "version": "5.0.0"},
      "new": {"query": "SELECT 1", "version": "5.1.0"}}})");
  ASSERT_EQ(c.queries.size(), 2u);
  EXPECT_EQ(c.notes, (std::vector<std::string>{
                         "/etc/procaudit/test.conf: schedule.new: skipped: needs osquery 5.1.0, "
                         "newer than the 5.0.0 whose format procaudit implements"}));
  EXPECT_EQ(Error(OneQuery(R"("version": "latest")")),
            "/etc/procaudit/test.conf: schedule.ps.version: must be a version like \"1.4.5\", "
            "got \"latest\"");
  EXPECT_EQ(Error(OneQuery(R"("version": 5)")),
            "/etc/procaudit/test.conf: schedule.ps.version: must be a string, got 5");
}

TEST(DaemonConfig, SkippedQueriesAreStillChecked) {
  // A typo must not hide until the config reaches a Mac.
  EXPECT_EQ(Error(OneQuery(R"("platform": "darwin", "interval": 0)")),
            "/etc/procaudit/test.conf: schedule.ps.interval: must be 1..604800 seconds, got 0");
}

TEST(DaemonConfig, TopLevelMustBeAnObjectAndTheSectionsToo) {
  EXPECT_EQ(Error("[]"), "/etc/procaudit/test.conf: the config must be a JSON object, got []");
  EXPECT_EQ(Error(R"({"schedule": []})"),
            "/etc/procaudit/test.conf: schedule: must be an object of queries, got []");
  EXPECT_EQ(Error(R"({"packs": ["a.conf"]})"),
            "/etc/procaudit/test.conf: packs: must be an object of packs, got [\"a.conf\"]");
  EXPECT_EQ(Error(R"({"options": 1})"),
            "/etc/procaudit/test.conf: options: must be an object, got 1");
}

TEST(DaemonConfig, InvalidJsonNamesTheFileAndLine) {
  EXPECT_EQ(Error("{\n  \"schedule\": {\n    \"ps\": {\"query\": \"SELECT 1\",}\n  }\n}"),
            "/etc/procaudit/test.conf: line 3: invalid JSON: syntax error while parsing object "
            "key - unexpected '}'; expected string literal");
  EXPECT_EQ(Error(""),
            "/etc/procaudit/test.conf: line 1: invalid JSON: syntax error while parsing value - "
            "unexpected end of input; expected '[', '{', or a literal");
}

TEST(DaemonConfig, EmptyConfigRunsNothingAndSaysSo) {
  const DaemonConfig c = Parse("{}");
  EXPECT_TRUE(c.queries.empty());
  EXPECT_EQ(c.notes,
            (std::vector<std::string>{"/etc/procaudit/test.conf: no query runs on this host"}));
}

// --- Packs ----------------------------------------------------------------------------------

TEST(DaemonConfig, InlinePackQueriesArePrefixedAsOsquery) {
  const DaemonConfig c = Parse(R"({"packs": {"incident-response": {
      "discovery": ["SELECT 1 FROM processes WHERE name = 'sshd'"],
      "queries": {"crontab": {"query": "SELECT * FROM crontab", "interval": 3600}}}}})");
  ASSERT_EQ(c.queries.size(), 1u);
  EXPECT_EQ(c.queries[0].name, "pack_incident-response_crontab");
  EXPECT_EQ(c.queries[0].pack, "incident-response");
  EXPECT_EQ(c.queries[0].discovery,
            (std::vector<std::string>{"SELECT 1 FROM processes WHERE name = 'sshd'"}));
}

TEST(DaemonConfig, PackDelimiterOptionChangesTheNames) {
  const DaemonConfig c = Parse(R"({"packs": {"ir": {"queries": {"q": {"query": "SELECT 1"}}}},
      "options": {"pack_delimiter": "/"}})");  // options after packs: still read first
  EXPECT_EQ(c.queries.at(0).name, "pack/ir/q");
}

TEST(DaemonConfig, BadPackPartsAreNamed) {
  EXPECT_EQ(
      Error(R"({"packs": {"ir": {"queries": {"crontab": {"query": "SELECT 1", "interval": 0}}}}})"),
      "/etc/procaudit/test.conf: packs.ir.queries.crontab.interval: must be 1..604800 "
      "seconds, got 0");
  EXPECT_EQ(Error(R"({"packs": {"ir": {"discovery": "SELECT 1", "queries": {}}}})"),
            "/etc/procaudit/test.conf: packs.ir.discovery: must be an array of queries, got "
            "\"SELECT 1\"");
  EXPECT_EQ(Error(R"({"packs": {"ir": {"discovery": [""], "queries": {}}}})"),
            "/etc/procaudit/test.conf: packs.ir.discovery: must hold queries as non-empty "
            "strings, got \"\"");
  EXPECT_EQ(Error(R"({"packs": {"ir": 3}})"),
            "/etc/procaudit/test.conf: packs.ir: must be a pack (an object), a pack file or a "
            "glob of pack files, got 3");
  EXPECT_EQ(Error(R"({"packs": {"ir": {"queries": []}}})"),
            "/etc/procaudit/test.conf: packs.ir.queries: must be an object of queries, got []");
}

TEST(DaemonConfig, PackOfAnotherPlatformIsOneNoteAndItsQueriesAreChecked) {
  const DaemonConfig c = Parse(R"({"packs": {"mac": {"platform": "darwin", "queries": {
      "a": {"query": "SELECT 1", "platform": "darwin"}, "b": {"query": "SELECT 2"}}}}})");
  EXPECT_TRUE(c.queries.empty());
  EXPECT_EQ(c.notes.at(0),
            "/etc/procaudit/test.conf: packs.mac: pack mac skipped: platform "
            "\"darwin\" is not linux, posix, all or any");
  EXPECT_EQ(c.notes.size(), 2u);  // and "no query runs"
  EXPECT_EQ(Error(R"({"packs": {"mac": {"platform": "darwin", "queries": {"a": {}}}}})"),
            "/etc/procaudit/test.conf: packs.mac.queries.a: has no \"query\"");
}

TEST(DaemonConfig, DuplicateQueryNamesNameBothPlaces) {
  EXPECT_EQ(Error(R"({"schedule": {"pack_ir_crontab": {"query": "SELECT 1"}},
                      "packs": {"ir": {"queries": {"crontab": {"query": "SELECT 2"}}}}})"),
            "/etc/procaudit/test.conf: packs.ir.queries.crontab: the query name "
            "\"pack_ir_crontab\" is already used by /etc/procaudit/test.conf: "
            "schedule.pack_ir_crontab");
  // Skipped queries do not run, so they take no name.
  Parse(R"({"schedule": {"pack_ir_crontab": {"query": "SELECT 1", "platform": "darwin"}},
            "packs": {"ir": {"queries": {"crontab": {"query": "SELECT 2"}}}}})");
}

TEST(DaemonConfig, APackNameUsedTwiceNamesBothPlaces) {
  TempDir dir;
  dir.Write("packs/ir.conf", R"({"queries": {"b": {"query": "SELECT 2"}}})");
  const std::string conf = dir.Write(
      "procaudit.conf",
      R"({"packs": {"ir": {"queries": {"a": {"query": "SELECT 1"}}}, "*": "packs/*.conf"}})");
  std::string error;
  EXPECT_FALSE(LoadDaemonConfig(conf, error));
  EXPECT_EQ(error, dir.path() + "/packs/ir.conf: the pack name \"ir\" is already used by " + conf +
                       ": packs.ir");
}

TEST(DaemonConfig, PackFilesAreRelativeToTheConfigsDirectory) {
  TempDir dir;
  dir.Write("packs/ir.conf",
            R"({"queries": {"crontab": {"query": "SELECT 1", "interval": "60"}}})");
  const std::string conf = dir.Write("procaudit.conf", R"({"packs": {"ir": "packs/ir.conf"}})");
  std::string error;
  const auto c = LoadDaemonConfig(conf, error);
  ASSERT_TRUE(c) << error;
  ASSERT_EQ(c->queries.size(), 1u);
  EXPECT_EQ(c->queries[0].name, "pack_ir_crontab");
  EXPECT_EQ(c->queries[0].origin, dir.path() + "/packs/ir.conf");
}

TEST(DaemonConfig, ErrorsInsideAPackFileNameThatFile) {
  TempDir dir;
  dir.Write("ir.conf", "{\"queries\": {\"crontab\": {\"query\": \"SELECT 1\", \"interval\": 0}}}");
  dir.Write("broken.conf", "{\n\"queries\": {\n}}}");
  std::string error;
  EXPECT_FALSE(LoadDaemonConfig(dir.Write("a.conf", R"({"packs": {"ir": "ir.conf"}})"), error));
  EXPECT_EQ(error,
            dir.path() + "/ir.conf: queries.crontab.interval: must be 1..604800 seconds, got 0");
  EXPECT_FALSE(LoadDaemonConfig(dir.Write("b.conf", R"({"packs": {"b": "broken.conf"}})"), error));
  EXPECT_EQ(error, dir.path() +
                       "/broken.conf: line 3: invalid JSON: syntax error while parsing "
                       "value - unexpected '}'; expected end of input");
}

TEST(DaemonConfig, UnreadablePackPathIsAnError) {
  TempDir dir;
  fs::create_directories(dir.path() + "/adir");
  std::string error;
  EXPECT_FALSE(
      LoadDaemonConfig(dir.Write("a.conf", R"({"packs": {"ir": "missing.conf"}})"), error));
  EXPECT_EQ(error, dir.path() + "/a.conf: packs.ir: cannot read the pack " + dir.path() +
                       "/missing.conf: No such file or directory");
  EXPECT_FALSE(LoadDaemonConfig(dir.Write("b.conf", R"({"packs": {"ir": "adir"}})"), error));
  EXPECT_EQ(error, dir.path() + "/b.conf: packs.ir: cannot read the pack " + dir.path() +
                       "/adir: is a directory");
  EXPECT_FALSE(LoadDaemonConfig(dir.Write("c.conf", R"({"packs": {"ir": "/dev/null"}})"), error));
  EXPECT_EQ(error,
            dir.path() + "/c.conf: packs.ir: cannot read the pack /dev/null: not a regular file");
}

TEST(DaemonConfig, UnreadableBecauseOfPermissionsIsAnError) {
  TempDir dir;
  const std::string pack = dir.Write("ir.conf", R"({"queries": {}})");
  const std::string conf = dir.Write("a.conf", R"({"packs": {"ir": "ir.conf"}})");
  chmod(pack.c_str(), 0);
  const int status = AsUnprivileged(dir, [&] {
    std::string error;
    if (LoadDaemonConfig(conf, error)) return 1;
    return error == conf + ": packs.ir: cannot read the pack " + pack + ": Permission denied" ? 0
                                                                                              : 2;
  });
  if (status == 77) GTEST_SKIP() << "cannot drop to uid 65534 (root reads a mode 000 file)";
  EXPECT_EQ(status, 0);
}

TEST(DaemonConfig, GlobEntriesBecomePacksNamedByFileStem) {
  TempDir dir;
  dir.Write("packs/b-pack.conf", R"({"queries": {"q": {"query": "SELECT 2"}}})");
  dir.Write("packs/a-pack.conf", R"({"queries": {"q": {"query": "SELECT 1"}}})");
  dir.Write("packs/readme.txt", "not a pack");
  const std::string conf = dir.Write("procaudit.conf", R"({"packs": {"*": "packs/*.conf"}})");
  std::string error;
  const auto c = LoadDaemonConfig(conf, error);
  ASSERT_TRUE(c) << error;
  ASSERT_EQ(c->queries.size(), 2u);
  EXPECT_EQ(c->queries[0].name, "pack_a-pack_q");  // glob(3) sorts
  EXPECT_EQ(c->queries[1].name, "pack_b-pack_q");
}

TEST(DaemonConfig, GlobMatchingNothingIsANote) {
  TempDir dir;
  const std::string conf = dir.Write(
      "procaudit.conf", R"({"packs": {"*": "packs/*.conf", "more": "/nonexistent/dir/*.conf"}})");
  std::string error;
  const auto c = LoadDaemonConfig(conf, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->notes.at(0),
            conf + ": packs.*: the glob " + dir.path() + "/packs/*.conf matches no file");
  EXPECT_EQ(c->notes.at(1),
            conf + ": packs.more: the glob /nonexistent/dir/*.conf matches no file");
}

TEST(DaemonConfig, GlobOverAnUnreadableDirectoryIsAnError) {
  TempDir dir;
  dir.Write("packs/a.conf", R"({"queries": {}})");
  const std::string conf = dir.Write("c.conf", R"({"packs": {"*": "packs/*.conf"}})");
  chmod((dir.path() + "/packs").c_str(), 0);
  const int status = AsUnprivileged(dir, [&] {
    std::string error;
    if (LoadDaemonConfig(conf, error)) return 1;
    return error == conf + ": packs.*: cannot expand " + dir.path() +
                        "/packs/*.conf: " + dir.path() + "/packs: Permission denied"
               ? 0
               : 2;
  });
  chmod((dir.path() + "/packs").c_str(), 0700);
  if (status == 77) GTEST_SKIP() << "cannot drop to uid 65534 (root reads a mode 000 directory)";
  EXPECT_EQ(status, 0);
}

TEST(DaemonConfig, TextWithoutABaseDirectoryReadsNoFiles) {
  EXPECT_EQ(Error(R"({"packs": {"ir": "/etc/passwd"}})"),
            "/etc/procaudit/test.conf: packs.ir: pack files are not read for a config given as "
            "text");
}

TEST(DaemonConfig, MissingConfigFileIsOneLine) {
  std::string error;
  EXPECT_FALSE(LoadDaemonConfig("/nonexistent/procaudit.conf", error));
  EXPECT_EQ(error, "/nonexistent/procaudit.conf: cannot read: No such file or directory");
}

// --- Options --------------------------------------------------------------------------------

TEST(DaemonConfig, OptionsProcauditReads) {
  const DaemonConfig c = Parse(R"({"options": {
      "logger_path": "/var/log/procaudit", "logger_plugin": "filesystem",
      "logger_rotate_size": "10M", "logger_rotate_max_files": "5",
      "host_identifier": "specified", "specified_identifier": "web-1",
      "store_path": "/var/lib/procaudit/store.db", "store_max_age": "7d",
      "store_max_bytes": 1073741824}})");
  const DaemonSettings& s = c.settings;
  EXPECT_EQ(s.logger_path, "/var/log/procaudit");
  EXPECT_EQ(s.logger_plugin, "filesystem");
  EXPECT_EQ(s.logger_rotate_size, 10u << 20);
  EXPECT_EQ(s.logger_rotate_max_files, 5u);
  EXPECT_EQ(s.store_path, "/var/lib/procaudit/store.db");
  EXPECT_EQ(s.store_max_age_s, 604800u);
  EXPECT_EQ(s.store_max_bytes, 1u << 30);
  EXPECT_EQ(ResolveHostIdentifier(s), "web-1");
  EXPECT_FALSE(Parse("{}").settings.logger_path);  // unset: the daemon's defaults
}

TEST(DaemonConfig, BadOptionValuesAreNamed) {
  EXPECT_EQ(Error(R"({"options": {"logger_plugin": "tls"}})"),
            "/etc/procaudit/test.conf: options.logger_plugin: must be filesystem or syslog "
            "(procaudit writes to one of them), got \"tls\"");
  EXPECT_EQ(Error(R"({"options": {"host_identifier": "uuid"}})"),
            "/etc/procaudit/test.conf: options.host_identifier: must be hostname or specified "
            "(procaudit has no uuid, instance or ephemeral identifier), got \"uuid\"");
  EXPECT_EQ(Error(R"({"options": {"host_identifier": "specified"}})"),
            "/etc/procaudit/test.conf: options.host_identifier: is \"specified\" but "
            "specified_identifier is not set");
  EXPECT_EQ(Error(R"({"options": {"logger_rotate_size": "10Q"}})"),
            "/etc/procaudit/test.conf: options.logger_rotate_size: must be a size in bytes "
            "above 0 (a number, or a string like \"10M\" or \"1G\"), got \"10Q\"");
  EXPECT_EQ(Error(R"({"options": {"logger_rotate_size": 0}})"),
            "/etc/procaudit/test.conf: options.logger_rotate_size: must be a size in bytes "
            "above 0 (a number, or a string like \"10M\" or \"1G\"), got 0");
  EXPECT_EQ(Error(R"({"options": {"store_max_age": "1y"}})"),
            "/etc/procaudit/test.conf: options.store_max_age: must be a time above 0 (seconds, "
            "or a string like \"7d\", \"12h\" or \"30m\"), got \"1y\"");
  EXPECT_EQ(Error(R"({"options": {"logger_rotate_max_files": 0}})"),
            "/etc/procaudit/test.conf: options.logger_rotate_max_files: must be 1..1000 files, "
            "got 0");
  EXPECT_EQ(Error(R"({"options": {"logger_path": ""}})"),
            "/etc/procaudit/test.conf: options.logger_path: must not be empty");
  EXPECT_EQ(Error(R"({"options": {"schedule_default_interval": 0}})"),
            "/etc/procaudit/test.conf: options.schedule_default_interval: must be 1..604800 "
            "seconds, got 0");
}

TEST(DaemonConfig, HostIdentifierDefaultsToTheHostName) {
  char name[256] = {};
  ASSERT_EQ(gethostname(name, sizeof name - 1), 0);
  EXPECT_EQ(ResolveHostIdentifier(DaemonSettings{}), name);
  DaemonSettings hostname;
  hostname.host_identifier = "hostname";
  hostname.specified_identifier = "ignored";
  EXPECT_EQ(ResolveHostIdentifier(hostname), name);
}

// --- osquery's published packs --------------------------------------------------------------

TEST(OsqueryPacks, EveryPublishedPackLoadsWithTheQueriesForLinux) {
  // Kept and skipped per pack, worked out from each query's platform and version (and the
  // pack's): darwin, windows and distribution-only queries are skipped, nothing is newer than
  // osquery 5.0.0.
  const std::map<std::string, std::pair<size_t, size_t>> expected = {
      {"hardware-monitoring", {9, 8}},
      {"incident-response", {18, 17}},
      {"it-compliance", {10, 22}},
      {"osquery-monitoring", {3, 0}},
      {"ossec-rootkit", {60, 0}},
      {"osx-attacks", {0, 74}},
      {"unwanted-chrome-extensions", {0, 14}},
      {"vuln-management", {11, 7}},
      {"windows-attacks", {0, 14}},
      {"windows-hardening", {0, 39}},
  };
  size_t total = 0;
  for (const auto& [pack, counts] : expected) {
    SCOPED_TRACE(pack);
    const std::string file = kPacks + "/" + pack + ".conf";
    TempDir dir;
    std::string error;
    const auto c = LoadDaemonConfig(
        dir.Write("procaudit.conf", R"({"packs": {")" + pack + R"(": ")" + file + R"("}})"), error);
    ASSERT_TRUE(c) << error;
    EXPECT_EQ(c->queries.size(), counts.first);
    const size_t skipped_queries = NotesContaining(*c, ": skipped: ");
    const bool pack_skipped = NotesContaining(*c, "pack " + pack + " skipped: ") == 1;
    EXPECT_EQ(pack_skipped ? counts.first + counts.second : skipped_queries, counts.second);
    for (const ScheduledQuery& q : c->queries) {
      EXPECT_TRUE(q.name.starts_with("pack_" + pack + "_")) << q.name;
      EXPECT_EQ(q.origin, file);
      EXPECT_GE(q.interval_s, 1u);
    }
    total += c->queries.size();
  }
  EXPECT_EQ(total, 111u);
}

TEST(OsqueryPacks, AllPacksTogetherThroughOneGlob) {
  TempDir dir;
  std::string error;
  const auto c = LoadDaemonConfig(
      dir.Write("procaudit.conf", R"({"packs": {"*": ")" + kPacks + R"(/*.conf"}})"), error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->queries.size(), 111u);
  EXPECT_EQ(NotesContaining(*c, " skipped: "), 8u + 17u + 22u + 7u + 4u);  // 4 whole packs
  EXPECT_EQ(NotesContaining(*c, ".denylist: ignored: "), 3u);  // osquery-monitoring.conf
}

TEST(OsqueryPacks, DetailsSurviveTheirQuirks) {
  TempDir dir;
  std::string error;
  const auto c = LoadDaemonConfig(
      dir.Write("procaudit.conf", R"({"packs": {"*": ")" + kPacks + R"(/*.conf"}})"), error);
  ASSERT_TRUE(c) << error;
  // A backquote in the name (ossec-rootkit.conf).
  const ScheduledQuery* mithra = Find(*c, "pack_ossec-rootkit_mithra`s_rootkit");
  ASSERT_TRUE(mithra);
  EXPECT_EQ(mithra->interval_s, 3600u);
  // An integer interval and "removed": false (osquery-monitoring.conf).
  const ScheduledQuery* info = Find(*c, "pack_osquery-monitoring_osquery_info");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->interval_s, 600u);
  EXPECT_FALSE(info->removed);
  EXPECT_EQ(info->sql.rfind("select i.*, p.resident_size", 0), 0u);
}

TEST(OsqueryPacks, BackslashContinuedQueriesAreJoinedAsOsqueryDoes) {
  // osx-attacks.conf is for darwin, so read it as a linux pack to see its queries.
  std::ifstream in(kPacks + "/osx-attacks.conf");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find(R"("platform": "darwin")"), 20, R"("platform": "linux")");
  std::string error;
  const auto c = ParseDaemonConfig(R"({"packs": {"osx": )" + text + "}}", "t.conf", "", error);
  ASSERT_TRUE(c) << error;
  const ScheduledQuery* wirelurker = Find(*c, "pack_osx_WireLurker");
  ASSERT_TRUE(wirelurker);
  EXPECT_EQ(wirelurker->sql.rfind("select * from launchd where         name = "
                                  "'com.apple.machook_damon.plist' OR         name = ",
                                  0),
            0u)
      << wirelurker->sql;
}

}  // namespace
}  // namespace procaudit::daemon
